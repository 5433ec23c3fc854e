"""Named extractors for a document's own structure: its 文号, its located parts, its signers' gaps,
and statements read across a sentence.

Registered with :func:`extractors.recognizers.extractor` and called by name from a form's
``fields`` block:

- ``doc_numbers`` — ``doc_number`` (the document's own 文号/案号, first in the header) and
  ``cited_doc_numbers`` (the others it cites);
- ``sections`` — ``sections`` and ``structure``: which declared parts are present, on positive
  evidence only (the templates' ``sections`` and ``end``);
- ``victim_notified`` — the notice to the victim recorded as given (with its 于…告知 date);
- ``sentence_term`` — ``term_start``/``term_end`` of the sentence served;
- ``appeal_notice`` — whether a judgment tells the right of appeal;
- ``missing_signer`` — a 落款 that names some signers but not another (arg ``field`` empty when
  ``present`` is there and ``label`` is not in the last ``tail`` characters).
"""

from __future__ import annotations

import re
from typing import Any

from models import Field, vocab

from extractors import normalize as nz
from extractors import patterns as pt
from extractors import templates
from extractors.recognizers import Extraction, extractor
from extractors.text import compact

@extractor("doc_numbers")
def doc_numbers(x: Extraction, title_end: str = "") -> None:
    """Own 文号/案号 (first in the header: a number alone on its row, else one right after the title,
    ``title_end`` being the declared regex of a title and its bracketed kind) and the other 文号 it cites."""
    found: list[tuple[int, int, str]] = []
    for p in (pt.CASE_NUMBER, pt.DOC_NUMBER, pt.DOC_NUMBER_OCR):
        for m in p.regex.finditer(x.s):
            if p is pt.DOC_NUMBER_OCR:
                if not x.ocr_at(m.start()):
                    continue  # a text layer is what the document says
                value = _clean_number(x.s[m.start():m.end("year")] + "〕" + x.s[m.end("year"):m.end()])
            else:
                value = _clean_number(m.group(0))
            if not any(a <= m.start() < b for a, b, _ in found):
                found.append((m.start(), m.end(), value))
    found.sort()
    header_end = x.header_end()
    own = next(((a, b, v) for a, b, v in found if a < header_end and _own_row(x.s, a, b)), None)
    if own is None and title_end:
        ends = [t.end() for t in re.finditer(title_end, x.s[:150])]
        own = next(((a, b, v) for a, b, v in found if any(e <= a <= e + 2 for e in ends)), None)
    if own:
        x.put(vocab.DOC_NUMBER, own[2], (own[0], own[1]))
    cited = [(a, b, v) for a, b, v in found if own is None or v != own[2]]
    if cited:
        x.put(vocab.CITED_DOC_NUMBERS, list(dict.fromkeys(v for _, _, v in cited)), [(a, b) for a, b, _ in cited])


def _own_row(s: str, a: int, b: int) -> bool:
    """The number fills its row (a header 文号), rather than being cited inside a sentence or form row."""
    start = max(s.rfind("\n", 0, a), s.rfind("\t", 0, a), s.rfind("\f", 0, a)) + 1
    ends = [i for i in (s.find("\n", b), s.find("\t", b), s.find("\f", b)) if i >= 0]
    end = min(ends) if ends else len(s)
    return (a - start) + (end - b) <= 6 and "：" not in s[start:a]


def _clean_number(text: str) -> str:
    """Trim words run into a 文号 from the left (``本院以金婺检刑诉〔2024〕5号`` → ``金婺检刑诉〔2024〕5号``)."""
    s = re.sub(r"^(?:文号|案号|编号)", "", re.sub(r"\s", "", text))
    s = re.split(r"[以院局经据照于的书为与及和对、，,：:]", s.split("〔")[0].split("[")[0].split("［")[0])[-1] + s[len(s.split("〔")[0].split("[")[0].split("［")[0]):]
    s = s.replace("[", "〔").replace("]", "〕").replace("［", "〔").replace("］", "〕")
    # a bracket pair read in two widths (``(刑）`` through OCR): one width, the full one it also has
    s = re.sub(r"\(([^()（）]{1,4})）|（([^()（）]{1,4})\)", lambda m: f"（{m.group(1) or m.group(2)}）", s)
    return re.sub(r"^[(（](\d{4})[)）]", r"（\1）", s)


