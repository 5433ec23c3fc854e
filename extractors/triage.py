"""What a scanned page image holds before any OCR is spent on it: text, nothing, or photographs.

:func:`triage` looks at a ~600 px copy of the page (a few milliseconds) and says

* ``blank`` — no ink at all once scanner specks are opened away: a blank sheet, the back of a
  page. Not OCR'd; the report lists it as a blank page that was not read.
* ``photo`` — photographs cover a good part of the page (a 照片 page of the evidence, a disc
  sleeve): blocks that are almost entirely non-paper over a large connected area, which text
  never is (lines leave paper between them). Only what lies outside the photographs is read
  (captions, the page heading, a seal beside them): :mod:`extractors.ocr_photo` stacks those
  blocks of ink on one small strip; the photographs themselves are neither OCR'd nor searched
  for seals. The report lists the page as read in part.
* ``text`` — everything else, read in full.

The thresholds lean towards ``text``: a page with one short line or a page number is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

#: Long side (px) of the copy the page is judged on.
SIDE = 600
#: A pixel is ink when it is this much darker than the paper, or this saturated (seals, photos).
INK_DARKER = 60
INK_SATURATION = 90
#: Ink pixels (after opening away specks) below which a page is blank.
BLANK_PIXELS = 12
#: Block size (px of the small copy) and the share of non-paper pixels that makes a block photographic.
BLOCK = 8
PHOTO_DENSITY = 0.9
#: A photograph: a connected region of photographic blocks at least this share of the page, and
#: at least this many blocks high and wide.
PHOTO_AREA = 0.04
PHOTO_SPAN = 6
#: Share of the page photographs must cover for the page to be a photo page.
PHOTO_PAGE = 0.15
#: Rows of paper (share of the page height) that separate two bands of text outside the photographs.
BAND_GAP = 0.02


@dataclass
class Triage:
    """The verdict on one page image; boxes are ``(x0, y0, x1, y1)`` pixels of the full image."""

    kind: str = "text"
    ink: float = 0.0
    photo_share: float = 0.0
    photos: list[tuple[int, int, int, int]] = field(default_factory=list)
    #: Pixels of the photographs on the small copy (every non-paper pixel connected to a photograph).
    mask: np.ndarray | None = None
    #: Ink outside the photographs on the small copy (captions, headings, seals, a page number).
    text_ink: np.ndarray | None = None
    #: Full-image pixels per pixel of the small copy (a whole number).
    scale: int = 1


def _small(image: np.ndarray) -> tuple[np.ndarray, int]:
    """A copy of about :data:`SIDE` px, shrunk by a whole factor (OpenCV's area averaging is several
    times faster for whole factors); the image's last rows and columns beyond a multiple are dropped."""
    k = max(1, round(max(image.shape[:2]) / SIDE))
    if k == 1:
        return image, 1
    h, w = image.shape[0] // k, image.shape[1] // k
    return cv2.resize(image[: h * k, : w * k], (w, h), interpolation=cv2.INTER_AREA), k


def _non_paper(small_rgb: np.ndarray, *darker: int) -> list[np.ndarray]:
    """Masks (0/1) of the pixels this much darker than the paper, or saturated, one per ``darker``."""
    gray = cv2.cvtColor(small_rgb, cv2.COLOR_RGB2GRAY)
    paper = float(np.percentile(gray, 90))
    coloured = cv2.cvtColor(small_rgb, cv2.COLOR_RGB2HSV)[:, :, 1] > INK_SATURATION
    return [((gray < paper - d) | coloured).astype(np.uint8) for d in darker]


