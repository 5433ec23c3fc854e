"""OFD files (GB/T 33190-2016, the Chinese fixed-layout format) → pages like PDF pages.

An OFD file is a zip package: ``OFD.xml`` names the document root (``Doc_0/Document.xml``),
which lists the pages (``Pages/Page_N/Content.xml``), the page size (``PhysicalBox``, mm)
and the resource files (``PublicRes.xml``/``DocumentRes.xml`` → ``Res/`` images). Page
content is ``TextObject`` (``Boundary`` "x y w h" in mm, ``Size`` in mm, optional ``CTM``,
``TextCode`` runs with ``X``/``Y`` = first character's origin on the baseline and
``DeltaX``/``DeltaY`` advances, ``g n v`` = n times v), ``ImageObject`` (a ``ResourceID``
drawn into its ``Boundary``) and ``PathObject`` (``AbbreviatedData`` outlines); template
pages (``TemplatePage``) are drawn under the page's own content, ``CompositeObject``s are
replaced by the content of their ``CompositeGraphicUnit`` placed by the object's boundary and CTM.

Producers other than the standard's examples (issue 24) are read as well:

* names are matched without namespace and letter case (``ofd:`` under any URI or none,
  ``size`` for ``Size``; a colour ``Value`` also as a child element);
* the page box is the page's ``Area/PhysicalBox``, else any ``PhysicalBox`` in the page (inside
  ``Content``), else the template's, else the document default;
* units are reconciled (:func:`_fit_units`): a box that no dossier sheet can be (over 600 mm) is in
  points or pixels; content in another unit than the box (points ÷ 200 dpi, say) is scaled by the
  unit ratio under which it fits the page with a printed body text size;
* several text objects sharing one boundary, each stretched over all of it (a converter that
  wrote every font run of a line over the line's box), are laid out one after the other;
* a page without text whose filled paths are many (text converted to glyph outlines) goes to
  OCR like a scan; paths are filled by the even-odd rule so glyph counters stay open;
* signatures written as text (a name in a pen-ink colour, or in a script face other than the
  file's body face) become handwriting marks, like pen-ink text in a PDF (:func:`ink_text_boxes`);
* pictures whose positions a producer lost (:meth:`OfdDocument.placement_lost`) are not used for
  mark detection: the slots of those pages stay undecided rather than "not signed / sealed".

* Text objects become character boxes in PDF points from the top-left corner and then
  lines through the same :func:`extractors.pdf.build_lines` as PDF text layers.
* Electronic seals are drawn where they appear: stamp annotations (``Annotations`` →
  ``Appearance`` objects) and signatures (``Signatures`` → ``StampAnnot`` box, the seal
  picture found as an embedded PNG/JPEG/GIF in ``SignedValue.dat``). A page with a seal
  whose picture cannot be found (an OFD-format seal) is left out of :func:`extractors.ofd_render.render_pages`,
  so its slots stay undecided instead of "not sealed".
* A page with almost no text and a large image is a scan: ``needs_ocr=True``; the OCR
  workers rasterise it themselves through :class:`extractors.ofd_render.OfdPageSource`.
* Invisible text (``Visible="false"``, ``Fill="false"`` without stroke, or a fill alpha of
  0) over a page-sized image is an OCR layer, treated like a double-layer PDF page
  (``text_source="ocr"``, see :mod:`extractors.pdf`).
* :func:`extractors.ofd_render.render_pages` rasterises images and vector paths (not text: printed text is not
  a mark, and drawing red text in a red-headed document would look like red ink) for mark
  detection (seals, fingerprints, handwriting) and OCR.

The package is hostile input: member count, total size and compression ratio are checked
like any zip (:func:`extractors.ingest.check_zip`), members are read with a size cap,
XML with a DTD (the only way to declare entities: billion laughs, external entities) is
refused before parsing, page sizes, character and object counts and image pixels are
bounded. Every failure is a :class:`~extractors.errors.FileReadError` with a Chinese message.
"""

from __future__ import annotations

import logging
import math
import posixpath
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from models import Line, Mark, Page
from models.settings import Limits

