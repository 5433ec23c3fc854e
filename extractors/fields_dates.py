"""Named extractors for dates that are not one pattern: the 落款 date, a stated receipt, an
acknowledgement, a record's time span.

Registered with :func:`extractors.recognizers.extractor` and called by name from a form's
``fields`` block (a date near context words is declared as data, see ``docs/recognizers.md``):

- ``closing_date`` — ``date``: the last row that is only a date (optionally with the organ name);
- ``receipt_date`` — ``received_date``: the procuratorate's receipt of the case as the document states it;
- ``acknowledged_date`` — the later of a labelled 日期 row (arg ``label``, a regex) and the dates on
  the notified person's acknowledgement rows (arg ``field``);
- ``record_time`` — ``start_time``/``end_time``/``date`` of a transcript's time row (arg ``label``,
  a regex for the row label): a date and time, then a second date-time or a bare end time.
"""

from __future__ import annotations

import datetime as dt
import re

from models import vocab

from extractors import normalize as nz
from extractors.recognizers import Extraction, extractor

_DATE_ONLY = re.compile(rf"^[\u4e00-\u9fff（）()]{{0,24}}?(?:{nz.DATE_PATTERN})[（(]?[\u4e00-\u9fff]{{0,6}}[）)]?$")


@extractor("closing_date")
def document_date(x: Extraction) -> None:
    """落款日期: the last row that is only a date (optionally with the organ name)."""
    rows = list(re.finditer(r"[^\n\t\f]+", x.s))
    for m in reversed(rows):
        row = m.group(0)
        if len(row) > 40 or "：" in row[:6]:
            continue
        if _DATE_ONLY.match(row):
            d = nz.DATE_RE.search(row)
            iso = nz.parse_date(row)
            if iso and d:
                x.put(vocab.DATE, iso, (m.start() + d.start(), m.start() + d.end()))
                return





#: The notified person's acknowledgement: 以上告知内容我已知晓 / 本告知书已于…向我送达 / 犯罪嫌疑人（签名）：….
_ACKNOWLEDGED = re.compile(r"已知晓|已知悉|已清楚|已收到|向我送达|向我告知|已向我|签收|(?:签名|签字|捺指印)[）)]?[：:]?")


def acknowledged_on(x: Extraction) -> tuple[str, int, int] | None:
    """The latest date on the rows of the notified person's acknowledgement (the row itself and
    the next one, where a signature's date is printed right-aligned below it), in the last part of
    the document; a row about the case's receipt (收到…移送) is not an acknowledgement."""
    found: list[tuple[str, int, int]] = []
    for m in _ACKNOWLEDGED.finditer(x.s, int(len(x.s) * 0.5)):
        a = max(x.s.rfind("\n", 0, m.start()), x.s.rfind("\f", 0, m.start())) + 1
        nl = x.s.find("\n", m.end())
        nl2 = x.s.find("\n", nl + 1) if nl >= 0 else -1
        b = nl2 if nl2 >= 0 else len(x.s)
        if re.search(r"移送|受理", x.s[a:b]):
            continue
        found += [(iso[:10], a + da, a + db) for da, db, iso in nz.all_dates(x.s[a:b])]
    return max(found) if found else None



#: The procuratorate's receipt stated with its date: 本院于2024年5月6日受理 / 本院已于…收到…移送审查起诉 /
#: 2024年5月6日本院受理. A date after 本院受理后，于… is the date of what followed (告知, 讯问), not the receipt.
_PLAIN_DATE = re.sub(r"\(\?P<\w+>", "(?:", nz.DATE_PATTERN)
_RECEIPT = re.compile(rf"本院(?:已|依法)?于\s*(?P<rd>{_PLAIN_DATE})\s*(?:依法)?(?:受理|收到)"
                      rf"|(?P<rd2>{_PLAIN_DATE})\s*[，,]?\s*本院(?:依法)?(?:受理|收到)")


@extractor("receipt_date")
def receipt_date(x: Extraction) -> None:
    """``received_date``: the receipt of the case for 审查起诉 as the document states it (see ``_RECEIPT``)."""
    for m in _RECEIPT.finditer(x.s):
        g = "rd" if m.group("rd") else "rd2"
        if "收到" in m.group(0)[-3:] and not re.search(r"移送|起诉|案卷|案件", x.s[m.end():m.end() + 40]):
            continue
        iso = nz.parse_date(m.group(g))
        if iso:
            x.put(vocab.RECEIVED_DATE, iso, (m.start(g), m.end(g)))
            return



@extractor("acknowledged_date")
def acknowledged_date(x: Extraction, field: str, label: str) -> None:
    """The date a notice was given: the form's labelled row (``label``, a regex) or the
    notified person's dated acknowledgement, the later of the two (a notice is given when received)."""
    labelled_date = re.search(rf"{label}[：:]?\s*(?P<v>{nz.DATE_PATTERN})", x.s)
    told = nz.parse_date(labelled_date.group("v")) if labelled_date else None
    told_at = (told, labelled_date.start("v"), labelled_date.end("v")) if told else None
    ack = acknowledged_on(x)
    best = max([d for d in (told_at, ack) if d], default=None, key=lambda d: d[0])
    if best:  # stated for this purpose, and not under the seal
        x.put(field, best[0], (best[1], best[2]))


@extractor("record_time")
def record_time(x: Extraction, label: str) -> None:
    """``start_time``, ``end_time`` and ``date`` from a transcript's time row: the dates and times after
    ``label`` (a regex), the end either a second date-time or a bare end time."""
    m = re.search(label, x.s)
    pos = m.end() if m else 0
    s = x.s
    dts = []
    if m:
        seg_end = min(len(s), pos + 80)
        nl = s.find("\n", pos)
        if 0 < nl < seg_end and not re.search(r"至|到", s[pos:nl]):
            seg_end = min(len(s), nl + 40)
        dts = [(a + pos, b + pos, iso) for a, b, iso in nz.all_dates(s[pos:seg_end])]
    if not dts:
        return
    a, b, iso = dts[0]
    x.put(vocab.START_TIME, iso, (a, b))
    rest = s[b: b + 40]
    if len(dts) > 1 and dts[1][0] - b < 12:
        x.put(vocab.END_TIME, dts[1][2], (dts[1][0], dts[1][1]))
    else:
        t = re.match(rf"\s*(?:至|到|—|-|～)\s*{nz.TIME_PATTERN}", rest)
        if t and t.group("h"):
            h = nz._hour(t)
            mi = nz._int(t.group("min")) if t.group("min") else 0
            if h is not None and mi is not None and h < 24 and mi < 60:
                end = dt.datetime.fromisoformat(iso[:10] + "T00:00").replace(hour=h, minute=mi)
                x.put(vocab.END_TIME, end.isoformat(timespec="minutes"), (b, b + t.end()))
    x.put(vocab.DATE, iso[:10], (a, b))
