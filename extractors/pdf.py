"""PDF text layer: character boxes → lines with boxes, page text, and the pages that need OCR.

Characters and their boxes come from PDFium (``pypdfium2``): on dense Chinese pages it
reads about 160 pages/s against about 11 pages/s for pdfplumber/pdfminer on the same
file (2 cores, see ``bench/text_pages.py``), so pdfplumber is used only as a fallback
when PDFium cannot open a file. Characters are grouped into rows by their vertical
centre, rows are split into segments at wide gaps (a label and its value far apart
become two :class:`~models.Line` objects), and every box is in PDF points from the
top-left corner of the page.

A page whose text layer has fewer than :data:`MIN_CJK` CJK characters while an image
covers a good part of it is a scan: ``needs_ocr=True``.

A "double-layer" page (双层 PDF, what electronic-dossier systems and OCR software deliver:
a scanned page image with the recognised text laid over it in text render mode 3,
invisible) is a scan whose OCR is already done: most of its characters are invisible
(:data:`INVISIBLE_SHARE`, judged on a sample of :data:`RENDER_MODE_SAMPLE` characters
through PDFium's text objects) and one image covers most of the page
(:data:`OCR_LAYER_COVER`). Its lines are read from the text layer like any other, but the
page is reported as OCR (``text_source="ocr"``, line and page confidence
:data:`OCR_LAYER_CONFIDENCE`): the text is only as good as the OCR that wrote it, and
handwriting, seals and fingerprints are in the image only, so the caller analyses the
rendered page for marks the way it does for scans (``extractors.case``).

Within :func:`documents_shared` (one scan: :func:`extractors.case.extract_case`) each PDF is opened
once and its PDFium document is shared by the page count, the text, the renderings for marks, the
pen-ink text and the rasterising of pages OCR'd in this process (:func:`document`,
:func:`shared_document`); the documents are closed when the scan ends. OCR worker processes open
the file themselves.
"""

from __future__ import annotations

import ctypes
import re
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from models import Line, Page

from extractors.errors import FileReadError

MIN_CJK = 10
IMAGE_COVER = 0.3
#: Share of invisible characters (render mode 3) above which a page's text layer is an OCR layer.
INVISIBLE_SHARE = 0.6
#: Share of the page one image must cover for an invisible text layer to count as OCR over a scan.
OCR_LAYER_COVER = 0.6
#: Confidence given to lines of an OCR text layer (the recognition quality is unknown; OCR-level).
OCR_LAYER_CONFIDENCE = 0.9
#: Characters whose render mode is looked at per page (spread evenly over the page's text).
RENDER_MODE_SAMPLE = 48
#: Most pixels one rendered page may have (the pixel cap of images, ``Limits.image_pixels``):
#: a 6000 × 6000 pt page at 100 dpi would otherwise need 3.3 GB.
MAX_RENDER_PIXELS = 80_000_000
_CJK = re.compile(r"[\u4e00-\u9fff]")


#: Most PDF documents one scan keeps open (each holds its file open); beyond it the least recently
#: used is closed and opened again when it is needed, so a dossier of many PDFs does not run out of
#: file descriptors.
MAX_SHARED_DOCUMENTS = 64
_SHARED: ContextVar[OrderedDict[str, pdfium.PdfDocument] | None] = ContextVar("pdf_documents", default=None)


@contextmanager
def documents_shared() -> Iterator[None]:
    """Within this block (one scan, in this thread) every PDF is opened once: :func:`document`
    keeps each PDFium document open and hands it out again; all are closed at the end."""
    token = _SHARED.set(OrderedDict())
    try:
        yield
    finally:
        docs = _SHARED.get() or {}
        _SHARED.reset(token)
        for doc in docs.values():
            doc.close()


def shared_document(path: Path | str) -> pdfium.PdfDocument | None:
    """The document of ``path`` already opened in this :func:`documents_shared` block, else None."""
    docs = _SHARED.get()
    if docs is None or str(path) not in docs:
        return None
    docs.move_to_end(str(path))
    return docs[str(path)]