from extractors.errors import FileReadError
from extractors.ofd_package import (MAX_PAGE_CHARS, Package, _apply, _attr, _child, _children, _color, _floats,  # noqa: F401
                                     _local, _resolve, _text, _wide, parse_deltas)
from extractors.pdf import (IMAGE_COVER, INVISIBLE_SHARE, MIN_CJK, OCR_LAYER_CONFIDENCE, OCR_LAYER_COVER, build_lines,
                            page_text)
from extractors.pdf import _ink as pen_ink

log = logging.getLogger(__name__)

PT_PER_MM = 72.0 / 25.4
#: Graphic objects per page beyond which a page is refused (hostile input; characters: ``MAX_PAGE_CHARS``).
MAX_PAGE_OBJECTS = 50_000
#: Page sizes (mm) accepted: up to A0 and a little more.
MAX_PAGE_MM = 1500.0
#: Font ascent/descent (share of the size) used for character boxes around the baseline.
ASCENT, DESCENT = 0.88, 0.12
_CJK = re.compile(r"[\u4e00-\u9fff]")


# --------------------------------------------------------------------------- document model


@dataclass
class _Graphic:
    kind: str                      # "image" | "path" | "stamp" (picture bytes in ``data``)
    element: ET.Element | None
    box: tuple[float, float, float, float]   # boundary x, y, w, h (content units)
    ctm: list[float] | None
    data: bytes | None = None
    outer: list[float] | None = None         # placement of a composite graphic unit's content on the page

    def point(self, x: float, y: float) -> tuple[float, float]:
        """A point of the object's own space (before its boundary offset) on the page."""
        p = _apply(self.ctm, x, y)
        return _apply(self.outer, self.box[0] + p[0], self.box[1] + p[1])

    def extent(self) -> tuple[float, float, float, float]:
        """x0, y0, x1, y1 on the page: the unit square through CTM for images, else the boundary."""
        if self.kind == "image" and self.ctm:
            corners = [self.point(u, v) for u in (0, 1) for v in (0, 1)]
        else:
            corners = [_apply(self.outer, self.box[0] + u * self.box[2], self.box[1] + v * self.box[3])
                       for u in (0, 1) for v in (0, 1)]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        return min(xs), min(ys), max(xs), max(ys)


@dataclass
class _PageData:
    width: float                   # page box in content units
    height: float
    chars: list[tuple[str, float, float, float, float]]   # content units, top-left origin
    hidden: int                    # invisible characters among chars
    graphics: list[_Graphic]
    unsure: bool = False           # a seal is on the page whose picture could not be found
    unit: float = 1.0              # millimetres per content unit (1 in a file that follows the standard)
    fonts: dict[str, str] = field(default_factory=dict)            # font ID → family and font name (resources)
    body_font: str = ""                                            # font ID most text of the file is set in
    char_fonts: list[str] = field(default_factory=list)            # font ID of each of ``chars``
    char_ink: list[bool] = field(default_factory=list)             # each of ``chars`` filled in a pen-ink colour
    sizes: list[tuple[float, int]] = field(default_factory=list)   # (font size, characters) of the text objects
    outlines: int = 0              # subpaths of filled path objects (text drawn as glyph outlines)


#: Units producers write page boxes in besides millimetres, as units per millimetre: points and
#: pixels at 96, 150, 200 and 300 dpi.
BOX_UNITS = (72 / 25.4, 96 / 25.4, 150 / 25.4, 200 / 25.4, 300 / 25.4)
#: Paper sizes (mm, portrait): A3-A6, B4-B6 (ISO and JIS), Letter, Legal, 16开.
PAPER_MM = ((297.0, 420.0), (210.0, 297.0), (148.0, 210.0), (105.0, 148.0), (250.0, 353.0), (176.0, 250.0),
            (125.0, 176.0), (257.0, 364.0), (182.0, 257.0), (215.9, 279.4), (215.9, 355.6), (185.0, 260.0))
#: A page box larger than this (mm, either side) is not a dossier sheet: the producer wrote it in other units.
PLAUSIBLE_PAGE_MM = 600.0
#: Body text sizes (mm) that a printed page uses: about 6 to 22 points.
PLAUSIBLE_TEXT_MM = (2.1, 7.8)


