"""Document text with provenance: offsets in the joined text map back to page lines.

Line text is compacted (spaces inside Chinese text removed); segments of one printed
row are joined by a tab, rows by a newline, pages by a form feed. :meth:`DocText.evidence`
turns a character span into :class:`~models.Evidence` with the union box of the lines
it touches on its first page, naming that page's own file (a document may span loose
image files).
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Any

from models import Evidence, Line, Page

_INNER_SPACE = re.compile(r"(?<=[^\x00-\x7f]) +|(?<=\S) +(?=[^\x00-\x7f])")


def decode_first(raw: bytes, codecs: tuple[str, ...]) -> str | None:
    """``raw`` decoded with the first of ``codecs`` that decodes it strictly; ``None`` if none does."""
    for codec in codecs:
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return None


@functools.lru_cache(maxsize=1)
def _t2s() -> Any:
    try:
        import opencc
    except ImportError:  # pragma: no cover - opencc is a declared dependency
        return None
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional characters OCR models sometimes emit (量刑建議書, 書記員) as the simplified ones
    the documents are printed in (OpenCC t2s); unchanged when OpenCC is unavailable."""
    conv = _t2s()
    return conv.convert(text) if conv is not None and text else text


def compact(text: str) -> str:
    """Remove spaces that touch a CJK character (kept between ASCII words)."""
    return _INNER_SPACE.sub("", text.replace("\u3000", " ")).strip()


@dataclass
class Span:
    """A character range of a document's text and the page and line it was read from."""

    start: int
    end: int
    page: Page
    line: Line


class DocText:
    """The joined, compacted text of a run of pages and the map back to lines.

    ``file`` names the evidence of an empty span only; other evidence names its page's file.
    """

    def __init__(self, pages: list[Page], document_id: str = "", file: str = ""):
        self.document_id = document_id
        self.file = file or (pages[0].file if pages else "")
        self.spans: list[Span] = []
        parts: list[str] = []
        pos = 0
        last: tuple[Line, Page, float] | None = None
        for pi, page in enumerate(pages):
            first = next((ln for ln in page.lines if compact(ln.text)), None)
            if pi and not (last and first and _wrapped(last[0], first, last[1], last[2], across=True)):
                parts.append("\f")
                pos += 1
            prev: Line | None = None
            left = min((ln.bbox[0] for ln in page.lines), default=0.0)
            for line in page.lines:
                t = compact(line.text)
                if not t:
                    continue
                if prev is not None:
                    sep = "\t" if _same_row(prev, line) else ("" if _wrapped(prev, line, page, left) else "\n")
                    parts.append(sep)
                    pos += len(sep)
                parts.append(t)
                self.spans.append(Span(pos, pos + len(t), page, line))
                pos += len(t)
                prev = line
            if prev is not None:
                last = (prev, page, left)
        self.text = "".join(parts)
        self._starts = [s.start for s in self.spans]

    def spans_between(self, start: int, end: int) -> list[Span]:
        i = max(0, bisect.bisect_right(self._starts, start) - 1)
        out = []
        while i < len(self.spans) and self.spans[i].start < max(end, start + 1):
            if self.spans[i].end > start:
                out.append(self.spans[i])
            i += 1
        return out

    def line_at(self, pos: int) -> Span | None:
        spans = self.spans_between(pos, pos + 1)
        return spans[0] if spans else None

    def evidence(self, start: int, end: int, confidence: float = 1.0) -> Evidence:
        """Evidence for ``text[start:end]``: the snippet and the box of its lines on the first page."""
        spans = self.spans_between(start, end)
        if not spans:
            return Evidence(document_id=self.document_id, file=self.file, page=1, text=self.text[start:end][:120])
        page = spans[0].page
        same = [s for s in spans if s.page is page]
        boxes = [s.line.bbox for s in same]
        bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
        snippet = self.text[start:end].strip()
        if len(snippet) > 160:
            snippet = snippet[:157] + "…"
        source = page.text_source if page.text_source in ("text-layer", "ocr") else "text-layer"
        conf = confidence
        if source == "ocr":
            conf = round(confidence * min(s.line.confidence for s in same), 3)
            if any(_gap_under_seal(page, s.line) for s in same):
                conf = round(conf * SEAL_GAP_FACTOR, 3)
        return Evidence(document_id=self.document_id, file=page.file or self.file, page=page.number, text=snippet,
                        bbox=None if _nominal(page) else bbox, text_source=source, confidence=conf)


#: Confidence factor for numbers and dates OCR read under a seal: a digit is easily lost in the red
#: ink (``2021年12月 6日`` for 26日, ``十月`` for 十二月) while the line still reads with high confidence.
SEAL_GAP_FACTOR = 0.5
_NUMBER = re.compile(r"[0-9〇零○一二三四五六七八九十]\s*[年月日号]")


#: A number with a hole in it (``12月 6日``, ``2021年 月``): where a character under a seal was lost.
_NUMBER_GAP = re.compile(r"[0-9〇零○一二三四五六七八九十][ \u3000]+[0-9〇零○一二三四五六七八九十年月日号]"
                         r"|[年月][ \u3000]*[月日]|[年月][ \u3000]+[0-9〇零○一二三四五六七八九十]")


def _gap_under_seal(page: Page, line: Line) -> bool:
    """An OCR line holding a number or date under a seal: a character may have been lost in the seal's ink.

    This scan's own OCR reads through the seal after fading its red, and a thin digit can go with
    it, leaving no trace: any number under a seal is in doubt. The OCR layer of a double-layer PDF
    (``ocr_run`` false) was written by the producer's engine; its number under a seal is in doubt
    only where the number shows a hole.
    """
    if not _NUMBER.search(line.text):
        return False
    if not page.ocr_run and not _NUMBER_GAP.search(line.read_as or line.text):
        return False
    x0, y0, x1, y1 = line.bbox
    return any(m.kind == "seal" and min(x1, m.bbox[2]) > max(x0, m.bbox[0]) and min(y1, m.bbox[3]) > max(y0, m.bbox[1])
               for m in page.marks)


def _same_row(a: Line, b: Line) -> bool:
    ca, cb = (a.bbox[1] + a.bbox[3]) / 2, (b.bbox[1] + b.bbox[3]) / 2
    return abs(ca - cb) <= 0.45 * max(a.bbox[3] - a.bbox[1], b.bbox[3] - b.bbox[1], 1.0)


def _wrapped(prev: Line, line: Line, page: Page, left: float, across: bool = False) -> bool:
    """True when ``line`` continues a paragraph wrapped at the right margin after ``prev``
    (``across``: ``line`` is the first line of the next page)."""
    if page.width <= 0 or prev.bbox[2] < page.width * 0.78 or _nominal(page):
        return False
    height = max(prev.bbox[3] - prev.bbox[1], 1.0)
    if prev.bbox[0] > left + 3 * height or line.bbox[0] > left + 1.5 * height:
        return False
    if across:
        return True
    gap = line.bbox[1] - prev.bbox[3]
    # OCR boxes hug the glyphs (a text layer's boxes carry the font's leading): allow a wider gap
    most = 1.7 if page.text_source == "ocr" else 1.2
    return -0.2 * height <= gap <= most * height and line.bbox[0] <= prev.bbox[0] + 2 * height


def _nominal(page: Page) -> bool:
    """DOCX pages carry nominal line boxes only (no real layout)."""
    return page.file.lower().endswith(".docx")