@contextmanager
def document(path: Path) -> Iterator[pdfium.PdfDocument]:
    """The PDFium document of ``path`` (:func:`open_pdf`): inside :func:`documents_shared` opened once
    and kept for the rest of the block, outside it opened and closed around the ``with`` block."""
    docs = _SHARED.get()
    if docs is None:
        doc = open_pdf(path)
        try:
            yield doc
        finally:
            doc.close()
        return
    doc = shared_document(path)
    if doc is None:
        doc = docs[str(path)] = open_pdf(path)
        while len(docs) > MAX_SHARED_DOCUMENTS:
            docs.popitem(last=False)[1].close()
    yield doc


def open_pdf(path: Path) -> pdfium.PdfDocument:
    """Open a PDF with PDFium; raise :class:`FileReadError` with a Chinese message when it cannot be read."""
    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        code = _diagnose(path)
        raise FileReadError(_MESSAGES[code], code=code) from exc
    if len(doc) == 0:
        doc.close()
        raise FileReadError(_MESSAGES["empty"], code="empty")
    return doc


_MESSAGES = {"encrypted": "文件已加密，无法读取", "empty": "PDF 文件没有任何页面",
             "corrupt": "PDF 文件已损坏或格式无法识别，无法读取"}


def _diagnose(path: Path) -> str:
    """Why PDFium refused a file, asked of pikepdf (qpdf): encrypted, empty or corrupt."""
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            return "empty" if len(pdf.pages) == 0 else "corrupt"
    except pikepdf.PasswordError:
        return "encrypted"
    except Exception:  # noqa: BLE001 - any other qpdf failure means the file is broken
        return "corrupt"


def page_count(path: Path) -> int:
    """Pages of the PDF (PDFium). Raises :class:`FileReadError`."""
    with document(path) as doc:
        return len(doc)


def read_pdf(path: Path, name: str, max_pages: int | None = None, progress=None) -> list[Page]:
    """Text-layer pages of one PDF (1-based numbers). Raises :class:`FileReadError` for the file.
    ``progress(k)`` is called after each page with the number of pages read so far."""
    with document(path) as doc:
        n = len(doc) if max_pages is None else min(len(doc), max_pages)
        pages = []
        for i in range(n):
            try:
                pages.append(_read_page(doc[i], name, i + 1))
            except pdfium.PdfiumError:
                pages.append(Page(file=name, number=i + 1, width=595.0, height=842.0, text_source="none", needs_ocr=True))
            if progress is not None:
                progress(i + 1)
        return pages


def _read_page(page: pdfium.PdfPage, name: str, number: int) -> Page:
    width, height = page.get_size()
    textpage = page.get_textpage()
    try:
        chars = _chars(textpage, height)
        invisible = invisible_share(textpage) if chars else 0.0
    finally:
        textpage.close()
    lines = build_lines(chars)
    text = page_text(lines)
    if not usable_text(text):
        # a text layer that decodes to control characters and stray Latin letters (a font without its
        # ToUnicode map, a broken OCR layer): the page is read from its image instead
        rotation = page.get_rotation()
        page.close()
        return Page(file=name, number=number, width=round(width, 2), height=round(height, 2), text_source="none",
                    needs_ocr=True, rotation=rotation)
    cjk = len(_CJK.findall(text))
    cover = _image_cover(page, width, height) if cjk < MIN_CJK or invisible >= INVISIBLE_SHARE else 0.0
    needs_ocr = cjk < MIN_CJK and cover >= IMAGE_COVER
    rotation = page.get_rotation()
    page.close()
    source = "text-layer" if lines else "none"
    confidence = None
    if lines and not needs_ocr and invisible >= INVISIBLE_SHARE and cover >= OCR_LAYER_COVER:
        source, confidence = "ocr", OCR_LAYER_CONFIDENCE
        lines = [line.model_copy(update={"confidence": OCR_LAYER_CONFIDENCE}) for line in lines]
    return Page(file=name, number=number, width=round(width, 2), height=round(height, 2), text=text, lines=lines,
                text_source=source, needs_ocr=needs_ocr, rotation=rotation, ocr_confidence=confidence)