#: 已告知被害人及其法定代理人（近亲属）有权委托诉讼代理人 — the notice recorded in the 起诉书 or a report.
_VICTIM_NOTICE = re.compile(r"(?:已|依法)?告知(?:了)?被害人[^。；\n]{0,24}?有权委托诉讼代理人")
#: The date the notices of a 起诉书's 受理 paragraph were given: 于2024年8月4日已告知…
_NOTICES_GIVEN_ON = re.compile(rf"于({nz.DATE_PATTERN})(?:依法)?(?:已|依法)?告知")


@extractor("victim_notified")
def notice_statements(x: Extraction) -> None:
    """``victim_notified``: the notice to the victim of the right to an agent recorded as given, with the
    date of the sentence's 于…告知 when stated (else True)."""
    m = _VICTIM_NOTICE.search(x.s)
    if m:
        a, b = x.sentence(m.start())
        d = None
        for dm in _NOTICES_GIVEN_ON.finditer(x.s, a, m.start() + 1):
            d = dm
        iso = nz.parse_date(d.group(1)) if d else None
        x.put(vocab.VICTIM_NOTIFIED, iso or True, (d.start(1), d.end(1)) if d and iso else (m.start(), m.end()))



#: Lowest line confidence (OCR) at which a read 落款 block counts as read completely.
CLOSING_CONFIDENCE = 0.9
_DATE_CLOSE = re.compile(rf"(?:^|[\n\t])[^\n]{{0,24}}?(?:{nz.DATE_PATTERN})\s*(?=\n|$)")


@extractor("sections")
def sections(x: Extraction) -> None:
    """Which parts the document's templates declare are present (names of ``models.vocab`` *_SECTIONS).

    Positive evidence only: a part is ``False`` (absent) only when the document's structure
    was located — its title read and its end (落款, from the templates' ``end`` patterns)
    found; a part that follows the 落款 (``after: end``) additionally needs the closing date
    read. Otherwise an unfound part is ``None`` (not located), which rules report as a hint.
    :data:`vocab.STRUCTURE` records what was located: template, end marker, section spans.
    """
    specs = templates.section_specs(x.type)
    if not specs:
        return
    end = next((m for p in templates.end_patterns(x.type) for m in [p.search(x.s)] if m), None)
    close = None
    if end is not None:
        close = next(iter(_DATE_CLOSE.finditer(x.s, end.start())), None)
    holding = pt.OPINION_START.search(x.s)
    found: dict[str, bool | None] = {}
    read: dict[str, str] = {}
    spans: list[tuple[int, int]] = []
    for name, spec in specs.items():
        start = holding.start() if holding and spec.after == "holding" else 0
        hit = None
        for group in spec.regexes():
            ms = [r.search(x.s, start) for r in group]
            if all(ms):
                hit = ms[0]
                break
        if hit:
            found[name] = True
            read[name] = x.s[hit.start():hit.end()].strip()[:40]
            if len(spans) < 6:
                spans.append((hit.start(), hit.end()))
        elif end is None or (spec.after == "end" and close is None):
            found[name] = None
        elif spec.subject and any(re.search(p, x.s[close.end():] if spec.after == "end" and close else x.s)
                                  for p in spec.subject):
            found[name] = None  # the document speaks of it in a wording no template knows
        else:
            found[name] = False
    x.put(vocab.SECTIONS, found, spans)
    variant = templates.variant_of(x.type, x.title)
    closing = x.t.spans_between(end.start(), len(x.s)) if end else []
    x.put(vocab.STRUCTURE, {"template": variant.name if variant else x.type,
                            "end": x.s[end.start():end.end()].strip() if end else None,
                            "closing_date": close.group(0).strip() if close else None,
                            # the 落款 block read with confidence: what it lacks is absent (positive evidence)
                            "closing_read": bool(closing) and min(sp.line.confidence for sp in closing) >= CLOSING_CONFIDENCE
                            and not any(_under_seal(sp) for sp in closing) and not _blank_under_seal(x),
                            "sections": read}, (end.start(), end.end()) if end else None)


