"""Page numbers stamped in red ink, read apart from the page.

Every page image is read with its red ink faded away (:func:`extractors.vision.suppress_red`), so
that black text under a seal stays readable. A numbering machine's red page number in a corner
of the sheet would fade with it, and a volume's page numbers (:mod:`extractors.volumes`) are read
from those numbers. :func:`red_stamps` looks in the top and bottom :data:`~extractors.patterns.STAMP_MARGIN`
of the page for small groups of red ink of a digit's size — a seal, a fingerprint or a red header
line is far larger or wider — and reads each from the page as it is (red ink on paper reads as grey
print); only a reading that is a page stamp (:func:`~extractors.patterns.page_stamp`) is kept.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from extractors import ocr_engine, vision
from extractors.patterns import STAMP_MARGIN, page_stamp

#: Height (mm) of a stamped page number's digits, and the widest group of them.
DIGIT_MM = (2.5, 12.0)
STAMP_WIDTH_MM = 40.0
#: Confidence below which a reading of red ink is no page number.
MIN_SCORE = 0.8


def red_stamps(engine: Any, name: str, image: np.ndarray, dpi: float, red: np.ndarray | None = None) -> list[tuple]:
    """Engine results (``run_engine``'s tuples, page px) of the red page numbers in the margins of
    ``image``; ``red`` is its :func:`~extractors.vision.red_mask` when the caller has it already."""
    if red is not None and not cv2.countNonZero(red):
        return []
    h, w = image.shape[:2]
    band = int(h * STAMP_MARGIN)
    px_per_mm = float(dpi) / 25.4
    # red ink is looked at a little beyond the margin, so that a seal reaching into it is seen whole
    beyond = round(DIGIT_MM[1] * px_per_mm)
    out: list[tuple] = []
    for top, bottom, inside in ((0, band + beyond, (0, band)), (h - band - beyond, h, (beyond, band + beyond))):
        top = max(0, top)
        region = np.ascontiguousarray(image[top:bottom])
        ink = vision.red_mask(region) if red is None else red[top:bottom]
        if not cv2.countNonZero(ink):
            continue
        # the digits of one number joined, numbers apart
        grown = cv2.dilate(ink, np.ones((max(3, round(1.0 * px_per_mm)), max(3, round(2.5 * px_per_mm))), np.uint8))
        n, _, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
        for x, y, bw, bh, _ in stats[1:n].tolist():
            height_mm, width_mm = bh / px_per_mm, bw / px_per_mm
            if (not DIGIT_MM[0] <= height_mm <= DIGIT_MM[1] + 1.0 or width_mm > STAMP_WIDTH_MM
                    or y < inside[0] or y + bh > inside[1]):
                continue
            pad = round(2 * px_per_mm)
            x0, y0, x1, y1 = max(0, x - pad), max(0, y - pad), min(w, x + bw + pad), min(region.shape[0], y + bh + pad)
            found, _ = ocr_engine.run_engine(engine, name, np.ascontiguousarray(region[y0:y1, x0:x1]))
            shift = np.array([float(x0), float(top + y0)])
            for quad, text, score, flipped, chars in found:
                quad = quad + shift
                if score >= MIN_SCORE and page_stamp(text, float(quad[:, 1].min()), float(quad[:, 1].max()), h) is not None:
                    out.append((quad, text, score, flipped, [(c, sc, q + shift) for c, sc, q in chars]))
    return out


def new_ones(stamps: list[tuple], results: list[tuple]) -> list[tuple]:
    """The stamps whose centre lies in no box the page's own pass read (a dark red number it read already)."""
    boxes = [(q[:, 0].min(), q[:, 1].min(), q[:, 0].max(), q[:, 1].max()) for q, *_ in results]
    out = []
    for stamp in stamps:
        cx, cy = stamp[0][:, 0].mean(), stamp[0][:, 1].mean()
        if not any(x0 <= cx <= x1 and y0 <= cy <= y1 for x0, y0, x1, y1 in boxes):
            out.append(stamp)
    return out
