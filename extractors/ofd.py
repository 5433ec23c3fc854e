"""OFD files (GB/T 33190-2016, the Chinese fixed-layout format) → pages like PDF pages.

An OFD file is a zip package: ``OFD.xml`` names the document root (``Doc_0/Document.xml``),
which lists the pages (``Pages/Page_N/Content.xml``), the page size (``PhysicalBox``, mm)
and the resource files (``PublicRes.xml``/``DocumentRes.xml`` → ``Res/`` images). Page
content is ``TextObject`` (``Boundary`` "x y w h" in mm, ``Size`` in mm, optional ``CTM``,
``TextCode`` runs with ``X``/``Y`` = first character's origin on the baseline and
``DeltaX``/``DeltaY`` advances, ``g n v`` = n times v), ``ImageObject`` (a ``ResourceID``
drawn into its ``Boundary``) and ``PathObject`` (``AbbreviatedData`` outlines); template
pages (``TemplatePage``) are drawn under the page's own content.

* Text objects become character boxes in PDF points from the top-left corner and then
  lines through the same :func:`extractors.pdf.build_lines` as PDF text layers.
* Electronic seals are drawn where they appear: stamp annotations (``Annotations`` →
  ``Appearance`` objects) and signatures (``Signatures`` → ``StampAnnot`` box, the seal
  picture found as an embedded PNG/JPEG/GIF in ``SignedValue.dat``). A page with a seal
  whose picture cannot be found (an OFD-format seal) is left out of :func:`render_pages`,
  so its slots stay undecided instead of "not sealed".
* A page with almost no text and a large image is a scan: ``needs_ocr=True``; the OCR
  workers rasterise it themselves through :class:`OfdPageSource`.
* Invisible text (``Visible="false"``, ``Fill="false"`` without stroke, or a fill alpha of
  0) over a page-sized image is an OCR layer, treated like a double-layer PDF page
  (``text_source="ocr"``, see :mod:`extractors.pdf`).
* :func:`render_pages` rasterises images and vector paths (not text: printed text is not
  a mark, and drawing red text in a red-headed document would look like red ink) for mark
  detection (seals, fingerprints, handwriting) and OCR.

The package is hostile input: member count, total size and compression ratio are checked
like any zip (:func:`extractors.ingest.check_zip`), members are read with a size cap,
XML with a DTD (the only way to declare entities: billion laughs, external entities) is
refused before parsing, page sizes, character and object counts and image pixels are
bounded. Every failure is a :class:`~extractors.errors.FileReadError` with a Chinese message.
"""

from __future__ import annotations

import io
import logging
import math
import posixpath
import re
import zipfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from models import Line, Page

from extractors.errors import FileReadError
from extractors.pdf import (IMAGE_COVER, INVISIBLE_SHARE, MIN_CJK, OCR_LAYER_CONFIDENCE, OCR_LAYER_COVER, build_lines,
                            page_text)

log = logging.getLogger(__name__)

PT_PER_MM = 72.0 / 25.4
#: Largest XML member read (bytes); page content of real documents is well under 1 MB.
MAX_XML_BYTES = 32 * 1024 * 1024
#: Characters and graphic objects per page beyond which a page is refused (hostile input).
MAX_PAGE_CHARS = 200_000
MAX_PAGE_OBJECTS = 50_000
#: Page sizes (mm) accepted: up to A0 and a little more.
MAX_PAGE_MM = 1500.0
#: Font ascent/descent (share of the size) used for character boxes around the baseline.
ASCENT, DESCENT = 0.88, 0.12
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CORRUPT = "OFD 文件已损坏或格式无法识别，无法读取"


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(el: ET.Element | None, name: str) -> ET.Element | None:
    if el is None:
        return None
    return next((c for c in el if _local(c.tag) == name), None)


def _children(el: ET.Element | None, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name] if el is not None else []