def _under_seal(span: Any) -> bool:
    """A line of the 落款 this scan's OCR read under a seal: characters there may be lost in the red ink
    (书记员 王某 read as 书记 … 新), so what the block lacks is not known to be absent. A text layer loses
    nothing; a double-layer PDF's OCR layer is taken as written (as for numbers, ``extractors.text``)."""
    if span.page.text_source != "ocr" or not span.page.ocr_run:
        return False
    x0, y0, x1, y1 = span.line.bbox
    return any(m.kind == "seal" and min(x1, m.bbox[2]) > max(x0, m.bbox[0]) and min(y1, m.bbox[3]) > max(y0, m.bbox[1])
               for m in span.page.marks)


def _blank_under_seal(x: Extraction) -> bool:
    """This scan's OCR read (almost) nothing under a seal on the document's last page: on a grey or
    heavily sealed scan the 落款 lines under it (审判长…, the date) are lost, not absent."""
    if not x.t.spans:
        return False
    page = x.t.spans[-1].page
    if page.text_source != "ocr" or not page.ocr_run:
        return False
    for m in page.marks:
        if m.kind != "seal":
            continue
        read = sum(len(compact(ln.text)) for ln in page.lines
                   if min(ln.bbox[2], m.bbox[2]) > max(ln.bbox[0], m.bbox[0]) and min(ln.bbox[3], m.bbox[3]) > max(ln.bbox[1], m.bbox[1]))
        if read < SEAL_READ_CHARS:
            return True
    return False


#: Characters OCR must read under a 落款 seal for the 落款 to count as read (a seal covers the
#: organ name and date, some 10–20 characters).
SEAL_READ_CHARS = 6


@extractor("sentence_term")
def sentence_term(x: Extraction) -> None:
    """``term_start``/``term_end``: the start and end of the sentence served, both ends real dates."""
    term = re.search(r"自\s*([^。，,起]{6,20}?)\s*起\s*至\s*([^。，,止]{6,20}?)\s*止", x.s)
    if term and nz.parse_date(term.group(1)) and nz.parse_date(term.group(2)):
        x.put(vocab.TERM_START, nz.parse_date(term.group(1)), (term.start(1), term.end(1)))
        x.put(vocab.TERM_END, nz.parse_date(term.group(2)), (term.start(2), term.end(2)))


@extractor("appeal_notice")
def appeal_notice(x: Extraction, told: str, holding: str, mentioned: str) -> None:
    """``appeal_notice``: True where ``told`` (the appeal sentence) is found; False, with lower confidence,
    where the ``holding`` is there and the text never ``mentioned`` an appeal."""
    a = re.search(told, x.s)
    if a:
        x.put(vocab.APPEAL_NOTICE, True, (a.start(), a.end()))
        return
    d = re.search(holding, x.s)
    if d and not re.search(mentioned, x.s):
        x.put(vocab.APPEAL_NOTICE, False, (d.start(), d.end()), confidence=0.85)


@extractor("missing_signer")
def missing_signer(x: Extraction, field: str, present: str, label: str, tail: int, value: Any = "") -> None:
    """``field`` recorded as read and empty (``value``): the 落款 names signers (``present`` was read) but
    ``label`` (a regex) is nowhere in its last ``tail`` characters; the rules then report who is missing."""
    if present in x.fields and field not in x.fields and not re.search(label, x.s[-tail:]):
        x.fields[field] = Field(value=value, evidence=[], confidence=0.8, recognizer=x.current[0],
                                pattern=label)
