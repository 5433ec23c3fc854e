"""Visual marks on page images: red seals, red fingerprints and handwriting.

:func:`detect_marks` works on one RGB page image (a scan, or a rendered text-layer page)
and returns :class:`models.Mark` records with boxes in PDF points from the top-left of
the page. Detection is classical image processing (OpenCV), no model:

* **seal** (院印/公章) — a large red region that is round or elliptic and has a ring:
  HSV red mask → closed contours → size (≥ ~25 mm), circularity of the hull, and the
  share of red along the outer ring.
* **fingerprint** (捺印) — a small (≈ 8–30 mm) filled, elliptic red blob with ridge
  texture (many small holes / high edge density inside the blob), not a ring.
* **red_ink** — other red regions that are large enough to matter but neither of the
  above (e.g. a red stamp that is rectangular); reported so slot logic can still see ink.
* **handwriting** — dark-ink stroke clusters that are not printed text: components
  outside the printed-text boxes (``text_boxes``) grouped into clusters, kept when their
  stroke width varies and their shape is irregular compared with printed glyphs. Long
  straight horizontal/vertical lines (form rules, a field's underline, scanner streaks)
  are taken out first; a cluster that is one straight stroke (strike-through, slash,
  staple) or ink ≥ 2.5 mm thick (punch hole, blot) is not handwriting; a cluster inside a
  red mark is dropped only when its ink is light and hugs the red (a seal's fringe), not
  when it is dark pen ink a fingerprint was pressed over. Thin ballpoint lines on a scan
  are lighter than toner: pen ink is anything below :data:`INK_MAX_GRAY` (170, was 150).

Red covers pale, weakly saturated red and orange-red as well (faded seals, pale
fingerprints). :func:`suppress_red` turns red pixels white in a copy so black text under
a seal can be read by OCR, with a ramp set per seal from its own ink level.

Generalisation (``bench/slots_heldout.py``: marks drawn in held-out styles the detector
was not developed on — ballpoint cursive, pale/broken/oval seals in other reds,
smudged/partial fingerprints, negatives around blank slots; tuned on seeds 500–503,
reported on seeds 900–903): see the figures in that script's docstring.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from models import Mark

BBoxPt = tuple[float, float, float, float]

#: HSV thresholds of "red" ink (OpenCV hue 0–180 wraps around red).
RED_HUE_LOW = 12
RED_HUE_HIGH = 160
RED_MIN_SAT = 70
RED_MIN_VAL = 70
#: Light, weakly saturated red (faded seals, pale fingerprints): saturation and brightness floors.
PALE_MIN_SAT = 32
PALE_MIN_VAL = 150
PALE_HUE_LOW = 14

#: Physical size limits in millimetres.
SEAL_MIN_MM = 22.0
SEAL_MAX_MM = 60.0
FINGERPRINT_MIN_MM = 6.0
FINGERPRINT_MAX_MM = 25.0

_MM_PER_PT = 25.4 / 72.0


def red_mask(image_rgb: np.ndarray, step: int = 4) -> np.ndarray:
    """Mask (uint8 0/255) of red ink pixels.

    Red is looked for on every ``step``-th pixel first; the full-resolution mask is then
    computed only around what was found (most pages have no red at all, a seal covers a
    few percent of a page). Red blobs smaller than ``step`` pixels that fall between the
    sampled pixels are missed — far below the size of any seal, fingerprint or red text.
    """
    h, w = image_rgb.shape[:2]
    if step <= 1 or min(h, w) < 8 * step:
        return _red(image_rgb)
    coarse = _red(np.ascontiguousarray(image_rgb[::step, ::step]))
    mask = np.zeros((h, w), np.uint8)
    if not cv2.countNonZero(coarse):
        return mask
    coarse = cv2.dilate(coarse, np.ones((3, 3), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(coarse, connectivity=8)
    for x, y, bw, bh, _ in stats[1:n]:
        x0, y0 = max(0, (int(x) - 1) * step), max(0, (int(y) - 1) * step)
        x1, y1 = min(w, (int(x + bw) + 1) * step), min(h, (int(y + bh) + 1) * step)
        mask[y0:y1, x0:x1] |= _red(image_rgb[y0:y1, x0:x1])
    return mask


def _red(image_rgb: np.ndarray) -> np.ndarray:
    """Red ink pixels of an RGB image: bands around hue 0 in HSV.

    Saturated red of any brightness (seal ink, dark red ink), plus light, weakly saturated
    red (:data:`PALE_MIN_SAT`, :data:`PALE_MIN_VAL`): faded or thinly inked seals and
    fingerprints, whose ink is pink rather than red on a scan. Orange-red ink reaches a
    hue of :data:`PALE_HUE_LOW`.
    """
    hsv = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2HSV)
    low = cv2.inRange(hsv, (0, RED_MIN_SAT, RED_MIN_VAL), (RED_HUE_LOW, 255, 255))
    high = cv2.inRange(hsv, (RED_HUE_HIGH, RED_MIN_SAT, RED_MIN_VAL), (180, 255, 255))
    pale = cv2.bitwise_or(cv2.inRange(hsv, (0, PALE_MIN_SAT, PALE_MIN_VAL), (PALE_HUE_LOW, 255, 255)),
                          cv2.inRange(hsv, (RED_HUE_HIGH, PALE_MIN_SAT, PALE_MIN_VAL), (180, 255, 255)))
    return cv2.bitwise_or(cv2.bitwise_or(low, high), pale)


#: Width (0–255) of the red-channel ramp below the ink's own red level that :func:`suppress_red`
#: stretches to black…white; darker red-channel values (black text under the ink) stay black.
FADE_RAMP = 80.0


def fade_lut(ink_red: float) -> np.ndarray:
    """Grey value from the red channel for red ink whose typical red level is ``ink_red``:
    ``ink_red - 5`` and above become white (at most 220: bright seal ink keeps the fixed
    ramp 140…220 it was developed on), :data:`FADE_RAMP` below that black."""
    top = min(max(float(ink_red) - 5.0, 110.0), 220.0)
    return np.clip((np.arange(256, dtype=np.float32) - (top - FADE_RAMP)) * (255.0 / FADE_RAMP), 0, 255).astype(np.uint8)


def suppress_red(image_rgb: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """A copy of the image with red ink faded to near-white, keeping dark ink under it.

    Inside (a dilated) red mask the red channel is used as the grey value and stretched
    from the ink's own red level (the median red channel of its pixels, per group of red
    pixels): seal ink is bright in the red channel (it fades away) while black text under
    a semi-transparent seal stays darker and remains readable. Measuring the level per
    seal keeps dark-red ink from turning grey (a fixed ramp tuned on bright red left a
    dark-red seal as grey blots over the 落款 date). Only the bounding boxes of red regions
    are touched, so a page with one seal costs little more than a copy.
    """
    mask = red_mask(image_rgb) if mask is None else mask
    if not cv2.countNonZero(mask):
        return image_rgb
    out = image_rgb.copy()
    h, w = mask.shape[:2]
    for x, y, bw, bh in _red_boxes(mask):
        x0, y0, x1, y1 = max(x - 1, 0), max(y - 1, 0), min(x + bw + 1, w), min(y + bh + 1, h)
        m = mask[y0:y1, x0:x1]
        area = cv2.dilate(m, np.ones((3, 3), np.uint8)) > 0
        red = image_rgb[y0:y1, x0:x1, 0]
        faded = cv2.LUT(red, fade_lut(float(np.median(red[m > 0]))))
        region = out[y0:y1, x0:x1]
        region[area] = faded[area][:, None]
    return out


def _red_boxes(mask: np.ndarray, gap: int = 16, k: int = 4) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) around groups of red pixels: bands of rows with red, then runs of
    columns in each, found on a ``k``× smaller copy (area averaging keeps every red pixel visible)."""
    h, w = mask.shape[:2]
    small = cv2.resize(mask, (-(-w // k), -(-h // k)), interpolation=cv2.INTER_AREA) if min(h, w) > 8 * k else mask
    f = k if small is not mask else 1
    boxes = []
    for y0, y1 in _runs(small.max(axis=1), gap // f):
        for x0, x1 in _runs(small[y0:y1].max(axis=0), gap // f):
            x0, y0_, x1, y1_ = (x0 - 1) * f, (y0 - 1) * f, (x1 + 1) * f, (y1 + 1) * f
            boxes.append((max(0, x0), max(0, y0_), min(w, x1) - max(0, x0), min(h, y1_) - max(0, y0_)))
    return boxes


def _runs(profile: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """[start, end) runs of non-zero entries, joining runs less than ``gap`` apart."""
    idx = np.flatnonzero(profile)
    if not idx.size:
        return []
    cuts = np.flatnonzero(np.diff(idx) > gap)
    starts = np.concatenate(([idx[0]], idx[cuts + 1]))
    ends = np.concatenate((idx[cuts], [idx[-1]])) + 1
    return list(zip(starts.tolist(), ends.tolist()))


def detect_marks(
    image_rgb: np.ndarray,
    page_width_pt: float,
    page_height_pt: float,
    text_boxes: list[BBoxPt] | None = None,
    handwriting: bool = True,
    red: np.ndarray | None = None,
    gray: np.ndarray | None = None,
    seals: GreySeals | None = None,
) -> list[Mark]:
    """Find seals, fingerprints, other red ink and handwriting on one page image.

    ``text_boxes`` are boxes (points) of printed text on the page — text-layer lines or
    OCR lines of printed text; dark ink outside them is a handwriting candidate. Without
    them, handwriting is looked for with shape cues only (less reliable). ``red`` (the
    :func:`red_mask` of the image) and ``gray`` (the image in grey) save recomputing them
    when the caller has them; ``seals`` the :func:`grey_seals` of a greyscale page, likewise.
    """
    if image_rgb.ndim == 2:
        image_rgb = cv2.cvtColor(image_rgb, cv2.COLOR_GRAY2RGB)
    h_px, w_px = image_rgb.shape[:2]
    sx = page_width_pt / w_px
    sy = page_height_pt / h_px
    px_per_mm = 1.0 / (sx * _MM_PER_PT)
    mask = red_mask(image_rgb) if red is None else red
    marks = _red_marks(mask, px_per_mm, sx, sy)
    if gray is None:
        gray = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2GRAY)
    if colourless(image_rgb):
        # a greyscale scan: seals and fingerprints have no colour, only their shape
        found, mask = _grey_marks(gray, px_per_mm, sx, sy, text_boxes, seals)
        marks.extend(found)
    if handwriting:
        red_boxes = [m.bbox for m in marks]
        marks.extend(_handwriting(gray, mask, px_per_mm, sx, sy, text_boxes, red_boxes))
    return marks


#: Colour spread (|R−G| + |G−B|, 99.9th percentile of a sample) below which a page image has no colour.
COLOURLESS_SPREAD = 12
#: Share of a circle's circumference on ink above which it is a seal's ring (text crossed by a
#: circle of seal size reaches about half).
GREY_RING_COVER = 0.85
#: Grey levels within this distance of a seal ring's own grey are the seal's ink (its text, star, ring).
GREY_SEAL_TOLERANCE = 35
#: Share of a seal-sized annulus on ink (1 mm cells) from which a ring is measured at full resolution.
GREY_RING_CANDIDATE = 0.7
#: Grey levels of a fingerprint on a greyscale scan: lighter than pen or toner, darker than paper.
GREY_FP_DARKEST = 120
GREY_FP_BELOW_PAPER = 22
#: Share of a fingerprint-sized blob's hull covered by ink (ridges) when dark ink counts too.
GREY_FP_DENSITY = 0.4
#: Smallest fingerprint in dark ink on a grey page (mm): without red, a handwritten character closed
#: into a blob looks alike below this (a print in light ink may be smaller: pen ink is never that light).
GREY_FP_MIN_MM = 7.0


def colourless(image_rgb: np.ndarray, step: int = 7) -> bool:
    """True for a greyscale page image (a scanner's grey mode, or a grey page stored as RGB)."""
    if image_rgb.ndim == 2:
        return True
    s = image_rgb[::step, ::step].astype(np.int16)
    spread = np.abs(s[..., 0] - s[..., 1]) + np.abs(s[..., 1] - s[..., 2])
    return float(np.percentile(spread, 99.9)) < COLOURLESS_SPREAD


@dataclass
class GreySeals:
    """Seal rings of a greyscale page (``(x, y, r, cover)`` px), their discs, and their ink: the
    pixels inside a disc with the grey of its ring (the role the red mask plays on a colour page)."""

    rings: list[tuple[float, float, float, float]]
    discs: np.ndarray
    ink: np.ndarray


def grey_seals(gray: np.ndarray, px_per_mm: float) -> GreySeals:
    """The seals of a greyscale page (see :class:`GreySeals`); darker ink inside a seal (a signature,
    the 落款 date) is not the seal's ink."""
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    discs = np.zeros_like(gray)
    mask = np.zeros_like(gray)
    rings = _grey_rings(gray, ink > 0, px_per_mm)
    for x, y, r, _ in rings:
        disc = np.zeros_like(gray)
        cv2.circle(disc, (int(x), int(y)), int(r * 1.04), 255, -1)
        discs |= disc
        level = _ring_level(gray, ink > 0, x, y, r)
        mask[(disc > 0) & (np.abs(gray.astype(np.int16) - int(level)) <= GREY_SEAL_TOLERANCE)] = 255
    return GreySeals(rings, discs, mask)


def _grey_marks(gray: np.ndarray, px_per_mm: float, sx: float, sy: float,
                text_boxes: list[BBoxPt] | None, seals: GreySeals | None = None) -> tuple[list[Mark], np.ndarray]:
    """Seals and fingerprints of a greyscale page, and a mask of their ink (the role the red mask
    plays on a colour page: their strokes are not handwriting).

    * seal — a circle of seal size (:data:`SEAL_MIN_MM`–:data:`SEAL_MAX_MM`) found by a ring filter
      (:func:`_grey_rings`), kept when ink covers :data:`GREY_RING_COVER` of its circumference
      on the full image (a closed ring; text crossed by a circle does not);
    * fingerprint — a filled, round blob of fingerprint size outside printed text and seals
      (:func:`_grey_blobs`).
    """
    seals = grey_seals(gray, px_per_mm) if seals is None else seals
    rings, discs, mask = seals.rings, seals.discs, seals.ink.copy()
    marks = [Mark(kind="seal", bbox=_to_pt(x - r, y - r, 2 * r, 2 * r, sx, sy), score=round(cover, 3))
             for x, y, r, cover in rings]
    paper = _paper_level(gray)
    for x, y, w, h, score in _grey_blobs(gray, px_per_mm, sx, sy, text_boxes, discs, paper):
        marks.append(Mark(kind="fingerprint", bbox=_to_pt(x, y, w, h, sx, sy), score=score))
        blob = mask[y:y + h, x:x + w]
        blob[gray[y:y + h, x:x + w] < paper - GREY_FP_BELOW_PAPER] = 255
    return marks, mask


def _ring_level(gray: np.ndarray, ink: np.ndarray, x: float, y: float, r: float) -> float:
    """The grey of a seal's ink: the median of the inked pixels on its ring."""
    angles = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    xs = np.clip(np.round(x + r * np.cos(angles)).astype(int), 0, gray.shape[1] - 1)
    ys = np.clip(np.round(y + r * np.sin(angles)).astype(int), 0, gray.shape[0] - 1)
    on = ink[ys, xs]
    return float(np.median(gray[ys, xs][on])) if on.any() else float(GREY_FP_DARKEST)


def _paper_level(gray: np.ndarray) -> float:
    """The page's paper grey: the median of a sample of its pixels (most of a page is paper)."""
    return float(np.median(gray[::4, ::4]))


def _grey_rings(gray: np.ndarray, ink: np.ndarray, px_per_mm: float) -> list[tuple[float, float, float, float]]:
    """``(x, y, r, cover)`` in pixels of seal rings on a greyscale page.

    Candidates come from a ring filter on a copy at 1 px/mm: for each radius of seal size, the
    share of a thin annulus that falls on ink (any ink in a 1 mm cell), its local maxima at
    :data:`GREY_RING_CANDIDATE` or more; each is then measured on the full image
    (:func:`_ring_cover`). Unlike a Hough accumulator this does not depend on the page's scale."""
    k = 1.0 / px_per_mm
    cells = cv2.resize(ink.astype(np.float32), None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    occupied = np.clip(cells * 4.0, 0.0, 1.0)
    candidates = []
    for r in np.arange(SEAL_MIN_MM / 2, SEAL_MAX_MM / 2 + 0.1, 1.5):
        size = int(2 * r + 5)
        yy, xx = np.mgrid[:size, :size]
        dist = np.hypot(yy - (size - 1) / 2, xx - (size - 1) / 2)
        kernel = ((dist >= r - 0.75) & (dist <= r + 0.75)).astype(np.float32)
        score = cv2.filter2D(occupied, -1, kernel / kernel.sum(), borderType=cv2.BORDER_CONSTANT)
        peaks = (score >= GREY_RING_CANDIDATE) & (score >= cv2.dilate(score, np.ones((int(r), int(r)), np.uint8)))
        for y, x in zip(*np.nonzero(peaks)):
            candidates.append((float(score[y, x]), x / k, y / k, r / k))
    rings: list[tuple[float, float, float, float]] = []
    for _, cx, cy, r in sorted(candidates, reverse=True):
        if any((cx - x) ** 2 + (cy - y) ** 2 < rr ** 2 for x, y, rr, _ in rings):
            continue
        cover, radius = _ring_cover(ink, cx, cy, r, px_per_mm)
        if cover >= GREY_RING_COVER:
            rings.append((cx, cy, radius, cover))
    return rings


def _ring_cover(ink: np.ndarray, x: float, y: float, r: float, px_per_mm: float) -> tuple[float, float]:
    """Best share of 180 directions with ink within ±0.4 mm of a circle around (x, y), over radii
    within 12 % of ``r``, and that radius."""
    angles = np.linspace(0, 2 * np.pi, 180, endpoint=False)
    band = np.arange(-max(1, round(0.4 * px_per_mm)), max(1, round(0.4 * px_per_mm)) + 1)[:, None]
    best = (0.0, r)
    for rr in np.arange(r * 0.88, r * 1.12, max(1.0, 0.3 * px_per_mm)):
        xs = np.clip(np.round(x + (rr + band) * np.cos(angles)).astype(int), 0, ink.shape[1] - 1)
        ys = np.clip(np.round(y + (rr + band) * np.sin(angles)).astype(int), 0, ink.shape[0] - 1)
        hit = float(ink[ys, xs].any(axis=0).mean())
        if hit > best[0]:
            best = (hit, float(rr))
    return best


def _grey_blobs(gray: np.ndarray, px_per_mm: float, sx: float, sy: float, text_boxes: list[BBoxPt] | None,
                seals: np.ndarray, paper: float) -> list[tuple[int, int, int, int, float]]:
    """``(x, y, w, h, score)`` of fingerprint-like blobs: filled, round, fingerprint-sized ink outside
    printed text and seals. Looked for twice: in light ink only (a pale print pressed over a dark
    signature is then not merged with it), and in all ink, where the blob must also be dense
    (ridges cover a good part of it; a handwritten name does not). Measured at about 3 px/mm (a
    fingerprint is 6 mm or more), boxes returned in the page image's pixels."""
    k = min(1.0, 3.0 / px_per_mm)
    if k < 1.0:
        small = cv2.resize(gray, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
        found = _grey_blobs(small, px_per_mm * k, sx / k, sy / k, text_boxes,
                            cv2.resize(seals, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_NEAREST), paper)
        return [(int(x / k), int(y / k), int(np.ceil(w / k)), int(np.ceil(h / k)), score) for x, y, w, h, score in found]
    inked = (gray < paper - GREY_FP_BELOW_PAPER).astype(np.uint8) * 255
    inked[seals > 0] = 0
    for bx0, by0, bx1, by1 in text_boxes or []:
        inked[max(int(by0 / sy), 0):max(int(np.ceil(by1 / sy)), 0), max(int(bx0 / sx), 0):max(int(np.ceil(bx1 / sx)), 0)] = 0
    light = inked.copy()
    light[cv2.dilate((gray < GREY_FP_DARKEST).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0] = 0
    out: list[tuple[int, int, int, int, float]] = []
    for mask, min_density, min_mm in ((light, 0.0, FINGERPRINT_MIN_MM * 0.8), (inked, GREY_FP_DENSITY, GREY_FP_MIN_MM)):
        for x, y, w, h, score in _round_blobs(mask, px_per_mm, min_density, min_mm):
            if not any(min(x + w, a + c) > max(x, a) and min(y + h, b + d) > max(y, b) for a, b, c, d, _ in out):
                out.append((x, y, w, h, score))
    return out


def _round_blobs(mask: np.ndarray, px_per_mm: float, min_density: float,
                 min_mm: float) -> list[tuple[int, int, int, int, float]]:
    """Filled, round, fingerprint-sized groups of ink in ``mask`` (after closing the gaps between ridges)."""
    k = max(3, int(px_per_mm * 0.8) | 1)
    opened = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    closed = cv2.morphologyEx(opened, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for c in contours:
        x, y, w, h = cv2.boundingRect(c)
        size_mm = max(w, h) / px_per_mm
        if not (min_mm <= size_mm <= FINGERPRINT_MAX_MM):
            continue
        hull = cv2.convexHull(c)
        hull_area = max(cv2.contourArea(hull), 1.0)
        perim = max(cv2.arcLength(hull, True), 1.0)
        circularity = 4 * np.pi * hull_area / (perim * perim)
        fill = cv2.contourArea(c) / hull_area
        aspect = min(w, h) / max(w, h)
        if circularity < 0.8 or fill < 0.8 or aspect < 0.45:
            continue
        if min_density:
            inside = np.zeros((h, w), np.uint8)
            cv2.drawContours(inside, [hull - (x, y)], -1, 255, -1)
            density = float((mask[y:y + h, x:x + w][inside > 0] > 0).mean())
            if density < min_density:
                continue
        out.append((x, y, w, h, round(min(1.0, 0.3 + 0.35 * circularity + 0.35 * fill), 3)))
    return out


def _to_pt(x: float, y: float, w: float, h: float, sx: float, sy: float) -> BBoxPt:
    return (round(x * sx, 1), round(y * sy, 1), round((x + w) * sx, 1), round((y + h) * sy, 1))


def _red_marks(mask: np.ndarray, px_per_mm: float, sx: float, sy: float) -> list[Mark]:
    if not mask.any():
        return []
    k = max(3, int(round(px_per_mm * 1.2)) | 1)
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    marks: list[Mark] = []
    min_fp = FINGERPRINT_MIN_MM * px_per_mm
    for c in contours:
        x, y, w, h = cv2.boundingRect(c)
        size = max(w, h)
        if size < min_fp * 0.8:
            continue
        roi = mask[y:y + h, x:x + w] > 0
        ink = float(roi.mean())
        hull = cv2.convexHull(c)
        hull_area = max(cv2.contourArea(hull), 1.0)
        perim = max(cv2.arcLength(hull, True), 1.0)
        circularity = 4 * np.pi * hull_area / (perim * perim)
        aspect = min(w, h) / max(w, h)
        size_mm = size / px_per_mm
        bbox = _to_pt(x, y, w, h, sx, sy)
        if SEAL_MIN_MM <= size_mm <= SEAL_MAX_MM and circularity > 0.75 and aspect > 0.6:
            ring = _ring_share(roi)
            if ring > 0.5:
                score = min(1.0, 0.5 * circularity + 0.5 * ring)
                marks.append(Mark(kind="seal", bbox=bbox, score=round(score, 3)))
                continue
        if FINGERPRINT_MIN_MM * 0.8 <= size_mm <= FINGERPRINT_MAX_MM and aspect > 0.45 and circularity > 0.7:
            texture = _texture(roi)
            if ink > 0.25 and texture > 0.05:
                score = min(1.0, 0.4 + 0.3 * circularity + min(texture, 0.3))
                marks.append(Mark(kind="fingerprint", bbox=bbox, score=round(score, 3)))
                continue
        if size_mm >= FINGERPRINT_MIN_MM and ink > 0.05:
            marks.append(Mark(kind="red_ink", bbox=bbox, score=round(min(1.0, ink * 2), 3)))
    return _demote_red_text(marks)


def _demote_red_text(marks: list[Mark]) -> list[Mark]:
    """Blobs that sit in a row with two or more similar red blobs are red printed text
    (a red 文件头), not fingerprints: report them as ``red_ink``."""
    out = []
    for m in marks:
        if m.kind == "fingerprint":
            h = m.bbox[3] - m.bbox[1]
            w = m.bbox[2] - m.bbox[0]
            cy = (m.bbox[1] + m.bbox[3]) / 2
            row = [o for o in marks if o is not m and o.kind != "seal"
                   and abs((o.bbox[1] + o.bbox[3]) / 2 - cy) < 0.3 * h
                   and 0.6 < (o.bbox[3] - o.bbox[1]) / max(h, 1e-6) < 1.6
                   and min(abs(o.bbox[0] - m.bbox[2]), abs(m.bbox[0] - o.bbox[2])) < 2.5 * w]
            if len(row) >= 2 or (row and len([o for o in marks if abs((o.bbox[1] + o.bbox[3]) / 2 - cy) < 0.3 * h]) >= 3):
                m = Mark(kind="red_ink", bbox=m.bbox, score=m.score)
        out.append(m)
    return out


def _ring_share(roi: np.ndarray) -> float:
    """Share of the outer elliptic band of the box that is red (a seal has a closed ring)."""
    h, w = roi.shape
    yy, xx = np.ogrid[:h, :w]
    cy, cx = (h - 1) / 2, (w - 1) / 2
    r = ((yy - cy) / max(cy, 1)) ** 2 + ((xx - cx) / max(cx, 1)) ** 2
    band = (r > 0.80) & (r < 1.02)
    if not band.any():
        return 0.0
    angles = np.arctan2((yy - cy) / max(cy, 1), (xx - cx) / max(cx, 1))
    angles = np.broadcast_to(angles, roi.shape)
    bins = ((angles[band] + np.pi) / (2 * np.pi) * 36).astype(int) % 36
    hit = np.bincount(bins[roi[band]], minlength=36) > 0
    return float(hit.mean())


def _texture(roi: np.ndarray) -> float:
    """Ridge texture of a filled blob: share of edge pixels inside the blob."""
    if roi.size == 0:
        return 0.0
    u8 = roi.astype(np.uint8) * 255
    edges = cv2.Canny(u8, 50, 150) > 0
    filled = cv2.morphologyEx(u8, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)) > 0
    area = max(int(filled.sum()), 1)
    return float(edges.sum()) / area


def _inside_any(box: tuple[float, float, float, float], boxes: list[BBoxPt], pad: float = 1.0) -> float:
    """Largest share of ``box`` covered by any of ``boxes``."""
    x0, y0, x1, y1 = box
    area = max((x1 - x0) * (y1 - y0), 1e-6)
    best = 0.0
    for bx0, by0, bx1, by1 in boxes:
        ix = min(x1, bx1 + pad) - max(x0, bx0 - pad)
        iy = min(y1, by1 + pad) - max(y0, by0 - pad)
        if ix > 0 and iy > 0:
            best = max(best, ix * iy / area)
    return best


def _handwriting(
    gray: np.ndarray,
    red: np.ndarray,
    px_per_mm: float,
    sx: float,
    sy: float,
    text_boxes: list[BBoxPt] | None,
    red_boxes: list[BBoxPt],
) -> list[Mark]:
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    dark = (gray < INK_MAX_GRAY).astype(np.uint8) * 255
    ink = cv2.bitwise_and(ink, dark)
    ink[red > 0] = 0
    ink = without_rules(ink, px_per_mm)
    if text_boxes:
        for bx0, by0, bx1, by1 in text_boxes:
            x0, y0 = int(bx0 / sx) - 1, int(by0 / sy) - 1
            x1, y1 = int(np.ceil(bx1 / sx)) + 1, int(np.ceil(by1 / sy)) + 1
            ink[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = 0
    speck = max(1, int(px_per_mm * 0.3))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    side = np.maximum(stats[:, 2], stats[:, 3])
    keep = (side >= speck * 3) & (stats[:, 4] >= speck * speck * 4) & (side <= 80 * px_per_mm)
    keep[0] = False
    if not keep.any():
        return []
    # strokes = the kept components, painted box by box (cheaper than a lookup over the whole label image)
    kept = np.flatnonzero(keep)
    if len(kept) > 200:
        strokes = np.take(np.where(keep, 255, 0).astype(np.uint8), labels)
    else:
        strokes = np.zeros_like(ink)
        for i in kept:
            x, y, w, h = (int(v) for v in stats[i, :4])
            strokes[y:y + h, x:x + w][labels[y:y + h, x:x + w] == i] = 255
    gap = max(3, int(px_per_mm * 4))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (gap, max(3, gap // 2)))
    # only the area around the strokes needs grouping: crop to their extent (plus the kernel's reach)
    x0 = max(0, int(stats[kept, 0].min()) - gap)
    y0 = max(0, int(stats[kept, 1].min()) - gap)
    x1 = min(ink.shape[1], int((stats[kept, 0] + stats[kept, 2]).max()) + gap)
    y1 = min(ink.shape[0], int((stats[kept, 1] + stats[kept, 3]).max()) + gap)
    grouped = cv2.dilate(strokes[y0:y1, x0:x1], kernel)
    contours, _ = cv2.findContours(grouped, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE, offset=(x0, y0))
    out: list[Mark] = []
    near_red = None
    for c in contours:
        x, y, w, h = cv2.boundingRect(c)
        if max(w, h) < 5 * px_per_mm or h < 2.5 * px_per_mm:
            continue
        if w > 120 * px_per_mm or h > 60 * px_per_mm:
            continue
        roi = strokes[y:y + h, x:x + w]
        fill = float((roi > 0).mean())
        if fill < 0.015 or fill > 0.6:
            continue
        if _straight(roi, px_per_mm):
            continue
        score = _handwriting_score(roi, px_per_mm)
        if text_boxes is None and score < 0.6:
            continue
        if score < 0.35:
            continue
        bbox = _to_pt(x, y, w, h, sx, sy)
        if _inside_any(bbox, red_boxes) > 0.6:
            # dark traces of a seal or fingerprint hug its red ink; a signature the red ink was
            # pressed over keeps strokes away from it
            if near_red is None:
                k = max(3, int(round(px_per_mm * 0.6)) | 1)
                near_red = cv2.dilate(red, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
            on = roi > 0
            dark = float(np.percentile(gray[y:y + h, x:x + w][on], 25)) < DARK_INK
            if not dark and float((near_red[y:y + h, x:x + w][on] > 0).mean()) > RED_HUGGING:
                continue
        out.append(Mark(kind="handwriting", bbox=bbox, score=round(score, 3)))
    return out


#: Grey (0–255) below which a pixel can be pen ink (with Otsu's threshold of the page).
INK_MAX_GRAY = 170
#: Straight lines at least this long (mm) are rules, underlines or scanner streaks, not handwriting.
RULE_MIN_MM = 12.0
#: Share of a stroke cluster's ink lying next to red ink above which, inside a red mark, it is
#: taken for that mark's own dark traces rather than a signature under it.
RED_HUGGING = 0.6
#: Grey (0–255) of a cluster's darker quarter of ink below which it is pen or toner ink, not a
#: seal's or fingerprint's fringe (lighter; a signature under a fingerprint stays dark).
DARK_INK = 100


def without_rules(ink: np.ndarray, px_per_mm: float) -> np.ndarray:
    """Ink minus long straight horizontal and vertical lines: form rules, the underline of a
    signature field, scanner streaks. Strokes crossing them keep all but the crossing."""
    n = max(15, int(RULE_MIN_MM * px_per_mm))
    rows = np.flatnonzero(ink.any(axis=1))
    if not rows.size:
        return ink
    y0, y1 = int(rows[0]), int(rows[-1]) + 1
    band = ink[y0:y1]
    lines = cv2.morphologyEx(band, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (n, 1)))
    lines |= cv2.morphologyEx(band, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, n)))
    if not cv2.countNonZero(lines):
        return ink
    out = ink.copy()
    out[y0:y1][cv2.dilate(lines, np.ones((3, 3), np.uint8)) > 0] = 0
    return out


def _straight(roi: np.ndarray, px_per_mm: float) -> bool:
    """A cluster that is one straight stroke (a strike-through line, a slash, a staple): its
    narrowest enclosing rectangle is hardly wider than the stroke itself."""
    pts = cv2.findNonZero(roi)
    if pts is None or len(pts) < 3:
        return True
    _, (rw, rh), _ = cv2.minAreaRect(pts)
    thin, long = min(rw, rh), max(rw, rh)
    if thin >= 1.3 * px_per_mm or long < 3.0 * thin:
        return False
    binary = (roi > 0).astype(np.uint8)
    stroke = 2.0 * float(cv2.distanceTransform(binary, cv2.DIST_L2, 3).max())
    return thin < 1.3 * stroke + 1.0


def _handwriting_score(roi: np.ndarray, px_per_mm: float) -> float:
    """How much a stroke cluster looks like pen writing rather than printed glyphs or lines.

    Cues: strokes are thin relative to the cluster (distance transform), the cluster is
    not a single straight rule (a form line), and ink is spread over several strokes.
    """
    binary = (roi > 0).astype(np.uint8)
    dist = cv2.distanceTransform(binary, cv2.DIST_L2, 3)
    on = dist[binary > 0]
    if on.size == 0:
        return 0.0
    stroke = 2.0 * float(np.percentile(on, 90))
    h, w = roi.shape
    if min(h, w) < 0.8 * px_per_mm:
        return 0.0
    thin = 1.0 if stroke < 1.5 * px_per_mm else max(0.0, 1.0 - (stroke / px_per_mm - 1.5))
    if thin == 0.0:   # ink ≥ 2.5 mm thick: a blot, a punch hole, a filled box — no pen writes that
        return 0.0
    n, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    parts = n - 1
    spread = min(1.0, parts / 3.0) if parts else 0.0
    aspect = min(h, w) / max(h, w)
    shape = min(1.0, aspect * 3.0)
    return 0.45 * thin + 0.25 * spread + 0.30 * shape