def triage(image: np.ndarray) -> Triage:
    """Judge an RGB page image (see the module docstring)."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    small, k = _small(np.ascontiguousarray(image[:, :, :3]))
    ink, tone = _non_paper(small, INK_DARKER, 25)
    opened = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    count = int(cv2.countNonZero(opened))
    share = count / ink.size
    if count < BLANK_PIXELS:
        return Triage("blank", share)
    photos = _photo_regions(tone, k, image.shape[:2])
    covered = sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in photos) / float(image.shape[0] * image.shape[1])
    if covered >= PHOTO_PAGE:
        mask = _photo_mask(tone, photos, k)
        return Triage("photo", share, round(covered, 3), photos, mask, ink & (1 - mask), k)
    return Triage("text", share, round(covered, 3))


def _photo_mask(tone: np.ndarray, photos: list[tuple[int, int, int, int]], k: float) -> np.ndarray:
    """The non-paper pixels connected to a photograph (its tilted or ragged edges included), grown by one pixel."""
    n, labels = cv2.connectedComponents(tone, connectivity=8)
    keep = set()
    for x0, y0, x1, y1 in photos:
        core = labels[int(y0 / k): int(np.ceil(y1 / k)), int(x0 / k): int(np.ceil(x1 / k))]
        ids, counts = np.unique(core[core > 0], return_counts=True)
        keep.update(int(i) for i, c in zip(ids, counts) if c >= 0.05 * core.size)
    mask = np.isin(labels, sorted(keep)).astype(np.uint8) if keep else np.zeros_like(tone)
    return cv2.dilate(mask, np.ones((3, 3), np.uint8))


def _photo_regions(mask: np.ndarray, k: float, shape: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """Boxes (full-image px) of the connected regions of photographic blocks."""
    h, w = mask.shape
    bh, bw = h // BLOCK, w // BLOCK
    if not bh or not bw:
        return []
    blocks = mask[: bh * BLOCK, : bw * BLOCK].reshape(bh, BLOCK, bw, BLOCK).mean(axis=(1, 3))
    dense = (blocks >= PHOTO_DENSITY).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(dense, connectivity=4)
    out = []
    for i in range(1, n):
        x, y, bw_, bh_, area = stats[i]
        if area >= PHOTO_AREA * bh * bw and bw_ >= PHOTO_SPAN and bh_ >= PHOTO_SPAN:
            x0, y0, x1, y1 = _grow(mask, x * BLOCK, y * BLOCK, (x + bw_) * BLOCK, (y + bh_) * BLOCK)
            out.append((int(x0 * k), int(y0 * k), min(shape[1], int(np.ceil(x1 * k))), min(shape[0], int(np.ceil(y1 * k)))))
    return out


def _grow(mask: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> tuple[int, int, int, int]:
    """Move each side of a block-aligned box outwards while the row or column beyond it is mostly
    non-paper (the photograph's edge rarely falls on a block boundary)."""
    h, w = mask.shape
    while y0 > 0 and mask[y0 - 1, x0:x1].mean() > 0.5:
        y0 -= 1
    while y1 < h and mask[y1, x0:x1].mean() > 0.5:
        y1 += 1
    while x0 > 0 and mask[y0:y1, x0 - 1].mean() > 0.5:
        x0 -= 1
    while x1 < w and mask[y0:y1, x1].mean() > 0.5:
        x1 += 1
    return x0, y0, x1, y1


def paper_colour(image: np.ndarray) -> np.ndarray:
    """The page's paper colour (per channel, the 90th percentile of a sample of its pixels)."""
    return np.percentile(image[:: 8, :: 8].reshape(-1, image.shape[2] if image.ndim == 3 else 1), 90, axis=0)


def whiten(image: np.ndarray, verdict: Triage) -> np.ndarray:
    """A copy of ``image`` with the photographs of ``verdict`` painted over in the page's paper colour."""
    out = image.copy()
    paper = paper_colour(image)
    if verdict.mask is not None:
        full = cv2.resize(verdict.mask, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_NEAREST)
        out[full > 0] = paper.astype(image.dtype)
    for x0, y0, x1, y1 in verdict.photos:
        out[y0:y1, x0:x1] = paper.astype(image.dtype)
    return out


def bands(gray: np.ndarray, darker: int = INK_DARKER) -> list[tuple[int, int]]:
    """Row ranges (px) of ``gray`` that hold ink, split at paper gaps of :data:`BAND_GAP` of the height."""
    paper = float(np.percentile(gray[:: 4, :: 4], 90))
    rows = (gray < paper - darker).sum(axis=1) >= 2
    gap = max(4, int(BAND_GAP * gray.shape[0]))
    out: list[tuple[int, int]] = []
    start = last = None
    for y in np.flatnonzero(rows):
        if start is None:
            start = last = int(y)
        elif y - last > gap:
            out.append((start, last + 1))
            start = int(y)
        last = int(y)
    if start is not None:
        out.append((start, last + 1))
    return out
