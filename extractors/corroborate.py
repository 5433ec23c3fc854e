"""Dates read under a seal, corroborated by the rest of the dossier.

OCR reads the 落款 date of a sealed document through the seal's red ink, and a thin digit can go
with it (``2022年8月18日`` read as ``8月1日``); such a value is kept with a low confidence
(``extractors.text.SEAL_GAP_FACTOR``) and the rules do not conclude on it. But the same date is
usually written again elsewhere in the dossier, in running text no seal covers: the 起诉书 cites
the day the arrest was approved, the 逮捕证 the day it was executed, the 起诉意见书 the day the
case was sent. A reading that another document states in full is confirmed — a lost digit would
give a different date, which the other documents would not repeat — and gets its confidence back,
with the other document's words as evidence. A reading that is exactly one of the dates the
others state with a character or two missing (``二〇二一年一月十三日`` where the others say 11月13日:
the 十 of 十一月 went with the seal's ink) is that date; so is a 落款 date the templates located but
that did not parse for the characters it lost (``二二年十月二十九日``). Any other reading stays uncertain.
"""

from __future__ import annotations

import re
from collections import defaultdict

from models import UNSURE_BELOW, Document, Evidence, Field, vocab

from extractors.normalize import DATE_CHARS, DATE_RE, date_spellings, parse_date

#: Confidence of a reading another document confirms.
CONFIRMED = 0.85
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: The value of a located 落款 date that did not parse, while the others are searched for it.
UNREAD_DATE = "0000-00-00"


def _mentions(doc: Document) -> dict[str, tuple[int, int]]:
    """ISO dates written in a document's text, with the span of their first mention."""
    out: dict[str, tuple[int, int]] = {}
    text = doc.text or ""
    prev: str | None = None
    for m in DATE_RE.finditer(text):
        iso = parse_date(m.group(0), prev)
        if iso:
            prev = iso
            out.setdefault(iso, (m.start(), m.end()))
    return out


#: Characters a reading under a seal may have lost, at most.
MAX_LOST = 2
#: A line that is nothing but a date.
_DATE_LINE = re.compile("[\\s" + "".join(sorted(DATE_CHARS)) + "]+")
_WHOLE_PARTS = re.compile(r"[^年月日]+年[^年月日]+月[^年月日]+日")
#: How many of a document's last lines may hold its 落款 date.
CLOSING_LINES = 8


def _date_text(f: Field) -> str:
    """The date as read (the evidence's snippet), spaces and anything before the year left out."""
    if f.value == UNREAD_DATE:
        return f.evidence[0].text
    for e in f.evidence:
        m = DATE_RE.search(e.text or "")
        if m:
            return re.sub(r"\s", "", m.group(0))
    return ""


def _lost_from(read: str, iso: str) -> bool:
    """``read`` is one spelling of the date ``iso`` with 1–:data:`MAX_LOST` characters missing and
    nothing else changed (a subsequence), and still has something of its year, month and day: a
    part lost whole (``二〇二二年月二十七日``) fits any month, and which one the document said is a
    guess, even when only one of them is written elsewhere in the case."""
    if not _WHOLE_PARTS.fullmatch(read):
        return False
    for full in date_spellings(iso):
        if not 0 < len(full) - len(read) <= MAX_LOST:
            continue
        it = iter(full)
        if all(ch in it for ch in read):
            return True
    return False


def _unparsed_closing_date(doc: Document) -> Field | None:
    """The 落款 date OCR read with characters lost, so that it did not parse (``二二年十月二十九日``:
    the 〇 of 二〇二〇 went with the seal's ink; ``二〇二一年十月二六日``: the 十 of 二十六), as a placeholder
    reading, when the document has no date: the date the templates located as the 落款, else the
    last line of the document that is nothing but a date. Text layers are what they say: OCR only."""
    if vocab.DATE in doc.fields or doc.text_source != "ocr":
        return None
    structure = doc.fields.get(vocab.STRUCTURE)
    candidates = []
    if structure is not None and isinstance(structure.value, dict) and structure.evidence:
        candidates.append((structure.value.get("closing_date") or "", structure.evidence[0]))
    tail = [ln for ln in (doc.text or "").split("\n") if ln.strip()][-CLOSING_LINES:]
    page = doc.pages[-1] if doc.pages else 1
    candidates += [(ln, Evidence(document_id=doc.id, file=doc.file, page=page, text=ln.strip(), text_source="ocr"))
                   for ln in reversed(tail) if _DATE_LINE.fullmatch(ln)]
    for text, evidence in candidates:
        read = "".join(ch for ch in text if ch in DATE_CHARS)
        if re.fullmatch(r"[^年月日]+年[^年月日]*月?[^年月日]+日", read) and not parse_date(read):
            return Field(value=UNREAD_DATE, evidence=[evidence.model_copy(update={"text": read})], confidence=0.0)
    return None


def corroborate_dates(documents: list[Document], text_of: dict[str, object] | None = None) -> int:
    """Give uncertain date fields whose reading another document states their confidence back (in
    place); a reading that is one date the others state less a character or two (lost under the
    seal) takes that date. ``text_of`` maps a document id to its :class:`~extractors.text.DocText`,
    for the confirming evidence's page and box. Returns how many fields were confirmed."""
    uncertain = [(d, name, f) for d in documents for name, f in d.fields.items()
                 if f.confidence < UNSURE_BELOW and isinstance(f.value, str) and _ISO.match(f.value)]
    uncertain += [(d, vocab.DATE, f) for d in documents if (f := _unparsed_closing_date(d)) is not None]
    if not uncertain:
        return 0
    where: dict[str, list[tuple[Document, tuple[int, int]]]] = defaultdict(list)
    for d in documents:
        for iso, span in _mentions(d).items():
            where[iso].append((d, span))
    confirmed = 0
    for doc, name, f in uncertain:
        iso = f.value[:10]
        others = [(d, span) for d, span in where.get(iso, []) if d.id != doc.id]
        if not others:
            # a character lost under the seal (二〇二一年一月十三日 for 十一月十三日): the reading is what one
            # date the others state looks like with a character or two missing
            read = _date_text(f)
            fits = {c for c, places in where.items() if c != iso and any(d.id != doc.id for d, _ in places)
                    and read and _lost_from(read, c)}
            if len(fits) != 1:
                continue
            iso = fits.pop()
            others = [(d, span) for d, span in where[iso] if d.id != doc.id]
            f = f.model_copy(update={"value": iso + f.value[10:]})
        other, (a, b) = others[0]
        dt_text = text_of.get(other.id) if text_of else None
        if dt_text is not None:
            extra = dt_text.evidence(a, b, CONFIRMED)
        else:
            extra = Evidence(document_id=other.id, file=other.file, page=other.pages[0] if other.pages else 1,
                             text=(other.text or "")[a:b], text_source=other.text_source
                             if other.text_source in ("text-layer", "ocr") else "text-layer")
        doc.fields[name] = Field(value=f.value, evidence=list(f.evidence) + [extra], confidence=CONFIRMED)
        confirmed += 1
    return confirmed
