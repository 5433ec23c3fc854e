"""Drawing OFD pages: images and vector paths rasterised with Pillow (no text) for mark detection and the
workbench's evidence crops (:func:`render_pages`), and :class:`OfdPageSource`, a page OCR rasterises itself."""

from __future__ import annotations

import io
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from extractors.errors import FileReadError
from extractors.ofd import PT_PER_MM, OfdDocument, _Graphic, _number
from extractors.ofd_package import Package, _attr, _child, _color, _text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OfdPageSource:
    """Page ``index`` (0-based) of an OFD file, rasterised by whoever OCRs it (see ``extractors.ocr``)."""

    path: Path
    index: int
    max_pixels: int = 80_000_000

    def rasterize(self, dpi: int) -> np.ndarray:
        with Package(self.path) as pkg:
            doc = OfdDocument(pkg)
            try:
                return _render(doc, self.index, dpi, 0.0, self.max_pixels)
            except _Unsure:
                doc.stamps.pop(self.index, None)   # OCR reads the text; the seal is simply not drawn
                return _render(doc, self.index, dpi, 0.0, self.max_pixels)


def render_pages(path: Path, numbers: list[int], dpi: int = 100, crop_top: dict[int, float] | None = None,
                 max_pixels: int = 80_000_000) -> dict[int, np.ndarray]:
    """RGB images (images and paths, no text) of the given 1-based pages, like :func:`extractors.pdf.render_pages`."""
    out: dict[int, np.ndarray] = {}
    if not numbers:
        return out
    with Package(path) as pkg:
        doc = OfdDocument(pkg)
        if doc.placement_lost():
            log.info("OFD %s: picture positions are not reliable, marks not analysed", path.name)
            return out
        for n in numbers:
            if 1 <= n <= len(doc.pages):
                try:
                    out[n] = _render(doc, n - 1, dpi, (crop_top or {}).get(n, 0.0), max_pixels)
                except _Unsure:
                    log.info("OFD page %d carries a seal without a readable picture: marks not analysed", n)
    return out


class _Unsure(Exception):
    """A page cannot be drawn faithfully for mark detection (a seal without a readable picture)."""


def _render(doc: OfdDocument, index: int, dpi: int, top_pt: float, max_pixels: int) -> np.ndarray:
    from PIL import Image, ImageDraw

    data = doc.page(index)
    if data.unsure:
        raise _Unsure()
    k = dpi / 25.4 * data.unit            # px per content unit
    top = top_pt / (PT_PER_MM * data.unit)  # content units
    w_px, h_px = max(1, round(data.width * k)), max(1, round((data.height - top) * k))
    if w_px * h_px > max_pixels:
        raise FileReadError(f"OFD 第{index + 1}页渲染图像过大，已拒绝", code="too_large")
    canvas = Image.new("RGB", (w_px, h_px), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for g in data.graphics:
        try:
            if g.kind in ("image", "stamp"):
                _draw_image(doc, g, canvas, k, top, max_pixels)
            else:
                _draw_path(g, canvas, draw, k, top)
        except FileReadError:
            raise
        except Exception:  # noqa: BLE001 - one undecodable image or odd path leaves the rest of the page
            log.warning("OFD page %d: %s not drawn", index + 1, g.kind, exc_info=True)
    return np.ascontiguousarray(np.asarray(canvas))


def _draw_image(doc: OfdDocument, g: _Graphic, canvas: Any, k: float, top: float, max_pixels: int) -> None:
    from PIL import Image

    if g.data is not None:
        blob = g.data
    else:
        media = doc.media.get(_attr(g.element, "ResourceID", "") or "") if g.element is not None else None
        if not media or not doc.pkg.has(media):
            return
        blob = doc.pkg.read(media)
    x0, y0, x1, y1 = g.extent()   # with a CTM the image fills the unit square it maps
    tw, th = round((x1 - x0) * k), round((y1 - y0) * k)
    if tw < 1 or th < 1 or tw * th > max_pixels:
        return
    old = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        im = Image.open(io.BytesIO(blob))
        if im.size[0] * im.size[1] > max_pixels:
            raise FileReadError("OFD 文件内图像像素过多，疑似解压炸弹，已拒绝", code="too_large")
        im = im.convert("RGBA").resize((tw, th))
    finally:
        Image.MAX_IMAGE_PIXELS = old
    canvas.paste(im, (round(x0 * k), round((y0 - top) * k)), im)


_PATH_ARGS = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}


