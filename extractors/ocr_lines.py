"""From recognised characters to text lines: printed text told from handwriting, rows merged.

:func:`classify_chars` measures each character's ink inside its column of the line box: printed
body text shares one ink height and is neutral black; a name signed large, pen strokes read as
letters, or bluer ballpoint ink is handwriting (kept out of the text; seals and signatures are
:mod:`extractors.vision`'s). Ink is measured with the red mask grown by 2 px: the pink fringe of a
seal ring crossing a printed character used to make it look taller than the body text, so it was
dropped as handwriting (``审判员许婉婷`` read ``审员婉婷``, a false SG-008). :func:`merge_lines` groups
the printed characters into rows by vertical overlap, sorted left to right, and splits a row at
wide gaps, so ``标签：值`` form rows and ``问：/答：`` lines stay whole.
"""

from __future__ import annotations

import cv2
import numpy as np

from models import Line

from extractors import vision
from extractors.ocr_engine import MIN_LINE_SCORE
from extractors.patterns import page_stamp


def merge_lines(chars: list[tuple[tuple[float, float, float, float], str, float]], gap_factor: float = 2.5) -> list[Line]:
    """Group character boxes ``(bbox, char, score)`` into rows by vertical centre, sort each
    row left→right, and split it into segments at gaps wider than ``gap_factor`` characters
    (as the text layer does: ``标签：值`` stays one line, far-apart fields become two)."""
    if not chars:
        return []
    items = sorted(chars, key=lambda c: ((c[0][1] + c[0][3]) / 2, c[0][0]))
    rows: list[list[tuple[tuple[float, float, float, float], str, float]]] = []
    row_y, row_h = -1e9, 0.0
    for item in items:
        (x0, y0, x1, y1) = item[0]
        yc, h = (y0 + y1) / 2, max(y1 - y0, 1.0)
        if rows and abs(yc - row_y) <= 0.45 * max(row_h, h):
            rows[-1].append(item)
            row_y += (yc - row_y) / len(rows[-1])
        else:
            rows.append([item])
            row_y, row_h = yc, h
    lines: list[Line] = []
    for row in rows:
        row.sort(key=lambda c: c[0][0])
        unit = float(np.median([max(c[0][3] - c[0][1], 1.0) for c in row])) * 0.8
        seg = [row[0]]
        for prev, cur in zip(row, row[1:]):
            if cur[0][0] - prev[0][2] > gap_factor * max(unit, 3.0):
                lines.append(_segment(seg, unit))
                seg = [cur]
            else:
                seg.append(cur)
        lines.append(_segment(seg, unit))
    lines.sort(key=lambda ln: (round((ln.bbox[1] + ln.bbox[3]) / 2), ln.bbox[0]))
    return lines


def _segment(seg: list[tuple[tuple[float, float, float, float], str, float]], unit: float) -> Line:
    text = seg[0][1]
    for prev, cur in zip(seg, seg[1:]):
        if cur[0][0] - prev[0][2] > 0.8 * max(unit, 3.0) and (prev[1].isascii() or cur[1].isascii()):
            text += " "
        text += cur[1]
    bbox = (min(c[0][0] for c in seg), min(c[0][1] for c in seg), max(c[0][2] for c in seg), max(c[0][3] for c in seg))
    conf = sum(c[2] for c in seg) / len(seg)
    return Line(text=text, bbox=tuple(round(v, 1) for v in bbox), confidence=round(conf, 4))


#: A character whose ink stands this much above the page's body text is handwriting.
HANDWRITING_HEIGHT = 1.3
#: Ink share of a character cell under red ink above which it is a black character under a seal.
SEALED_INK = 0.08
#: Blue-over-red excess (0–255) of a character's darkest ink, above the page's printed text,
#: that marks pen ink (blue/black ballpoint) rather than toner.
PEN_BLUE = 8.0


