"""Signature, fingerprint and seal slots: where a mark belongs, and whether it is there.

A slot is found from its printed label (``被讯问人（签名）：``, ``值班律师（签名）：``,
``检察官``, ``书记员`` …). Its region is the space right of the label on the same row
(up to the next printed segment), a little taller than the row. It is filled when
(a) a printed name sits in the region (typeset 署名 such as ``检察官  张三``; for a slot
that needs a signature a typed name is not one: not filled on a text layer, undecided on
a scan where it may be handwriting read as print), or (b) a :class:`~models.Mark` of the
right kind found on the page image overlaps it. Seals are
looked for around the closing organ name and date (落款).

Slots whose page had no image analysis (no marks computed) are ``filled=None`` unless a
printed name decides them.
"""

from __future__ import annotations

import re
from dataclasses import replace

from models import Evidence, Line, Mark, Page, Slot, vocab

from extractors import templates
from extractors.lexicon import is_person_name
from extractors.normalize import parse_date
from extractors.templates import SlotSpec
from extractors.text import compact

BBox = tuple[float, float, float, float]



_GUARDIAN = vocab.SLOT_GUARDIAN_SIGNATURE


def rules_for(doc_type: str) -> tuple[SlotSpec, ...]:
    """The slot specs the declared templates give for a document type."""
    return templates.slot_specs(doc_type)


def sealed() -> set[str]:
    """Document types that carry the issuing organ's seal at the 落款 (role decided by the organ: 公章 / 院印)."""
    return templates.sealed_types()


_POLICE = re.compile(r"公安|看守所|派出所|分局")
_ORGAN = re.compile(r"公安|看守所|派出所|分局|检察院|法院")

_KIND_MARKS = {"signature": ("handwriting",), "fingerprint": ("fingerprint", "red_ink"), "seal": ("seal", "red_ink"),
               "name": ("handwriting",), "date": ("handwriting",)}
#: A 落款 date line; the year may have lost a character to OCR (``二二二年`` for 二〇二二年): it anchors a place, its value is read elsewhere.
_DATE_LINE = re.compile(r"^[\u4e00-\u9fff]{0,20}?(?:[0-9〇零○一二三四五六七八九]{3,4}年[0-9一二三四五六七八九十]{1,3}月[0-9一二三四五六七八九十]{1,3}日)$")


def mark_zones(doc_type: str, pages: list[Page]) -> dict[int, tuple[float, bool]]:
    """Pages worth rendering for marks: ``{page number: (top of the zone in points, look for handwriting)}``.

    The zone starts a little above the highest slot label (or above the 落款 for a seal), so
    only the part of the page below it is rendered; handwriting is only looked for when a
    signature label is on the page (it is the slowest detector).
    """
    rules = rules_for(doc_type)
    out: dict[int, tuple[float, bool]] = {}
    for p in pages:
        top = None
        hand = False
        for line in p.lines:
            t = compact(line.text)
            rule = next((r for r in rules if r.match(t) and _in_zone(r, p, line, pages)), None)
            if rule is not None:
                top = line.bbox[1] - 40 if top is None else min(top, line.bbox[1] - 40)
                hand = hand or rule.kind in ("signature", "date")
        if doc_type in sealed() and p is pages[-1]:
            dates = [ln for ln in p.lines if _DATE_LINE.match(compact(ln.text))]
            if dates:
                y = dates[-1].bbox[1] - 130
                top = y if top is None else min(top, y)
        if top is not None:
            out[p.number] = (max(0.0, top), hand)
    return out


def _in_zone(rule: SlotSpec, page: Page, line: Line, pages: list[Page]) -> bool:
    """Whether a label at ``line`` lies in the zone its template declares for the slot:
    ``end`` — the last page, or the lower part of any page (page footers); ``header`` — the
    upper part of the first page; ``every_page`` — anywhere."""
    if rule.zone == "every_page":
        return True
    if not pages:
        return False
    if rule.zone == "header":
        return page is pages[0] and line.bbox[1] < _header_bottom(page, sign_places=False)
    in_header = page is pages[0] and line.bbox[1] < _header_bottom(page)
    return not in_header and (page is pages[-1] or _on_last_lines(page, line))