#: Characters a Chinese document's text is made of: CJK ideographs and punctuation, full-width forms,
#: printable ASCII, general punctuation (“”…—), 〇 and ×.
_PLAUSIBLE = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef\u0021-\u007e\u2000-\u206f\u00d7\u00b7\u2160-\u217f\u25cb\u3007]")
#: Share of a text layer's characters that must be plausible (:data:`_PLAUSIBLE`) for it to be read.
MIN_PLAUSIBLE_SHARE = 0.6
#: Fewer non-space characters than this are too few to judge a text layer by.
MIN_JUDGED_CHARS = 20


def usable_text(text: str) -> bool:
    """Whether a text layer is text at all, measured on its characters: most of them must be what a
    Chinese document is written with (:data:`_PLAUSIBLE`). A font without its ToUnicode map decodes to
    control characters and Latin-1 letters (``\x01\x04ÄÅÇÉÑ``); such a layer is not read."""
    chars = [c for c in text if not c.isspace()]
    if len(chars) < MIN_JUDGED_CHARS:
        return True
    return sum(1 for c in chars if _PLAUSIBLE.match(c)) >= MIN_PLAUSIBLE_SHARE * len(chars)


def invisible_share(textpage: pdfium.PdfTextPage, sample: int = RENDER_MODE_SAMPLE) -> float:
    """Share of the page's (non-space) characters drawn invisibly (text render mode 3), on a sample."""
    count = textpage.count_chars()
    if count <= 0:
        return 0.0
    step = max(1, count // sample)
    seen = hidden = 0
    for i in range(0, count, step):
        obj = pdfium_c.FPDFText_GetTextObject(textpage.raw, i)
        if not obj or chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i) or 32).isspace():
            continue
        seen += 1
        hidden += pdfium_c.FPDFTextObj_GetTextRenderMode(obj) == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE
    return hidden / seen if seen else 0.0


def _chars(textpage: pdfium.PdfTextPage, height: float) -> list[tuple[str, float, float, float, float]]:
    count = textpage.count_chars()
    if count <= 0:
        return []
    text = textpage.get_text_range(0, count)
    out = []
    for i, ch in enumerate(text[:count]):
        if ch.isspace() or ch in "\ufffe\uffff\x00":
            continue
        left, bottom, right, top = textpage.get_charbox(i, loose=True)
        if right <= left:
            continue
        out.append((ch, left, height - top, right, height - bottom))
    return out


def build_lines(chars: list[tuple[str, float, float, float, float]], gap_factor: float = 2.5) -> list[Line]:
    """Group ``(char, x0, top, x1, bottom)`` into rows by vertical centre, split rows at wide gaps.

    Plain Python lists, not NumPy element access: a dense page has a thousand characters, and indexing
    an array one element at a time cost three times as much."""
    if not chars:
        return []
    x0 = [c[1] for c in chars]
    top = [c[2] for c in chars]
    x1 = [c[3] for c in chars]
    bottom = [c[4] for c in chars]
    yc = [(t + b) / 2 for t, b in zip(top, bottom)]
    hgt = [max(b - t, 1.0) for t, b in zip(top, bottom)]
    order = sorted(range(len(chars)), key=yc.__getitem__)
    rows: list[list[int]] = []
    row_y = -1e9
    row_h = 0.0
    for idx in order:
        if rows and abs(yc[idx] - row_y) <= 0.45 * max(row_h, hgt[idx]):
            rows[-1].append(idx)
            row_y += (yc[idx] - row_y) / len(rows[-1])
        else:
            rows.append([idx])
            row_y, row_h = yc[idx], hgt[idx]
    lines: list[Line] = []
    for row in rows:
        row.sort(key=x0.__getitem__)
        widths = sorted(x1[k] - x0[k] for k in row)
        m = len(widths) // 2
        unit = widths[m] if len(widths) % 2 else (widths[m - 1] + widths[m]) / 2
        seg: list[int] = [row[0]]
        for prev, k in zip(row, row[1:]):
            if x0[k] - x1[prev] > gap_factor * max(unit, 3.0):
                lines.append(_line(chars, (x0, top, x1, bottom), seg, unit))
                seg = [k]
            else:
                seg.append(k)
        lines.append(_line(chars, (x0, top, x1, bottom), seg, unit))
    return lines


