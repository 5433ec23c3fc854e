"""The light pass over a photo page: only the ink outside the photographs is read, on one small image.

A photo page (:mod:`extractors.triage`) holds photographs and a little text: captions, the page
heading, a 拍摄人 line, a seal, a page number. Instead of preparing and searching the whole page
image, the blocks of ink outside the photographs are found on triage's small copy, cut out of the
page at full resolution, and stacked one under the other on a strip of paper. The strip goes
through the usual pass (red ink suppressed, one engine pass, printed text told from handwriting,
marks), and every box is put back where its block lay on the page. The detector's cost follows the
area it sees: two caption lines cost a strip of two lines, not a page.

When the strip does not read as upright horizontal text (the page lies on its side or upside down)
:func:`read_outside_photos` gives None and the caller reads the whitened page band by band, turning
it as it turns any page.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from models import Line, Mark

from extractors import ocr_engine, ocr_stamps, vision
from extractors.ocr_geometry import deskew, straighten
from extractors.ocr_lines import classify_chars, merge_lines, pad_box, text_confidence
from extractors.patterns import page_stamp
from extractors.triage import Triage, paper_colour

#: Growth (small-copy px, rows × columns) that joins the characters of a line into one block.
JOIN = (3, 9)
#: Ink pixels (small copy) below which a block is a speck, not worth reading.
MIN_INK = 4
#: Paper (small-copy px) kept around each block.
PAD = 2
#: Tilt (degrees) of the lines below which the strip is not straightened (as ``ocr_page`` leaves a page).
LEVEL_DEGREES = 0.15

Box = tuple[int, int, int, int]


def blocks(verdict: Triage, shape: tuple[int, int]) -> list[Box]:
    """Boxes ``(x0, y0, x1, y1)`` (full-image px) of the blocks of ink outside the photographs, top to bottom."""
    ink = verdict.text_ink
    if ink is None or not ink.any():
        return []
    grown = cv2.dilate(ink, np.ones(JOIN, np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    counts = np.bincount(labels[ink > 0], minlength=n)
    h, w = ink.shape
    small = [(max(0, x - PAD), max(0, y - PAD), min(w, x + bw + PAD), min(h, y + bh + PAD))
             for i, (x, y, bw, bh, _) in enumerate(stats.tolist()) if i and counts[i] >= MIN_INK]
    k = verdict.scale
    boxes = [(x0 * k, y0 * k, min(shape[1], x1 * k), min(shape[0], y1 * k)) for x0, y0, x1, y1 in _merged(small)]
    return sorted(boxes, key=lambda b: (b[1], b[0]))


def _merged(boxes: list[Box]) -> list[Box]:
    """Overlapping boxes joined (a padded block may reach into the next)."""
    changed = True
    while changed:
        changed = False
        out: list[Box] = []
        for box in boxes:
            for i, other in enumerate(out):
                if box[0] < other[2] and other[0] < box[2] and box[1] < other[3] and other[1] < box[3]:
                    out[i] = (min(box[0], other[0]), min(box[1], other[1]), max(box[2], other[2]), max(box[3], other[3]))
                    changed = True
                    break
            else:
                out.append(box)
        boxes = out
    return boxes


class Strip:
    """The blocks of one page stacked on a strip of paper, and the way back to the page."""

    def __init__(self, image: np.ndarray, verdict: Triage, boxes: list[Box], gap: int):
        self.boxes = boxes
        self.tops: list[int] = []
        paper = paper_colour(image).astype(image.dtype)
        #: paper left and right of the blocks too: a line ending at the strip's edge loses its last character
        self.left = gap
        self.page_width = image.shape[1]
        width = max(x1 - x0 for x0, _, x1, _ in boxes) + 2 * gap
        height = sum(y1 - y0 for _, y0, _, y1 in boxes) + gap * (len(boxes) + 1)
        self.image = np.empty((height, width, 3), image.dtype)
        self.image[:] = paper
        top = gap
        for box in boxes:
            x0, y0, x1, y1 = box
            crop = image[y0:y1, x0:x1].copy()
            if verdict.mask is not None:
                crop[_mask_of(verdict, box) > 0] = paper   # a photograph's edge inside the block
            for px0, py0, px1, py1 in verdict.photos:      # and its box, as triage.whiten paints it
                if px0 < x1 and x0 < px1 and py0 < y1 and y0 < py1:
                    crop[max(py0, y0) - y0: min(py1, y1) - y0, max(px0, x0) - x0: min(px1, x1) - x0] = paper
            self.image[top: top + y1 - y0, gap: gap + x1 - x0] = crop
            self.tops.append(top)
            top += y1 - y0 + gap

    def _block(self, y: float) -> int:
        """The block at strip row ``y`` (px): the last one starting above it."""
        i = int(np.searchsorted(self.tops, y, side="right")) - 1
        return max(0, i)

    def _shift(self, y: float) -> tuple[float, float]:
        """What to add to a strip point (px) at row ``y`` to have it on the page as cut (px)."""
        i = self._block(y)
        return float(self.boxes[i][0] - self.left), float(self.boxes[i][1] - self.tops[i])

    def centre(self, quad: np.ndarray) -> float:
        """The x (strip px) of the page's centre line, for the block of a quad (strip px): titles are centred."""
        return self.page_width / 2 - self._shift(float(quad[:, 1].mean()))[0]

    def quad_on_page(self, quad: np.ndarray) -> np.ndarray:
        """A quad (px) of the strip as cut on the page as cut (px)."""
        return quad + np.array(self._shift(float(quad[:, 1].mean())))

    def to_page(self, box: tuple[float, ...], scale: float, back: np.ndarray | None, turn: np.ndarray | None
                ) -> tuple[float, float, float, float]:
        """A box (points) of the straightened strip on the straightened page (points).

        ``back`` turns the straightened strip back to the strip as cut (None: not turned), ``turn``
        straightens the page as cut; both turn by the same angle, so the box keeps its size and
        only its centre moves."""
        cx, cy = (box[0] + box[2]) / 2 / scale, (box[1] + box[3]) / 2 / scale
        if back is not None:
            cx, cy = back @ (cx, cy, 1.0)
        dx, dy = self._shift(cy)
        cx, cy = cx + dx, cy + dy
        if turn is not None:
            cx, cy = turn @ (cx, cy, 1.0)
        hw, hh = (box[2] - box[0]) / 2, (box[3] - box[1]) / 2
        return (round(cx * scale - hw, 1), round(cy * scale - hh, 1), round(cx * scale + hw, 1), round(cy * scale + hh, 1))


