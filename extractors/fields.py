"""Per-type field extraction with evidence.

:func:`extract_fields` reads one document's :class:`~extractors.text.DocText` and
returns ``{vocab field name: Field}``. Values are normalised by
:mod:`extractors.normalize`; 罪名 and legal terms come from the spaCy PhraseMatcher
of :mod:`extractors.lexicon`; fixed-grammar values from :mod:`extractors.patterns`.
Every value keeps the evidence it was read from (file, page, line box, snippet,
text source, confidence). What a document does not state is simply absent.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable

from models import Evidence, Field, vocab

from extractors import normalize as nz
from extractors import templates
from extractors import patterns as pt
from extractors import events
from extractors import persons as people
from extractors.lexicon import is_person_name, normalize_charge, phrase_matches
from extractors.text import DocText, compact

_DATE_ONLY = re.compile(rf"^[\u4e00-\u9fff（）()]{{0,24}}?(?:{nz.DATE_PATTERN})[（(]?[\u4e00-\u9fff]{{0,6}}[）)]?$")
_SENT_END = re.compile(r"[。；;\n\f]")


class Extraction:
    """The fields of one document being built; :meth:`put` records a value with its evidence."""

    def __init__(self, text: DocText, doc_type: str, title: str = ""):
        self.title = title
        self.t = text
        self.s = text.text
        self.type = doc_type
        self.fields: dict[str, Field] = {}

    def put(self, name: str, value: Any, spans: list[tuple[int, int]] | tuple[int, int] | None,
            confidence: float = 0.95, overwrite: bool = False) -> None:
        if value is None or value == [] or value == "" or (name in self.fields and not overwrite):
            return
        if isinstance(spans, tuple):
            spans = [spans]
        evidence: list[Evidence] = []
        for a, b in spans or []:
            ev = self.t.evidence(a, b, confidence)
            if not any(e.page == ev.page and e.bbox == ev.bbox for e in evidence):
                evidence.append(ev)
        conf = min([confidence] + [e.confidence for e in evidence])
        self.fields[name] = Field(value=value, evidence=evidence[:6], confidence=round(conf, 3))

    def sentence(self, pos: int) -> tuple[int, int]:
        """Bounds of the sentence around ``pos`` (split at 。；, line and page breaks)."""
        start = pos
        while start > 0 and not _SENT_END.match(self.s[start - 1]):
            start -= 1
        m = _SENT_END.search(self.s, pos)
        return start, (m.start() if m else len(self.s))


# ----------------------------------------------------------------------------- shared recognizers


def doc_numbers(x: Extraction) -> None:
    """Own 文号/案号 (first in the header) and the other 文号 the document cites."""
    found: list[tuple[int, int, str]] = []
    for p in (pt.CASE_NUMBER, pt.DOC_NUMBER):
        for m in p.regex.finditer(x.s):
            value = _clean_number(m.group(0))
            if not any(a <= m.start() < b for a, b, _ in found):
                found.append((m.start(), m.end(), value))
    found.sort()
    header_end = _header_end(x)
    own = next(((a, b, v) for a, b, v in found if a < header_end and _own_row(x.s, a, b)), None)
    if own is None:
        ends = [t.end() for t in re.finditer(r"(?:判决书|裁定书|起诉书|决定书|意见书|建议书|通知书|拘留证|逮捕证)\s*"
                                             r"(?:[（(][\u4e00-\u9fff]{2,10}[）)]\s*)?", x.s[:150])]
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
    return re.sub(r"^[(（](\d{4})[)）]", r"（\1）", s)


def _header_end(x: Extraction) -> int:
    """End offset of the header: the first 8 rows, or up to the first long sentence."""
    pos = 0
    for _ in range(8):
        nxt = x.s.find("\n", pos + 1)
        if nxt < 0:
            return len(x.s)
        if nxt - pos > 60:
            return nxt
        pos = nxt
    return pos


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


def issuer(x: Extraction) -> None:
    m = re.search(r"[\u4e00-\u9fff]{2,20}?(?:人民检察院|人民法院|公安局[\u4e00-\u9fff]{0,6}?分局|公安局|派出所)", x.s[:300])
    if m:
        x.put(vocab.ISSUER, m.group(0), (m.start(), m.end()))


_GENDER = re.compile(r"(?:性别[：:]?)?(男|女)(?=[，,。；\s、）)]|性|$)")
_ETHNIC = re.compile(r"(?:民族[：:]?)?([\u4e00-\u9fff]{1,4}?族)(?=[，,。；\s、]|$)")
_BIRTHPLACE = re.compile(r"(?:出生于|出生地[：:为]?|生于)([\u4e00-\u9fff]{2,20}?)(?=[，,。；\s]|$)")
_OCCUPATION = re.compile(r"(?:^|[，,])(无业|无固定职业|待业|农民|务农|务工|打工|经商|工人|职员|个体(?:工商户|经营者|户)?|自由职业(?:者)?|学生|在校学生|"
                         r"退休(?:人员|职工)?|公司职员|司机|厨师|[\u4e00-\u9fff]{2,16}(?:公司|厂|店|中心|学校|医院|单位)"
                         r"(?:员工|职工|工人|经理|总经理|法定代表人|负责人|业务员|销售员|会计|出纳|司机|厨师|保安|技术员|工程师|教师|医生|护士)"
                         r"|(?:职业|工作单位)[：:为]?[\u4e00-\u9fff]{2,20})(?=[，,。；]|$)")
_EDU = re.compile(r"((?:小学|初中|高中|中专|大专|大学|大学本科|本科|研究生|硕士|博士|职高|技校)(?:文化|毕业|肄业)?|文盲)")
_ADDR = re.compile(r"(?:户籍(?:所在)?地|住址|现住址|现住|住所地|住(?!址|所地))[：:为在]?([\u4e00-\u9fff0-9\-×*Xx号弄栋幢单元室楼（）()]{4,60})")
_BIRTH = re.compile(rf"(?:出生日期[：:]?)?({nz.DATE_PATTERN})(?:出生|生)")


#: Roles whose basic-information block (or, for a victim, name) a document's ``persons`` field keeps.
PERSON_ROLES = (people.SUSPECT, people.DEFENDANT, people.NOT_PROSECUTED, people.VICTIM, people.RECIPIENT)


def persons(x: Extraction, found: list[people.Mention] | None = None) -> list[dict[str, Any]]:
    """Person blocks: ``<role>张三，男，1990年1月1日出生，公民身份号码…，汉族，…，住…。``.

    The role is the one the text gives the person (:mod:`extractors.persons`: ``被告人张三``,
    ``上诉人（原审被告人）：张三``, ``被害人李四``); a name with no role cue is not a person here.
    A victim is kept with its name alone; a party named without a block is in ``mentions`` only.
    """
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    found = people.mentions(x.s, actions=False) if found is None else found
    for m in found:
        if m.role not in PERSON_ROLES or m.basis == "action":
            continue
        name = m.name
        block_end = _block_end(x.s, m.end)
        block = x.s[m.end:block_end]
        if not re.match(r"[，,（(：:]|\s", block[:1] or "") or not re.search(r"[男女]|出生|身份", block[:60]):
            if m.role == people.VICTIM and name not in seen:
                seen.add(name)
                out.append({"name": name, "role": people.VICTIM, "cue": m.cue, "_span": (m.start, m.end)})
            continue
        person = _parse_person(name, block, m.role)
        person["cue"] = m.cue
        key = person.get("id_number") or name
        if key in seen:
            continue
        seen.add(key)
        person["_span"] = (m.start, block_end)
        out.append(person)
    header = _labelled_person(x)
    if header and header.get("id_number") not in seen and header["name"] not in {p["name"] for p in out}:
        out.insert(0, header)
    return out


def mention_list(found: list[people.Mention]) -> list[dict[str, Any]]:
    """The ``mentions`` field: each (name, role) once, with the cue that gave the role."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for m in found:
        if (m.name, m.role) in seen:
            continue
        seen.add((m.name, m.role))
        out.append({"name": m.name, "role": m.role, "cue": m.cue, "basis": m.basis, "_span": (m.start, m.end)})
    return out