def _line(chars: list, cols: tuple[list[float], ...], seg: list[int], unit: float) -> Line:
    x0, top, x1, bottom = cols
    parts = [chars[seg[0]][0]]
    for prev, k in zip(seg, seg[1:]):
        if x0[k] - x1[prev] > 0.6 * max(unit, 3.0):
            parts.append(" ")
        parts.append(chars[k][0])
    bbox = (round(float(min(x0[k] for k in seg)), 1), round(float(min(top[k] for k in seg)), 1),
            round(float(max(x1[k] for k in seg)), 1), round(float(max(bottom[k] for k in seg)), 1))
    return Line(text="".join(parts), bbox=bbox)


def same_row(a: Line, b: Line) -> bool:
    """True when two lines share a baseline (segments of one printed row)."""
    ca, cb = (a.bbox[1] + a.bbox[3]) / 2, (b.bbox[1] + b.bbox[3]) / 2
    return abs(ca - cb) <= 0.45 * max(a.bbox[3] - a.bbox[1], b.bbox[3] - b.bbox[1], 1.0)


def page_text(lines: list[Line]) -> str:
    """Page text: segments of a row joined by two spaces, rows by newlines."""
    out: list[str] = []
    for i, line in enumerate(lines):
        if i and not same_row(lines[i - 1], line):
            out.append("\n")
        elif i:
            out.append("  ")
        out.append(line.text)
    return "".join(out)


def _image_cover(page: pdfium.PdfPage, width: float, height: float) -> float:
    area = 0.0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        try:
            left, bottom, right, top = obj.get_bounds() if hasattr(obj, "get_bounds") else obj.get_pos()
        except pdfium.PdfiumError:
            continue
        w = max(0.0, min(right, width) - max(left, 0.0))
        h = max(0.0, min(top, height) - max(bottom, 0.0))
        area = max(area, w * h)
    return area / max(width * height, 1.0)


def capped_dpi(width_pt: float, height_pt: float, dpi: float, max_pixels: int = MAX_RENDER_PIXELS) -> float:
    """``dpi``, lowered so that a ``width_pt`` × ``height_pt`` area renders to at most ``max_pixels``."""
    w_in, h_in = max(float(width_pt), 1.0) / 72.0, max(float(height_pt), 1.0) / 72.0
    if w_in * h_in * dpi * dpi <= max_pixels:
        return float(dpi)
    return (max_pixels / (w_in * h_in)) ** 0.5 * 0.999


def render_pages(path: Path, numbers: list[int], dpi: int = 100,
                 crop_top: dict[int, float] | None = None, max_pixels: int = MAX_RENDER_PIXELS) -> dict[int, np.ndarray]:
    """RGB images of the given 1-based pages at ``dpi`` (lower for pages that would exceed
    ``max_pixels``: callers map points to pixels by the image size, not by ``dpi``).

    ``crop_top`` maps a page number to a top offset in points: the page is rendered from
    there down (only the lower part, where signatures and seals sit). The image then
    covers ``[crop_top, height]`` of the page.
    """
    out: dict[int, np.ndarray] = {}
    for n, page in pages_of(path, numbers):
        top = (crop_top or {}).get(n, 0.0)
        width, height = page.get_size()
        scale = capped_dpi(width, height - top, dpi, max_pixels) / 72.0
        bitmap = page.render(scale=scale, crop=(0, 0, 0, top), rev_byteorder=True)
        out[n] = np.ascontiguousarray(bitmap.to_numpy()[..., :3])
        bitmap.close()
    return out


