"""Helpers shared by the rule modules: locations, evidence, persons, custody, 罪名 and penalty bands."""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path
from typing import Any, Iterable

import cn2an

from models import CaseFile, Document, Evidence, Person, Sentence, parse_date, parse_datetime
from models import vocab as V
from models.charges import parent_charge
from models.validators import id_birth, id_gender, id_valid  # noqa: F401 - the rules import them from here

from checks.calendar import fmt_dt
from checks.catalog import Catalog, default_shared_dir, load_catalog
from checks.engine import UNSURE_BELOW, where


def label(doc: Document) -> str:
    """``起诉书（检察卷.pdf 第12页）``."""
    return f"{doc.type}（{where(doc)}）"


def ev(doc: Document, *names: str) -> list[Evidence]:
    """Evidence of the named fields, or the document's first page when none was recorded."""
    out: list[Evidence] = []
    for n in names:
        out.extend(doc.evidence(n))
    return out or [doc.first_evidence()]


def slot_ev(doc: Document, slots) -> list[Evidence]:
    """Evidence of slots: their label's evidence, else the slot's own file, page and box."""
    out = [s.evidence for s in slots if s.evidence is not None]
    if not out:
        out = [Evidence(document_id=doc.id, file=s.file or doc.file, page=s.page, text=s.role, bbox=s.bbox)
               for s in slots]
    return out or [doc.first_evidence()]


_STATE = {False: "未见签名、指印或印章", None: "无法辨认"}


def slot_grounds(doc: Document, slots) -> list[str]:
    """What a slot finding rests on, in Chinese: per slot the template, the label read and where, and
    what the page image showed there."""
    out = []
    for s in slots:
        where_ = f"{s.file or doc.file} 第{s.page}页"
        what = s.evidence.text if s.evidence is not None and s.evidence.text else s.role
        tpl = f"模板“{s.template}”的" if getattr(s, "template", "") else ""
        state = "已定位，" + (_STATE.get(s.filled, "已签") if s.kind != "name" else ("未见署名" if s.filled is False else "有署名"))
        out.append(f"{tpl}{s.role}位置：{where_}“{what}”{state}")
    return list(dict.fromkeys(out))[:6]


def ocr_grade(doc: Document, name: str | None = None) -> bool:
    """True when the field (or, without ``name``, the document) was read from OCR-grade text:
    a scan OCR'd here or the OCR layer of a double-layer PDF, where one character may be a
    look-alike of the printed one."""
    evidence = doc.evidence(name) if name else []
    if evidence:
        return any(e.text_source == "ocr" for e in evidence)
    return doc.text_source in ("ocr", "mixed")


def split_readings(values: dict[str, list[Document]], name: str | None = None
                   ) -> tuple[dict[str, list[Document]], dict[str, tuple[str, list[Document]]]]:
    """Split the values one fact was read with into those that differ in substance and look-alike
    readings of the value most documents agree on (:func:`models.reading.majority_reading`).

    A value is a reading of the majority value ``m`` when it differs from ``m`` only in look-alike
    characters (:func:`models.reading.same_reading`) and every document it comes from was read
    from OCR-grade text (:func:`ocr_grade`): one misread character is a reading uncertainty, never
    an inconsistency of the dossier. Returns ``(substance, readings)`` where ``substance`` keeps
    the majority value and every other real value, and ``readings`` maps a misread value to
    ``(m, its documents)``.
    """
    from models.reading import majority_reading, same_reading

    votes = [v for v, docs in values.items() for _ in docs]
    major = majority_reading(votes)
    substance: dict[str, list[Document]] = {}
    readings: dict[str, tuple[str, list[Document]]] = {}
    for v, docs in values.items():
        if v != major and major is not None and same_reading(v, major) and all(ocr_grade(d, name) for d in docs):
            readings[v] = (major, docs)
        else:
            substance[v] = docs
    return substance, readings


def reading_hint(what: str, readings: dict[str, tuple[str, list[Document]]]) -> str:
    """The hint for look-alike readings: ``…读作“状族”，其他文书为“壮族”，疑为识别误差，请人工核对。``"""
    parts = [f"{'、'.join(dict.fromkeys(label(d) for d in docs))}读作“{v}”，其他文书为“{m}”"
             for v, (m, docs) in readings.items()]
    return f"{what}：" + "；".join(parts) + "，仅有形近字之差，疑为识别误差，请人工核对。"


def pages_text(pages: Iterable[int]) -> str:
    ps = sorted(set(pages))
    return "、".join(f"第{p}页" for p in ps)