def _header_bottom(page: Page, sign_places: bool = True) -> float:
    """Where a document's header rows (时间、地点、讯问人、受送达人 … filled-in form rows) end on its
    first page: the top of the first paragraph line (a long line of running text) or of the first
    empty place to sign (a bare ``label：`` or a ``（签名）`` label; with ``sign_places`` only — a
    header may itself hold places to sign, 讯问人（签名）), else 60 % of the page."""
    limit = page.height * 0.6 if page.height else 1e9
    for ln in page.lines:
        if ln.bbox[1] > limit:
            break
        t = compact(ln.text)
        if (len(t) >= 22 and not _LABEL_ROW.match(t)) or (sign_places and _SIGN_PLACE.search(t)):
            return ln.bbox[1]
    return limit


_DATE_TAIL = re.compile(r"[0-9〇零○一二三四五六七八九十]{2,4}年[0-9一二三四五六七八九十]{1,3}月[0-9一二三四五六七八九十]{1,3}日$")
_SIGN_PLACE = re.compile(r"^[\u4e00-\u9fff]{2,10}[：:]$|[（(](?:签名|签字|盖章)")
_LABEL_ROW = re.compile(r"^[\u4e00-\u9fff（）()]{2,12}[：:]")


def find_slots(doc_type: str, pages: list[Page], doc_id: str, analysed: set[tuple[str, int]],
               expected: dict[str, int] | None = None) -> list[Slot]:
    """All slots of one document; ``analysed`` are the ``(file, page number)`` pairs whose marks
    were computed (page numbers alone collide: every loose image is page 1 of its file).

    A slot opens where a label its template declares (with synonyms) heads a line inside the
    slot's zone; what follows the label on that line (a name under a pen stroke, a date) is
    read as the slot's content. ``expected`` gives, per shared-label role (讯问人), how many
    signers the document lists; fewer signatures found right of that label add unsigned
    slots for the missing ones.
    """
    slots: list[Slot] = []
    rules = rules_for(doc_type)
    last = pages[-1] if pages else None
    end_roles: set[str] = set()
    header: list[Slot] = []
    for page in pages:
        for whole in page.lines:
            t = compact(whole.text)
            head = _ocr_label_head(t) if page.text_source == "ocr" else ""
            for rule in rules:
                line = whole
                m = rule.match(t)
                if not m and page.text_source == "ocr" and not any(r.match(t) for r in rules):
                    m = _ocr_label(rule, t) or _label_under_seal(rule, page, whole, t)
                cut = m.end() if m else 0
                if not m and head:
                    # OCR read the label and what was written after it as one OCR line: the label is its
                    # head, taken when the rest is a handwritten date or a signature read as letters
                    # (typed names after a label are header fields far more often than signatures)
                    m = rule.match(head) if _written_rest(rule, t[len(head):]) else None
                    cut = len(head)
                if not m or not _in_zone(rule, page, whole, pages):
                    continue
                if rule.zone == "end":
                    end_roles.add(rule.role)
                rest = t[cut:].strip()
                if rest and rule.kind in ("signature", "fingerprint") and not m.group("sign") \
                        and not _content_of_slot(page, _DATE_TAIL.sub("", rest)):
                    continue  # ``受送达人：被告人张三`` is a form row, not a signature place
                if rest:
                    line = _head_line(whole, cut, len(t))
                done = (page.file, page.number) in analysed
                first_new = len(slots)
                if rule.kind == "fingerprint" and _guardian_row(page, whole):
                    rule = replace(rule, role=_GUARDIAN, multi=False, with_fingerprint=False)
                if rule.multi and done:
                    merged = [Mark(kind="handwriting", bbox=(line.bbox[2], *whole.bbox[1:]), score=0.5)] \
                        if page.text_source == "ocr" and _scribble(rest) else []
                    slots.extend(_multi(rule, page, line, doc_id, (expected or {}).get(rule.role, 1), merged))
                else:
                    slots.append(_decide(rule, page, line, rest, doc_id, done))
                if rule.with_fingerprint and not m.group("sign"):
                    fp = replace(rule, role=vocab.SLOT_SUSPECT_FINGERPRINT, kind="fingerprint", with_fingerprint=False)
                    slots.append(_decide(fp, page, line, rest, doc_id, done))
                for slot in slots[first_new:]:
                    slot.template = rule.template
                if rule.zone == "header":
                    header.extend(slots[first_new:])
                break
    # a document follows one variant: where its end carries the signers' labels (检察机关 form), the
    # header row of the same role (讯问人：张三、李四) lists them and is not where they sign (公安 form)
    drop = {id(x) for x in header if x.role in end_roles and x.filled is False}
    slots = [x for x in slots if id(x) not in drop]
    if doc_type in sealed() and last is not None:
        seal = _seal_slot(last, doc_id, (last.file, last.number) in analysed, pages[0])
        if seal:
            slots.append(seal)
    return slots