def _text(el: ET.Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _floats(text: str | None, n: int | None = None) -> list[float] | None:
    try:
        vals = [float(v) for v in (text or "").replace(",", " ").split()]
    except ValueError:
        return None
    if n is not None and len(vals) < n:
        return None
    if any(not math.isfinite(v) for v in vals):
        return None
    return vals[:n] if n is not None else vals


def parse_deltas(text: str | None, limit: int = MAX_PAGE_CHARS) -> list[float]:
    """``DeltaX``/``DeltaY`` values with the ``g n v`` abbreviation expanded (garbage → [])."""
    tokens = (text or "").split()
    out: list[float] = []
    i = 0
    try:
        while i < len(tokens) and len(out) < limit:
            if tokens[i] == "g":
                n, v = int(tokens[i + 1]), float(tokens[i + 2])
                out.extend([v] * max(0, min(n, limit - len(out))))
                i += 3
            else:
                out.append(float(tokens[i]))
                i += 1
    except (ValueError, IndexError):
        return []
    return [v if math.isfinite(v) else 0.0 for v in out]


def _apply(ctm: list[float] | None, x: float, y: float) -> tuple[float, float]:
    if not ctm:
        return x, y
    a, b, c, d, e, f = ctm
    return a * x + c * y + e, b * x + d * y + f


def _wide(ch: str) -> bool:
    return ord(ch) >= 0x2E80 or ch in "，。：；！？（）、“”‘’《》【】"


# --------------------------------------------------------------------------- package


class Package:
    """The zip package of one OFD file, read with ``limits`` (an ``assistant.config.Limits``-like
    object, default :class:`extractors.ingest.DefaultLimits`); members by normalised name."""

    def __init__(self, path: Path, limits: Any = None):
        from extractors.ingest import DefaultLimits, check_zip

        self.limits = limits if limits is not None else DefaultLimits()
        try:
            self.zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise FileReadError(_CORRUPT, code="corrupt") from exc
        try:
            infos = [i for i in self.zf.infolist() if not i.is_dir()]
            problem = check_zip(infos, self.limits)
            if problem:
                raise FileReadError(f"OFD 文件异常：{problem}", code="too_large")
        except FileReadError:
            self.zf.close()
            raise
        self.members = {posixpath.normpath(i.filename.replace("\\", "/")).lstrip("/"): i for i in infos}
        self.lower = {k.lower(): v for k, v in self.members.items()}
        self.budget = int(getattr(self.limits, "zip_total_bytes", 1 << 30))

    def close(self) -> None:
        self.zf.close()

    def __enter__(self) -> "Package":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def has(self, name: str) -> bool:
        return self._info(name) is not None

    def _info(self, name: str) -> zipfile.ZipInfo | None:
        return self.members.get(name) or self.lower.get(name.lower())

    def read(self, name: str, cap: int | None = None) -> bytes:
        info = self._info(name)
        if info is None:
            raise FileReadError(f"OFD 文件结构不完整（缺少 {name}），无法读取", code="corrupt")
        if info.flag_bits & 0x1:
            raise FileReadError("文件已加密，无法读取", code="encrypted")
        cap = min(cap or int(getattr(self.limits, "file_bytes", 200 << 20)), self.budget)
        try:
            with self.zf.open(info) as fh:
                data = fh.read(cap + 1)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError, ValueError) as exc:
            raise FileReadError(f"OFD 文件内容损坏（{name} 无法解压），无法读取", code="corrupt") from exc
        if len(data) > cap:
            raise FileReadError(f"OFD 文件内 {name} 解压后体积超过上限，疑似压缩炸弹，已拒绝", code="too_large")
        self.budget -= len(data)
        return data

    def xml(self, name: str) -> ET.Element:
        data = self.read(name, MAX_XML_BYTES)
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise FileReadError(f"OFD 文件内 {name} 含有不允许的 DTD/实体声明，已拒绝", code="corrupt")
        try:
            return ET.fromstring(data)
        except (ET.ParseError, ValueError) as exc:
            raise FileReadError(f"OFD 文件内容损坏（{name} 不是有效的 XML），无法读取", code="corrupt") from exc