def _block_end(s: str, start: int) -> int:
    """A person block ends at 。 or at the next role word (whichever comes first), at most 300 chars."""
    end = min(len(s), start + 300)
    m = re.compile(r"。|\f|(?:犯罪嫌疑人|被告人|被害人|辩护人)[\u4e00-\u9fff]{2,4}[，,]").search(s, start, end)
    return m.start() if m else end


def _parse_person(name: str, block: str, role: str) -> dict[str, Any]:
    person: dict[str, Any] = {"name": name, "role": _role_of(role)}
    g = _GENDER.search(block[:40])
    if g:
        person["gender"] = g.group(1)
    b = _BIRTH.search(block)
    if b:
        person["birth_date"] = nz.parse_date(b.group(1))
    else:
        lab = re.search(r"出生(?:日期|年月日)[：:为]?\s*", block)
        d = nz.DATE_RE.match(block, lab.end()) if lab else None
        if d and nz.parse_date(d.group(0)):
            person["birth_date"] = nz.parse_date(d.group(0))
    i = pt.ID_NUMBER.regex.search(block)
    if i:
        number = i.group(1).upper()
        person["id_number"] = number
        person["valid"] = nz.check_id_number(number)
        if "birth_date" not in person:
            person["birth_date"] = nz.id_birth_date(number)
    e = _ETHNIC.search(block)
    if e and e.group(1) not in ("家族", "民族"):
        person["ethnicity"] = e.group(1)
    ed = _EDU.search(block)
    if ed:
        person["education"] = ed.group(1)
    bp = _BIRTHPLACE.search(block)
    if bp:
        person["birthplace"] = bp.group(1)
    head = block[:_address_start(block)]
    oc = _OCCUPATION.search(head)
    if oc:
        person["occupation"] = re.sub(r"^(?:职业|工作单位)[：:为]?|^系", "", oc.group(1))
    elif ed:
        nxt = re.match(r"[，,]([\u4e00-\u9fff]{2,20})(?=[，,。；]|$)", head[ed.end():])
        if nxt and not re.search(r"户籍|住|身份|出生|族$|文化|曾|因|于", nxt.group(1)):
            person["occupation"] = nxt.group(1)
    a = _ADDR.search(block)
    if a:
        person["address"] = a.group(1).rstrip("，,")
    return person


def _address_start(block: str) -> int:
    """Where the address part (户籍地/住…) of a basic-information block begins."""
    m = re.search(r"[，,](?:户籍(?:所在)?地|住址|现住址|现住|住所地|住)", block)
    return m.start() + 1 if m else len(block)


def _labelled_person(x: Extraction) -> dict[str, Any] | None:
    """Form-style heads: ``被讯问人（姓名）：张三  性别：男  出生日期：…  身份证号码：…``."""
    head = x.s[:900]
    m = re.search(r"(?:(?:被讯问人|被告知人|被拘留人|被逮捕人|调查对象|姓名)(?:姓名)?[：:]|本人姓名)\s*([\u4e00-\u9fff]{2,4}?)(?=[\s\t\n，,（(]|性别|$)", head)
    if not m or not is_person_name(m.group(1)):
        return None
    block = head[m.end(): m.end() + 260]
    person = _parse_person(m.group(1), block, "犯罪嫌疑人")
    if len(person) <= 2:
        return None
    person["cue"] = m.group(0)[:m.start(1) - m.start()].strip() or "首部"
    person["_span"] = (m.start(1), m.end(1))
    return person


def _role_of(word: str) -> str:
    return {"被讯问人": "犯罪嫌疑人", "被告知人": "犯罪嫌疑人", "被拘留人": "犯罪嫌疑人", "被逮捕人": "犯罪嫌疑人",
            "受送达人": "受送达人"}.get(word, word)


def put_persons(x: Extraction, found: list[people.Mention] | None = None) -> None:
    """``persons``, ``mentions`` and ``suspect_name``: the suspect is the first party with a block,
    else the party the cues name most often; never a person the text gives another role."""
    found = people.mentions(x.s, actions=False) if found is None else found
    people_ = persons(x, found)
    named = mention_list(found)
    if named:
        x.put(vocab.MENTIONS, [{k: v for k, v in n.items() if k != "_span"} for n in named],
              [n["_span"] for n in named])
    if people_:
        spans = [p.pop("_span") for p in people_ if "_span" in p]
        x.put(vocab.PERSONS, people_, spans)
        suspects = [p for p in people_ if p.get("role") in PARTY_TERMS]
        if suspects:
            idx = people_.index(suspects[0])
            x.put(vocab.SUSPECT_NAME, suspects[0]["name"], spans[idx] if idx < len(spans) else None)
    if vocab.SUSPECT_NAME not in x.fields:
        counted = people.party_names(found)
        if counted:
            name = counted[0]
            spans = [(m.start, m.end) for m in found if m.name == name and m.party][:3]
            x.put(vocab.SUSPECT_NAME, name, spans, confidence=0.85)


#: The party terms of a document's own accused (犯罪嫌疑人 / 被告人 / 被不起诉人).
PARTY_TERMS = people.PARTY_ROLES


def suspect_by_mention(x: Extraction) -> None:
    """Fallback for SUSPECT_NAME where no role cue names the party: a form's labelled row
    (``被讯问人（姓名）：张三``), ``涉嫌X罪的张三``, a case name ``张三涉嫌盗窃罪``, an addressee line."""
    if vocab.SUSPECT_NAME in x.fields:
        return
    counts: dict[str, list[tuple[int, int]]] = {}
    for m in re.finditer(r"(?:被讯问人|被告知人|受送达人|姓名)(?:姓名)?[（(]?[^）)\n]{0,6}[）)]?[：:]\s*([\u4e00-\u9fff]{2,4})(?=[\s\t\n，,（(]|性别|$)", x.s):
        if is_person_name(m.group(1)):
            counts.setdefault(m.group(1), []).append((m.start(1), m.end(1)))
    for m in re.finditer(r"(?:涉嫌|犯)[\u4e00-\u9fff、，]{2,40}?罪的([\u4e00-\u9fff]{2,4}?)(?=[（(，,刑逮执]|$)", x.s):
        if is_person_name(m.group(1)):
            counts.setdefault(m.group(1), []).append((m.start(1), m.end(1)))
    for m in re.finditer(r"(?:受理的|移送的|移送审查起诉的|犯罪嫌疑人|被告人|^|\n)([\u4e00-\u9fff]{2,4}?)(?=涉嫌)", x.s):
        if is_person_name(m.group(1)):
            counts.setdefault(m.group(1), []).append((m.start(1), m.end(1)))
    for m in re.finditer(r"(?:^|\n)([\u4e00-\u9fff]{2,4}?)(?:家属)?[：:](?=\n|$)", x.s[:600]):
        if is_person_name(m.group(1)):
            counts.setdefault(m.group(1), []).append((m.start(1), m.end(1)))
    if counts:
        name, spans = max(counts.items(), key=lambda kv: len(kv[1]))
        x.put(vocab.SUSPECT_NAME, name, spans[:3], confidence=0.85)


#: Where a document states a charge: 涉嫌X罪, 犯X罪, 以X罪, 构成X罪, 认定为X罪, 罪名：X, 案由：X.
_CHARGE_CUE = re.compile(r"(涉嫌|犯有|犯|以|构成|认定为|定性为|变更为|(?:罪名|案由)(?:为|是|[：:])?)\s*")
#: Cues negated or put as a question (不构成X罪, 是否构成X罪, 不以X罪论处, 而非X罪).
_CHARGE_NEGATED = re.compile(r"(?:不|未|并非|而非|是否|难以|不应|不能|不宜)$")
#: A prior record told in the same sentence (曾因犯X罪被判处…, 刑满释放).
_PRIOR_RECORD = re.compile(r"曾因|曾于|曾犯|曾被|前科|刑满释放|假释|此前")
_CHARGE_CHARS = re.compile(r"[\u4e00-\u9fff、]")


