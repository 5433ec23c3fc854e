"""Split page sequences into documents and classify them.

A document starts on a page whose top lines carry a known title (``起 诉 书``,
``XX人民检察院起诉书``, ``刑事判决书`` …, spaces ignored, small OCR slips tolerated);
pages without a title, and pages that say ``第2页 共3页``, continue the previous document.
Continuation stays within one file, except across consecutive loose image files of one
folder (a dossier scanned one image per page): those are read as one run of pages, so
``起诉书_p001.jpg`` + ``起诉书_p002.jpg`` form one document (:func:`extractors.split.file_runs`,
:func:`extractors.split.split_files`). The type is the title's type, confirmed by content cues; a document
without a title is typed by its content cues alone, or :data:`models.vocab.OTHER`.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import re
from dataclasses import dataclass
from typing import Iterator

from models import Page, TocEntry, vocab

from extractors import templates
from extractors.text import compact

def titles() -> dict[str, tuple[str, ...]]:
    """Title spellings per document type, from the declared templates (:mod:`extractors.templates`)."""
    return templates.titles()


def cues() -> dict[str, tuple[tuple[str, float], ...]]:
    """Content cues per type: (phrase, weight), from the templates. They confirm a title and type
    untitled documents."""
    return templates.cues()


_PAGE_MARK = re.compile(r"第\s*(\d+)\s*页\s*[，,]?\s*共\s*(\d+)\s*页|第\s*(\d+)\s*页\s*/\s*共?\s*(\d+)\s*页?")
_SPACES = re.compile(r"[\s\u3000]+")
_TRAILER = re.compile(r"[（(][^（()）]{0,10}[）)]$")
_TOP_LINES = 8
_TOP_SHARE = 0.4


@dataclass
class TitleHit:
    """A document title found on a page: its type, the title as read, the line and the match score."""

    type: str
    title: str
    line_index: int
    score: float


@functools.lru_cache(maxsize=8)
def _title_list(key: tuple) -> list[tuple[str, str]]:
    pairs = [(t, typ) for typ, ts in key for t in ts]
    return sorted(pairs, key=lambda p: -len(p[0]))


def _all_titles() -> list[tuple[str, str]]:
    return _title_list(tuple(titles().items()))


def match_title(line: str) -> tuple[str, str, float] | None:
    """``(type, title, score)`` when ``line`` is a title line (organ prefix allowed), else None."""
    s = _SPACES.sub("", line).strip("　*·.:：")
    s = _TRAILER.sub("", s)
    if not 2 < len(s) <= 34 or any(p in s for p in "，。；：:、？?！!"):
        return None
    for title, typ in _all_titles():
        if s == title:
            return typ, title, 1.0
        if s.endswith(title) and len(s) - len(title) <= 24 and _organ_prefix(s[: -len(title)]):
            return typ, title, 0.95
    for typ, rx in templates.title_patterns():
        if rx.search(s):
            return typ, s, 0.9
    if len(s) <= 14:
        best = None
        chars = set(s)
        for title, typ in _all_titles():
            if abs(len(s) - len(title)) > 2 or 2 * len(chars.intersection(title)) < 0.8 * (len(s) + len(title)) - 2:
                continue
            r = difflib.SequenceMatcher(None, s, title).ratio()
            if r >= 0.8 and (best is None or r > best[2]):
                best = (typ, title, r * 0.9)
        return best
    return None


def _organ_prefix(prefix: str) -> bool:
    return bool(re.search(r"(人民检察院|人民法院|公安局|分局|派出所|看守所|检察院|法院|刑事|犯罪嫌疑人|被告人"
                          r"|鉴定中心|鉴定所|鉴定研究所|鉴定机构|认证中心|认定中心|价格认定局|交通警察大队)$", prefix)) \
        or bool(_PERSON_PREFIX.fullmatch(prefix)) or prefix in ("", "刑事")


#: A title prefixed by the person it is about: ``证人张三询问笔录``, ``犯罪嫌疑人李四讯问笔录``.
_PERSON_PREFIX = re.compile(r"(?:犯罪嫌疑人|被告人|证人|被害人|被询问人|被讯问人|违法行为人|辨认人)[\u4e00-\u9fff]{2,4}(?:的)?")


#: page_title per page while :func:`extractors.split.split_dossier` runs (its pages are asked several
#: times: volumes, splitting); keyed by the page object, so only used while those pages are alive.
_TITLE_CACHE: dict[tuple[int, int, str], TitleHit | None] | None = None


@contextlib.contextmanager
def cached_titles() -> Iterator[None]:
    """Remember :func:`page_title` per page inside the block (the pages must stay alive meanwhile)."""
    global _TITLE_CACHE
    _TITLE_CACHE = {}
    try:
        yield
    finally:
        _TITLE_CACHE = None


def page_title(page: Page) -> TitleHit | None:
    """The title found among the top lines of a page, if any."""
    if _TITLE_CACHE is None:
        return _page_title(page)
    key = (id(page), len(page.lines), page.lines[0].text if page.lines else "")
    if key not in _TITLE_CACHE:
        _TITLE_CACHE[key] = _page_title(page)
    return _TITLE_CACHE[key]


def _page_title(page: Page) -> TitleHit | None:
    limit = page.height * _TOP_SHARE if page.height else 1e9
    for i, line in enumerate(page.lines[:_TOP_LINES]):
        if line.bbox[1] > limit and i > 0:
            break
        hit = match_title(line.text)
        if hit and page.width and abs((line.bbox[0] + line.bbox[2]) / 2 - page.width / 2) > page.width * 0.15:
            continue
        if hit and hit[2] < 0.95 and i > 3:
            continue
        if hit:
            return TitleHit(type=hit[0], title=hit[1], line_index=i, score=hit[2])
    return None


#: Endings of document titles (起诉书, 社会调查报告, 现场勘验笔录, 扣押清单 …).
_TITLE_SUFFIX = re.compile(r"(?:书|报告|表|录|证|函|单|通知|决定|意见|清单|回执|凭证|说明|材料|笔录|记录|经过|证明|鉴定|结论)$")


def unknown_title(page: Page) -> str | None:
    """The text of a title line no template declares: one of the top lines, centred, set larger
    than the body text, short, without punctuation, ending like a document title."""
    if not page.lines or not page.width:
        return None
    limit = page.height * 0.25 if page.height else 1e9
    for ln in page.lines[:3]:
        if ln.bbox[1] > limit:
            break
        body = sorted(o.bbox[3] - o.bbox[1] for o in page.lines if o is not ln)
        if not body:
            return None
        median = body[len(body) // 2]
        t = _SPACES.sub("", ln.text)
        centred = abs((ln.bbox[0] + ln.bbox[2]) / 2 - page.width / 2) <= page.width * 0.1
        if centred and 3 <= len(t) <= 20 and not re.search(r"[，。；：:、,.;？?！!（(]", t) \
                and _TITLE_SUFFIX.search(t) and ln.bbox[3] - ln.bbox[1] >= 1.25 * median and match_title(t) is None:
            return t
    return None


def page_marker(page: Page) -> tuple[int, int] | None:
    """``(k, n)`` for a "第k页 共n页" marker on the page."""
    m = _PAGE_MARK.search(page.text[-200:]) or _PAGE_MARK.search(page.text[:200])
    if not m:
        return None
    k = m.group(1) or m.group(3)
    n = m.group(2) or m.group(4)
    return int(k), int(n)


def cue_scores(text: str) -> dict[str, float]:
    """Weighted cue counts per type (each cue counted at most twice)."""
    out: dict[str, float] = {}
    for typ, cs in cues().items():
        score = sum(w * min(text.count(c), 2) for c, w in cs)
        if score:
            out[typ] = score
    return out


@dataclass
class Segment:
    """A run of pages that forms one document (before field extraction).

    ``file`` is the file of the first page; the pages may run on into further files when
    they are loose images (see :func:`split_files`).
    """

    file: str
    pages: list[Page]
    type: str
    title: str
    confidence: float
    #: The 目录 row this document was split at (a confident 目录 of its volume), if any.
    toc: TocEntry | None = None
    #: A separator sheet (``证人证言（分隔页）``): volume furniture, not a document of the case.
    separator: bool = False
    #: The label of the bound volume the document sits in ('' outside volumes).
    volume: str = ""

    def parts(self) -> list[tuple[str, list[int]]]:
        """``(file, page numbers)`` per source file, in reading order."""
        out: list[tuple[str, list[int]]] = []
        for p in self.pages:
            if out and out[-1][0] == p.file:
                out[-1][1].append(p.number)
            else:
                out.append((p.file, [p.number]))
        return out


#: One source file as handed to :func:`extractors.split.split_files`: (name, kind as in ``SourceFile.kind``, pages in order).
FilePages = tuple[str, str, list[Page]]


def split_documents(pages: list[Page], starts: dict[int, TocEntry] | None = None,
                    separators: set[int] | frozenset = frozenset(),
                    follow: set[int] | frozenset = frozenset()) -> list[Segment]:
    """Group a run of pages (one file, or consecutive loose images, in order) into typed documents.

    ``starts`` are pages where a confident 卷内文书目录 says a document begins (by PDF page
    number, within one file): such a page starts a document even without a title, typed by
    the row's name when the page has no title. ``separators`` are separator sheets: each is
    a document of its own (type 其他, title 分隔页). Pages in ``follow`` continue the document before
    them whatever they are headed by (the later pages of a 目录). Material split by the 目录 into one row
    (a 调取证据清单 and the call records it covers) is merged back (:func:`_merge_rows`).
    """
    starts = starts or {}
    segments: list[Segment] = []
    current: Segment | None = None
    continued = templates.continued_types()
    for page in pages:
        row = starts.get(page.number)
        if page.number in follow and current is not None:
            current.pages.append(page)
            continue
        if page.number in separators and row is None:
            current = Segment(file=page.file, pages=[page], type=vocab.OTHER, title=vocab.SEPARATOR, confidence=0.5,
                              separator=True)
            segments.append(current)
            current = None
            continue
        hit = page_title(page)
        marker = page_marker(page)
        continuation = marker is not None and marker[0] > 1
        if hit and current is not None and continuation and row is None:
            hit = None
        if hit and current is not None and row is None and hit.type == current.type and hit.type in continued \
                and hit.title == current.title:
            hit = None  # a table's heading repeated on its next page
        if row is not None and hit is None:
            current = Segment(file=page.file, pages=[page], type=row.type or vocab.OTHER, title=compact(row.name),
                              confidence=0.6 if row.type else 0.0, toc=row)
            segments.append(current)
            continue
        unknown = unknown_title(page) if hit is None and not continuation else None
        if hit is None and current is not None and not unknown:
            current.pages.append(page)
            continue
        if hit is None:
            # a page headed by a title no template declares starts a document of unknown type: it is
            # not swallowed by the document before it (whose end would then be misread)
            current = Segment(file=page.file, pages=[page], type=vocab.OTHER, title=unknown or "", confidence=0.0)
        else:
            current = Segment(file=page.file, pages=[page], type=hit.type, title=hit.title, confidence=hit.score)
        current.toc = row
        segments.append(current)
    segments = _merge_rows(segments, starts)
    for seg in segments:
        if not seg.separator:
            _confirm(seg)
    return segments


def _merge_rows(segments: list[Segment], starts: dict[int, TocEntry]) -> list[Segment]:
    """Merge evidence material that one 目录 row lists as one item (``调取证据清单及通话详单  19-40``,
    ``扣押清单及扣押物品照片  26-27``): segments starting inside the row's page range, after the
    row's own segment, join it when both are material (never a procedural document)."""
    if not starts:
        return segments
    material = vocab.EVIDENCE_TYPES | {vocab.OTHER}
    out: list[Segment] = []
    owner: Segment | None = None
    for seg in segments:
        first = seg.pages[0].number
        if seg.toc is not None:
            owner = seg if seg.type in material and seg.toc.pdf_last and seg.toc.pdf_last > first else None
            out.append(seg)
            continue
        if owner is not None and owner.toc is not None and not seg.separator and seg.type in material \
                and seg.pages[0].file == owner.file and first <= (owner.toc.pdf_last or 0):
            owner.pages.extend(seg.pages)
            continue
        owner = None
        out.append(seg)
    return out