def _subpaths(g: _Graphic) -> list[list[tuple[float, float]]]:
    """A ``PathObject``'s ``AbbreviatedData`` as polylines in its own space (M/S move, L line, Q/B curves,
    A arc as a line to its end, C close)."""
    tokens = _text(_child(g.element, "AbbreviatedData")).split()
    subpaths: list[list[tuple[float, float]]] = []
    cur: list[tuple[float, float]] = []
    i = 0
    while i < len(tokens):
        op = tokens[i]
        n = _PATH_ARGS.get(op)
        if n is None:
            i += 1
            continue
        try:
            args = [float(t) for t in tokens[i + 1:i + 1 + n]]
        except ValueError:
            break
        if len(args) < n:
            break
        i += 1 + n
        if op in ("M", "S"):
            if len(cur) > 1:
                subpaths.append(cur)
            cur = [(args[0], args[1])]
        elif op == "C":
            if cur:
                cur.append(cur[0])
        elif not cur:
            cur = [(0.0, 0.0)]
        if op == "L":
            cur.append((args[0], args[1]))
        elif op in ("Q", "B"):
            p0 = cur[-1]
            ctrl = [p0] + [(args[j], args[j + 1]) for j in range(0, n, 2)]
            for t in np.linspace(0.1, 1.0, 10):
                cur.append(_bezier(ctrl, float(t)))
        elif op == "A":
            cur.append((args[5], args[6]))
    if len(cur) > 1:
        subpaths.append(cur)
    return subpaths


def _draw_path(g: _Graphic, canvas: Any, draw: Any, k: float, top: float) -> None:
    """A ``PathObject``: filled by the even-odd rule (the counters of glyph outlines stay open), then stroked."""
    from PIL import Image

    scale = math.sqrt(abs(g.ctm[0] * g.ctm[3] - g.ctm[1] * g.ctm[2])) if g.ctm else 1.0
    if g.outer:
        scale *= math.sqrt(abs(g.outer[0] * g.outer[3] - g.outer[1] * g.outer[2]))
    polys = [[(q[0] * k, (q[1] - top) * k) for q in (g.point(*p) for p in sp)] for sp in _subpaths(g)]
    polys = [p for p in polys if all(math.isfinite(v) for pt in p for v in pt)]
    if not polys:
        return
    fill = (_attr(g.element, "Fill", "false") or "").lower() == "true"
    stroke = (_attr(g.element, "Stroke", "true") or "").lower() != "false"
    width = _number(_attr(g.element, "LineWidth"), 0.353)
    line_px = max(1, min(round(width * scale * k), 1000))
    if fill:
        import cv2

        shapes = [p for p in polys if len(p) > 2]
        xs = [v[0] for p in shapes for v in p]
        ys = [v[1] for p in shapes for v in p]
        x0, y0 = max(0, math.floor(min(xs, default=0))), max(0, math.floor(min(ys, default=0)))
        x1 = min(canvas.width, math.ceil(max(xs, default=0)) + 1)
        y1 = min(canvas.height, math.ceil(max(ys, default=0)) + 1)
        if shapes and x1 > x0 and y1 > y0:
            mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
            contours = [np.clip(np.round((np.asarray(p) - (x0, y0)) * 16), -2**24, 2**24).astype(np.int32) for p in shapes]
            cv2.fillPoly(mask, contours, 255, lineType=cv2.LINE_8, shift=4)   # even-odd over all subpaths
            canvas.paste(_color(_child(g.element, "FillColor"), (0, 0, 0)), (x0, y0, x1, y1), Image.fromarray(mask))
    if stroke:
        for p in polys:
            draw.line(p, fill=_color(_child(g.element, "StrokeColor"), (0, 0, 0)), width=line_px)


def _bezier(ctrl: list[tuple[float, float]], t: float) -> tuple[float, float]:
    pts = list(ctrl)
    while len(pts) > 1:
        pts = [((1 - t) * a[0] + t * b[0], (1 - t) * a[1] + t * b[1]) for a, b in zip(pts, pts[1:])]
    return pts[0]