def stated_charges(s: str, lo: int = 0, hi: int | None = None,
                   exclude: tuple[int, int] | None = None) -> list[tuple[str, int, int]]:
    """``(罪名, start, end)`` stated in ``s[lo:hi]`` after a charge cue, validated by the 罪名 lexicon.

    Only text right after a cue counts (an organ such as 经济犯罪侦查大队, a law title or an
    evidence list never yields a charge); a name may run over a line break (``以骗取贷款\n罪``);
    names listed with 、/和/及 after a charge are read too. The longest valid name wins.
    """
    hi = len(s) if hi is None else hi
    found: list[tuple[str, int, int]] = []
    starts = [(m.start(), m.end(), m.group(1)) for m in _CHARGE_CUE.finditer(s, lo, hi)]
    k = 0
    while k < len(starts):
        cue_at, pos, cue = starts[k]
        k += 1
        if exclude and exclude[0] <= cue_at < exclude[1]:
            continue
        if not cue.startswith("、") and _CHARGE_NEGATED.search(s[max(0, cue_at - 4):cue_at]):
            continue
        labelled = cue.startswith(("罪名", "案由", "、罪名"))
        best = _charge_at(s, pos, hi, labelled=labelled)
        if not best and labelled:  # 罪名：寻衅滋事、危险驾驶 — a labelled list of names without 罪
            best = _charge_at(s, pos, min(hi, s.find("、", pos) if "、" in s[pos:pos + 40] else hi), labelled=True)
        if not best:
            continue
        name, a, b = best
        floor = max(0, cue_at - 400)  # a bounded look-back: long documents stay linear
        sent_start = max(max(s.rfind(c, floor, cue_at) for c in "。；;\f") + 1, floor)
        before = s[sent_start:cue_at]
        if _PRIOR_RECORD.search(before) and not re.search(r"又因|再次|现因|本次|此次", before[-12:]):
            continue
        if cue == "犯" and before.endswith("因") and re.match(r"[^。；]{0,30}?(?:判处|判刑|刑满)", s[b:]):
            continue
        found.append((name, a, b))
        nxt = re.match(r"\s*[、和及与]\s*", s[b:hi])
        if nxt:
            starts.insert(k, (b, b + nxt.end(), "、罪名" if labelled else "、"))
    kept: list[tuple[str, int, int]] = []
    for item in sorted(found, key=lambda f: (f[1], -(f[2] - f[1]))):
        if kept and item[1] < kept[-1][2]:
            continue
        kept.append(item)
    return kept


def _charge_at(s: str, pos: int, hi: int, labelled: bool = False) -> tuple[str, int, int] | None:
    """The longest known 罪名 starting at ``pos`` (whitespace inside a name is dropped)."""
    chars: list[tuple[int, str]] = []
    i = pos
    while i < min(hi, pos + 60) and len(chars) < 42:
        c = s[i]
        if _CHARGE_CHARS.match(c):
            chars.append((i, c))
        elif not c.isspace():
            break
        i += 1
    best = None
    for n in range(2, len(chars) + 1):
        if chars[n - 1][1] != "罪" and not (labelled and n == len(chars)):
            continue
        name = normalize_charge("".join(c for _, c in chars[:n]))
        if name:
            best = (name, chars[0][0], chars[n - 1][0] + 1)
    return best


def charges(x: Extraction, matches: list[tuple[str, int, int, str]], region: tuple[int, int] | None = None,
            exclude: tuple[int, int] | None = None) -> None:
    """罪名 the document charges (犯/涉嫌/以/构成 … 罪, 罪名：…), not those of a prior record (曾因犯…).

    ``region`` limits the search (e.g. the holding after 判决如下); ``exclude`` drops the fact
    section, where other people's crimes are told. Without a hit there, the whole text counts.
    ``matches`` (the phrase matches) are not used: a 罪名 counts only where a charge is stated.
    """
    found: list[tuple[str, int, int]] = []
    if region:
        found = stated_charges(x.s, region[0], region[1], exclude)
    if not found and exclude:
        found = stated_charges(x.s, exclude=exclude)
    if not found:
        found = stated_charges(x.s)
    if found:
        # one charge spelt with and without its 、 (销售有毒、有害食品罪 / 销售有毒有害食品罪, a mark OCR lost)
        # is one charge: the spelling with the mark is kept
        spelt: dict[str, str] = {}
        for n, _, _ in sorted(found, key=lambda f: -f[0].count("、")):
            spelt.setdefault(n.replace("、", ""), n)
        names = list(dict.fromkeys(spelt[n.replace("、", "")] for n, _, _ in found))
        x.put(vocab.CHARGES, names, [(a, b) for _, a, b in found][:6])


_LAW_REF = re.compile(r"《(?:中华人民共和国)?(刑法|刑事诉讼法)》((?:第[^《》。；]{1,12}?条(?:之[一二三四五六七八九])?(?:第[^《》。；条]{1,4}款)?(?:第[^《》。；条]{1,4}项)?[、，,和及]?)+)")


def articles(x: Extraction) -> None:
    """刑法 and 刑事诉讼法 articles cited, canonical ``第二百六十四条[第一款]``."""
    crim: list[str] = []
    proc: list[str] = []
    cspans: list[tuple[int, int]] = []
    pspans: list[tuple[int, int]] = []
    for m in _LAW_REF.finditer(x.s):
        target, spans = (crim, cspans) if m.group(1) == "刑法" else (proc, pspans)
        for a in nz.ARTICLE_RE.finditer(m.group(2)):
            c = nz.canonical_article(a.group(0))
            if c and c not in target:
                target.append(c)
        spans.append((m.start(), m.end()))
    x.put(vocab.ARTICLES, crim, cspans)
    x.put(vocab.PROCEDURE_ARTICLES, proc, pspans)


def date_near(x: Extraction, keywords: tuple[str, ...], field: str, *, datetime: bool = False,
              after: bool | None = None, window: int = 60, start: int = 0) -> bool:
    """Put the date (or date-time) nearest to the first keyword found, within its sentence."""
    for kw in keywords:
        pos = x.s.find(kw, start)
        while pos >= 0:
            sa, sb = x.sentence(pos)
            sa, sb = max(sa, pos - window), min(sb, pos + len(kw) + window)
            while sa > 0 and x.s[sa - 1] in _DATE_CHARS:
                sa -= 1  # never cut a date in two: its year is what a later 同年 refers to
            prev = _previous_date(x, sa)
            cands = [(a + sa, b + sa, iso) for a, b, iso in nz.all_dates(x.s[sa:sb], prev)]
            cands += _relative_days(x, sa, sb, cands)
            if datetime and any("T" in c[2] for c in cands):
                cands = [c for c in cands if "T" in c[2]]
            if after is True:
                cands = [c for c in cands if c[0] >= pos]
            elif after is False:
                cands = [c for c in cands if c[1] <= pos + len(kw)]
            if cands:
                a, b, iso = min(cands, key=lambda c: min(abs(c[0] - pos), abs(c[1] - pos)))
                if not datetime:
                    iso = iso[:10]
                x.put(field, iso, (a, b))
                return True
            pos = x.s.find(kw, pos + 1)
    return False


_DATE_CHARS = frozenset("0123456789０１２３４５６７８９年月日〇零○一二三四五六七八九十")


def _previous_date(x: Extraction, pos: int) -> str | None:
    dates = nz.all_dates(x.s[max(0, pos - 400):pos])
    return dates[-1][2] if dates else None