def _mask_of(verdict: Triage, box: Box) -> np.ndarray:
    """The photographs' pixels inside ``box`` (full px), from the small copy's mask."""
    k = verdict.scale
    x0, y0, x1, y1 = box
    sy0, sx0 = y0 // k, x0 // k
    sub = verdict.mask[sy0: -(-y1 // k), sx0: -(-x1 // k)]
    if k > 1:
        sub = sub.repeat(k, axis=0).repeat(k, axis=1)
    sub = sub[y0 - sy0 * k: y0 - sy0 * k + y1 - y0, x0 - sx0 * k: x0 - sx0 * k + x1 - x0]
    if sub.shape != (y1 - y0, x1 - x0):   # the image's last rows or columns beyond the small copy
        sub = np.pad(sub, ((0, y1 - y0 - sub.shape[0]), (0, x1 - x0 - sub.shape[1])))
    return sub


def read_outside_photos(
    image: np.ndarray,
    verdict: Triage,
    dpi: int,
    engine: object,
    engine_name: str,
    suppress_red: bool,
    marks: bool,
    lap: Callable[[str], None],
) -> tuple[list[Line], list[Mark], float, float] | None:
    """Lines and marks (points, on the page straightened by the skew), confidence and skew of the
    ink outside the photographs of a photo page; None when the strip is not upright horizontal
    text (see the module docstring)."""
    page_shape = image.shape[:2]
    boxes = blocks(verdict, page_shape)
    if not boxes:
        return [], [], 0.0, 0.0
    strip = Strip(image, verdict, boxes, gap=max(12, int(dpi) // 10))
    lap("triage")
    red = vision.red_mask(strip.image)
    ocr_input = vision.suppress_red(strip.image, red) if suppress_red else strip.image
    lap("red")
    det_side = getattr(getattr(engine, "text_det", None), "limit_side_len", None)
    det_scale = det_side / max(image.shape[:2]) if det_side else None   # the scale the whole page is detected at
    # lines one at a time: a caption, a title and a page number differ in length, and a batch is
    # padded to its longest
    results, turned = ocr_engine.run_engine(engine, engine_name, ocr_input, vertical=True, flip=True,
                                            det_scale=det_scale, rec_batch=1)
    lap("engine")
    if turned:
        return None
    scale = 72.0 / dpi
    centres = [strip.centre(r[0]) for r in results]
    on_page = [strip.quad_on_page(r[0]) for r in results]
    stamps = [page_stamp(r[1], float(q[:, 1].min()), float(q[:, 1].max()), page_shape[0]) is not None
              for r, q in zip(results, on_page)]
    # a page number stamped in red faded with the strip's red ink: read from the page as it is
    red_numbers = (ocr_stamps.new_ones(ocr_stamps.red_stamps(engine, engine_name, image, dpi), [(q,) for q in on_page])
                   if suppress_red else [])
    skew = skew_of_lines(results)
    image, back, turn = strip.image, None, None
    if skew:
        # straightened as a deskewed page is (ocr_page): the strip and its boxes turned, so that
        # lines are level where printed text is told from handwriting and lines are merged
        h_px, w_px = image.shape[:2]
        m = cv2.getRotationMatrix2D((w_px / 2, h_px / 2), -skew, 1.0)
        results = [(straighten(quad, m), text, score, flipped, [(c, sc, straighten(q, m)) for c, sc, q in chars])
                   for quad, text, score, flipped, chars in results]
        image, red = deskew(image, skew), deskew(red, skew, cv2.INTER_NEAREST)
        back = cv2.invertAffineTransform(m)
        turn = cv2.getRotationMatrix2D((page_shape[1] / 2, page_shape[0] / 2), -skew, 1.0)
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    printed, _ = classify_chars(image, red, results, scale, gray, centres, stamps)
    lines = merge_lines(printed)
    confidence = text_confidence(lines)
    lap("lines")
    found: list[Mark] = []
    if marks and results:
        h_px, w_px = image.shape[:2]
        found = vision.detect_marks(image, w_px * scale, h_px * scale, [pad_box(ln.bbox) for ln in lines],
                                    red=red, gray=gray)
        found = [m.model_copy(update={"bbox": strip.to_page(m.bbox, scale, back, turn)}) for m in found]
        lap("marks")
    lines = [ln.model_copy(update={"bbox": strip.to_page(ln.bbox, scale, back, turn)}) for ln in lines]
    for quad, text, score, *_ in red_numbers:
        q = quad @ turn[:, :2].T + turn[:, 2] if turn is not None else quad
        lines.append(Line(text=text.strip(), confidence=round(float(score), 4),
                          bbox=tuple(round(float(v) * scale, 1) for v in (q[:, 0].min(), q[:, 1].min(), q[:, 0].max(), q[:, 1].max()))))
    return reading_order(lines), found, confidence, skew


def reading_order(lines: list[Line]) -> list[Line]:
    """Lines top to bottom, and left to right within a row (blocks were stacked top to bottom by
    their upper edge: a label a little higher on the right of a row came first)."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: (ln.bbox[1] + ln.bbox[3]) / 2):
        row = rows[-1] if rows else None
        if row and (line.bbox[1] + line.bbox[3]) / 2 < row[0].bbox[3]:
            row.append(line)
        else:
            rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda ln: ln.bbox[0])]


def skew_of_lines(results: list) -> float:
    """Skew (degrees, counter-clockwise positive, as :func:`~extractors.ocr_geometry.skew_of`) of
    the long detected lines: the median slope of their top and bottom edges; 0 below
    :data:`LEVEL_DEGREES` (the page deskew leaves less alone too)."""
    angles = []
    for quad, *_ in results:
        q = np.asarray(quad, float)
        width = float(np.linalg.norm(q[1] - q[0]))
        height = float(np.linalg.norm(q[3] - q[0]))
        if width >= 4 * height:
            angles += [np.degrees(np.arctan2(q[0, 1] - q[1, 1], q[1, 0] - q[0, 0])),
                       np.degrees(np.arctan2(q[3, 1] - q[2, 1], q[2, 0] - q[3, 0]))]
    if not angles:
        return 0.0
    skew = float(np.median(angles))
    return round(skew, 2) if abs(skew) >= LEVEL_DEGREES else 0.0