def _guardian_row(page: Page, line: Line) -> bool:
    """A 捺指印 label that follows 法定代理人/合适成年人 on its row belongs to the guardian."""
    left = [seg for seg in page.lines if seg is not line and _same_row(seg, line) and seg.bbox[0] < line.bbox[0]]
    left.sort(key=lambda seg: seg.bbox[0])
    return bool(left) and bool(re.match(r"(?:法定代理人|合适成年人)", compact(left[-1].text)))


def _multi(rule: SlotSpec, page: Page, line: Line, doc_id: str, expected: int = 1,
           merged: list[Mark] | None = None) -> list[Slot]:
    """One slot per signature found right of a label shared by several signers (讯问人, 执行人).

    With ``expected`` signers listed and fewer signatures found, the shortfall becomes unsigned
    slots. ``merged`` are signatures OCR read as letters on the label's own line.
    """
    region = _region(page, line, width=260.0)
    ev = _evidence(page, line, doc_id)
    hits = sorted([*(m for m in page.marks if m.kind == "handwriting" and _overlap(region, m.bbox) > 0.3),
                   *_ocr_read_signatures(page, line), *(merged or [])], key=lambda m: m.bbox[0])
    if not hits:
        return [Slot(role=rule.role, kind=rule.kind, page=page.number, file=page.file, filled=False, confidence=0.8, bbox=region,
                     evidence=ev)]
    found = [Slot(role=rule.role, kind=rule.kind, page=page.number, file=page.file, filled=True,
                  confidence=round(min(1.0, 0.6 + 0.4 * m.score), 3), bbox=m.bbox, evidence=ev) for m in hits]
    # two signatures written close together are found as one wide mark: count by width (a name is < 10 line heights)
    h = max(line.bbox[3] - line.bbox[1], 1.0)
    signed = sum(1 + int((m.bbox[2] - m.bbox[0]) // (10 * h)) for m in hits)
    gap = (hits[-1].bbox[2], region[1], region[2], region[3])
    # on a scan, OCR'd handwriting wide enough for two names cannot be counted reliably: leave it undecided
    ink = sum(m.bbox[2] - m.bbox[0] for m in hits)
    unsure = page.text_source == "ocr" and ink >= 6 * h
    return found + [Slot(role=rule.role, kind=rule.kind, page=page.number, file=page.file, filled=None if unsure else False,
                         confidence=0.5 if unsure else 0.7, bbox=gap, evidence=ev) for _ in range(expected - signed)]


#: Below this recognition confidence, 2–4 characters right of a signature label are a handwritten
#: name OCR misread as characters that make no name, not printed text: print is read at 0.9 and above.
SCRAWL_CONFIDENCE = 0.8
_NAME_SHAPE = re.compile(r"[\u4e00-\u9fff]{2,4}")


def _ocr_read_signatures(page: Page, label: Line) -> list[Mark]:
    """On a scan, handwritten names that OCR read as printed text, right of a shared signature label.

    Takes the lines on the label's row, right of it and before the next label (text with ：),
    whose text is a person's name — or has a name's shape but was read with low confidence (a
    handwritten name misread); each counts as a signature with a lower score.
    """
    if page.text_source != "ocr":
        return []
    y0, y1 = label.bbox[1], label.bbox[3]
    row = sorted((ln for ln in page.lines if ln is not label and ln.bbox[0] >= label.bbox[2] - 1
                  and min(y1, ln.bbox[3]) - max(y0, ln.bbox[1]) > 0.5 * (y1 - y0)), key=lambda ln: ln.bbox[0])
    out: list[Mark] = []
    for ln in row:
        text = compact(ln.text)
        if "：" in text or ":" in text:
            break
        if is_person_name(text) or (ln.confidence < SCRAWL_CONFIDENCE and _NAME_SHAPE.fullmatch(text)):
            out.append(Mark(kind="handwriting", bbox=ln.bbox, score=0.5))
    return out


def _evidence(page: Page, line: Line, doc_id: str) -> Evidence:
    return Evidence(document_id=doc_id, file=page.file, page=page.number, text=compact(line.text), bbox=line.bbox,
                    text_source=page.text_source if page.text_source in ("text-layer", "ocr") else "text-layer")


def _on_last_lines(page: Page, line: Line) -> bool:
    return line.bbox[1] > page.height * 0.45


def _region(page: Page, line: Line, width: float = 170.0) -> BBox:
    x0 = line.bbox[2]
    nxt = [seg.bbox[0] for seg in page.lines if seg is not line and _same_row(seg, line) and seg.bbox[0] > x0 + 20
           and not _signed_text(compact(seg.text)) and not _mark_read_as_text(seg, page)]
    x1 = min([x0 + width] + nxt)
    h = line.bbox[3] - line.bbox[1]
    return (x0, line.bbox[1] - 1.2 * h, x1, line.bbox[3] + 1.2 * h)


def _mark_read_as_text(seg: Line, page: Page | None = None) -> bool:
    """An OCR segment that is a mark read as text: a fingerprint or seal fragment recognised as one
    or two unsure Latin characters or symbols (``O``, ``@``), or as anything at all where the page
    image shows a fingerprint or seal under most of it (``O`` read with confidence 0.89); or a few
    unsure characters on handwriting (a signature read as text)."""
    t = compact(seg.text)
    if len(t) <= 2 and not re.search(r"[\u4e00-\u9fff]", t):
        if seg.confidence < 0.8:
            return True
        return page is not None and any(m.kind in ("fingerprint", "seal", "red_ink") and _overlap(m.bbox, seg.bbox) > 0.5
                                        for m in page.marks)
    # handwriting OCR read as a few unsure characters (a second signature read as 子尹)
    return (page is not None and seg.confidence < 0.8 and len(t) <= 4
            and sum(_overlap(m.bbox, seg.bbox) for m in page.marks if m.kind == "handwriting") >= 0.4)


def _signed_text(text: str) -> bool:
    """A segment that is a slot's content (a name, possibly several, or a signature read as letters)."""
    names = [n for n in re.split(r"[、，,\s]+", text) if n]
    return bool(names) and all(is_person_name(n) for n in names) or _scribble(text)


def _ocr_label(rule: SlotSpec, text: str) -> re.Match | None:
    """A label OCR read with one character lost (``书员彭某某`` for ``书记员 彭某某``), taken only when
    what follows is what the slot holds: a name for a name slot, nothing or a scribble otherwise."""
    m = rule.ocr_regex.match(text.translate(templates.FULLWIDTH_PUNCT))
    if m is None:
        return None
    rest = text[m.end():].strip()
    if rule.kind == "name":
        return m if _signed_text(rest) else None
    return m if (m.group("sign") or m.group("colon")) and (not rest or _scribble(rest)) else None


def _label_under_seal(rule: SlotSpec, page: Page, line: Line, text: str) -> re.Match | None:
    """A line that is nothing but a label whose first character the seal covers (``察官`` for
    ``检察官`` where the 院印 lies over the 落款): OCR loses the character under the red ink, and a
    line of the label alone, starting inside a seal, is the label (text anywhere else is not)."""
    if not any(mk.kind == "seal" and mk.bbox[0] <= line.bbox[0] <= mk.bbox[2] and _overlap(mk.bbox, line.bbox) > 0
               for mk in page.marks):
        return None
    alts = sorted({lb[1:] for lb in rule.labels if not lb.startswith("re:") and len(lb) >= 3}, key=len, reverse=True)
    if not alts:
        return None
    return re.fullmatch(rf"(?:{'|'.join(map(re.escape, alts))})(?P<sign>)(?P<colon>[：:])?",
                        text.translate(templates.FULLWIDTH_PUNCT))


def _content_of_slot(page: Page, rest: str) -> bool:
    """Whether what follows a bare ``label：`` is what a slot holds: nothing, a signature read as
    letters, or — on a text layer, where a signature may be written as text under its strokes — a
    name. On a scan a typed-looking name after ``label：`` is taken for a header field."""
    if not rest or _scribble(rest):
        return True
    return page.text_source == "text-layer" and _signed_text(rest)


def _same_row(a: Line, b: Line) -> bool:
    ca, cb = (a.bbox[1] + a.bbox[3]) / 2, (b.bbox[1] + b.bbox[3]) / 2
    return abs(ca - cb) <= 0.45 * max(a.bbox[3] - a.bbox[1], b.bbox[3] - b.bbox[1], 1.0)


def _overlap(a: BBox, b: BBox) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    area = (b[2] - b[0]) * (b[3] - b[1])
    return w * h / max(area, 1.0)


def _decide(rule: SlotSpec, page: Page, line: Line, rest: str, doc_id: str, analysed: bool) -> Slot:
    region = _region(page, line)
    ev = Evidence(document_id=doc_id, file=page.file, page=page.number, text=compact(line.text), bbox=line.bbox,
                  text_source=page.text_source if page.text_source in ("text-layer", "ocr") else "text-layer")
    printed = _printed_name(rest) or _printed_in_region(page, line, region)
    if rest and not printed and page.text_source == "ocr" and _written_rest(rule, rest):
        # written after the label and read with it as one OCR line
        return Slot(role=rule.role, kind=rule.kind, page=page.number, file=page.file, filled=True, confidence=0.6,
                    bbox=region, evidence=ev)
    if printed and (rule.printed_name_ok or rule.kind == "name"):
        return Slot(role=rule.role, kind=rule.kind, page=page.number, file=page.file, filled=True, confidence=0.95, who=printed,
                    bbox=region, evidence=ev)
    if rule.kind == "name":
        return Slot(role=rule.role, kind=rule.kind, page=page.number, file=page.file, filled=False, confidence=0.8, bbox=region, evidence=ev)
    wanted = _KIND_MARKS[rule.kind]
    hits = [m for m in page.marks if m.kind in wanted and _overlap(region, m.bbox) > 0.3]
    if rule.kind == "signature":
        hits = [m for m in hits if m.kind == "handwriting"] or [m for m in hits if m.kind != "fingerprint"]
    if hits:
        best = max(hits, key=lambda m: m.score)
        return Slot(role=rule.role, kind=rule.kind, page=page.number, file=page.file, filled=True, confidence=round(min(1.0, 0.6 + 0.4 * best.score), 3),
                    bbox=best.bbox, evidence=ev)
    if printed:
        # a typed name is not a signature: certain on a text layer (handwriting is never text
        # there); on a scan the name may be handwriting read as print, so the reviewer decides; a page
        # whose image was not analysed (pictures not placeable) leaves marks beside the name unknown
        if page.text_source == "text-layer" and analysed:
            return Slot(role=rule.role, kind=rule.kind, page=page.number, file=page.file, filled=False, confidence=0.8,
                        who=printed, bbox=region, evidence=ev)
        return Slot(role=rule.role, kind=rule.kind, page=page.number, file=page.file, filled=None, confidence=0.3,
                    who=printed, bbox=region, evidence=ev)
    if not analysed:
        return Slot(role=rule.role, kind=rule.kind, page=page.number, file=page.file, filled=None, confidence=0.0, bbox=region, evidence=ev)
    return Slot(role=rule.role, kind=rule.kind, page=page.number, file=page.file, filled=False, confidence=0.85, bbox=region, evidence=ev)


def _ocr_label_head(text: str) -> str:
    """The ``label：`` head of an OCR line that goes on after the colon (``签收日期：2023年12月13日``,
    ``讯问人：VKCR``), or '' when there is none."""
    m = re.match(r"^[^：:]{2,14}[：:]", text)
    return m.group(0) if m and len(text) > m.end() else ""


def _head_line(line: Line, n_head: int, n_all: int) -> Line:
    """The part of ``line`` holding its first ``n_head`` of ``n_all`` characters (box cut in proportion)."""
    x0, y0, x1, y1 = line.bbox
    return Line(text=line.text[:n_head], bbox=(x0, y0, x0 + (x1 - x0) * n_head / max(n_all, 1), y1),
                confidence=line.confidence)


def _written_rest(rule: SlotSpec, rest: str) -> bool:
    """OCR text after a slot's label that shows the slot was written in: a date in a date slot,
    a signature read as letters in a signature slot."""
    return (rule.kind == "date" and parse_date(rest) is not None) or (rule.kind == "signature" and _scribble(rest))


def _scribble(rest: str) -> bool:
    """Text OCR makes of a handwritten signature: mostly Latin letters and digits (``VKCR``, ``L VN``)."""
    rest = rest.replace(" ", "")
    return len(rest) >= 2 and sum(c.isascii() and c.isalnum() for c in rest) >= 0.6 * len(rest)


def _printed_name(rest: str) -> str | None:
    m = re.match(r"[：:\s]*([\u4e00-\u9fff]{2,4})", rest)
    if m and is_person_name(m.group(1)):
        return m.group(1)
    return None


def _printed_in_region(page: Page, label: Line, region: BBox) -> str | None:
    for seg in page.lines:
        if seg is label or not _same_row(seg, label) or seg.bbox[0] < label.bbox[2] - 1 or seg.bbox[0] > region[2]:
            continue
        name = compact(seg.text)
        if is_person_name(name):
            return name
    return None


def _seal_slot(page: Page, doc_id: str, analysed: bool, first: Page | None = None) -> Slot | None:
    """The seal over the 落款: the region around the last date line (and the organ line above it)."""
    date_lines = [i for i, ln in enumerate(page.lines) if _DATE_LINE.match(compact(ln.text))]
    if not date_lines:
        # the date may be under the seal itself (a grey scan: nothing to fade, nothing read): a seal on
        # the document's last page is the 院印 of its 落款; without one the place is not located
        seals = [m for m in page.marks if m.kind == "seal"]
        if not seals:
            return None
        best = max(seals, key=lambda m: m.score)
        organ = " ".join(compact(ln.text) for ln in ((first or page).lines[:2]))
        role = getattr(vocab, "SLOT_ORGAN_SEAL", "公章") if _POLICE.search(organ) else vocab.SLOT_COURT_SEAL
        return Slot(role=role, kind="seal", page=page.number, file=page.file, filled=True,
                    confidence=round(min(1.0, 0.6 + 0.4 * best.score), 3), bbox=best.bbox,
                    evidence=Evidence(document_id=doc_id, file=page.file, page=page.number, text="印章", bbox=best.bbox,
                                      text_source="ocr" if page.text_source == "ocr" else "text-layer"))
    k = date_lines[-1]
    anchor = page.lines[k]
    organ = " ".join(compact(ln.text) for ln in page.lines[max(0, k - 2):k + 1])
    if not _ORGAN.search(organ) and first is not None:
        # the 落款 organ name is broken up (a seal over it on a scan): the issuing organ heads the document
        organ = " ".join(compact(ln.text) for ln in first.lines[:2])
    role = getattr(vocab, "SLOT_ORGAN_SEAL", "公章") if _POLICE.search(organ) else vocab.SLOT_COURT_SEAL
    cx = (anchor.bbox[0] + anchor.bbox[2]) / 2
    region = (max(0.0, cx - 110), anchor.bbox[1] - 110, min(page.width, cx + 110), anchor.bbox[3] + 60)
    ev = Evidence(document_id=doc_id, file=page.file, page=page.number, text=compact(anchor.text), bbox=anchor.bbox,
                  text_source=page.text_source if page.text_source in ("text-layer", "ocr") else "text-layer")
    hits = [m for m in page.marks if m.kind in ("seal", "red_ink") and _overlap(region, m.bbox) > 0.3]
    if hits:
        best = max(hits, key=lambda m: (m.kind == "seal", m.score))
        conf = 0.6 + 0.4 * best.score if best.kind == "seal" else 0.6
        return Slot(role=role, kind="seal", page=page.number, file=page.file, filled=True, confidence=round(min(conf, 1.0), 3),
                    bbox=best.bbox, evidence=ev)
    if not analysed:
        return Slot(role=role, kind="seal", page=page.number, file=page.file, filled=None, confidence=0.0, bbox=region, evidence=ev)
    return Slot(role=role, kind="seal", page=page.number, file=page.file, filled=False, confidence=0.8, bbox=region, evidence=ev)