def classify_chars(
    image: np.ndarray, red: np.ndarray, results: list, scale: float, gray: np.ndarray | None = None,
    centres: list[float] | None = None, stamps: list[bool] | None = None, sealed: np.ndarray | None = None,
) -> tuple[list[tuple[tuple[float, float, float, float], str, float]], list[tuple[tuple[float, float, float, float], str, float]]]:
    """Split recognised characters into printed text and handwriting.

    Each character's ink is measured inside its column of the line box. Printed body
    text shares one ink height and is neutral black; a name signed large, or pen strokes
    read as letters, stand well above it (:data:`HANDWRITING_HEIGHT`), and ballpoint ink
    is bluer than toner (:data:`PEN_BLUE`). Lines set entirely in a larger size and
    centred (titles) stay printed. Printed boxes come back in points, each spanning its
    line's printed ink height so punctuation stays on its row. ``gray`` is the page in
    grey when the caller has it already. ``centres`` gives, per result, the x (px) of the page's
    centre line when the image is not the whole page (blocks cut from it, :mod:`extractors.ocr_photo`).
    A page number stamped in the top or bottom margin (:func:`extractors.patterns.page_stamp`) stays
    printed whatever its ink — a numbering stamp's blue or red, a larger size — for the volume's page
    numbers are read from it; ``stamps`` says per result which are stamps when the image is not
    the whole page (default: judged from the results' boxes on this image). ``sealed`` marks the
    discs of the seals of a greyscale page: a character under one is never judged handwritten by its
    height (the seal's strokes make it tall), as a black character under red ink is not.
    """
    if not results:
        return [], []
    if stamps is None:
        stamps = [page_stamp(r[1], float(r[0][:, 1].min()), float(r[0][:, 1].max()), image.shape[0]) is not None
                  for r in results]
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if gray is None else gray.copy()
    near_red = None
    if cv2.countNonZero(red):
        near_red = cv2.dilate(red, np.ones((5, 5), np.uint8))
        gray[near_red > 0] = 255
    _, ink = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    # a form's ruled line under a row would stretch every character's ink down to it
    ink = (vision.without_rules(ink * 255, 1.0 / (scale * 25.4 / 72.0)) > 0).astype(np.uint8)
    h_px, w_px = ink.shape
    measured = []
    for quad, _, _, _, chars in results:
        ly0, ly1 = int(max(quad[:, 1].min(), 0)), int(min(quad[:, 1].max() + 1, h_px))
        row = []
        for ch, score, q in chars:
            x0, x1 = int(max(q[:, 0].min(), 0)), int(min(q[:, 0].max() + 1, w_px))
            cell = ink[ly0:ly1, x0:x1] if x1 > x0 and ly1 > ly0 else np.zeros((0, 0), np.uint8)
            rows = _glyph_rows(cell) if cell.size else np.array([], int)
            if rows.size:
                top, bottom = ly0 + int(rows[0]), ly0 + int(rows[-1]) + 1
                g = gray[ly0:ly1, x0:x1]
                on = cell > 0
                vals = g[on]
                k = int(0.3 * (vals.size - 1))
                core = on & (g <= np.partition(vals, k)[k])  # = np.percentile(vals, 30) on integers
                rgb = image[ly0:ly1, x0:x1][core]
                tint = float(rgb[:, 2].mean()) - float(rgb[:, 0].mean())
            else:
                top, bottom, tint = ly0, ly1, 0.0
            # a black character under a seal: seal ink the red mask misses stretches its ink upwards
            # (the seal's own red characters leave only sparse traces once red is whitened)
            under = ((near_red is not None and bool(near_red[ly0:ly1, x0:x1].any()))
                     or (sealed is not None and bool(sealed[ly0:ly1, x0:x1].any())))
            in_seal = under and rows.size > 0 and float(cell.mean()) >= SEALED_INK
            row.append((ch, score, x0, top, x1, bottom, tint, in_seal))
        measured.append((quad, row))
    cjk = [r[5] - r[3] for _, row in measured for r in row if "\u4e00" <= r[0] <= "\u9fff"]
    body = float(np.median(cjk)) if cjk else float(np.median([r[5] - r[3] for _, row in measured for r in row] or [1.0]))
    page_tint = float(np.median([r[6] for _, row in measured for r in row]))
    printed: list = []
    written: list = []
    for n, (quad, row) in enumerate(measured):
        if not row:
            continue
        heights = np.array([r[5] - r[3] for r in row], float)
        tail = _written_tail(row, heights)
        centre = (quad[:, 0].min() + quad[:, 0].max()) / 2
        middle, width = (w_px / 2, w_px) if centres is None else (centres[n], 2 * centres[n])
        # a flat glyph (一, 、, brackets) is no sign of a smaller size: the line's lowest full glyph decides
        full = heights[heights >= 0.6 * float(np.median(heights))]
        title = stamps[n] or (len(row) <= 15 and float(np.median(heights)) > 1.25 * body
                              and abs(centre - middle) < 0.08 * width and float(np.min(full)) > 0.9 * body)
        keep = []
        for i, (r, hgt) in enumerate(zip(row, heights)):
            ch, score, x0, top, x1, bottom, tint, in_seal = r
            if score < MIN_LINE_SCORE and not in_seal:
                # an unsure character under a seal is kept: the seal's strokes are the doubt, and a
                # name or date missing a character reads as another one (a surname lost, the given
                # name left looks like a name of its own)
                continue
            high = hgt > HANDWRITING_HEIGHT * body and not in_seal
            if not title and (i >= tail or high or tint - page_tint > PEN_BLUE):
                written.append(((x0 * scale, top * scale, x1 * scale, bottom * scale), ch, score))
            else:
                keep.append(r)
        tall = [r for r in keep if r[5] - r[3] >= 0.6 * body] or keep
        if not keep:
            continue
        top = float(np.median([r[3] for r in tall]))
        bottom = float(np.median([r[5] for r in tall]))
        for ch, score, x0, _, x1, *_ in keep:
            printed.append(((x0 * scale, top * scale, x1 * scale, bottom * scale), ch, score))
    return printed, written