def _relative_days(x: Extraction, a: int, b: int, cands: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """``次日`` / ``当日`` / ``同日`` resolved against the date just before them."""
    out = []
    for m in re.finditer(r"次日|当日|同日|当天|第二天", x.s[a:b]):
        p = a + m.start()
        before = [c for c in cands if c[1] <= p]
        base = before[-1][2] if before else _previous_date(x, p)
        if not base:
            continue
        d = dt.date.fromisoformat(base[:10])
        if m.group(0) in ("次日", "第二天"):
            d += dt.timedelta(days=1)
        out.append((p, p + len(m.group(0)), d.isoformat()))
    return out


def recommendation(x: Extraction, field: str = vocab.RECOMMENDATION) -> None:
    """量刑建议: the penalty in the sentence that says 建议判处 / 量刑建议."""
    for m in re.finditer(r"建议(?:对被告人[\u4e00-\u9fff]{2,4})?(?:判处|处以|判)|量刑建议[为是：:]|提出[^。]{0,20}量刑建议", x.s):
        sa, sb = x.sentence(m.start())
        seg = x.s[m.start(): sb]
        sent = nz.parse_sentence(seg)
        if sent:
            x.put(field, sent, (m.start(), sb))
            return


def sentence_of_judgment(x: Extraction) -> None:
    m = re.search(r"判决如下[：:]?", x.s)
    if not m:
        return
    end = x.s.find("如不服本判决", m.end())
    body = x.s[m.end(): end if end > 0 else m.end() + 600]
    first = re.sub(r"[（(][^（()）]*[）)]", "", body).split("。")[0]
    sent = nz.parse_sentence(first)
    if "无罪" in body[:80] and (sent is None or sent["kind"] == "无罪"):
        x.put(vocab.VERDICT, "无罪", (m.start(), m.end() + 80))
        x.put(vocab.SENTENCE, {"kind": "无罪", "months": None, "range_months": None, "suspended": False,
                               "probation_months": None, "fine_yuan": None, "text": body[:80].strip()}, (m.start(), m.end() + 80))
        return
    if "免予刑事处罚" in first:
        x.put(vocab.VERDICT, "免予刑事处罚", (m.start(), m.end() + len(first)))
    elif sent:
        x.put(vocab.VERDICT, "有罪", (m.start(), m.end() + len(first)))
    if sent:
        x.put(vocab.SENTENCE, sent, (m.end(), m.end() + len(first)))


#: 认罪认罚 as a document states it: the term, the signed 具结书, agreement to the sentencing proposal, or
#: the statute's own words (刑事诉讼法第十五条: 如实供述自己的罪行，承认指控的犯罪事实，愿意接受处罚).
_PLEA = re.compile(r"(?<!不)(?<!未)(自愿认罪认罚|认罪认罚|签署了?认罪认罚具结书|签字具结|"
                   r"同意(?:检察机关|人民检察院|本院|公诉机关)?(?:提出)?的?量刑建议|"
                   r"承认(?:所)?指控的犯罪事实[^。；]{0,12}?(?:愿意|自愿)接受(?:刑事)?处罚)")


def plea(x: Extraction) -> None:
    for m in _PLEA.finditer(x.s):
        if re.search(r"不(?:同意|认罪)|拒绝签署", x.s[max(0, m.start() - 10):m.end() + 6]):
            continue
        if re.match(r"的[，,]", x.s[m.end():m.end() + 2]) or re.search(r"如果|如$|若$|对于$", x.s[max(0, m.start() - 12):m.start()]):
            continue  # 承认指控的犯罪事实，愿意接受处罚的，可以从宽: the law told, not a plea
        sa, sb = x.sentence(m.start())
        if re.search(r"辩护(?:意见|人提出|人认为)|辩称|提出的[^。]{0,30}意见", x.s[sa:sb]):
            continue
        x.put(vocab.PLEA, True, (m.start(), m.end()))
        return


def procedure(x: Extraction) -> None:
    m = re.search(r"(速裁程序|简易程序|普通程序)", x.s)
    if m:
        x.put(vocab.PROCEDURE, m.group(1), (m.start(), m.end()))


def circumstances(x: Extraction, matches: list[tuple[str, int, int, str]]) -> None:
    found = [(t, a, b) for label, a, b, t in matches if label == "CIRCUMSTANCE"]
    found = [(t, a, b) for t, a, b in found if not re.search(r"(?:不|无|没有|未|不构成|不属于|不系)$", x.s[max(0, a - 4):a])]
    if found:
        x.put(vocab.CIRCUMSTANCES, list(dict.fromkeys(t for t, _, _ in found)), [(a, b) for _, a, b in found][:6])


def party_terms(x: Extraction, matches: list[tuple[str, int, int, str]]) -> None:
    """The term the document itself uses for its party (犯罪嫌疑人 / 被告人 / 被不起诉人).

    A term that introduces a party block (``被告人张三，男，…``) counts; without such a block, the
    most frequent term. Quotes of another stage never count: a title in 《》 (《犯罪嫌疑人诉讼
    权利义务告知书》), a 原审/原 reference (上诉人（原审被告人）), or a 二审 judgment telling what
    happened to the 犯罪嫌疑人 during the investigation.
    """
    terms = [(t, a, b) for label, a, b, t in matches if label == "PARTY" and t in ("犯罪嫌疑人", "被告人", "被不起诉人")]
    terms = [(t, a, b) for t, a, b in terms
             if not re.search(r"(?:原审|原|前)$", x.s[max(0, a - 2):a]) and not _in_title(x.s, a)]
    blocks = [(t, a, b) for t, a, b in terms
              if re.match(r"[\u4e00-\u9fff]{2,4}?[，,（(]\s*(?:男|女|曾用名|别名|绰号|化名|自报|\d{4}年)", x.s[b:b + 16])]
    appeal = re.search(r"(?:上诉人|原审被告人|被上诉人)[（(）)\u4e00-\u9fff]{0,8}?[：:]?\s*[\u4e00-\u9fff]{2,4}[，,（(]\s*(?:男|女|曾用名|\d{4}年)",
                       x.s[:3000])
    if blocks or appeal:
        terms = blocks
    elif terms:
        top = max(("犯罪嫌疑人", "被告人", "被不起诉人"), key=lambda w: sum(t == w for t, _, _ in terms))
        terms = [m for m in terms if m[0] == top]
    if terms:
        x.put(vocab.ADDRESSEE_TERM, list(dict.fromkeys(t for t, _, _ in terms)), [(a, b) for _, a, b in terms][:3])


def _in_title(s: str, pos: int) -> bool:
    """``pos`` lies inside a 《…》 title."""
    opened = s.rfind("《", max(0, pos - 30), pos)
    return opened >= 0 and s.rfind("》", opened, pos) < 0


def facts(x: Extraction) -> tuple[int, int] | None:
    m = pt.FACT_START.search(x.s)
    if not m:
        return None
    end_m = pt.OPINION_START.search(x.s, m.end())
    end = end_m.start() if end_m else min(len(x.s), m.end() + 2000)
    text = x.s[m.end():end].replace("\f", "").strip()
    if text:
        x.put(vocab.FACTS, text, (m.start(), min(end, m.end() + 80)))
        amount = _amount(text)
        if amount is not None:
            x.put(vocab.AMOUNT, amount, (m.end(), end))
        dates = nz.all_dates(text)
        if dates:
            a, b, iso = dates[0]
            x.put(vocab.CRIME_DATE, iso[:10], (m.end() + a, m.end() + b))
        fact_entities(x, m.end(), end)
    return m.end(), end


def fact_entities(x: Extraction, a: int, b: int) -> None:
    """``fact_entities``: who the facts make suspects and victims (by cue or by what they did or
    suffered), and the times, places and sums of money they state — the recognizers that
    ``bench/ie_eval.py`` measures on CAIL2021 items."""
    seg = x.s[a:b]
    items: list[dict[str, Any]] = []
    spans: list[tuple[int, int]] = []
    for m in people.mentions(seg):
        if m.role in (people.SUSPECT, people.DEFENDANT, people.NOT_PROSECUTED, people.ACCOMPLICE, people.VICTIM):
            items.append({"kind": "人员", "role": m.role, "value": m.name, "cue": m.cue, "basis": m.basis})
            spans.append((a + m.start, a + m.end))
    for e in events.fact_entities(seg):
        item: dict[str, Any] = {"kind": e.kind, "value": e.value, "cue": e.cue}
        if e.yuan is not None:
            item["yuan"] = e.yuan
        items.append(item)
        spans.append((a + e.start, a + e.end))
    x.put(vocab.FACT_ENTITIES, items, spans)


def _amount(text: str) -> float | None:
    m = re.search(r"(?:共计|合计|总计|累计|价值|数额|金额)[^。，,；]{0,12}?(?:人民币)?([0-9０-９.,，〇零一二三四五六七八九十百千万两]+\s*万?余?元)", text)
    if m:
        return nz.parse_money(m.group(1))
    return None


def signer_names(x: Extraction, labels: tuple[str, ...], field: str, single: bool = False, tail: int = 800) -> None:
    """Names printed after 审判长/书记员/检察官 … labels near the end of the document."""
    start = max(0, len(x.s) - tail)
    names: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in re.finditer(rf"(?:{'|'.join(labels)})[：:\s\t]*([\u4e00-\u9fff]{{2,4}})(?=[\s\t\n\f（(、，]|$)", x.s[start:]):
        n = m.group(1)
        if is_person_name(n) and n not in names:
            names.append(n)
            spans.append((start + m.start(1), start + m.end(1)))
    if names:
        x.put(field, names[0] if single else names, spans)


# ----------------------------------------------------------------------------- per type


def guardian(x: Extraction) -> None:
    """到场的法定代理人 / 合适成年人 (name and relation as written)."""
    for m in _GUARDIAN.finditer(x.s):
        if is_person_name(re.sub(r"[（(].*$", "", m.group(1))):
            x.put(vocab.GUARDIAN, m.group(1), (m.start(1), m.end(1)))
            return


#: 法定代理人：张三 (a signature written as text, or a form row) and the printed header row of a
#: 讯问笔录, 到场法定代理人 张三（系被讯问人父亲）, where the name is printed.
_GUARDIAN = re.compile(r"(?:(?:(?<=到场)|(?<=到场的))(?:法定代理人|合适成年人)[：:]?|(?:法定代理人|合适成年人)(?:（签名）|\(签名\))?[：:])"
                       r"\s*([\u4e00-\u9fff]{2,4}(?:[（(][^）)\n]{1,10}[）)])?)")


#: A named defender: 辩护律师张三，… / 听取了辩护人张三的意见 / 委托…张三律师担任辩护人. 值班律师 are not defenders.
_DEFENDER = re.compile(r"(?<!值班)(?:辩护律师|辩护人)[：:\s]*(?P<a>[\u4e00-\u9fff]{2,4}?)(?=[，,。；、的（(\s]|律师|$)"
                       r"|(?P<b>[\u4e00-\u9fff]{2,4}?)律师(?:担任|作为)[^。\n]{0,6}辩护人")


def defenders(x: Extraction) -> None:
    """Defenders (辩护人/辩护律师) named in the document, validated as person names."""
    names, spans = [], []
    for m in _DEFENDER.finditer(x.s):
        name = m.group("a") or m.group("b")
        if name and is_person_name(name) and name not in names:
            names.append(name)
            spans.append((m.start(), m.end()))
    if names:
        x.put(vocab.DEFENDERS, names, spans)


#: 已告知被害人及其法定代理人（近亲属）有权委托诉讼代理人 — the notice recorded in the 起诉书 or a report.
_VICTIM_NOTICE = re.compile(r"(?:已|依法)?告知(?:了)?被害人[^。；\n]{0,24}?有权委托诉讼代理人")
#: The date the notices of a 起诉书's 受理 paragraph were given: 于2024年8月4日已告知…
_NOTICES_GIVEN_ON = re.compile(rf"于({nz.DATE_PATTERN})(?:依法)?(?:已|依法)?告知")
#: A 值班律师 recorded as helping in this stage: 听取了值班律师张三的意见 / 值班律师张三为我提供法律帮助.
_DUTY_LAWYER = re.compile(r"(?:听取(?:了)?|由)值班律师([\u4e00-\u9fff]{2,4}?)(?:的意见|提供法律帮助|为)"
                          r"|值班律师([\u4e00-\u9fff]{2,4}?)(?:为我|为其|为犯罪嫌疑人|为被告人)提供(?:了)?法律帮助")


def notice_statements(x: Extraction) -> None:
    """Notices a document records as given: to the victim (right to an agent, with the date of the
    sentence's 于…告知 when stated) and legal help by a named 值班律师."""
    m = _VICTIM_NOTICE.search(x.s)
    if m:
        a, b = x.sentence(m.start())
        d = None
        for dm in _NOTICES_GIVEN_ON.finditer(x.s, a, m.start() + 1):
            d = dm
        iso = nz.parse_date(d.group(1)) if d else None
        x.put(vocab.VICTIM_NOTIFIED, iso or True, (d.start(1), d.end(1)) if d and iso else (m.start(), m.end()))
    for m in _DUTY_LAWYER.finditer(x.s):
        name = m.group(1) or m.group(2)
        if is_person_name(name):
            x.put(vocab.DUTY_LAWYER, name, (m.start(), m.end()))
            break


def _common(x: Extraction, matches: list[tuple[str, int, int, str]]) -> None:
    guardian(x)
    notice_statements(x)
    defenders(x)
    doc_numbers(x)
    document_date(x)
    issuer(x)
    put_persons(x)
    suspect_by_mention(x)
    party_terms(x, matches)


def _detention_or_arrest(x: Extraction, matches: list) -> None:
    charges(x, matches)
    kws = ("执行时间", "拘留时间", "逮捕时间", "向我宣布", "宣布时间", "已于", "执行拘留", "执行逮捕")
    date_near(x, kws, vocab.EXECUTION_TIME, datetime=True)
    date_near(x, ("通知时间",), vocab.NOTIFY_TIME, datetime=True)
    date_near(x, ("收押时间", "已于"), getattr(vocab, "CUSTODY_TIME", "custody_time"), datetime=True, after=True)
    articles(x)
    if vocab.PERSONS not in x.fields:
        p = re.search(r"(?:的|对)([\u4e00-\u9fff]{2,4}?)[（(]((?:性别|男|女)[^）)]{0,200})[）)]", x.s)
        if p and is_person_name(p.group(1)):
            person = _parse_person(p.group(1), "，" + re.sub(r"(性别|出生日期|住址)", r"，\1", p.group(2)), "犯罪嫌疑人")
            x.put(vocab.PERSONS, [person], (p.start(1), p.end(2)))
            x.put(vocab.SUSPECT_NAME, person["name"], (p.start(1), p.end(1)), overwrite=True)


def _custody_receipt(x: Extraction, matches: list) -> None:
    charges(x, matches)
    date_near(x, ("拘留的", "拘留"), vocab.EXECUTION_TIME, datetime=True, after=False)
    date_near(x, ("收押时间", "收押"), getattr(vocab, "CUSTODY_TIME", "custody_time"), datetime=True)


def _opinion_record(x: Extraction, matches: list) -> None:
    _interrogation(x, matches)
    for f in (vocab.INTERROGATORS, vocab.RECORDER, vocab.INTERROGATION_STAGE, vocab.CONFESSION, vocab.RIGHTS_TOLD):
        x.fields.pop(f, None)
    law = re.search(r"被听取意见人[：:]\s*([\u4e00-\u9fff]{2,4}?)[（(](值班律师|辩护人)", x.s)
    if law:
        x.put(vocab.LAWYER_NAME, law.group(1), (law.start(1), law.end(1)))
        x.put(vocab.LAWYER_ROLE, law.group(2), (law.start(2), law.end(2)))


def _arrest_request(x: Extraction, matches: list) -> None:
    charges(x, matches, exclude=facts(x))
    articles(x)
    detention_date(x)
    _detained(x)
    if vocab.DATE in x.fields:
        x.fields[vocab.REQUEST_DATE] = x.fields[vocab.DATE].model_copy()


def _arrest_approval(x: Extraction, matches: list) -> None:
    charges(x, matches)
    articles(x)
    date_near(x, ("提请批准逮捕",), vocab.REQUEST_DATE, after=False)
    # the receipt only where it is written: a request's date bounds it from below (DL-005), it is not it
    date_near(x, ("收到", "收悉", "受理"), vocab.RECEIVED_DATE)
    _detained(x)


def _detained(x: Extraction) -> None:
    """Whether the suspect is stated to be in 刑事拘留 (arrest request / approval)."""
    m = re.search(r"刑事拘留|被(?:依法)?拘留|羁押于", x.s)
    if m:
        x.put(vocab.DETAINED, True, (m.start(), m.end()))
    else:
        m = re.search(r"取保候审|监视居住", x.s)
        if m:
            x.put(vocab.DETAINED, False, (m.start(), m.end()))


def _case_acceptance(x: Extraction, matches: list) -> None:
    """受理案件登记表: 移送 / 受理 dates (the last 受理 after 补充侦查 counts), 退查 count."""
    charges(x, matches)
    rows = [(m.start(1), m.end(1), nz.parse_date(m.group(1)))
            for m in re.finditer(r"(?:重新)?受理(?:日期|时间)[：:\s]*([^\n\t]{6,20})", x.s)]
    rows = [r for r in rows if r[2]]
    if rows:
        a, b, iso = max(rows, key=lambda r: r[2])
        x.put(vocab.RECEIVED_DATE, iso, (a, b))
    t = re.search(r"(?<!重新)移送(?:日期|时间)[：:\s]*([^\n\t]{6,20})", x.s)
    if t and nz.parse_date(t.group(1)):
        x.put(vocab.TRANSFER_DATE, nz.parse_date(t.group(1)), (t.start(1), t.end(1)))
    n = re.findall(r"退回补充侦查(?:日期|时间)", x.s)
    if n:
        m = re.search(r"退回补充侦查", x.s)
        x.put(vocab.SUPPLEMENTARY_COUNT, len(n), (m.start(), m.end()))
    s = re.search(r"犯罪嫌疑人[：:]\s*([\u4e00-\u9fff]{2,4}?)(?=[（(，,\s]|$)", x.s)
    if s and is_person_name(s.group(1)) and vocab.PERSONS not in x.fields:
        x.put(vocab.PERSONS, [{"name": s.group(1), "role": "犯罪嫌疑人"}], (s.start(1), s.end(1)))


def _opinion(x: Extraction, matches: list) -> None:
    charges(x, matches, exclude=facts(x))
    articles(x)
    circumstances(x, matches)
    plea(x)
    detention_date(x)
    date_near(x, ("执行逮捕", "被逮捕", "批准逮捕"), vocab.ARREST_DATE)
    c = re.search(r"如实供述了?自己的罪行|供认不讳", x.s)
    if c:
        x.put(vocab.CONFESSION, True, (c.start(), c.end()))
    if vocab.DATE in x.fields:
        x.fields[vocab.TRANSFER_DATE] = x.fields[vocab.DATE].model_copy()


#: Confidence of a header field whose values are handwritten names read by OCR (police 讯问人（签名）).
HANDWRITTEN_FIELD_CONFIDENCE = 0.5
_STOP_WORDS = ("工作单位", "单位", "地点", "时间", "职务", "被讯问人")


#: Duties written after a name in a header row, with whatever brackets survived OCR.
_DUTY = re.compile(r"[（(]?(?:检察官助理|检察员助理|检察官|检察员|书记员|侦查员|民警|辅警|警官|审判员|法官助理|翻译人员?)[）)]?")


def labelled(x: Extraction) -> None:
    """Labelled header fields the templates declare (``讯问人（签名）　张三　李四``, ``记录人：王五``).

    A label synonym must head a row (after a line break or a tab); an optional ``（签名）``
    suffix and colon follow; the value runs to the end of the row, stops at the next label
    or stop word, drops parenthesised duties (``张三（检察官）``) and is validated as person
    names. Header labels are read before the first question (``问：``) only.
    """
    specs = templates.label_specs(x.type)
    if not specs:
        return
    q = re.search(r"(?:^|\n)问[：:]", x.s)
    header = x.s[: q.start() if q else min(len(x.s), 1200)]
    every = sorted({lb for group in specs.values() for sp in group for lb in sp.labels}, key=len, reverse=True)
    stop = re.compile("|".join(map(re.escape, list(every) + list(_STOP_WORDS))))
    for fname, group in specs.items():
        labels = sorted({lb for sp in group for lb in sp.labels}, key=len, reverse=True)
        rx = re.compile(rf"(?<!被)(?:{'|'.join(map(re.escape, labels))})(?:{templates.SIGN_SUFFIX})?[：:]?")
        for m in rx.finditer(header):
            nl = header.find("\n", m.end())
            row = header[m.end(): nl if nl >= 0 else len(header)]
            cut = stop.search(row)
            value = re.sub(r"[（(][^（()）]{0,12}[）)]", "", row[: cut.start()] if cut else row)
            # a duty whose brackets OCR lost (段勇检察官助理) or half-read (赵洁国（书记员)
            value = _DUTY.sub("", value)
            names = [n for n in re.split(r"[、，,\s\t]+", value) if n and is_person_name(n)]
            if not names:
                continue
            single = all(sp.value == "name" for sp in group)
            span = x.t.line_at(m.start())
            # names under a （签名） label are handwriting: OCR may miss one of them
            written = bool(re.search(templates.SIGN_SUFFIX, m.group(0))) and span is not None \
                and span.page.text_source == "ocr"
            x.put(fname, names[0] if single else names, (m.end(), m.end() + len(row)),
                  confidence=HANDWRITTEN_FIELD_CONFIDENCE if written else 0.95)
            break


def _interrogation(x: Extraction, matches: list) -> None:
    m = re.search(r"(?:讯问)?时间[：:]?\s*(?:自|从)?", x.s)
    pos = m.end() if m else 0
    s = x.s
    dts = []
    if m:
        seg_end = min(len(s), pos + 80)
        nl = s.find("\n", pos)
        if 0 < nl < seg_end and not re.search(r"至|到", s[pos:nl]):
            seg_end = min(len(s), nl + 40)
        dts = [(a + pos, b + pos, iso) for a, b, iso in nz.all_dates(s[pos:seg_end])]
    if dts:
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
    labelled(x)
    head = s[:1200]
    if "人民检察院" in head:
        x.put(vocab.INTERROGATION_STAGE, "审查起诉", _first(head, "人民检察院"))
    elif re.search(r"公安(?:局|分局|派出所)|公安机关", head):
        x.put(vocab.INTERROGATION_STAGE, "侦查", _first(head, "公安"))
    c = re.search(r"(以上(?:笔录|记录)[^。\n]{0,12}(?:看过|阅读|念给我听|核对)[^。\n]{0,20}(?:相符|一样|无误|一致|属实))", s)
    if c:
        x.put(vocab.CONFIRMATION, True, (c.start(), c.end()))
    r = re.search(r"(拒绝签名|拒绝捺(?:指)?印|拒不签名)", s)
    if r:
        x.put(vocab.REFUSAL_NOTE, x.s[r.start(): x.sentence(r.start())[1]], (r.start(), r.end()))
    conf = re.search(r"答：[^\n问]{0,40}?(我承认|我认罪|是我(?:偷|拿|干|做|打|骗)|属实|如实供述|我交代)", s)
    if conf:
        x.put(vocab.CONFESSION, True, (conf.start(), conf.end()))
    rt = re.search(r"(认罪认罚[^。\n]{0,30}(?:告知|法律规定|从宽)|(?:告知|权利义务告知书)[^。\n]{0,40}认罪认罚)", s)
    if rt:
        x.put(vocab.RIGHTS_TOLD, True, (rt.start(), rt.end()))
    elif _QA.search(s):
        x.put(vocab.RIGHTS_TOLD, False, None, confidence=0.8)
    av = re.search(r"(?:全程)?同步录音录像|全程录音录像", s)
    if av:
        neg = re.search(r"(?:未|没有|不|无)[^。\n，,]{0,8}$", s[max(0, av.start() - 12):av.start()])
        x.put(vocab.AV_RECORDED, not neg, (av.start(), av.end()))
    elif _QA.search(s):
        x.put(vocab.AV_RECORDED, False, None, confidence=0.8)
    charges(x, matches)
    plea(x)


_QA = re.compile(r"问[：:][^答]{0,300}答[：:]")


def _first(text: str, word: str) -> tuple[int, int]:
    i = text.find(word)
    return (i, i + len(word))


_NOTICE_DATE = re.compile(rf"告知(?:日期|时间)[：:]?\s*(?P<v>{nz.DATE_PATTERN})")


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


def _rights_notice(x: Extraction, matches: list) -> None:
    """告知日期: the form's 告知日期 row or the notified person's dated acknowledgement (the later of
    the two: a notice is given when received), else the 落款 date; and the 受理 the notice states."""
    labelled_date = _NOTICE_DATE.search(x.s)
    told = nz.parse_date(labelled_date.group("v")) if labelled_date else None
    told_at = (told, labelled_date.start("v"), labelled_date.end("v")) if told else None
    ack = acknowledged_on(x)
    best = max([d for d in (told_at, ack) if d], default=None, key=lambda d: d[0])
    if best:  # stated for this purpose, and not under the seal
        x.put(vocab.NOTIFY_RIGHTS_DATE, best[0], (best[1], best[2]))
    elif vocab.DATE in x.fields:
        x.fields[vocab.NOTIFY_RIGHTS_DATE] = x.fields[vocab.DATE].model_copy()
    else:
        date_near(x, ("告知", "签收"), vocab.NOTIFY_RIGHTS_DATE)
    receipt_date(x)
    plea(x)


#: The procuratorate's receipt stated with its date: 本院于2024年5月6日受理 / 本院已于…收到…移送审查起诉 /
#: 2024年5月6日本院受理. A date after 本院受理后，于… is the date of what followed (告知, 讯问), not the receipt.
_PLAIN_DATE = re.sub(r"\(\?P<\w+>", "(?:", nz.DATE_PATTERN)
_RECEIPT = re.compile(rf"本院(?:已|依法)?于\s*(?P<rd>{_PLAIN_DATE})\s*(?:依法)?(?:受理|收到)"
                      rf"|(?P<rd2>{_PLAIN_DATE})\s*[，,]?\s*本院(?:依法)?(?:受理|收到)")


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


def _plea_agreement(x: Extraction, matches: list) -> None:
    x.put(vocab.PLEA, True, _first(x.s, "认罪认罚") if "认罪认罚" in x.s else None)
    charges(x, matches)
    recommendation(x)
    if vocab.RECOMMENDATION not in x.fields:
        m = re.search(r"(?:有期徒刑|拘役|管制)", x.s)
        if m:
            sent = nz.parse_sentence(x.s[m.start(): x.sentence(m.start())[1]])
            if sent:
                x.put(vocab.RECOMMENDATION, sent, (m.start(), x.sentence(m.start())[1]))
    procedure(x)
    law = re.search(r"(值班律师|辩护人)[（(]?(?:签名)?[）)]?[：:\s\t]*([\u4e00-\u9fff]{2,4})(?=[\s\t\n，,（(、]|$)", x.s)
    if law and is_person_name(law.group(2)):
        x.put(vocab.LAWYER_ROLE, law.group(1), (law.start(1), law.end(1)))
        x.put(vocab.LAWYER_NAME, law.group(2), (law.start(2), law.end(2)))
    elif law:
        x.put(vocab.LAWYER_ROLE, law.group(1), (law.start(1), law.end(1)))
    if vocab.LAWYER_NAME not in x.fields:
        m = re.search(r"([\u4e00-\u9fff]{2,4})(?:律师)?[（(](?:值班律师|辩护人)[）)]|(?:值班律师|辩护律师|律师)([\u4e00-\u9fff]{2,3})(?=[的在对向，,。])", x.s)
        if m:
            name = m.group(1) or m.group(2)
            if is_person_name(name):
                x.put(vocab.LAWYER_NAME, name, (m.start(), m.end()))


def _sentencing_recommendation(x: Extraction, matches: list) -> None:
    charges(x, matches)
    articles(x)
    recommendation(x)
    circumstances(x, matches)
    plea(x)
    procedure(x)
    signer_names(x, ("检察官助理", "检察官", "检察员"), vocab.PROSECUTORS)


#: Lowest line confidence (OCR) at which a read 落款 block counts as read completely.
CLOSING_CONFIDENCE = 0.9
_DATE_CLOSE = re.compile(rf"(?:^|[\n\t])[^\n]{{0,24}}?(?:{nz.DATE_PATTERN})\s*(?=\n|$)")


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


def _indictment(x: Extraction, matches: list) -> None:
    region = facts(x)
    charges(x, matches, exclude=region)
    articles(x)
    circumstances(x, matches)
    plea(x)
    recommendation(x)
    procedure(x)
    sections(x)
    detention_date(x)
    date_near(x, ("被逮捕", "执行逮捕", "决定逮捕", "批准逮捕", "逮捕"), vocab.ARREST_DATE, after=None)
    date_near(x, ("移送本院审查起诉", "移送审查起诉", "向本院移送"), vocab.TRANSFER_DATE)
    receipt_date(x)
    date_near(x, ("有权委托辩护人", "告知"), vocab.NOTIFY_RIGHTS_DATE)
    _counts(x)
    signer_names(x, ("检察官助理", "检察官", "检察员"), vocab.PROSECUTORS)


def _counts(x: Extraction) -> None:
    m = re.search(r"退回(?:侦查机关|公安机关|[\u4e00-\u9fff]{0,10})补充侦查([一二两三\d])次", x.s)
    if m:
        x.put(vocab.SUPPLEMENTARY_COUNT, int(nz.cn_number(m.group(1).replace("两", "二")) or 0), (m.start(), m.end()))
    else:
        n = len(re.findall(r"退回(?:侦查机关|公安机关)?补充侦查", x.s))
        if n:
            m = re.search(r"退回(?:侦查机关|公安机关)?补充侦查", x.s)
            x.put(vocab.SUPPLEMENTARY_COUNT, n, (m.start(), m.end()) if m else None, confidence=0.8)
    m = re.search(r"延长审查起诉期限([一二两三\d])次", x.s)
    if m:
        x.put(vocab.EXTENSION_COUNT, int(nz.cn_number(m.group(1).replace("两", "二")) or 0), (m.start(), m.end()))
    else:
        n = len(re.findall(r"延长审查起诉期限", x.s))
        if n:
            m = re.search(r"延长审查起诉期限", x.s)
            x.put(vocab.EXTENSION_COUNT, n, (m.start(), m.end()) if m else None, confidence=0.8)


_NP_TYPES = (("附条件", r"附条件不起诉|第二百八十二条"), ("存疑", r"第一百七十五条第四款|证据不足|不符合起诉条件"),
             ("酌定", r"第一百七十七条第二款|犯罪情节轻微"), ("法定", r"第一百七十七条第一款|第十六条|没有犯罪事实"))


def _non_prosecution(x: Extraction, matches: list) -> None:
    region = facts(x)
    charges(x, matches, exclude=region)
    articles(x)
    circumstances(x, matches)
    plea(x)
    sections(x)
    date_near(x, ("移送本院审查起诉", "移送审查起诉"), vocab.TRANSFER_DATE)
    for name, pat in _NP_TYPES:
        m = re.search(pat, x.s)
        if m:
            x.put(vocab.NP_TYPE, name, (m.start(), m.end()))
            break
    m = re.search(r"本院认为[，,：:]?", x.s)
    if m:
        end = x.s.find("。", m.end())
        x.put(vocab.REASON, x.s[m.end(): end if end > 0 else m.end() + 200], (m.start(), end if end > 0 else m.end() + 200))
    signer_names(x, ("检察官助理", "检察官", "检察员"), vocab.PROSECUTORS)


def _withdrawal(x: Extraction, matches: list) -> None:
    charges(x, matches)
    articles(x)
    m = re.search(r"(?:因|鉴于|由于)([^。]{4,200}?)(?:，|,)?(?:根据|依照|决定|本院决定)", x.s)
    if m:
        x.put(vocab.REASON, m.group(1), (m.start(1), m.end(1)))
    signer_names(x, ("检察官助理", "检察官", "检察员"), vocab.PROSECUTORS)


def _judgment(x: Extraction, matches: list) -> None:
    region = facts(x)
    m = re.search(r"判决如下", x.s) or re.search(r"本院认为", x.s)
    charges(x, matches, (m.start(), len(x.s)) if m else None, exclude=region)
    articles(x)
    circumstances(x, matches)
    plea(x)
    procedure(x)
    sentence_of_judgment(x)
    recommendation(x)
    detention_date(x)
    date_near(x, ("被逮捕", "执行逮捕", "决定逮捕", "批准逮捕", "逮捕"), vocab.ARREST_DATE)
    date_near(x, ("提起公诉",), vocab.RECEIVED_DATE)
    t = re.search(r"(不)?公开开庭(?:审理|进行了审理)?", x.s)
    if t:
        x.put(vocab.PUBLIC_TRIAL, not t.group(1), (t.start(), t.end()))
        date_near(x, ("公开开庭",), vocab.TRIAL_DATE, after=False, window=40)
    term = re.search(r"自\s*([^。，,起]{6,20}?)\s*起\s*至\s*([^。，,止]{6,20}?)\s*止", x.s)
    if term and nz.parse_date(term.group(1)) and nz.parse_date(term.group(2)):
        x.put(vocab.TERM_START, nz.parse_date(term.group(1)), (term.start(1), term.end(1)))
        x.put(vocab.TERM_END, nz.parse_date(term.group(2)), (term.start(2), term.end(2)))
    a = re.search(r"如不服本判决[^。]{0,80}(?:上诉|第二日起)", x.s)
    if a:
        x.put(vocab.APPEAL_NOTICE, True, (a.start(), a.end()))
    elif re.search(r"判决如下", x.s) and not re.search(r"提出上诉|上诉于|如不服本判决", x.s):
        d = re.search(r"判决如下", x.s)
        x.put(vocab.APPEAL_NOTICE, False, (d.start(), d.end()), confidence=0.85)
    signer_names(x, ("审判长", "审判员", "代理审判员", "人民陪审员"), vocab.JUDGES, tail=600)
    signer_names(x, ("书记员",), vocab.CLERK, single=True, tail=400)
    tail = x.s[-400:]
    if vocab.JUDGES in x.fields and vocab.CLERK not in x.fields and "书记员" not in tail:
        x.fields[vocab.CLERK] = Field(value="", evidence=[], confidence=0.8)
    if vocab.CLERK in x.fields and vocab.JUDGES not in x.fields and not re.search(r"审判长|审判员|人民陪审员", x.s[-600:]):
        x.fields[vocab.JUDGES] = Field(value=[], evidence=[], confidence=0.8)


def _service_receipt(x: Extraction, matches: list) -> None:
    m = re.search(r"(?:送达文书|文书名称|送达的文书)(?:名称)?(?:及文号)?[：:\s\t]*([^\t\n]{2,40})", x.s)
    if m:
        x.put(vocab.SERVED_DOCUMENT, m.group(1).strip(), (m.start(1), m.end(1)))
    r = re.search(r"受送达人(?:姓名)?[：:\t ]*([^\t\n（(]{2,30})", x.s)
    if r:
        x.put(vocab.RECIPIENT, r.group(1).strip(), (r.start(1), r.end(1)))
        who = re.sub(r"^(?:犯罪嫌疑人|被告人|被不起诉人|被害人)", "", r.group(1).strip())
        if is_person_name(who):
            x.put(vocab.SUSPECT_NAME, who, (r.start(1), r.end(1)), overwrite=True)
    s = re.search(r"(?:签收|收到)(?:日期|时间)?", x.s)
    found = False
    if s:
        found = date_near(x, ("签收", "收到日期", "收件日期"), vocab.SIGN_DATE)
    if not found and vocab.DATE in x.fields:
        x.fields[vocab.SIGN_DATE] = x.fields[vocab.DATE].model_copy()


EXTRACTORS: dict[str, Callable[[Extraction, list], None]] = {
    getattr(vocab, "OPINION_RECORD", "听取意见笔录"): _opinion_record,
    vocab.DETENTION_WARRANT: _detention_or_arrest,
    vocab.ARREST_WARRANT: _detention_or_arrest,
    vocab.DETENTION_NOTICE: _detention_or_arrest,
    vocab.ARREST_NOTICE: _detention_or_arrest,
    vocab.ARREST_REQUEST: _arrest_request,
    vocab.CUSTODY_RECEIPT: _custody_receipt,
    vocab.ARREST_APPROVAL: _arrest_approval,
    vocab.ARREST_DISAPPROVAL: _arrest_approval,
    vocab.PROSECUTION_OPINION: _opinion,
    vocab.INTERROGATION: _interrogation,
    vocab.RIGHTS_NOTICE: _rights_notice,
    vocab.PLEA_AGREEMENT: _plea_agreement,
    vocab.SENTENCING_RECOMMENDATION: _sentencing_recommendation,
    vocab.INDICTMENT: _indictment,
    vocab.NON_PROSECUTION: _non_prosecution,
    vocab.WITHDRAWAL: _withdrawal,
    vocab.JUDGMENT: _judgment,
    vocab.SERVICE_RECEIPT: _service_receipt,
    vocab.CASE_ACCEPTANCE: _case_acceptance,
}


def extract_fields(text: DocText, doc_type: str, title: str = "") -> dict[str, Field]:
    """All fields of one document (type-specific recognizers after the common ones); ``title`` is
    the title spelling the classifier read (it picks the template variant named in evidence)."""
    x = Extraction(text, doc_type, title)
    matches = phrase_matches(text.text) if text.text else []
    if doc_type == vocab.INTERROGATION:
        _interrogation(x, matches)
        guardian(x)
        defenders(x)
        doc_numbers(x)
        issuer(x)
        put_persons(x)
        suspect_by_mention(x)
        self_stated_person(x)
        party_terms(x, matches)
        return x.fields
    _common(x, matches)
    fn = EXTRACTORS.get(doc_type)
    if fn:
        fn(x, matches)
    else:
        charges(x, matches)
    if templates.section_specs(doc_type):
        sections(x)
    if doc_type == vocab.VICTIM_RIGHTS_NOTICE:
        receipt_date(x)
    if doc_type == vocab.VICTIM_RIGHTS_NOTICE and vocab.PERSONS not in x.fields:
        v = re.search(r"(?:^|\n)([\u4e00-\u9fff]{2,4})[：:](?=\s*\n)", x.s[:600])
        if v and is_person_name(v.group(1)):
            x.put(vocab.PERSONS, [{"name": v.group(1), "role": "被害人"}], (v.start(1), v.end(1)))
    return x.fields


#: The questioned person's own account of who they are: 答：我叫张三，男，1990年1月1日出生，身份证号码…
_SELF_STATED = re.compile(r"答[：:]\s*(?:我叫|我的名字叫|我名叫|本人叫|我是)(?P<name>[\u4e00-\u9fff]{2,4}?)(?=[，,。；（(]|\s)")


def self_stated_person(x: Extraction) -> None:
    """A 讯问笔录 that records the suspect's basic information in an answer (``答：我叫张三，男，…``):
    that block is the 被讯问人's too, and a number it states differently from the header is kept
    beside the header's (the transcript then holds two numbers, which CON-002 reports)."""
    m = _SELF_STATED.search(x.s)
    if not m or not is_person_name(m.group("name")):
        return
    name = m.group("name")
    known = x.fields.get(vocab.SUSPECT_NAME)
    if known is not None and known.value and known.value != name:
        return
    end = _block_end(x.s, m.end("name"))
    block = x.s[m.end("name"):end]
    if not re.search(r"[男女]|出生|身份", block[:80]):
        return
    person = _parse_person(name, block, people.SUSPECT)
    person["cue"] = "答：我叫"
    current = list(x.fields[vocab.PERSONS].value) if vocab.PERSONS in x.fields else []
    same = [p for p in current if p.get("name") == name]
    if any(p.get("id_number") == person.get("id_number") for p in same) and person.get("id_number"):
        return
    if same and not person.get("id_number"):
        return
    evidence = list(x.fields[vocab.PERSONS].evidence) if vocab.PERSONS in x.fields else []
    x.fields.pop(vocab.PERSONS, None)
    spans = [(m.start("name"), end)]
    x.put(vocab.PERSONS, current + [person], spans)
    x.fields[vocab.PERSONS].evidence = (evidence + x.fields[vocab.PERSONS].evidence)[:6]
    if vocab.SUSPECT_NAME not in x.fields:
        x.put(vocab.SUSPECT_NAME, name, (m.start("name"), m.end("name")))


def detention_date(x: Extraction) -> None:
    """刑事拘留 date: the date of the clause ending in 刑事拘留, not a later 同年…逮捕 date."""
    if not date_near(x, ("刑事拘留",), vocab.DETENTION_DATE, after=False, window=50):
        date_near(x, ("刑事拘留",), vocab.DETENTION_DATE)
