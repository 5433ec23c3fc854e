"""Page geometry for OCR: coarse orientation, small skew, and the turns that undo them.

90°/270° are judged from projection profiles of a small ink mask (:func:`axis_of`), 180° from the
votes of the direction classifier over a few text-line crops cut before detection
(:func:`upside_down_lines`); skew by a projection-profile search over ±5° (:func:`skew_of`). The
engine reads the page as it lies; :func:`straighten` then maps its boxes into the frame of the
straightened page, which :func:`deskew` produces.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from extractors import vision


def binary_small(gray: np.ndarray, target: int = 1000) -> tuple[np.ndarray, float]:
    """Ink (1) / paper (0) of ``gray`` shrunk by a whole factor to about ``target`` px (fast area averaging)."""
    k = max(1, int(round(max(gray.shape) / target)))
    small = cv2.resize(gray, None, fx=1.0 / k, fy=1.0 / k, interpolation=cv2.INTER_AREA) if k > 1 else gray
    _, binary = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return binary, 1.0 / k


def _profile_score(binary: np.ndarray, axis: int) -> float:
    prof = binary.sum(axis=axis, dtype=np.float64)
    return float(np.square(np.diff(prof)).sum())


def detect_axis_rotation(gray: np.ndarray) -> int:
    """0 when text lines run horizontally, 90 when they run vertically (page turned)."""
    return axis_of(binary_small(gray, 800)[0])


def axis_of(binary: np.ndarray) -> int:
    """90 when the column profile is the sharper one; a landscape page (dossier pages are
    portrait A4, so it most likely lies on its side) needs less of a margin."""
    if binary.mean() < 0.002:
        return 0
    rows = _profile_score(binary, 1)
    cols = _profile_score(binary, 0)
    h, w = binary.shape
    return 90 if cols > rows * (1.05 if w > 1.2 * h else 1.3) else 0


def estimate_skew(gray: np.ndarray, limit: float = 5.0) -> float:
    """Skew angle (degrees, counter-clockwise positive) by projection-profile search.

    The ink pixels of a ~1000 px binary copy are rotated as points and binned into rows
    (the same profile as rotating the image, without warping it for every angle): coarse
    0.5° steps over ±``limit``, then 0.1° steps around the best.
    """
    return skew_of(binary_small(gray, 1000)[0], limit)


def skew_of(binary: np.ndarray, limit: float = 5.0) -> float:
    """Skew of a small ink mask: coarse 0.5° steps on every other row and column, then 0.1° steps on all of it."""
    if binary.mean() < 0.002:
        return 0.0
    coarse = np.arange(-limit, limit + 1e-6, 0.5)
    best = max(coarse, key=_profile_at(binary[::2, ::2]))
    fine = np.arange(best - 0.5, best + 0.5 + 1e-6, 0.1)
    best = max(fine, key=_profile_at(binary))
    return float(round(-best, 2))


def _profile_at(binary: np.ndarray) -> Any:
    """Sharpness of the row profile of ``binary`` rotated by an angle (its ink pixels rotated as points)."""
    h, w = binary.shape
    ys, xs = np.nonzero(binary)
    xs = xs.astype(np.float32)
    ys = ys.astype(np.float32)
    centre = (w / 2, h / 2)

    def score(angle: float) -> float:
        m = cv2.getRotationMatrix2D(centre, angle, 1.0)
        x = m[0, 0] * xs + m[0, 1] * ys + m[0, 2]
        y = np.rint(m[1, 0] * xs + m[1, 1] * ys + m[1, 2])
        inside = (x > -0.5) & (x < w - 0.5) & (y >= 0) & (y < h)
        prof = np.bincount(y[inside].astype(np.intp), minlength=h).astype(np.float64)
        return float(np.square(np.diff(prof)).sum())

    return score


def straighten(quad: np.ndarray, m: np.ndarray) -> np.ndarray:
    """A box (quad, corners from top-left) of the tilted page as an upright box of the
    straightened page: its centre mapped by the 2 × 3 rotation ``m``, its height that of the
    line inside it, its width that of the mapped corners (a mapped box would be tilted and
    reach into the rows above and below its line)."""
    q = np.asarray(quad, float)
    p = q @ m[:, :2].T + m[:, 2]
    cy = float(p[:, 1].mean())
    height = (np.linalg.norm(q[3] - q[0]) + np.linalg.norm(q[2] - q[1])) / 2
    # a box drawn level around a tilted line is taller than the line by its width × the tilt left after mapping
    width = float(np.linalg.norm(p[1] - p[0]))
    tilt = abs(float(p[1, 1] - p[0, 1])) / max(width, 1.0)
    half = max(height - width * tilt, 0.6 * height) / 2
    x0, x1 = float(p[:, 0].min()), float(p[:, 0].max())
    return np.array([[x0, cy - half], [x1, cy - half], [x1, cy + half], [x0, cy + half]])


#: Line crops shown to the direction classifier before detection, and the votes needed to turn a page.
ORIENTATION_CROPS = 8
ORIENTATION_VOTES = 3


def _line_crops(image: np.ndarray, binary: np.ndarray, skew: float, limit: int = ORIENTATION_CROPS) -> list[np.ndarray]:
    """Up to ``limit`` BGR crops of text lines (each a run of characters about four line
    heights long), cut straight from the page: the lines are found in the row profile of the
    small ink mask turned level by ``skew``; each crop is one small affine warp of the page."""
    h, w = binary.shape
    k = image.shape[0] / h
    level = cv2.warpAffine(binary, cv2.getRotationMatrix2D((w / 2, h / 2), -skew, 1.0), (w, h), flags=cv2.INTER_NEAREST)
    rows = level.sum(axis=1) > max(3, 0.01 * w)
    bands = [(a, b) for a, b in vision._runs(rows, 1) if 4 <= b - a <= 40]
    found: list[tuple[int, int, int, int, int]] = []
    for a, b in bands:
        lh = b - a
        cols = level[a:b].sum(axis=0) > 0
        runs = [(x0, x1) for x0, x1 in vision._runs(cols, lh) if x1 - x0 >= 2 * lh]
        if runs:
            x0, x1 = max(runs, key=lambda r: r[1] - r[0])
            found.append((x1 - x0, x0, a, min(x1, x0 + 5 * lh), b))
    found.sort(reverse=True)
    picked = sorted(found[: limit * 2], key=lambda f: f[2])[:: 2] if len(found) > limit else found
    big = cv2.getRotationMatrix2D((image.shape[1] / 2, image.shape[0] / 2), -skew, 1.0)
    crops = []
    for _, x0, y0, x1, y1 in picked[:limit]:
        pad = 0.25 * (y1 - y0)
        X0, Y0 = (x0 - pad) * k, (y0 - pad) * k
        size = (int((x1 - x0 + 2 * pad) * k), int((y1 - y0 + 2 * pad) * k))
        m = big.copy()
        m[:, 2] -= (X0, Y0)
        crop = cv2.warpAffine(image, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        crops.append(cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
    return crops


def upside_down_lines(engine: Any, image: np.ndarray, binary: np.ndarray, skew: float) -> bool | None:
    """The direction classifier's verdict on a few text-line crops: True when most are upside
    down, False when at least :data:`ORIENTATION_VOTES` are confidently upright and none upside
    down (the page's orientation is judged: its lines need no classifier of their own), else None."""
    if not getattr(engine, "use_cls", False):
        return None
    crops = _line_crops(image, binary, skew)
    if len(crops) < ORIENTATION_VOTES:
        return None
    try:
        _, res = engine.cls_and_rotate(crops)
    except Exception:  # noqa: BLE001 - no verdict: the check after detection still turns the page
        return None
    labels = list(res.cls_res) if res.cls_res is not None else []
    flipped = sum("180" in str(label) and score > 0.9 for label, score in labels)
    upright = sum("180" not in str(label) and score > 0.9 for label, score in labels)
    if flipped >= ORIENTATION_VOTES and flipped > 2 * upright:
        return True
    return False if upright >= ORIENTATION_VOTES and not flipped else None


_CV_TURNS = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}


def rotate(image: np.ndarray, rotation: int) -> np.ndarray:
    """Rotate clockwise by ``rotation`` degrees (0/90/180/270); OpenCV for 8-bit images (a
    20th of the time of a contiguous ``np.rot90`` copy of a 200-dpi page)."""
    k = (rotation // 90) % 4
    if not k:
        return image
    if image.dtype == np.uint8:
        return cv2.rotate(np.ascontiguousarray(image), _CV_TURNS[k])
    return np.ascontiguousarray(np.rot90(image, k=-k))


def deskew(image: np.ndarray, angle: float, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    return cv2.warpAffine(image, m, (w, h), flags=interpolation, borderMode=cv2.BORDER_REPLICATE)