def _resolve(base_dir: str, loc: str) -> str:
    loc = (loc or "").strip().replace("\\", "/")
    joined = loc.lstrip("/") if loc.startswith("/") else posixpath.join(base_dir, loc)
    return posixpath.normpath(joined).lstrip("/")


# --------------------------------------------------------------------------- document model


@dataclass
class _Graphic:
    kind: str                      # "image" | "path" | "stamp" (picture bytes in ``data``)
    element: ET.Element | None
    box: tuple[float, float, float, float]   # boundary x, y, w, h (mm)
    ctm: list[float] | None
    data: bytes | None = None


@dataclass
class _PageData:
    width: float                   # mm
    height: float
    chars: list[tuple[str, float, float, float, float]]   # points, top-left origin
    hidden: int                    # invisible characters among chars
    graphics: list[_Graphic]
    unsure: bool = False           # a seal is on the page whose picture could not be found


class OfdDocument:
    """The first document of an OFD package: page list, page size, media files."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        if not pkg.has("OFD.xml"):
            raise FileReadError("OFD 文件结构不完整（缺少 OFD.xml），无法读取", code="corrupt")
        root = pkg.xml("OFD.xml")
        body = _child(root, "DocBody")
        doc_root = _text(_child(body, "DocRoot"))
        if not doc_root:
            raise FileReadError("OFD 文件结构不完整（缺少文档根节点 DocRoot），无法读取", code="corrupt")
        doc_path = _resolve("", doc_root)
        doc = pkg.xml(doc_path)
        self.dir = posixpath.dirname(doc_path)
        common = _child(doc, "CommonData")
        area = _floats(_text(_child(_child(common, "PageArea"), "PhysicalBox")), 4)
        self.default_box = area or [0.0, 0.0, 210.0, 297.0]
        self.media: dict[str, str] = {}
        for tag in ("PublicRes", "DocumentRes"):
            for ref in _children(common, tag):
                self._load_res(_resolve(self.dir, _text(ref)))
        self.templates = {t.get("ID", ""): _resolve(self.dir, t.get("BaseLoc", "")) for t in _children(common, "TemplatePage")}
        pages = _children(_child(doc, "Pages"), "Page")
        self.pages = [_resolve(self.dir, p.get("BaseLoc", "")) for p in pages]
        if not self.pages:
            raise FileReadError("OFD 文件没有任何页面", code="empty")
        self.page_ids = {p.get("ID", ""): i for i, p in enumerate(pages)}
        self.annots: dict[int, list[tuple[ET.Element, list[float]]]] = {}
        self.stamps: dict[int, list[tuple[list[float], bytes | None]]] = {}
        self._load_annotations(_text(_child(doc, "Annotations")))
        self._load_signatures(_text(_child(body, "Signatures")))

    def _load_annotations(self, loc: str) -> None:
        path = _resolve(self.dir, loc) if loc else ""
        if not path or not self.pkg.has(path):
            return
        base = posixpath.dirname(path)
        for ref in _children(self.pkg.xml(path), "Page"):
            index = self.page_ids.get(ref.get("PageID", ""))
            file = _resolve(base, _text(_child(ref, "FileLoc")))
            if index is None or not self.pkg.has(file):
                continue
            for annot in _children(self.pkg.xml(file), "Annot"):
                for app in _children(annot, "Appearance"):
                    box = _floats(app.get("Boundary"), 4)
                    if box:
                        self.annots.setdefault(index, []).append((app, box))

    def _load_signatures(self, loc: str) -> None:
        path = _resolve("", loc) if loc else ""
        if not path or not self.pkg.has(path):
            return
        base = posixpath.dirname(path)
        for sig in _children(self.pkg.xml(path), "Signature"):
            file = _resolve(base, sig.get("BaseLoc", ""))
            if not self.pkg.has(file):
                continue
            el = self.pkg.xml(file)
            value = _text(_child(el, "SignedValue"))
            value_path = _resolve(posixpath.dirname(file), value) if value else ""
            picture = _seal_picture(self.pkg.read(value_path)) if value_path and self.pkg.has(value_path) else None
            for stamp in _children(_child(el, "SignedInfo"), "StampAnnot"):
                index = self.page_ids.get(stamp.get("PageRef", ""))
                box = _floats(stamp.get("Boundary"), 4)
                if index is not None and box:
                    self.stamps.setdefault(index, []).append((box, picture))

    def _load_res(self, path: str) -> None:
        if not path or not self.pkg.has(path):
            return
        res = self.pkg.xml(path)
        base = _resolve(posixpath.dirname(path), res.get("BaseLoc", ""))
        for el in res.iter():
            if _local(el.tag) == "MultiMedia":
                media = _text(_child(el, "MediaFile"))
                if media:
                    self.media[el.get("ID", "")] = _resolve(base, media)

    def page(self, index: int) -> _PageData:
        el = self.pkg.xml(self.pages[index])
        box = _floats(_text(_child(_child(el, "Area"), "PhysicalBox")), 4) or self.default_box
        width, height = box[2], box[3]
        if not (0 < width <= MAX_PAGE_MM and 0 < height <= MAX_PAGE_MM):
            raise FileReadError(f"OFD 第{index + 1}页尺寸异常（{width:g}×{height:g} 毫米），无法读取", code="corrupt")
        data = _PageData(width, height, [], 0, [])
        layers: list[ET.Element] = []
        for tpl in _children(el, "Template"):
            path = self.templates.get(tpl.get("TemplateID", ""))
            if path and self.pkg.has(path):
                layers.append(self.pkg.xml(path))
        layers.append(el)
        count = 0
        for layer in layers:
            for obj in _objects(_child(layer, "Content")):
                count += 1
                if count > MAX_PAGE_OBJECTS:
                    raise FileReadError(f"OFD 第{index + 1}页图元过多（超过 {MAX_PAGE_OBJECTS} 个），已拒绝", code="too_large")
                _add_object(obj, data, index)
        for app, (ax, ay, _, _) in self.annots.get(index, []):
            for obj in _objects(app):
                if _local(obj.tag) != "TextObject":
                    before = len(data.graphics)
                    _add_object(obj, data, index)
                    for g in data.graphics[before:]:
                        g.box = (g.box[0] + ax, g.box[1] + ay, g.box[2], g.box[3])
        for box, picture in self.stamps.get(index, []):
            data.graphics.append(_Graphic("stamp", None, tuple(box), None, picture))  # type: ignore[arg-type]
            data.unsure = data.unsure or picture is None
        return data


_MAGIC = ((b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"), (b"\xff\xd8\xff", b"\xff\xd9"), (b"GIF8", b"\x00\x3b"))


def _seal_picture(blob: bytes) -> bytes | None:
    """The seal picture inside a signature value (SES_Signature DER): the first embedded PNG, JPEG or GIF."""
    for start, end in _MAGIC:
        i = blob.find(start)
        if i >= 0:
            j = blob.rfind(end)
            if j > i:
                return blob[i:j + len(end)]
    return None


def _objects(el: ET.Element | None) -> Iterator[ET.Element]:
    """Graphic objects of a content tree in drawing order (layers and page blocks flattened)."""
    if el is None:
        return
    for c in el:
        name = _local(c.tag)
        if name in ("TextObject", "ImageObject", "PathObject"):
            yield c
        elif name in ("Layer", "PageBlock"):
            yield from _objects(c)


def _add_object(obj: ET.Element, data: _PageData, index: int) -> None:
    name = _local(obj.tag)
    box = _floats(obj.get("Boundary"), 4)
    if box is None:
        return
    ctm = _floats(obj.get("CTM"), 6)
    if name == "TextObject":
        _add_text(obj, box, ctm, data, index)
    elif name == "ImageObject":
        data.graphics.append(_Graphic("image", obj, tuple(box), ctm))   # type: ignore[arg-type]
    elif name == "PathObject" and obj.get("Visible", "true") != "false":
        data.graphics.append(_Graphic("path", obj, tuple(box), ctm))    # type: ignore[arg-type]


def _invisible(obj: ET.Element) -> bool:
    if obj.get("Visible", "true").lower() == "false":
        return True
    if obj.get("Fill", "true").lower() == "false" and obj.get("Stroke", "false").lower() != "true":
        return True
    fill = _child(obj, "FillColor")
    return fill is not None and fill.get("Alpha", "255").strip() == "0"


def _add_text(obj: ET.Element, box: list[float], ctm: list[float] | None, data: _PageData, index: int) -> None:
    try:
        size = float(obj.get("Size", "0"))
    except ValueError:
        size = 0.0
    if not (0 < size < MAX_PAGE_MM) or not math.isfinite(size):
        return
    hidden = _invisible(obj)
    scale = math.sqrt(abs(ctm[0] * ctm[3] - ctm[1] * ctm[2])) if ctm else 1.0
    x = y = 0.0
    for code in _children(obj, "TextCode"):
        text = code.text or ""
        try:
            x = float(code.get("X", x))
            y = float(code.get("Y", y))
        except ValueError:
            continue
        dx, dy = parse_deltas(code.get("DeltaX")), parse_deltas(code.get("DeltaY"))
        for i, ch in enumerate(text):
            natural = size if _wide(ch) else 0.5 * size
            adv = dx[i] if i < len(dx) else natural
            if not ch.isspace():
                if len(data.chars) >= MAX_PAGE_CHARS:
                    raise FileReadError(f"OFD 第{index + 1}页文字过多（超过 {MAX_PAGE_CHARS} 字），已拒绝", code="too_large")
                w = min(adv, natural) if adv > 0 else natural
                corners = [_apply(ctm, px, py) for px in (x, x + w) for py in (y - ASCENT * size, y + DESCENT * size)]
                xs = [box[0] + c[0] for c in corners]
                ys = [box[1] + c[1] for c in corners]
                if scale > 0 and math.isfinite(sum(xs) + sum(ys)):
                    data.chars.append((ch, min(xs) * PT_PER_MM, min(ys) * PT_PER_MM, max(xs) * PT_PER_MM,
                                       max(ys) * PT_PER_MM))
                    data.hidden += hidden
            x += adv
            y += dy[i] if i < len(dy) else 0.0


def _cover(data: _PageData) -> float:
    area = 0.0
    for g in data.graphics:
        if g.kind == "image":
            x, y, w, h = g.box
            cw = max(0.0, min(x + w, data.width) - max(x, 0.0))
            ch = max(0.0, min(y + h, data.height) - max(y, 0.0))
            area = max(area, cw * ch)
    return area / max(data.width * data.height, 1e-6)


# --------------------------------------------------------------------------- public API


def read_ofd(path: Path, name: str, max_pages: int | None = None, limits: Any = None) -> list[Page]:
    """Pages of an OFD file (1-based), text read from its text objects. Raises :class:`FileReadError`."""
    with Package(path, limits) as pkg:
        doc = OfdDocument(pkg)
        n = len(doc.pages) if max_pages is None else min(len(doc.pages), max_pages)
        return [_page(doc.page(i), name, i + 1) for i in range(n)]


def page_count(path: Path, limits: Any = None) -> int:
    with Package(path, limits) as pkg:
        return len(OfdDocument(pkg).pages)


def _page(data: _PageData, name: str, number: int) -> Page:
    lines = build_lines(data.chars)
    text = page_text(lines)
    cjk = len(_CJK.findall(text))
    cover = _cover(data)
    needs_ocr = cjk < MIN_CJK and cover >= IMAGE_COVER
    source = "text-layer" if lines else "none"
    confidence = None
    hidden = data.hidden / len(data.chars) if data.chars else 0.0
    if lines and not needs_ocr and hidden >= INVISIBLE_SHARE and cover >= OCR_LAYER_COVER:
        source, confidence = "ocr", OCR_LAYER_CONFIDENCE
        lines = [Line(text=ln.text, bbox=ln.bbox, confidence=OCR_LAYER_CONFIDENCE) for ln in lines]
    return Page(file=name, number=number, width=round(data.width * PT_PER_MM, 2), height=round(data.height * PT_PER_MM, 2),
                text=text, lines=lines, text_source=source, needs_ocr=needs_ocr, ocr_confidence=confidence)


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
    k = dpi / 25.4                        # px per mm
    top = top_pt / PT_PER_MM              # mm
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
                _draw_path(g, draw, k, top)
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
        media = doc.media.get(g.element.get("ResourceID", "")) if g.element is not None else None
        if not media or not doc.pkg.has(media):
            return
        blob = doc.pkg.read(media)
    x, y, w, h = g.box
    if g.ctm:  # the image fills the unit square mapped by CTM inside the boundary
        corners = [_apply(g.ctm, u, v) for u in (0, 1) for v in (0, 1)]
        x0, y0 = x + min(c[0] for c in corners), y + min(c[1] for c in corners)
        x1, y1 = x + max(c[0] for c in corners), y + max(c[1] for c in corners)
    else:
        x0, y0, x1, y1 = x, y, x + w, y + h
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


def _color(el: ET.Element | None, default: tuple[int, int, int]) -> tuple[int, int, int]:
    vals = _floats(el.get("Value") if el is not None else None)
    if not vals:
        return default
    if len(vals) == 1:
        v = int(vals[0])
        return (v, v, v)
    if len(vals) >= 4:  # CMYK
        c, m, y_, kk = [min(max(v, 0.0), 255.0) / 255.0 for v in vals[:4]]
        return tuple(int(255 * (1 - min(1.0, v * (1 - kk) + kk))) for v in (c, m, y_))  # type: ignore[return-value]
    return tuple(int(min(max(v, 0), 255)) for v in vals[:3])  # type: ignore[return-value]


def _draw_path(g: _Graphic, draw: Any, k: float, top: float) -> None:
    """Outline of a ``PathObject`` (``AbbreviatedData``: M/S move, L line, Q/B curves, A arc as a line, C close)."""
    tokens = _text(_child(g.element, "AbbreviatedData")).split()
    x0, y0 = g.box[0], g.box[1]
    scale = math.sqrt(abs(g.ctm[0] * g.ctm[3] - g.ctm[1] * g.ctm[2])) if g.ctm else 1.0

    def px(p: tuple[float, float]) -> tuple[float, float]:
        q = _apply(g.ctm, *p)
        return ((x0 + q[0]) * k, (y0 + q[1] - top) * k)

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
            return
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
    fill = g.element.get("Fill", "false").lower() == "true"
    stroke = g.element.get("Stroke", "true").lower() != "false"
    try:
        width = float(g.element.get("LineWidth", "0.353"))
    except ValueError:
        width = 0.353
    line_px = max(1, round(width * scale * k)) if math.isfinite(width) else 1
    for sp in subpaths:
        pts = [px(p) for p in sp]
        if fill and len(pts) > 2:
            draw.polygon(pts, fill=_color(_child(g.element, "FillColor"), (0, 0, 0)))
        if stroke:
            draw.line(pts, fill=_color(_child(g.element, "StrokeColor"), (0, 0, 0)), width=line_px)


def _bezier(ctrl: list[tuple[float, float]], t: float) -> tuple[float, float]:
    pts = list(ctrl)
    while len(pts) > 1:
        pts = [((1 - t) * a[0] + t * b[0], (1 - t) * a[1] + t * b[1]) for a, b in zip(pts, pts[1:])]
    return pts[0]