def _paper_misfit(w: float, h: float) -> float:
    """Relative distance of a w × h (mm) page from the nearest paper size, either orientation."""
    a, b = sorted((w, h))
    return min(max(abs(a - p) / p, abs(b - q) / q) for p, q in PAPER_MM)


def _box_unit(w: float, h: float) -> float:
    """Page-box units per millimetre: 1 for a plausible page, else the unit that makes it a paper size
    (a box of 595 × 842 is A4 in points)."""
    if max(w, h) <= PLAUSIBLE_PAGE_MM:
        return 1.0
    fits = [(_paper_misfit(w / u, h / u), u) for u in BOX_UNITS if max(w, h) / u <= PLAUSIBLE_PAGE_MM]
    best = min(fits, default=(1.0, 1.0))
    return best[1] if best[0] <= 0.05 else next((u for _, u in fits), 1.0)


def _fit_units(data: _PageData) -> None:
    """Reconcile the page box with the content: set ``data.unit`` (mm per content unit) and the box in
    content units. The standard says millimetres everywhere; producers write the box in points or
    pixels, or the content in another unit than the box (e.g. points ÷ 200 dpi). The content scale is
    the largest one among unit ratios under which the content fits the page and the body text has
    a printed size; when none does, the content is taken as millimetres and the page grown to it."""
    per_mm = _box_unit(data.width, data.height)
    w, h = data.width, data.height
    xs = [c[3] for c in data.chars] + [g.extent()[2] for g in data.graphics if g.kind != "stamp"]
    ys = [c[4] for c in data.chars] + [g.extent()[3] for g in data.graphics if g.kind != "stamp"]
    ex, ey = max(xs, default=0.0), max(ys, default=0.0)
    fits = lambda r: ex * r <= w * 1.03 and ey * r <= h * 1.03  # noqa: E731
    if per_mm == 1.0 and fits(1.0):
        return
    size = _median_size(data.sizes)
    ratios = sorted({1.0, *BOX_UNITS, *(1 / u for u in BOX_UNITS), *(a / b for a in BOX_UNITS for b in BOX_UNITS)})
    fitting = [r for r in ratios if fits(r)]
    printed = [r for r in fitting if size is None or PLAUSIBLE_TEXT_MM[0] <= size * r / per_mm <= PLAUSIBLE_TEXT_MM[1]]
    if printed:
        r = max(printed) if size is not None else min(printed, key=lambda v: abs(math.log(v)))
        data.unit = r / per_mm
        data.width, data.height = w / r, h / r
        return
    data.unit = 1.0
    data.width, data.height = _paper_around(ex, ey)


def _paper_around(ex: float, ey: float) -> tuple[float, float]:
    """The smallest paper size (mm, the content's orientation) holding content that reaches ``ex, ey``."""
    for p, q in sorted(PAPER_MM, key=lambda t: t[0] * t[1]):
        a, b = (q, p) if ex > ey else (p, q)
        if ex <= a and ey <= b:
            return a, b
    return max(ex, 1.0), max(ey, 1.0)