def slot_pages_text(doc: Document, slots: Iterable[Any]) -> str:
    """Where slots are, in Chinese: ``第2页、第3页``, or, for a document spanning files,
    ``起诉书_p002.jpg 第1页`` (file names are needed: every loose image is page 1)."""
    slots = list(slots)
    if not doc.spans_files:
        return pages_text(s.page for s in slots)
    order = {ref: i for i, ref in enumerate(doc.page_refs())}
    refs = sorted({(s.file or doc.file, s.page) for s in slots}, key=lambda r: (order.get(r, len(order)), r))
    return "、".join(f"{f} 第{p}页" for f, p in refs)


def _sure(doc: Document, name: str) -> Any:
    f = doc.fields.get(name)
    return f.value if f is not None and f.confidence >= UNSURE_BELOW else None


def date_of(doc: Document | None, *names: str) -> dt.date | None:
    """The first of ``names`` that parses as a date (datetimes give their date), read with confidence."""
    if doc is None:
        return None
    for n in names:
        d = parse_date(_sure(doc, n))
        if d:
            return d
    return None


def time_of(doc: Document | None, *names: str) -> dt.datetime | None:
    if doc is None:
        return None
    for n in names:
        t = parse_datetime(_sure(doc, n))
        if t:
            return t
    return None


def dated(docs: Iterable[Document], *names: str) -> list[tuple[dt.date, Document]]:
    """(date, document) pairs sorted by date, documents without a readable date left out."""
    out = [(d, doc) for doc in docs if (d := date_of(doc, *names))]
    return sorted(out, key=lambda p: (p[0], p[1].id))


def fmt(value: dt.date | dt.datetime) -> str:
    return fmt_dt(value)


# --- custody -------------------------------------------------------------------------------

def in_custody(case: CaseFile) -> bool | None:
    """Whether the suspect is in custody: the case summary, else inferred from the documents.

    Arrested or detained with no later 取保候审/监视居住 → True; only 取保/监视居住 → False.
    """
    if case.case.in_custody is not None:
        return case.case.in_custody
    custody = dated(case.of_type(V.ARREST_WARRANT, V.ARREST_APPROVAL, V.DETENTION_WARRANT), V.EXECUTION_TIME, V.DATE)
    release = dated(case.of_type(V.BAIL_DECISION, V.RESIDENCE_DECISION), V.DATE)
    if custody and (not release or release[-1][0] < custody[-1][0]):
        return True
    if release:
        return False
    return None


# --- acceptance and review --------------------------------------------------------------------

def acceptances(case: CaseFile) -> list[tuple[dt.date, Document | None]]:
    """Every 受理 date known (受理案件登记表's date and received date, else the 起诉书's received date,
    else the date the 审查起诉 notices say the case was received, else the summary), oldest first."""
    out: list[tuple[dt.date, Document | None]] = []
    for doc in case.of_type(V.CASE_ACCEPTANCE):  # its own date is the first 受理; received_date the latest
        out += [(d, doc) for d in (date_of(doc, V.DATE), date_of(doc, V.RECEIVED_DATE)) if d]
    if not out:
        for doc in case.of_type(V.INDICTMENT, V.NON_PROSECUTION):
            d = date_of(doc, V.RECEIVED_DATE)
            if d:
                out.append((d, doc))
    if not out:  # the notices of 审查起诉 say when the case was received (本院已于…收到…移送审查起诉的…一案)
        out += notice_receipts(case)
    if not out and (d := parse_date(case.case.dates.get("受理"))):
        out.append((d, None))
    unique = {(d, doc.id if doc else ""): (d, doc) for d, doc in out}
    return sorted(unique.values(), key=lambda p: p[0])


def notice_receipts(case: CaseFile) -> list[tuple[dt.date, Document]]:
    """The 受理 the notices of 审查起诉 state (本院已于…收到…移送审查起诉的…一案), oldest first."""
    return dated(case.of_type(V.RIGHTS_NOTICE, V.VICTIM_RIGHTS_NOTICE), V.RECEIVED_DATE)


def transfer_bound(case: CaseFile) -> tuple[dt.date, Document] | None:
    """The earliest day the procuratorate can have received the case for 审查起诉 where no receipt is
    written: the latest transfer date the dossier states (起诉意见书's date, 起诉书's 于…移送审查起诉)."""
    found = [(d, doc) for doc in case.of_type(V.PROSECUTION_OPINION) if (d := date_of(doc, V.TRANSFER_DATE, V.DATE))]
    found += [(d, doc) for doc in case.of_type(V.INDICTMENT, V.NON_PROSECUTION) if (d := date_of(doc, V.TRANSFER_DATE))]
    return max(found, key=lambda p: p[0]) if found else None


def acceptance_before(case: CaseFile, day: dt.date) -> tuple[dt.date, Document | None] | None:
    """The latest 受理 on or before ``day``."""
    before = [p for p in acceptances(case) if p[0] <= day]
    return before[-1] if before else None


