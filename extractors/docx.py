"""DOCX text: paragraphs and tables in document order, split into "pages" at page breaks.

DOCX has no fixed pages; a hard page break (``w:br w:type="page"``), a
``pageBreakBefore`` paragraph or a section break starts a new page, otherwise the
file is one page. Lines have no boxes (``bbox`` of the model is required for
:class:`~models.Line`, so a nominal box on an A4 grid is used: line *i* sits at
``72 + 18 i`` points; ``Evidence.bbox`` for DOCX stays None).

Pictures embedded in a paragraph (scanned seals, signatures, fingerprints) are decoded
and classified with :func:`extractors.vision.detect_marks`; the resulting
:class:`~models.Mark` carries the nominal box of the paragraph's row.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from models import Line, Mark, Page

from extractors.errors import FileReadError

A4 = (595.0, 842.0)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def read_docx(path: Path, name: str) -> list[Page]:
    """Pages of one DOCX file; raises :class:`FileReadError` with a Chinese message if unreadable."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:  # lxml XMLSyntaxError
        if _is_encrypted_ole(path):
            raise FileReadError("文件已加密，无法读取", code="encrypted") from exc
        raise FileReadError("DOCX 文件已损坏或格式无法识别，无法读取", code="corrupt") from exc
    pages: list[list[str]] = [[]]
    pictures: list[list[tuple[int, str]]] = [[]]
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag
        if tag == f"{_W}p":
            text, breaks_before, breaks_after = _paragraph(child)
            if breaks_before and pages[-1]:
                pages.append([])
                pictures.append([])
            if text.strip():
                pages[-1].append(text.strip())
            for blip in child.iter(f"{_A}blip"):
                rid = blip.get(f"{_R}embed")
                if rid:
                    pictures[-1].append((max(0, len(pages[-1]) - 1), rid))
            if breaks_after:
                pages.append([])
                pictures.append([])
        elif tag == f"{_W}tbl":
            for row in child.iter(f"{_W}tr"):
                cells = []
                for cell in row.iter(f"{_W}tc"):
                    ct = "".join(t.text or "" for t in cell.iter(f"{_W}t")).strip()
                    if ct and (not cells or cells[-1] != ct):
                        cells.append(ct)
                if cells:
                    pages[-1].append("  ".join(cells))
    kept = [(rows, pics) for rows, pics in zip(pages, pictures) if rows] or [([], [])]
    out = []
    for i, (rows, pics) in enumerate(kept):
        lines = [Line(text=t, bbox=(72.0, 72.0 + 18 * k, 523.0, 86.0 + 18 * k)) for k, t in enumerate(rows)]
        marks = [m for row, rid in pics for m in _picture_marks(document, rid, lines[row].bbox if lines else None)]
        out.append(Page(file=name, number=i + 1, width=A4[0], height=A4[1], text="\n".join(rows), lines=lines,
                        marks=marks, text_source="text-layer" if rows else "none"))
    if not any(p.lines for p in out):
        raise FileReadError("DOCX 文件没有文字内容", code="empty")
    return out


def _picture_marks(document, rid: str, box: tuple[float, float, float, float] | None) -> list[Mark]:
    """Seal / fingerprint / handwriting marks in one embedded picture, placed on its row's box."""
    if box is None:
        return []
    try:
        import io

        import numpy as np
        from PIL import Image

        from extractors import vision

        blob = document.part.related_parts[rid].blob
        with Image.open(io.BytesIO(blob)) as im:
            if im.width * im.height > 25_000_000:
                return []
            rgba = im.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            rgb = np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
        h, w = rgb.shape[:2]
        scale = 72.0 / 150.0
        found = vision.detect_marks(rgb, w * scale, h * scale, [])
    except Exception:  # noqa: BLE001 - an unreadable picture is simply not a mark
        return []
    kinds = {m.kind for m in found}
    kind = next((k for k in ("seal", "fingerprint", "red_ink", "handwriting") if k in kinds), None)
    if kind is None:
        return []
    score = max(m.score for m in found if m.kind == kind)
    return [Mark(kind=kind, bbox=box, score=score)]


def _paragraph(p) -> tuple[str, bool, bool]:
    parts: list[str] = []
    before = False
    after = False
    ppr = p.find(f"{_W}pPr")
    if ppr is not None:
        pbb = ppr.find(f"{_W}pageBreakBefore")
        before = pbb is not None and pbb.get(f"{_W}val", "true") not in ("0", "false")
        after = ppr.find(f"{_W}sectPr") is not None
    for el in p.iter():
        if el.tag == f"{_W}t":
            parts.append(el.text or "")
        elif el.tag == f"{_W}tab":
            parts.append(" ")
        elif el.tag == f"{_W}br" and el.get(f"{_W}type") == "page":
            if "".join(parts).strip():
                after = True
            else:
                before = True
    return "".join(parts), before, after


def _is_encrypted_ole(path: Path) -> bool:
    """Encrypted Office files are OLE compound files, not zips."""
    try:
        with path.open("rb") as fh:
            return fh.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    except OSError:
        return False
