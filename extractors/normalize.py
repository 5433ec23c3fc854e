"""Normalisers: Chinese legal-text values to JSON-friendly canonical forms.

Each function takes the text of one mention and returns the canonical value, or ``None``
when the text is not a valid instance (the "validation hook" of a recognizer):

- :func:`cn_number` — ``二十五`` / ``1,200`` / ``1.2万`` → number (cn2an).
- :func:`parse_date` — ``二〇二四年三月五日`` / ``2024年3月5日`` / ``2024-03-05``; ``同年3月8日`` and
  ``3月8日`` resolve against a previous date → ``YYYY-MM-DD``.
- :func:`parse_datetime` — ``2024年3月5日10时20分`` → ``2024-03-05T10:20``.
- :func:`parse_duration_months` — ``一年六个月`` → 18, ``五个月`` → 5, ``二年`` → 24.
- :func:`parse_sentence` — ``有期徒刑一年六个月，缓刑二年，并处罚金人民币三千元`` → Sentence dict.
- :func:`parse_money` — ``人民币三千元`` / ``3,000元`` / ``1.2万元`` → yuan (float).
- :func:`check_id_number` — GB 11643-1999 check digit of an 18-digit 公民身份号码.
- :func:`canonical_article` — ``第264条`` / ``第二百六十四条第一款`` → ``第二百六十四条第一款``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import cn2an

from models.validators import id_birth, id_gender, id_number_ok, plausible_date  # noqa: F401 - id_gender re-exported

CN_DIGITS = "〇零○Ｏ0一二三四五六七八九"
_CN_DIGIT_VALUE = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "0": 0, "一": 1, "二": 2, "三": 3, "四": 4,
                   "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "两": 2}
NUM_CHARS = "0-9０-９〇零○一二三四五六七八九十百千万两壹贰叁肆伍陆柒捌玖拾佰仟"

_FULLWIDTH = str.maketrans("０１２３４５６７８９：，．", "0123456789:,.")

DATE_PATTERN = (
    rf"(?:(?P<y>[0-9０-９]{{4}}|[〇零○Ｏ一二三四五六七八九]{{4}}|[一二12][〇零○Ｏ0九9][0-9〇零○Ｏ一二三四五六七八九]{{2}})年|(?P<same>同年|当年|本年))?"
    rf"(?P<m>[0-9０-９]{{1,2}}|十[一二]?|[一二三四五六七八九])月"
    rf"(?P<d>[0-9０-９]{{1,2}}|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九])[日号]"
)
TIME_PATTERN = (
    r"(?:(?P<ampm>凌晨|早上|上午|中午|下午|晚上|傍晚|夜间)?\s*"
    r"(?P<h>[0-9０-９]{1,2}|二十[一二三]?|十[一二三四五六七八九]?|[〇零一二三四五六七八九两])\s*[时点:：]\s*"
    r"(?:(?P<min>[0-9０-９]{1,2}|[一二三四五]?十[一二三四五六七八九]?|[〇零一二三四五六七八九])\s*分?)?)"
)
DATE_RE = re.compile(DATE_PATTERN)
DATETIME_RE = re.compile(DATE_PATTERN + r"\s*" + TIME_PATTERN + "?")
ISO_DATE_RE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")

ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")


def cn_number(text: str) -> float | None:
    """Chinese or Arabic numeral (with 万/亿, thousands separators) to a number; None if not one."""
    s = text.strip().translate(_FULLWIDTH).replace(",", "").replace("，", "")
    if not s:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return float(s)
    if re.fullmatch(r"[〇零○]+|[〇零○一二三四五六七八九]{2,}", s) and not re.search("[十百千万]", s):
        return float("".join(str(_CN_DIGIT_VALUE[c]) for c in s))
    try:
        value = cn2an.cn2an(s.replace("两", "二"), "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return float(value)


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    v = cn_number(text)
    return int(v) if v is not None else None


def _year(text: str) -> int | None:
    s = text.translate(_FULLWIDTH)
    if s.isdigit():
        return int(s)
    try:
        # OCR may mix the two scripts in one year (二〇二0): each character is one digit
        return int("".join(c if c.isdigit() else str(_CN_DIGIT_VALUE[c]) for c in s))
    except KeyError:
        return None


def _date_from_match(m: re.Match, previous: dt.date | None) -> dt.date | None:
    year = _year(m.group("y")) if m.group("y") else (previous.year if previous else None)
    month, day = _int(m.group("m")), _int(m.group("d"))
    if year is None or month is None or day is None:
        return None
    try:
        value = dt.date(year, month, day)
    except ValueError:
        return None
    if not plausible_date(value):
        return None
    return value


def parse_date(text: str, previous: str | dt.date | None = None) -> str | None:
    """First date in ``text`` as ``YYYY-MM-DD``.

    A date without a year (``同年3月8日``, ``3月8日``) takes the year of ``previous``; without
    ``previous`` it is not a date. Impossible dates (2月30日) give None.
    """
    prev = _as_date(previous)
    m = DATE_RE.search(text)
    if m:
        d = _date_from_match(m, prev)
        if d:
            return d.isoformat()
    m = ISO_DATE_RE.search(text.translate(_FULLWIDTH))
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            return None
    return None


def _as_date(value: str | dt.date | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _hour(m: re.Match) -> int | None:
    h = _int(m.group("h"))
    if h is None:
        return None
    if m.group("ampm") in ("下午", "晚上", "傍晚") and h < 12:
        h += 12
    if m.group("ampm") == "中午" and h < 11:
        h += 12
    return h if 0 <= h <= 24 else None


def datetime_from_match(m: re.Match, previous: dt.date | None = None) -> str | None:
    """ISO date or datetime from a :data:`DATETIME_RE` match (date only when no time is given)."""
    d = _date_from_match(m, previous)
    if d is None:
        return None
    if m.group("h") is None:
        return d.isoformat()
    h = _hour(m)
    minute = _int(m.group("min")) if m.group("min") else 0
    if h is None or minute is None or not 0 <= minute < 60:
        return d.isoformat()
    if h == 24:
        return (dt.datetime.combine(d, dt.time(0, minute)) + dt.timedelta(days=1)).isoformat(timespec="minutes")
    return dt.datetime.combine(d, dt.time(h, minute)).isoformat(timespec="minutes")


def parse_datetime(text: str, previous: str | dt.date | None = None) -> str | None:
    """First date-time in ``text``: ``YYYY-MM-DDTHH:MM``, or ``YYYY-MM-DD`` when no time is written."""
    m = DATETIME_RE.search(text)
    if m:
        return datetime_from_match(m, _as_date(previous))
    return parse_date(text, previous)


def all_dates(text: str, previous: str | dt.date | None = None) -> list[tuple[int, int, str]]:
    """Every date/datetime in ``text`` as ``(start, end, iso)``; yearless dates chain on the last one."""
    out: list[tuple[int, int, str]] = []
    prev = _as_date(previous)
    for m in DATETIME_RE.finditer(text):
        iso = datetime_from_match(m, prev)
        if iso:
            out.append((m.start(), m.end(), iso))
            prev = dt.date.fromisoformat(iso[:10])
    return out


_DUR_RE = re.compile(
    rf"(?:(?P<y>[{NUM_CHARS}]+)\s*年)?\s*(?:零|又)?\s*(?:(?P<m>[{NUM_CHARS}]+)\s*个?月)?\s*(?:(?P<d>[{NUM_CHARS}]+)\s*[日天])?"
)


def parse_duration_months(text: str) -> float | None:
    """``一年六个月`` → 18, ``五个月`` → 5, ``二年`` → 24, ``1年6个月`` → 18; days count as 1/30 month."""
    m = next((m for m in _DUR_RE.finditer(text.strip()) if m.group("y") or m.group("m") or m.group("d")), None)
    if m is None:
        return None
    total = 0.0
    for group, factor in (("y", 12.0), ("m", 1.0), ("d", 1 / 30)):
        if m.group(group):
            v = cn_number(m.group(group))
            if v is None:
                return None
            total += v * factor
    return round(total, 2)


PENALTY_KINDS = ("无期徒刑", "有期徒刑", "拘役", "管制", "死刑缓期二年执行", "死刑", "单处罚金", "免予刑事处罚", "无罪")
_DUR_TEXT = rf"[{NUM_CHARS}]+\s*(?:年|个月|月)(?:\s*(?:零|又)?\s*[{NUM_CHARS}]+\s*个?月)?"
SENTENCE_RE = re.compile(
    rf"(?P<kind>有期徒刑|拘役|管制)\s*(?P<low>{_DUR_TEXT})"
    rf"(?:\s*(?:至|到|-|—|～|~)\s*(?:(?:有期徒刑|拘役|管制))?\s*(?P<high>{_DUR_TEXT}))?"
)
PROBATION_RE = re.compile(rf"缓刑\s*(?P<p>{_DUR_TEXT})")
FINE_RE = re.compile(rf"(?:罚金|罚款)\s*(?:人民币)?\s*(?P<f>[{NUM_CHARS}.,，]+\s*万?\s*(?:元|圆))")
MONEY_RE = re.compile(rf"(?:人民币)?\s*(?P<v>[{NUM_CHARS}.,]+)\s*(?P<unit>万|亿)?\s*(?P<more>余)?\s*(?:元|圆)")


def parse_money(text: str) -> float | None:
    """``人民币三千元`` → 3000, ``3,000元`` → 3000, ``1.2万元`` → 12000, ``9万余元`` → 90000."""
    m = MONEY_RE.search(text)
    if not m:
        return None
    v = cn_number(m.group("v"))
    if v is None:
        return None
    if m.group("unit") == "万":
        v *= 10_000
    elif m.group("unit") == "亿":
        v *= 100_000_000
    return float(v)


def parse_sentence(text: str) -> dict[str, Any] | None:
    """A penalty phrase to a :class:`models.Sentence` dict; None when no penalty is stated.

    Handles ranges (``有期徒刑一年至一年六个月`` → ``range_months`` [12, 18]), 缓刑, 罚金,
    无期徒刑 / 死刑 / 免予刑事处罚 / 单处罚金.
    """
    s = text.translate(_FULLWIDTH)
    out: dict[str, Any] | None = None
    m = SENTENCE_RE.search(s)
    if m:
        low = parse_duration_months(m.group("low"))
        out = {"kind": m.group("kind"), "months": low, "range_months": None, "suspended": False,
               "probation_months": None, "fine_yuan": None, "text": text.strip()}
        if m.group("high"):
            high = parse_duration_months(m.group("high"))
            if low is not None and high is not None and high > low:
                out["range_months"] = [low, high]
                out["months"] = None
    else:
        for kind in ("无期徒刑", "死刑缓期二年执行", "死刑", "免予刑事处罚", "单处罚金"):
            if kind in s:
                out = {"kind": "死刑" if kind.startswith("死刑") else kind, "months": None, "range_months": None,
                       "suspended": kind == "死刑缓期二年执行", "probation_months": None, "fine_yuan": None,
                       "text": text.strip()}
                break
    if out is None:
        return None
    p = PROBATION_RE.search(s)
    if p:
        out["suspended"] = True
        out["probation_months"] = parse_duration_months(p.group("p"))
    f = FINE_RE.search(s)
    if f:
        out["fine_yuan"] = parse_money(f.group("f"))
    return out


def check_id_number(number: str) -> bool:
    """True when an 18-character 公民身份号码 has a valid GB 11643 check digit and birth date
    (:func:`models.validators.id_number_ok`)."""
    return id_number_ok(number)


def id_birth_date(number: str) -> str | None:
    """Birth date encoded in an 18-digit ID number (``YYYY-MM-DD``), if it is a real date."""
    born = id_birth(number)
    return born.isoformat() if born else None


ARTICLE_RE = re.compile(
    rf"第\s*(?P<a>[{NUM_CHARS}]+)\s*条(?:\s*之\s*(?P<z>[一二三四五六七八九]))?(?:\s*第\s*(?P<k>[{NUM_CHARS}]+)\s*款)?"
    rf"(?:\s*第\s*[（(]?(?P<x>[{NUM_CHARS}]+)[）)]?\s*项)?"
)


def _cn(n: int) -> str:
    return cn2an.an2cn(n)


#: The characters a written date is made of (Arabic and full-width digits, Chinese numerals, 年月日).
DATE_CHARS = frozenset("0123456789０１２３４５６７８９年月日〇零○一二三四五六七八九十")
_CN_DIGITS = "〇一二三四五六七八九"


def date_spellings(iso: str) -> tuple[str, str]:
    """The two ways a dossier writes ``iso``: ``2021年11月13日`` and, as a 落款, ``二〇二一年十一月十三日``."""
    y, m, d = (int(p) for p in iso[:10].split("-"))
    return f"{y}年{m}月{d}日", "".join(_CN_DIGITS[int(c)] for c in str(y)) + f"年{_cn(m)}月{_cn(d)}日"


def canonical_article(text: str) -> str | None:
    """``第264条`` → ``第二百六十四条``; ``第六十七条第3款`` → ``第六十七条第三款``; 之一 kept."""
    m = ARTICLE_RE.search(text)
    if not m:
        return None
    a = _int(m.group("a"))
    if a is None or not 0 < a < 1000:
        return None
    out = f"第{_cn(a)}条"
    if m.group("z"):
        out += f"之{m.group('z')}"
    if m.group("k"):
        k = _int(m.group("k"))
        if k:
            out += f"第{_cn(k)}款"
    return out


def strip_spaces(text: str) -> str:
    """Remove ASCII and ideographic spaces (Chinese text has none that carry meaning)."""
    return re.sub(r"[ \t\u3000\xa0]+", "", text)