def _median_size(sizes: list[tuple[float, int]]) -> float | None:
    """The font size most characters of the page are set in (None without text)."""
    total = sum(n for _, n in sizes)
    if not total:
        return None
    seen = 0
    for size, n in sorted(sizes):
        seen += n
        if seen * 2 >= total:
            return size
    return None


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
        self.creator = _text(_child(_child(body, "DocInfo"), "Creator"))
        common = _child(doc, "CommonData")
        area = _floats(_text(_child(_child(common, "PageArea"), "PhysicalBox")), 4)
        self.default_box = area or [0.0, 0.0, 210.0, 297.0]
        self.media: dict[str, str] = {}
        self.composites: dict[str, ET.Element] = {}
        self.fonts: dict[str, str] = {}
        self._body_font: str | None = None
        for tag in ("PublicRes", "DocumentRes"):
            for ref in _children(common, tag):
                self._load_res(_resolve(self.dir, _text(ref)))
        self.templates = {_attr(t, "ID", ""): _resolve(self.dir, _attr(t, "BaseLoc", "") or "")
                          for t in _children(common, "TemplatePage")}
        pages = _children(_child(doc, "Pages"), "Page")
        self.pages = [_resolve(self.dir, _attr(p, "BaseLoc", "") or "") for p in pages]
        if not self.pages:
            raise FileReadError("OFD 文件没有任何页面", code="empty")
        self.page_ids = {_attr(p, "ID", ""): i for i, p in enumerate(pages)}
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
            index = self.page_ids.get(_attr(ref, "PageID", ""))
            file = _resolve(base, _text(_child(ref, "FileLoc")))
            if index is None or not self.pkg.has(file):
                continue
            for annot in _children(self.pkg.xml(file), "Annot"):
                for app in _children(annot, "Appearance"):
                    box = _floats(_attr(app, "Boundary"), 4)
                    if box:
                        self.annots.setdefault(index, []).append((app, box))

    def _load_signatures(self, loc: str) -> None:
        path = _resolve("", loc) if loc else ""
        if not path or not self.pkg.has(path):
            return
        base = posixpath.dirname(path)
        for sig in _children(self.pkg.xml(path), "Signature"):
            file = _resolve(base, _attr(sig, "BaseLoc", "") or "")
            if not self.pkg.has(file):
                continue
            el = self.pkg.xml(file)
            value = _text(_child(el, "SignedValue"))
            value_path = _resolve(posixpath.dirname(file), value) if value else ""
            picture = _seal_picture(self.pkg.read(value_path)) if value_path and self.pkg.has(value_path) else None
            for stamp in _children(_child(el, "SignedInfo"), "StampAnnot"):
                index = self.page_ids.get(_attr(stamp, "PageRef", ""))
                box = _floats(_attr(stamp, "Boundary"), 4)
                if index is not None and box:
                    self.stamps.setdefault(index, []).append((box, picture))

    def _load_res(self, path: str) -> None:
        if not path or not self.pkg.has(path):
            return
        res = self.pkg.xml(path)
        base = _resolve(posixpath.dirname(path), _attr(res, "BaseLoc", "") or "")
        for el in res.iter():
            name = _local(el.tag)
            if name == "multimedia":
                media = _text(_child(el, "MediaFile"))
                if media:
                    self.media[_attr(el, "ID", "") or ""] = _resolve(base, media)
            elif name == "compositegraphicunit":
                self.composites[_attr(el, "ID", "") or ""] = el
            elif name == "font":
                self.fonts[_attr(el, "ID", "") or ""] = f'{_attr(el, "FamilyName", "")} {_attr(el, "FontName", "")}'

    def page(self, index: int) -> _PageData:
        el = self.pkg.xml(self.pages[index])
        layers: list[ET.Element] = []
        for tpl in _children(el, "Template"):
            path = self.templates.get(_attr(tpl, "TemplateID", ""))
            if path and self.pkg.has(path):
                layers.append(self.pkg.xml(path))
        box = next(filter(None, (_page_box(layer) for layer in (el, *layers))), None) or self.default_box
        data = _PageData(box[2], box[3], [], 0, [], fonts=self.fonts)
        layers.append(el)
        count = [0]
        for layer in layers:
            _add_objects(_objects(_child(layer, "Content"), self.composites, None, count, index), data, index)
        for app, (ax, ay, _, _) in self.annots.get(index, []):
            for obj, _outer in _objects(app, self.composites, None, count, index):
                if _local(obj.tag) != "textobject":
                    _add_object(obj, data, index, [1.0, 0.0, 0.0, 1.0, ax, ay])
        for box_, picture in self.stamps.get(index, []):
            data.graphics.append(_Graphic("stamp", None, tuple(box_), None, picture))  # type: ignore[arg-type]
            data.unsure = data.unsure or picture is None
        _fit_units(data)
        width, height = data.width * data.unit, data.height * data.unit
        if not (0 < width <= MAX_PAGE_MM and 0 < height <= MAX_PAGE_MM):
            raise FileReadError(f"OFD 第{index + 1}页尺寸异常（{width:g}×{height:g} 毫米），无法读取", code="corrupt")
        return data


    def body_font(self) -> str:
        """The font ID most characters of the file are set in ('' without fonts)."""
        if self._body_font is None:
            counts: dict[str, int] = {}
            if len(self.fonts) > 1:
                for path in [*self.pages, *self.templates.values()]:
                    if self.pkg.has(path):
                        for obj in self.pkg.xml(path).iter():
                            if _local(obj.tag) == "textobject":
                                font = _attr(obj, "Font", "") or ""
                                counts[font] = counts.get(font, 0) + len(_codes_text(obj))
            self._body_font = max(counts, key=lambda f: counts[f], default="")
        return self._body_font

    def placement_lost(self) -> bool:
        """Whether the pictures of this file are not where the page shows them, so that seals, fingerprints
        and signatures cannot be looked for: a producer known to write image boundaries that are no
        positions (:data:`LOSSY_PRODUCERS`), or pictures of different sizes on several pages all stacked
        at one origin that is not the page corner (a converter that lost the positions)."""
        if any(p.lower() in self.creator.lower() for p in LOSSY_PRODUCERS) and self.creator:
            return True
        origins: set[tuple[float, float]] = set()
        sizes: set[tuple[float, float]] = set()
        pages = 0
        for path in self.pages:
            found = [b for b in (_floats(_attr(o, "Boundary"), 4) for o in self.pkg.xml(path).iter()
                                 if _local(o.tag) == "imageobject") if b]
            pages += bool(found)
            origins |= {(round(b[0], 3), round(b[1], 3)) for b in found}
            sizes |= {(round(b[2], 3), round(b[3], 3)) for b in found}
        return pages >= 2 and len(origins) == 1 and len(sizes) >= 2 and max(next(iter(origins))) > 1.0