# --- persons -----------------------------------------------------------------------------------

PARTY_ROLES = ("犯罪嫌疑人", "被告人", "被不起诉人", "被讯问人", "嫌疑人", "被拘留人", "被逮捕人")


def persons(doc: Document) -> list[Person]:
    out = []
    for p in doc.value(V.PERSONS) or []:
        try:
            out.append(p if isinstance(p, Person) else Person.model_validate(p))
        except Exception:  # malformed person dicts are ignored, not fatal
            continue
    return out


def is_party(p: Person) -> bool:
    return p.role is None or any(r in p.role for r in PARTY_ROLES)


def parties(case: CaseFile) -> list[tuple[Document, Person]]:
    """Every (document, suspect/defendant) pair across the dossier."""
    return [(d, p) for d in case.documents for p in persons(d) if is_party(p)]


def victims(case: CaseFile) -> list[tuple[Document, Person]]:
    return [(d, p) for d in case.documents for p in persons(d) if p.role and "被害" in p.role]


def birth_date(case: CaseFile, name: str | None = None) -> tuple[dt.date, Document] | None:
    """The suspect's birth date; with conflicting dates the latest (favourable to the accused)."""
    found = []
    for doc, p in parties(case):
        if name and p.name != name:
            continue
        b = parse_date(p.birth_date) or (id_birth(p.id_number) if p.id_number and id_valid(p.id_number) else None)
        if b:
            found.append((b, doc))
    for s in case.case.suspects:
        if name and s.name != name:
            continue
        b = parse_date(s.birth_date)
        if b and not found:
            found.append((b, case.documents[0] if case.documents else None))
    if not found:
        return None
    return max(found, key=lambda x: x[0])  # type: ignore[return-value]


def main_suspect(case: CaseFile) -> str | None:
    for s in case.case.suspects:
        return s.name
    for doc in case.documents:
        if n := doc.value(V.SUSPECT_NAME):
            return n
    return None


# --- 公民身份号码 ---------------------------------------------------------------------------

# id_valid / id_birth / id_gender: models.validators (GB 11643-1999), shared with extraction and the fixtures


# --- sentences -------------------------------------------------------------------------------

def sentence(value: Any) -> Sentence | None:
    if not value:
        return None
    try:
        return value if isinstance(value, Sentence) else Sentence.model_validate(value)
    except Exception:
        return None


def describe_sentence(s: Sentence) -> str:
    if s.text:
        return s.text
    parts = [s.kind]
    if s.range_months:
        parts.append(f"{months_text(s.range_months[0])}至{months_text(s.range_months[1])}")
    elif s.months:
        parts.append(months_text(s.months))
    if s.suspended:
        parts.append(f"缓刑{months_text(s.probation_months)}" if s.probation_months else "缓刑")
    if s.fine_yuan:
        parts.append(f"并处罚金{s.fine_yuan:g}元")
    return "".join(parts)


def months_text(m: float | None) -> str:
    if m is None:
        return ""
    y, mm = divmod(int(round(m)), 12)
    return (f"{y}年" if y else "") + (f"{mm}个月" if mm else "") or "0个月"


# --- 罪名 and penalty bands --------------------------------------------------------------------

_ARTICLE = re.compile(r"第[零〇一二三四五六七八九十百千]+条(?:之[一二三四五六七八九十]+)?")

_ABOLISHED_EXTRA = {"偷税罪": "逃税罪"}


def article_base(article: str) -> str:
    m = _ARTICLE.search(article or "")
    return m.group(0) if m else (article or "")


def catalog_for(ctx) -> Catalog:
    """The catalog the running rule's entry came from (the default one otherwise)."""
    return ctx.catalog or load_catalog()


@functools.lru_cache(maxsize=4)
def _charge_lists(laws_dir: str) -> tuple[frozenset[str], dict[str, str]]:
    """Names of the two high courts' 罪名 documents and the abolished ones (→ replacement)."""
    names: set[str] = set()
    abolished: dict[str, str] = dict(_ABOLISHED_EXTRA)
    for path in sorted(Path(laws_dir).glob("罪名_*.md")):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"(?:\d+．)?([^\s\d．（）|]{2,60}?罪)（第", text):
            names.add(m.group(1))
        for m in re.finditer(r"\|\s*([^|]+?罪)\s*(?:（取消(.+?)罪名）)?\s*\|", text):
            new = re.sub(r"\s+", "", m.group(1))
            names.add(new)
            if m.group(2):
                for old in re.split(r"罪和", m.group(2)):
                    old = old if old.endswith("罪") else old + "罪"
                    abolished[re.sub(r"\s+", "", old)] = new
    names -= set(abolished)
    return frozenset(names), abolished