def _glyph_rows(cell: np.ndarray) -> np.ndarray:
    """Rows of a character cell with ink, less thin strokes at its top or bottom edge set apart
    from the glyph by white rows: a form's ruled line the scan broke into pieces (too short to be
    taken out as a rule) would make a printed character look tall, i.e. handwritten."""
    rows = np.flatnonzero(cell.any(axis=1))
    if rows.size < 3:
        return rows
    thin = max(2, int(0.1 * cell.shape[0]))
    breaks = np.flatnonzero(np.diff(rows) > 1)
    runs = np.split(rows, breaks + 1)
    while len(runs) > 1 and len(runs[0]) <= thin and runs[0][0] <= thin:
        runs = runs[1:]
    while len(runs) > 1 and len(runs[-1]) <= thin and runs[-1][-1] >= cell.shape[0] - 1 - thin:
        runs = runs[:-1]
    return np.concatenate(runs)


def _written_tail(row: list, heights: np.ndarray) -> int:
    """Index where a handwritten entry after a printed label (``签名：`` + name) starts, else len(row).

    The entry after the last colon counts as handwritten when its ink is taller or bluer
    than the label's (a signature read by OCR in the same box as its label).
    """
    cut = max((i for i, r in enumerate(row) if r[0] in "：:"), default=-1)
    if cut < 1 or cut >= len(row) - 1:
        return len(row)
    head = [r for r in row[:cut] if "\u4e00" <= r[0] <= "\u9fff"]
    tail = [r for r in row[cut + 1:] if "\u4e00" <= r[0] <= "\u9fff"]
    if not head or not tail or len(tail) > 6:
        return len(row)
    h_head = float(np.median([r[5] - r[3] for r in head]))
    h_tail = float(np.median([r[5] - r[3] for r in tail]))
    t_head = float(np.median([r[6] for r in head]))
    t_tail = float(np.median([r[6] for r in tail]))
    if h_tail > 1.15 * h_head or t_tail - t_head > 3.0:
        return cut + 1
    return len(row)


def text_confidence(lines: list[Line]) -> float:
    """The confidence of a page's text: its lines' confidences weighted by their length (0 without text)."""
    total = sum(len(ln.text) for ln in lines)
    return round(sum(ln.confidence * len(ln.text) for ln in lines) / total, 4) if total else 0.0


def pad_box(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A printed line's box grown by a little so glyph ink at its edges is covered."""
    h = bbox[3] - bbox[1]
    return (bbox[0] - 0.35 * h, bbox[1] - 0.2 * h, bbox[2] + 0.35 * h, bbox[3] + 0.2 * h)