def pages_of(path: Path, numbers: list[int]) -> Iterator[tuple[int, pdfium.PdfPage]]:
    """``(number, page)`` for the given 1-based pages that exist; each page is closed after use, the
    document when the iteration ends (unless a :func:`documents_shared` block keeps it)."""
    if not numbers:
        return
    with document(path) as doc:
        for n in numbers:
            if 1 <= n <= len(doc):
                page = doc[n - 1]
                try:
                    yield n, page
                finally:
                    page.close()


def read_pdf_plumber(path: Path, name: str, max_pages: int | None = None) -> list[Page]:
    """Fallback text-layer reader with pdfplumber (pdfminer), for files PDFium rejects."""
    import pdfplumber

    pages: list[Page] = []
    try:
        with pdfplumber.open(path) as pdf:
            for i, p in enumerate(pdf.pages[:max_pages]):
                chars = [(c["text"], c["x0"], c["top"], c["x1"], c["bottom"]) for c in p.chars if c["text"].strip()]
                lines = build_lines(chars)
                text = page_text(lines)
                cover = max((float(im["width"]) * float(im["height"]) for im in p.images), default=0.0)
                needs = len(_CJK.findall(text)) < MIN_CJK and cover / max(p.width * p.height, 1) >= IMAGE_COVER
                pages.append(Page(file=name, number=i + 1, width=float(p.width), height=float(p.height), text=text,
                                  lines=lines, text_source="text-layer" if lines else "none", needs_ocr=needs))
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many unrelated types for broken files
        encrypted = "password" in str(exc).lower() or "encrypt" in type(exc).__name__.lower()
        raise FileReadError(_MESSAGES["encrypted" if encrypted else "corrupt"],
                            code="encrypted" if encrypted else "corrupt") from exc
    if not pages:
        raise FileReadError("PDF 文件没有任何页面", code="empty")
    return pages


def _ink(r: int, g: int, b: int) -> bool:
    """Pen-ink colours (blue, blue-black, violet) that print never uses; red (seals, 红头) and black excluded."""
    return b - max(r, g) >= 30 and b >= 50


def ink_text_boxes(path: Path, numbers: list[int]) -> dict[int, list[tuple[float, float, float, float]]]:
    """Boxes of text drawn in pen-ink colour per page (1-based): signatures an e-dossier system
    wrote as text (a name in a script font, blue ink, under the pen strokes). Such text is
    handwriting, not print: it must neither hide the strokes from mark detection nor count
    as a typed name. Runs of adjacent ink characters on one row give one box."""
    out: dict[int, list[tuple[float, float, float, float]]] = {}
    for n, page in pages_of(path, numbers):
        height = page.get_size()[1]
        tp = page.get_textpage()
        try:
            r, g, b, a = (ctypes.c_uint() for _ in range(4))
            runs: list[list[float]] = []
            for i in range(tp.count_chars()):
                ch = chr(pdfium_c.FPDFText_GetUnicode(tp.raw, i) or 32)
                if ch.isspace() or not pdfium_c.FPDFText_GetFillColor(tp.raw, i, r, g, b, a):
                    continue
                if not _ink(r.value, g.value, b.value):
                    continue
                x0, bottom, x1, top = tp.get_charbox(i, loose=True)
                box = [x0, height - top, x1, height - bottom]
                last = runs[-1] if runs else None
                if last and abs((last[1] + last[3]) - (box[1] + box[3])) / 2 < 0.5 * (box[3] - box[1]) \
                        and -0.6 * (box[3] - box[1]) <= box[0] - last[2] < 1.5 * (box[3] - box[1]):
                    last[2], last[1], last[3] = box[2], min(last[1], box[1]), max(last[3], box[3])
                else:
                    runs.append(box)
            out[n] = [tuple(x) for x in runs]
        finally:
            tp.close()
    return out