def charge_lists(catalog: Catalog) -> tuple[frozenset[str], dict[str, str]]:
    laws = catalog.path.parent.parent / "laws"
    if not laws.is_dir():
        laws = default_shared_dir() / "laws"
    names, abolished = _charge_lists(str(laws))
    return names | frozenset(catalog.crimes), abolished


_CN_NUM = "零〇一二三四五六七八九十百"


def _years(text: str) -> float:
    try:
        return float(cn2an.cn2an(text, "smart"))
    except Exception:
        return float("nan")


def band_range(text: str) -> tuple[float, float, bool]:
    """(min months, max months, life-or-death possible) of one 法定刑 text such as
    ``处三年以上十年以下有期徒刑，并处罚金``."""
    life = "无期徒刑" in text or "死刑" in text
    lo = re.search(rf"([{_CN_NUM}]+)年以上", text)
    hi = re.search(rf"([{_CN_NUM}]+)年以下", text)
    low = _years(lo.group(1)) * 12 if lo else None
    high = _years(hi.group(1)) * 12 if hi else None
    if low is None:
        low = 1.0 if "拘役" in text else (3.0 if "管制" in text else 6.0)
    if high is None:
        high = 180.0 if "有期徒刑" in text or life else (6.0 if "拘役" in text else 24.0)
    return low, high, life


def official_charge(catalog: Catalog, charge: str) -> str | None:
    """The official 罪名 of ``charge``: itself, or the one 选择性罪名 it is a split form of
    (贩卖毒品罪 → 走私、贩卖、运输、制造毒品罪); None when unknown or ambiguous."""
    names, _ = charge_lists(catalog)
    if charge in names or charge in catalog.crimes:
        return charge
    return parent_charge(charge, names)


def crime_bands(catalog: Catalog, charge: str) -> list[tuple[float, float, bool, str]]:
    entry = catalog.crimes.get(charge) or catalog.crimes.get(official_charge(catalog, charge) or "")
    if not entry:
        return []
    out = []
    for b in entry.bands:
        text = str(b.get("法定刑(原文)", ""))
        lo, hi, life = band_range(text)
        out.append((lo, hi, life, text))
    return out


def fine_mandatory(catalog: Catalog, charge: str) -> bool:
    """Every band of the 罪名 prescribes a fine (并处罚金 / 并处或者单处罚金, not 可以并处)."""
    bands = crime_bands(catalog, charge)
    return bool(bands) and all(("并处" in t and "可以并处" not in t) or "单处罚金" in t for *_, t in bands)


def max_penalty(catalog: Catalog, charges: Iterable[str]) -> tuple[float, bool] | None:
    """(highest statutory term in months, life/death possible) across the charges in the table."""
    found = [b for c in charges for b in crime_bands(catalog, c)]
    if not found:
        return None
    return max(b[1] for b in found), any(b[2] for b in found)


def all_charges(case: CaseFile) -> list[str]:
    seen: list[str] = []
    for doc in case.of_type(V.JUDGMENT, V.INDICTMENT, V.NON_PROSECUTION, V.PROSECUTION_OPINION, V.ARREST_REQUEST):
        for c in doc.value(V.CHARGES) or []:
            if c not in seen:
                seen.append(c)
    for c in case.case.charges:
        if c not in seen:
            seen.append(c)
    return seen


def procedure_of(case: CaseFile) -> tuple[str, Document] | None:
    """The procedure (速裁程序 …) suggested by the 起诉书, 量刑建议书 or 具结书."""
    for doc in case.of_type(V.INDICTMENT, V.SENTENCING_RECOMMENDATION, V.PLEA_AGREEMENT):
        if doc.value(V.PROCEDURE):
            return str(doc.value(V.PROCEDURE)), doc
    return None


def plea_case(case: CaseFile) -> bool:
    """认罪认罚: a 具结书 exists, or the 起诉书 / 量刑建议书 states it (the case summary only
    when there is no 起诉书 — 讯问笔录 mention the plea law to every suspect)."""
    if case.of_type(V.PLEA_AGREEMENT):
        return True
    if any(d.value(V.PLEA) is True for d in case.of_type(V.INDICTMENT, V.SENTENCING_RECOMMENDATION)):
        return True
    return not case.of_type(V.INDICTMENT) and case.case.plea is True


def recommendation(case: CaseFile) -> tuple[Sentence, Document] | None:
    for doc in case.of_type(V.SENTENCING_RECOMMENDATION, V.INDICTMENT):
        s = sentence(doc.value(V.RECOMMENDATION))
        if s:
            return s, doc
    return None