#: OFD producers (``DocInfo/Creator``) whose image boundaries are not the images' places on the page, and
#: why: their pages are read for text only, signature, fingerprint and seal slots stay undecided.
LOSSY_PRODUCERS = {
    "easyofd": "PDF 转 OFD 时以图像分辨率作为图像位置，且不保留矢量图形（手写笔迹）",
}


def _page_box(el: ET.Element) -> list[float] | None:
    """A page's (or template's) own box: ``Area/PhysicalBox`` as the standard puts it, else the first
    ``PhysicalBox`` anywhere in the page (some producers write it inside ``Content``)."""
    box = _floats(_text(_child(_child(el, "Area"), "PhysicalBox")), 4)
    if box:
        return box
    found = next((b for b in el.iter() if _local(b.tag) == "physicalbox"), None)
    return _floats(_text(found), 4)


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


#: Nesting of composite graphic units followed (a unit drawing itself is hostile input).
MAX_COMPOSITE_DEPTH = 4


def _objects(el: ET.Element | None, composites: dict[str, ET.Element], outer: list[float] | None, count: list[int],
             index: int, depth: int = 0) -> Iterator[tuple[ET.Element, list[float] | None]]:
    """Graphic objects of a content tree in drawing order with their placement on the page (layers and
    page blocks flattened, composite objects replaced by their unit's content, placed by the
    object's boundary and CTM). ``count`` bounds the objects of the page."""
    if el is None:
        return
    for c in el:
        name = _local(c.tag)
        if name in ("textobject", "imageobject", "pathobject"):
            count[0] += 1
            if count[0] > MAX_PAGE_OBJECTS:
                raise FileReadError(f"OFD 第{index + 1}页图元过多（超过 {MAX_PAGE_OBJECTS} 个），已拒绝", code="too_large")
            yield c, outer
        elif name in ("layer", "pageblock"):
            yield from _objects(c, composites, outer, count, index, depth)
        elif name == "compositeobject" and depth < MAX_COMPOSITE_DEPTH:
            unit = composites.get(_attr(c, "ResourceID", "") or "")
            box = _floats(_attr(c, "Boundary"), 4)
            if unit is not None and box:
                a, b, cc, d, e, f = _floats(_attr(c, "CTM"), 6) or [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
                place = _compose(outer, [a, b, cc, d, e + box[0], f + box[1]])
                yield from _objects(_child(unit, "Content"), composites, place, count, index, depth + 1)


def _compose(outer: list[float] | None, inner: list[float]) -> list[float]:
    """The affine map ``outer ∘ inner`` (apply ``inner`` first)."""
    if not outer:
        return inner
    a, b, c, d, e, f = outer
    a2, b2, c2, d2, e2, f2 = inner
    return [a * a2 + c * b2, b * a2 + d * b2, a * c2 + c * d2, b * c2 + d * d2, a * e2 + c * f2 + e, b * e2 + d * f2 + f]


def _add_objects(objects: Iterator[tuple[ET.Element, list[float] | None]], data: _PageData, index: int) -> None:
    """Add a layer's objects. Consecutive text objects sharing one boundary, each stretched over all of it
    (a converter that wrote every font run of a line over the whole line's box), are laid out one after
    the other, each over its share of the characters; an exact repeat (overprinted bold) counts once."""
    group: list[tuple[ET.Element, list[float] | None]] = []

    def flush() -> None:
        if group:
            _add_run_group(group, data, index)
            group.clear()

    for obj, outer in objects:
        if _local(obj.tag) != "textobject":
            flush()
            _add_object(obj, data, index, outer)
            continue
        if group and (_attr(obj, "Boundary") != _attr(group[0][0], "Boundary") or outer != group[0][1]):
            flush()
        group.append((obj, outer))
    flush()


def _codes_text(obj: ET.Element) -> str:
    return "".join(c.text or "" for c in _children(obj, "TextCode"))


def _add_run_group(group: list[tuple[ET.Element, list[float] | None]], data: _PageData, index: int) -> None:
    seen: set[str] = set()
    runs = []
    for obj, outer in group:
        text = _codes_text(obj)
        if text not in seen:
            seen.add(text)
            runs.append((obj, outer, text))
    box = _floats(_attr(runs[0][0], "Boundary"), 4)
    stretched = box is not None and len(runs) > 1 and box[2] > 0 and all(
        _run_span(obj) >= 0.8 * box[2] for obj, _, _ in runs)
    total = sum(len(t) for _, _, t in runs) or 1
    before = 0
    for obj, outer, text in runs:
        if stretched:
            share = len(text) / total
            _add_object(obj, data, index, outer, (box[2] * before / total, share))  # type: ignore[index]
        else:
            _add_object(obj, data, index, outer)
        before += len(text)


def _run_span(obj: ET.Element) -> float:
    """How far the text object's runs reach from its boundary's left edge (object units, no CTM)."""
    size = _size(obj)
    reach = 0.0
    x = 0.0
    for code in _children(obj, "TextCode"):
        x = _number(_attr(code, "X"), x)
        dx = parse_deltas(_attr(code, "DeltaX"))
        text = code.text or ""
        steps = dx[:max(len(text) - 1, 0)]
        end = x + sum(steps) + (steps[-1] if steps else size if text else 0.0)
        reach = max(reach, end)
    return reach


def _number(text: str | None, default: float) -> float:
    try:
        v = float(text) if text is not None else default
    except ValueError:
        return default
    return v if math.isfinite(v) else default


def _size(obj: ET.Element) -> float:
    size = _number(_attr(obj, "Size"), 0.0)
    return size if 0 < size < MAX_PAGE_MM else 0.0


def _add_object(obj: ET.Element, data: _PageData, index: int, outer: list[float] | None = None,
                squeeze: tuple[float, float] | None = None) -> None:
    name = _local(obj.tag)
    box = _floats(_attr(obj, "Boundary"), 4)
    if box is None:
        return
    ctm = _floats(_attr(obj, "CTM"), 6)
    if name == "textobject":
        _add_text(obj, box, ctm, data, index, outer, squeeze)
    elif name == "imageobject":
        data.graphics.append(_Graphic("image", obj, tuple(box), ctm, outer=outer))   # type: ignore[arg-type]
    elif name == "pathobject" and (_attr(obj, "Visible", "true") or "").lower() != "false":
        data.graphics.append(_Graphic("path", obj, tuple(box), ctm, outer=outer))    # type: ignore[arg-type]
        if (_attr(obj, "Fill", "false") or "").lower() == "true":
            data.outlines += sum(t in ("M", "S") for t in _text(_child(obj, "AbbreviatedData")).split())


def _invisible(obj: ET.Element) -> bool:
    if (_attr(obj, "Visible", "true") or "").lower() == "false":
        return True
    if (_attr(obj, "Fill", "true") or "").lower() == "false" and (_attr(obj, "Stroke", "false") or "").lower() != "true":
        return True
    fill = _child(obj, "FillColor")
    return fill is not None and (_attr(fill, "Alpha", "255") or "").strip() == "0"


def _add_text(obj: ET.Element, box: list[float], ctm: list[float] | None, data: _PageData, index: int,
              outer: list[float] | None = None, squeeze: tuple[float, float] | None = None) -> None:
    """Characters of a text object (``squeeze``: the run is re-laid from ``offset`` with its advances
    times ``share``, see :func:`_add_objects`)."""
    size = _size(obj)
    if not size:
        return
    scale = math.sqrt(abs(ctm[0] * ctm[3] - ctm[1] * ctm[2])) if ctm else 1.0
    if outer:
        scale *= math.sqrt(abs(outer[0] * outer[3] - outer[1] * outer[2]))
    if not scale > 0:
        return
    hidden = _invisible(obj)
    font = _attr(obj, "Font", "") or ""
    ink = pen_ink(*_color(_child(obj, "FillColor"), (0, 0, 0)))
    offset, share = squeeze or (0.0, 1.0)
    x = y = 0.0
    added = 0
    for code in _children(obj, "TextCode"):
        text = code.text or ""
        x, y = _number(_attr(code, "X"), x), _number(_attr(code, "Y"), y)
        dx, dy = parse_deltas(_attr(code, "DeltaX")), parse_deltas(_attr(code, "DeltaY"))
        for i, ch in enumerate(text):
            natural = size if _wide(ch) else 0.5 * size
            step = dx[i] if i < len(dx) else natural
            adv = step * share
            if not ch.isspace():
                if len(data.chars) >= MAX_PAGE_CHARS:
                    raise FileReadError(f"OFD 第{index + 1}页文字过多（超过 {MAX_PAGE_CHARS} 字），已拒绝", code="too_large")
                w = min(adv, natural) if adv > 0 else natural
                x0 = offset + x * share
                corners = [_apply(outer, box[0] + q[0], box[1] + q[1])
                           for q in (_apply(ctm, px, py) for px in (x0, x0 + w)
                                     for py in (y - ASCENT * size, y + DESCENT * size))]
                xs, ys = [c[0] for c in corners], [c[1] for c in corners]
                if math.isfinite(sum(xs) + sum(ys)):
                    data.chars.append((ch, min(xs), min(ys), max(xs), max(ys)))
                    data.char_fonts.append(font)
                    data.char_ink.append(ink)
                    data.hidden += hidden
                    added += 1
            x += step
            y += dy[i] if i < len(dy) else 0.0
    if added:
        data.sizes.append((size * scale, added))


def _cover(data: _PageData) -> float:
    area = 0.0
    for g in data.graphics:
        if g.kind == "image":
            x0, y0, x1, y1 = g.extent()
            cw = max(0.0, min(x1, data.width) - max(x0, 0.0))
            ch = max(0.0, min(y1, data.height) - max(y0, 0.0))
            area = max(area, cw * ch)
    return area / max(data.width * data.height, 1e-6)


# --------------------------------------------------------------------------- public API


def read_ofd(path: Path, name: str, max_pages: int | None = None, limits: Limits | None = None) -> list[Page]:
    """Pages of an OFD file (1-based), text read from its text objects. Raises :class:`FileReadError`."""
    with Package(path, limits) as pkg:
        doc = OfdDocument(pkg)
        n = len(doc.pages) if max_pages is None else min(len(doc.pages), max_pages)
        return [_page(doc.page(i), name, i + 1, doc.body_font()) for i in range(n)]


def page_count(path: Path, limits: Limits | None = None) -> int:
    with Package(path, limits) as pkg:
        return len(OfdDocument(pkg).pages)


#: Font names of script faces (楷体, 行楷, handwriting): a name an e-dossier system wrote in one of them,
#: apart from the page's own typeface, is a signature written as text (as pen-ink text in a PDF).
_SCRIPT_FONT = re.compile(r"楷|行书|草书|手写|kai|script|hand|brush|cursive", re.I)


def _ink_chars(data: _PageData) -> list[bool]:
    """Which characters are handwriting written as text: filled in a pen-ink colour, or set in a script
    face that is not the typeface most of the file is set in."""
    script = {f for f in set(data.char_fonts) if f != data.body_font and _SCRIPT_FONT.search(data.fonts.get(f, ""))}
    return [ink or f in script for ink, f in zip(data.char_ink, data.char_fonts)]


def _ink_runs(data: _PageData) -> list[tuple[float, float, float, float]]:
    """Boxes (points) of the runs of handwriting characters on one row, like
    :func:`extractors.pdf.ink_text_boxes` for PDF pages."""
    pt = PT_PER_MM * data.unit
    runs: list[list[float]] = []
    for (ch, x0, y0, x1, y1), ink in zip(data.chars, _ink_chars(data)):
        if not ink:
            continue
        box = [x0 * pt, y0 * pt, x1 * pt, y1 * pt]
        last = runs[-1] if runs else None
        h = box[3] - box[1]
        if last and abs((last[1] + last[3]) - (box[1] + box[3])) / 2 < 0.5 * h and -0.6 * h <= box[0] - last[2] < 1.5 * h:
            last[2], last[1], last[3] = box[2], min(last[1], box[1]), max(last[3], box[3])
        else:
            runs.append(box)
    return [(r[0], r[1], r[2], r[3]) for r in runs]


def ink_text_boxes(path: Path, numbers: list[int]) -> dict[int, list[tuple[float, float, float, float]]]:
    """Boxes (points) of handwriting written as text per 1-based page: see :func:`_ink_chars`."""
    out: dict[int, list[tuple[float, float, float, float]]] = {}
    with Package(path) as pkg:
        doc = OfdDocument(pkg)
        for n in numbers:
            if 1 <= n <= len(doc.pages):
                data = doc.page(n - 1)
                data.body_font = doc.body_font()
                out[n] = _ink_runs(data)
    return out


#: Subpaths of filled path objects from which a page without text is taken to carry its text as
#: glyph outlines (a producer that converts text to curves): such a page is read by OCR.
OUTLINE_SUBPATHS = 20


def _page(data: _PageData, name: str, number: int, body_font: str = "") -> Page:
    data.body_font = body_font
    pt = PT_PER_MM * data.unit
    lines = build_lines([(c, x0 * pt, y0 * pt, x1 * pt, y1 * pt) for c, x0, y0, x1, y1 in data.chars])
    text = page_text(lines)
    cjk = len(_CJK.findall(text))
    cover = _cover(data)
    needs_ocr = cjk < MIN_CJK and (cover >= IMAGE_COVER or data.outlines >= OUTLINE_SUBPATHS)
    source = "text-layer" if lines else "none"
    confidence = None
    hidden = data.hidden / len(data.chars) if data.chars else 0.0
    if lines and not needs_ocr and hidden >= INVISIBLE_SHARE and cover >= OCR_LAYER_COVER:
        source, confidence = "ocr", OCR_LAYER_CONFIDENCE
        lines = [Line(text=ln.text, bbox=ln.bbox, confidence=OCR_LAYER_CONFIDENCE) for ln in lines]
    marks = [Mark(kind="handwriting", bbox=b, score=0.8) for b in _ink_runs(data)] if not needs_ocr else []
    return Page(file=name, number=number, width=round(data.width * pt, 2), height=round(data.height * pt, 2),
                text=text, lines=lines, text_source=source, needs_ocr=needs_ocr, ocr_confidence=confidence, marks=marks)
