"""``extract_case``: a dossier path → :class:`models.CaseFile`.

Stages (progress labels in Chinese): 读取文件 (ingest, text layers), 识别文字 (OCR of
scanned pages and images), 解析文书 (split, classify, fields, marks, slots, merge).
Per-file problems become ``SourceFile.error`` and a Chinese warning; only a dossier with
nothing readable raises :class:`~extractors.errors.DossierReadError`.

OFD files are read like PDFs (:mod:`extractors.ofd`). Pages that arrive with an OCR text
layer (double-layer PDF/OFD: a scan with invisible text, ``text_source="ocr"`` straight from
the reader) keep their text; their rendered page image is analysed for marks like a
text-layer page, full page rather than only the slot zone, and their slots are decided
only when that analysis ran.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from models import CaseFile, Document, DocumentPart, Evidence, Field, Line, Mark, Page, SourceFile, Volume, vocab
from models.settings import Limits, Settings, get_settings

from extractors import classify, slots, split
from extractors.errors import DossierReadError, FileReadError
from extractors.fields import extract_fields
from extractors import evidence
from extractors.ingest import Ingest, InputFile, clean_name, limits_of, sha256_of
from extractors.pdf import documents_shared
from extractors.corroborate import corroborate_dates
from extractors.merge import summarize
from extractors.roles import assign_roles
from extractors.volumes import check as check_volume
from extractors.text import DocText, decode_first

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]

MARK_DPI = 100
#: Resolution of scans under an OCR text layer when they are rendered for marks (a scan's
#: handwriting is fainter and noisier than vector strokes: rendered finer than text-layer pages).
OCR_LAYER_MARK_DPI = 150
#: OCR pages read with a lower mean confidence leave their slots undecided (filled=None → a warning).
MIN_SLOT_OCR_CONFIDENCE = 0.6
#: Timings of the last call (seconds per stage), for benchmarks.
LAST_TIMINGS: dict[str, float] = {}


def extract_case(path: Path, settings: Settings | None = None, progress: Progress | None = None) -> CaseFile:
    """Read a dossier (folder, zip, PDF, DOCX, image) into a :class:`CaseFile` (``settings``: the process's by default)."""
    path = Path(path)
    settings = settings if settings is not None else get_settings()
    report = progress or (lambda stage, done, total: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    limits = limits_of(settings)
    case = CaseFile(name=clean_name(path.stem if path.is_file() else path.name))
    with Ingest(path, settings) as ing, documents_shared():  # each PDF opened once in this scan
        found = ing.result
        case.warnings.extend(found.warnings)
        case.files.extend(found.refused)
        pages_by_file: dict[str, list[Page]] = {}
        inputs: dict[str, InputFile] = {}
        total = len(found.files)
        page_budget = limits.pages
        counts = _page_counts(found.files, settings)
        expected = max(sum(counts.get(f.name) or 1 for f in found.files), 1)
        done_pages = 0
        for i, f in enumerate(found.files):
            report("读取文件", i, total)
            base = done_pages
            source, pages = _read_file(f, settings, page_budget,
                                       lambda k, base=base: report("读取页面", min(base + k, expected), expected),
                                       counts.get(f.name, _UNCOUNTED))
            done_pages = base + max(len(pages), 1)
            report("读取页面", min(done_pages, expected), expected)
            case.files.append(source)
            if source.error:
                case.warnings.append(f"{f.name}：{source.error}")
                continue
            if f.kind in ("text", "docx"):
                pages, note = cap_text(pages)
                if note:
                    case.warnings.append(f"{f.name}：{note}")
            page_budget -= len(pages)
            pages_by_file[f.name] = pages
            inputs[f.name] = f
        report("读取文件", total, total)
        timings["read"] = time.perf_counter() - t0
        # pages whose OCR came with the file (double-layer PDF/OFD), before this run's OCR marks its own
        ocr_layer = {(name, p.number) for name, pages in pages_by_file.items() for p in pages
                     if p.text_source == "ocr" and not p.needs_ocr}
        if not pages_by_file:
            reasons = "；".join(f"{s.name}：{s.error}" for s in case.files if s.error) or "没有可读取的文件"
            raise DossierReadError(f"卷宗中没有可读取的文件（{reasons}）")

        t1 = time.perf_counter()
        _ocr(pages_by_file, inputs, settings, case, report)
        timings["ocr"] = time.perf_counter() - t1

        t2 = time.perf_counter()
        from extractors.anchors import restore_page

        for pages in pages_by_file.values():
            for page in pages:
                restore_page(page)  # OCR-grade pages: look-alike characters of known phrases
        documents = _documents(pages_by_file, inputs, case.warnings, report, ocr_layer, case.volumes)
        _read_handwritten_dates(documents, pages_by_file, inputs, settings, case.warnings, ocr_layer)
        timings["parse"] = time.perf_counter() - t2
    for pages in pages_by_file.values():
        case.pages.extend(pages)
    case.documents = documents
    assign_roles(documents, case.volumes)
    for v in case.volumes:
        check_volume(v, documents)
        case.warnings.extend(v.problems)
    # a date read under a seal that the case's other documents state in full is confirmed
    corroborate_dates([d for d in documents if d.role == "case"])
    case.case = summarize(documents)
    timings["total"] = time.perf_counter() - t0
    LAST_TIMINGS.clear()
    LAST_TIMINGS.update(timings)
    return case


#: Characters of one text or DOCX file that are read (about 250 printed pages); the rest is
#: left out with a warning. spaCy refuses texts over 1,000,000 characters and several field
#: extractors grow faster than linearly with a document's length.
MAX_FILE_CHARS = 500_000


def cap_text(pages: list[Page], limit: int = MAX_FILE_CHARS) -> tuple[list[Page], str]:
    """The pages of a text or DOCX file cut after ``limit`` characters, and a Chinese note
    when something was cut ('' otherwise)."""
    total = sum(len(p.text or "") for p in pages)
    if total <= limit:
        return pages, ""
    out: list[Page] = []
    left = limit
    for page in pages:
        if left <= 0:
            break
        lines = []
        for line in page.lines:
            if left <= 0:
                break
            if len(line.text) > left:
                line = line.model_copy(update={"text": line.text[:left]})
            lines.append(line)
            left -= len(line.text) + 1
        out.append(page.model_copy(update={"lines": lines, "text": "\n".join(ln.text for ln in lines)}))
    return out, f"文件文字过多（约 {total:,} 字），只读取了前 {limit:,} 字"


def _too_many_pages(count: int, budget: int, limits: Limits) -> FileReadError:
    total = limits.pages
    if budget >= total:
        return FileReadError(f"文件页数过多（{count} 页，上限 {total} 页），未读取", code="too_many_pages")
    return FileReadError(f"文件页数过多（{count} 页），超过卷宗剩余的页数额度（{max(budget, 0)} 页，"
                         f"卷宗上限 {total} 页），未读取", code="too_many_pages")


def _engine(settings: Settings | None) -> str:
    """The OCR engine of the settings (``rapidocr`` without settings)."""
    return str((settings.ocr_engine if settings is not None else "") or "rapidocr").lower()


def _dpi(settings: Settings | None) -> int:
    """The OCR rendering resolution of the settings (200 dpi without settings)."""
    return int((settings.ocr_dpi if settings is not None else 0) or 200)


def page_count(f: InputFile, settings: Settings | None = None) -> int | None:
    """Pages of a fixed-layout or image file from its structure, without reading any text
    (None for DOCX and text, whose pages are known only once read). Raises :class:`FileReadError`
    with the same message the reader gives (one reader for the API pre-check and the scan)."""
    limits = limits_of(settings)
    if f.kind == "pdf":
        from extractors.pdf import page_count as pdf_pages

        try:
            return pdf_pages(f.path)
        except FileReadError as exc:
            if exc.code != "corrupt":
                raise
            return None  # PDFium cannot open it: the pdfplumber fallback reads it (or refuses it)
    if f.kind == "ofd":
        from extractors.ofd import page_count as ofd_pages

        return ofd_pages(f.path, limits)
    if f.kind == "image":
        from extractors.images import frame_count

        return frame_count(f.path, limits.image_pixels)
    return None


def check_file(f: InputFile, settings: Settings | None = None) -> int:
    """Pages of one input file as the scan will read it; raises :class:`FileReadError` (Chinese
    message and code) exactly when the scan would set the file aside. PDF, OFD and images are
    opened by the scan's own readers without reading their text; DOCX and text files are read."""
    limits = limits_of(settings)
    try:
        count = page_count(f, settings)
        if count is None:
            count = len(_read_pages(f, settings, limits.pages))
    except FileReadError:
        raise
    except Exception as exc:  # noqa: BLE001 - the readers' libraries raise many types for hostile bytes
        log.warning("checking %s failed", f.name, exc_info=True)
        raise FileReadError("文件内容异常或已损坏，无法读取", code="corrupt") from exc
    if count > limits.pages:
        raise _too_many_pages(count, limits.pages, limits)
    return count


#: A file :func:`_page_counts` could not count: :func:`_read_file` counts it again and reports why not.
_UNCOUNTED = -1


def _page_counts(files: list[InputFile], settings: Settings | None) -> dict[str, int | None]:
    """Pages of each file from its structure (:func:`page_count`, None when known only once read), for
    page progress and the page budget; each file is counted once per scan. A file that cannot be
    counted is left out: it is counted again, and refused with the reason, when it is read."""
    counts: dict[str, int | None] = {}
    for f in files:
        try:
            counts[f.name] = page_count(f, settings)
        except Exception:  # noqa: BLE001 - a file that cannot be counted is reported when it is read
            pass
    return counts


def _read_file(f: InputFile, settings: Settings | None, page_budget: int, progress: Callable[[int], None] | None = None,
               count: int | None = _UNCOUNTED) -> tuple[SourceFile, list[Page]]:
    kind = f.kind if f.kind in ("pdf", "ofd", "docx", "image", "text") else "other"
    try:
        digest = sha256_of(f.path)
    except OSError:
        return SourceFile(name=f.name, kind=kind, error="文件无法访问"), []
    try:
        if count == _UNCOUNTED:
            count = page_count(f, settings)
        if count is not None and count > page_budget:
            raise _too_many_pages(count, page_budget, limits_of(settings))
        pages = _read_pages(f, settings, page_budget, progress)
        if len(pages) > page_budget:
            raise _too_many_pages(len(pages), page_budget, limits_of(settings))
    except FileReadError as exc:
        return SourceFile(name=f.name, kind=kind, sha256=digest, error=str(exc)), []
    except RecursionError:
        log.warning("reading %s: structure nested too deeply", f.name)
        return SourceFile(name=f.name, kind=kind, sha256=digest, error="文件结构嵌套过深，无法读取"), []
    except MemoryError:
        log.warning("reading %s: out of memory", f.name)
        return SourceFile(name=f.name, kind=kind, sha256=digest, error="文件内容过大，读取时内存不足，未读取"), []
    except Exception:  # noqa: BLE001 - one broken file must never stop the batch
        log.exception("reading %s failed", f.name)
        return SourceFile(name=f.name, kind=kind, sha256=digest, error="文件内容异常或已损坏，无法读取"), []
    return SourceFile(name=f.name, kind=kind, pages=len(pages), sha256=digest), pages


def _read_pages(f: InputFile, settings: Settings | None, page_budget: int, progress: Callable[[int], None] | None = None
                ) -> list[Page]:
    """The pages of one file by its kind's reader (at most ``page_budget + 1``); raises :class:`FileReadError`.
    ``progress(k)`` follows the pages of a PDF as they are read."""
    limits = limits_of(settings)
    page_budget = max(page_budget, 0) + 1
    if f.kind == "pdf":
        from extractors.pdf import read_pdf, read_pdf_plumber

        try:
            pages = read_pdf(f.path, f.name, max_pages=page_budget, progress=progress)
        except FileReadError as exc:
            if exc.code != "corrupt":
                raise
            pages = read_pdf_plumber(f.path, f.name, max_pages=page_budget)
    elif f.kind == "ofd":
        from extractors.ofd import read_ofd

        pages = read_ofd(f.path, f.name, max_pages=page_budget, limits=limits)
    elif f.kind == "docx":
        from extractors.docx import read_docx

        pages = read_docx(f.path, f.name)
    elif f.kind == "image":
        from extractors.images import read_image_pages

        pages = read_image_pages(f.path, f.name, limits.image_pixels, _dpi(settings),
                                 max_pages=page_budget)
    else:
        pages = [_text_page(f)]
    return pages


def _text_page(f: InputFile) -> Page:
    text = decode_first(f.path.read_bytes(), ("utf-8-sig", "gb18030"))
    if text is None:
        raise FileReadError("文本文件编码无法识别", code="corrupt")
    rows = [r.strip() for r in text.splitlines() if r.strip()]
    lines = [Line(text=t, bbox=(72.0, 72.0 + 18 * k, 523.0, 86.0 + 18 * k)) for k, t in enumerate(rows)]
    return Page(file=f.name, number=1, width=595.0, height=842.0, text="\n".join(rows), lines=lines)


def _ocr_module() -> Any:
    if importlib.util.find_spec("extractors.ocr") is None:
        return None
    from extractors import ocr

    return ocr if hasattr(ocr, "ocr_pages") else None


def _ocr(pages_by_file: dict[str, list[Page]], inputs: dict[str, InputFile], settings: Settings | None, case: CaseFile,
         report: Progress) -> None:
    """OCR every page without a usable text layer, the whole dossier in one stream.

    Pages of all files (PDF pages and loose image frames alike) go to the worker pool
    together, so no core waits at the end of each file for its last page; a page that
    fails comes back with a warning and the others keep their results.
    """
    todo = [(name, p) for name, pages in pages_by_file.items() for p in pages if p.needs_ocr]
    if not todo:
        return
    engine = _engine(settings)
    ocr = _ocr_module() if engine != "none" else None
    if ocr is None:
        for name, p in todo:
            case.warnings.append(f"{name} 第{p.number}页为扫描图像，未能识别文字（OCR 不可用）")
        return
    dpi = _dpi(settings)
    limits = limits_of(settings)
    sources = [ref for name, pages in pages_by_file.items()
               for ref in _page_images(inputs[name], [p for p in pages if p.needs_ocr], dpi, limits.image_pixels)]
    report("识别文字", 0, len(todo))
    try:
        cache = ocr.cache_for(settings, len(todo)) if hasattr(ocr, "cache_for") else None
        results = ocr.ocr_pages(sources, settings, dpi=dpi, progress=lambda k: report("识别文字", k, len(todo)),
                                **({"cache": cache} if cache is not None else {}))
    except FileReadError as exc:
        for name, p in todo:
            case.warnings.append(f"{name} 第{p.number}页为扫描图像，未能识别文字（{exc}）")
        return
    except Exception as exc:  # noqa: BLE001 - a broken OCR leaves the text-layer pages going
        log.exception("OCR of %d pages failed", len(todo))
        for name, p in todo:
            case.warnings.append(f"{name} 第{p.number}页为扫描图像，未能识别文字（文字识别出错）")
        return
    for (name, p), r in zip(todo, results):
        _apply_ocr(p, r)
        if getattr(r, "warning", None):
            case.warnings.append(f"{name} 第{p.number}页：{r.warning}")
        elif not p.lines and not p.ocr_skip:
            case.warnings.append(f"{name} 第{p.number}页为扫描图像，未识别出文字")
    report("识别文字", len(todo), len(todo))


def _page_images(f: InputFile, pages: list[Page], dpi: int, max_pixels: int) -> list[Any]:
    """References to the pages that the OCR workers rasterise (PDF, at ``dpi``) or decode
    (images, at their own resolution) themselves."""
    if f.kind == "pdf":
        from extractors.ocr import PdfPage

        return [PdfPage(f.path, p.number - 1) for p in pages]
    if f.kind == "ofd":
        from extractors.ofd_render import OfdPageSource

        return [OfdPageSource(f.path, p.number - 1, max_pixels) for p in pages]
    from extractors.ocr import ImageFrame

    return [ImageFrame(f.path, p.number - 1, float(p.width or 0.0), max_pixels) for p in pages]


def _apply_ocr(page: Page, result: Any) -> None:
    from extractors.text import to_simplified

    page.lines = [ln.model_copy(update={"text": to_simplified(ln.text)}) if ln.text else ln for ln in result.lines]
    page.marks = list(getattr(result, "marks", []) or [])
    from extractors.pdf import page_text

    page.text = page_text(page.lines)
    page.text_source = "ocr" if page.lines else "none"
    page.ocr_run = True
    page.ocr_skip = str(getattr(result, "skipped", "") or "")
    page.ocr_confidence = round(float(getattr(result, "confidence", 0.0) or 0.0), 3)
    page.rotation = int(getattr(result, "rotation", 0) or 0)
    if getattr(result, "width", 0) and getattr(result, "height", 0):
        page.width, page.height = float(result.width), float(result.height)
    page.needs_ocr = False


def _documents(pages_by_file: dict[str, list[Page]], inputs: dict[str, InputFile], warnings: list[str],
               report: Progress, ocr_layer: set[tuple[str, int]] | frozenset = frozenset(),
               volumes: list[Volume] | None = None) -> list[Document]:
    """Split the dossier's pages into documents, then extract their fields and slots.

    Consecutive loose images of one folder are split together (:func:`extractors.split.split_files`),
    so a document scanned one image per page is one :class:`Document` whose ``parts`` list
    its files. Marks are computed on text-layer PDF pages that carry slots; pages whose marks
    are known (OCR'd pages read well enough, rendered PDF pages, DOCX) are keyed by
    ``(file, page)``. Pages in ``ocr_layer`` (OCR text that came with the file) count as
    analysed only when their image was analysed here.
    """
    segments, found = split.split_dossier([(name, inputs[name].kind, pages) for name, pages in pages_by_file.items()])
    if volumes is not None:
        volumes.extend(found)
    marked: set[tuple[str, int]] = set()
    for name, pages in pages_by_file.items():
        if inputs[name].kind in ("pdf", "ofd"):
            marked |= _marks_for(inputs[name], [seg for seg in segments if seg.file == name], warnings, ocr_layer)
        elif inputs[name].kind == "docx":
            marked |= {(name, p.number) for p in pages}
    docs: list[Document] = []
    total_pages = sum(len(seg.pages) for seg in segments) or 1
    parsed = 0
    for k, seg in enumerate(segments):
        report("解析文书", parsed, total_pages)  # in pages: a 400-page call record is not one step among 60
        parsed += len(seg.pages)
        doc_id = f"d{k + 1}"
        text = DocText(seg.pages, doc_id, seg.file)
        sources = {p.text_source for p in seg.pages if p.text_source != "none"}
        source = "mixed" if len(sources) > 1 else (sources.pop() if sources else "none")
        # material (call records, photo sheets, volume furniture) is read from its first pages only: what
        # it is and who it is about stand at its head, and no rule reads the rest (bounded work per volume)
        head = DocText(seg.pages[:MATERIAL_HEAD_PAGES], doc_id, seg.file) \
            if seg.type in MATERIAL_TYPES and len(seg.pages) > MATERIAL_HEAD_PAGES else text
        fields = extract_fields(head, seg.type, seg.title) if head.text else {}
        fields = evidence.extract(head, seg.type, seg.title, fields) if head.text else fields
        analysed = {(p.file, p.number) for p in seg.pages
                    if p.text_source == "ocr" and (p.file, p.number) not in ocr_layer
                    and (p.ocr_confidence or 0) >= MIN_SLOT_OCR_CONFIDENCE} | marked
        parts = seg.parts()
        doc = Document(id=doc_id, type=seg.type, title=seg.title, file=parts[0][0], pages=parts[0][1],
                       parts=[DocumentPart(file=f, pages=n) for f, n in parts] if len(parts) > 1 else [],
                       text_source=source, text=text.text, fields=fields, classification_confidence=seg.confidence,
                       volume=seg.volume, stamped_pages=[p.stamp for p in seg.pages] if seg.volume else [],
                       role=vocab.ROLE_VOLUME if seg.separator else vocab.ROLE_CASE)
        signers = fields.get(vocab.INTERROGATORS)
        expected = {vocab.SLOT_INTERROGATOR_SIGNATURE: len(signers.value)} if signers and isinstance(signers.value, list) else None
        doc.slots = slots.find_slots(seg.type, seg.pages, doc_id, analysed, expected)
        docs.append(doc)
    report("解析文书", total_pages, total_pages)
    return docs


#: Types read from their first pages only (:func:`_documents`), and how many.
MATERIAL_TYPES = vocab.EVIDENCE_TYPES | vocab.VOLUME_TYPES | vocab.OTHER_CASE_TYPES | {vocab.OTHER}
MATERIAL_HEAD_PAGES = 4

#: Date slots whose handwritten value is read by OCR on text-layer pages, and the field it fills.
HANDWRITTEN_DATE_FIELDS = {vocab.SLOT_SIGN_DATE: vocab.SIGN_DATE}
HANDWRITTEN_DPI = 200


def _read_handwritten_dates(docs: list[Document], pages_by_file: dict[str, list[Page]], inputs: dict[str, InputFile],
                            settings: Settings | None, warnings: list[str],
                            ocr_layer: set[tuple[str, int]] | frozenset = frozenset()) -> None:
    """Read handwritten dates (e.g. the 送达回证 签收日期) in filled date slots of text-layer PDF pages.

    A text layer has no characters for a date written by hand in the slot, so the slot's
    region is rendered and read by the OCR engine; the value wins over any date read
    elsewhere in the document, with ``text_source="ocr"`` evidence.
    """
    if _engine(settings) == "none":
        return
    from extractors.normalize import parse_date

    pages = {(p.file, p.number): p for ps in pages_by_file.values() for p in ps}
    for doc in docs:
        for slot in doc.slots:
            field = HANDWRITTEN_DATE_FIELDS.get(slot.role)
            name = slot.file or doc.file
            f = inputs.get(name)
            page = pages.get((name, slot.page))
            if not field or f is None or f.kind not in ("pdf", "ofd") or not slot.filled or not slot.bbox or page is None \
                    or (page.text_source != "text-layer" and (name, slot.page) not in ocr_layer):
                continue
            if any(_overlaps(line.bbox, slot.bbox) and parse_date(line.text) for line in page.lines):
                continue
            text = _ocr_region(f.path, slot.page, slot.bbox, f.kind)
            value = parse_date(text) if text else None
            if value is None:
                warnings.append(f"{doc.type}（{name} 第{slot.page}页）{slot.role}为手写，未能识别")
                continue
            doc.fields[field] = Field(value=value, confidence=0.9, evidence=[Evidence(
                document_id=doc.id, file=name, page=slot.page, text=text, bbox=slot.bbox,
                text_source="ocr", confidence=0.9)])


def _overlaps(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _ocr_region(path: Path, page_number: int, bbox: tuple, kind: str = "pdf") -> str:
    """OCR one region of a PDF (or OFD) page (bbox in points) with the recogniser; '' when OCR is unavailable."""
    ocr = _ocr_module()
    if ocr is None:
        return ""
    try:
        if kind == "ofd":
            from extractors.ofd_render import OfdPageSource

            image = OfdPageSource(path, page_number - 1).rasterize(HANDWRITTEN_DPI)
            k = HANDWRITTEN_DPI / 72.0
        else:
            image, dpi = ocr.rasterize_pdf_page_at(path, page_number - 1, HANDWRITTEN_DPI)
            k = dpi / 72.0
        pad = 6
        x0, y0 = max(0, int((bbox[0] - pad) * k)), max(0, int((bbox[1] - pad) * k))
        x1, y1 = min(image.shape[1], int((bbox[2] + pad) * k)), min(image.shape[0], int((bbox[3] + pad) * k))
        result = ocr.get_engine("rapidocr")(np.ascontiguousarray(image[y0:y1, x0:x1]))
    except Exception:  # noqa: BLE001 - an unreadable region leaves the value missing (warned by the caller)
        log.exception("handwritten region OCR failed on %s p%d", path, page_number)
        return ""
    return "".join(result.txts or []) if result is not None and getattr(result, "txts", None) else ""


def _marks_for(f: InputFile, segments: list[classify.Segment], warnings: list[str],
               ocr_layer: set[tuple[str, int]] | frozenset = frozenset()) -> set[tuple[str, int]]:
    """Render pages of PDF/OFD ``f`` that carry slots and detect marks there.

    Text-layer pages are rendered from the top of their slot zone down; pages with an OCR
    text layer (``ocr_layer``: a scan under invisible text) are rendered whole, finer, and
    their printed-text boxes padded as for OCR lines, the way a scanned page is analysed.
    ``segments`` are the documents of that file. Returns the ``(file, page)`` pairs whose marks
    were computed (their empty slots are "not filled"; slots on other pages stay undecided).
    """
    from extractors import vision
    from extractors.ocr_lines import pad_box

    if f.kind == "ofd":
        from extractors.ofd_render import render_pages
    else:
        from extractors.pdf import render_pages

    zones: dict[int, tuple[float, bool]] = {}
    pages: dict[int, Page] = {}
    for seg in segments:
        for n, zone in slots.mark_zones(seg.type, seg.pages).items():
            page = next(p for p in seg.pages if p.number == n)
            if (f.name, n) in ocr_layer:
                zones[n], pages[n] = (0.0, zone[1]), page
            elif page.text_source == "text-layer":
                zones[n], pages[n] = zone, page
    if not zones:
        return set()
    scanned = sorted(n for n in zones if (f.name, n) in ocr_layer)
    printed = sorted(n for n in zones if (f.name, n) not in ocr_layer)
    try:
        images = render_pages(f.path, printed, dpi=MARK_DPI, crop_top={n: zones[n][0] for n in printed})
        images.update(render_pages(f.path, scanned, dpi=OCR_LAYER_MARK_DPI))
    except FileReadError as exc:
        warnings.append(f"{f.name}：页面图像无法渲染，签名、印章未能检测（{exc}）")
        return set()
    ink = _ink_text(f, printed)
    done: set[tuple[str, int]] = set()
    for n, img in images.items():
        page, (top, hand) = pages[n], zones[n]
        written = ink.get(n, [])
        boxes = [(b[0], b[1] - top, b[2], b[3] - top) for b in (line.bbox for line in page.lines)
                 if b[3] > top and not _mostly_ink(b, written)]
        if n in scanned:
            boxes = [pad_box(b) for b in boxes]
        try:
            found = vision.detect_marks(img, page.width, page.height - top, boxes, handwriting=hand)
        except Exception:  # noqa: BLE001 - a failed mark detection leaves the slot undecided
            log.exception("mark detection failed on %s p%d", f.name, n)
            continue
        page.marks = [Mark(kind=m.kind, bbox=(m.bbox[0], m.bbox[1] + top, m.bbox[2], m.bbox[3] + top), score=m.score)
                      for m in found]
        page.marks += _ink_marks(written, page.marks, top)
        done.add((f.name, n))
    return done


def _ink_text(f: InputFile, numbers: list[int]) -> dict[int, list[tuple]]:
    """Pen-ink text boxes of text-layer PDF (and OFD) pages (signatures written as text); {} when unreadable."""
    if f.kind == "ofd" and numbers:
        from extractors.ofd import ink_text_boxes as ofd_ink_boxes

        try:
            return ofd_ink_boxes(f.path, numbers)
        except (FileReadError, OSError):
            return {}
    if f.kind != "pdf" or not numbers:
        return {}
    import pypdfium2 as pdfium

    from extractors.pdf import ink_text_boxes

    try:
        return ink_text_boxes(f.path, numbers)
    except (FileReadError, pdfium.PdfiumError, OSError):
        return {}


def _mostly_ink(box: tuple, ink: list[tuple]) -> bool:
    """A text line whose characters are mostly pen-ink text (a signature written as text)."""
    area = max((box[2] - box[0]) * (box[3] - box[1]), 1.0)
    covered = sum(max(0.0, min(box[2], b[2]) - max(box[0], b[0])) * max(0.0, min(box[3], b[3]) - max(box[1], b[1]))
                  for b in ink)
    return covered >= 0.5 * area


def _ink_marks(ink: list[tuple], found: list[Mark], top: float) -> list[Mark]:
    """Handwriting marks for pen-ink text runs in the rendered zone that detection did not already cover."""
    out: list[Mark] = []
    for b in ink:
        if b[3] <= top:
            continue
        area = max((b[2] - b[0]) * (b[3] - b[1]), 1.0)
        if any(m.kind == "handwriting" and max(0.0, min(b[2], m.bbox[2]) - max(b[0], m.bbox[0]))
               * max(0.0, min(b[3], m.bbox[3]) - max(b[1], m.bbox[1])) > 0.3 * area for m in found):
            continue
        out.append(Mark(kind="handwriting", bbox=tuple(b), score=0.8))
    return out