def _distinct_score(text: str, doc_type: str, other: str) -> float:
    """Cue score of ``doc_type`` over the cues ``other`` does not share (问：/答： count for neither)."""
    shared = {c for c, _ in cues().get(other, ())}
    return sum(w * min(text.count(c), 2) for c, w in cues().get(doc_type, ()) if c not in shared)


def _confirm(seg: Segment) -> None:
    text = "\n".join(p.text for p in seg.pages)
    scores = cue_scores(text)
    for rival in templates.rivals(seg.type):
        own, theirs = _distinct_score(text, seg.type, rival), _distinct_score(text, rival, seg.type)
        if theirs >= 3.0 and theirs >= 2 * own:
            # 询问笔录 titled (or read) as 讯问笔录: the persons questioned say which it is
            seg.type, seg.confidence = rival, min(seg.confidence, 0.8)
            return
    if seg.title:
        cue = scores.get(seg.type, 0.0)
        seg.confidence = round(min(1.0, seg.confidence * (0.85 + 0.15 * min(cue / 3.0, 1.0))), 3)
        return
    if not scores:
        seg.type, seg.confidence = vocab.OTHER, 0.3
        return
    best, score = max(scores.items(), key=lambda kv: kv[1])
    total = sum(scores.values())
    if score >= 3.0:
        seg.type = best
        seg.confidence = round(min(0.8, 0.4 + 0.4 * score / total * min(score / 6.0, 1.0)), 3)
    else:
        seg.type, seg.confidence = vocab.OTHER, 0.3
