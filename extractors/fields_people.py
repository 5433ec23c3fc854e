"""Named extractors for people: person blocks, mentions, the suspect, header labels.

Registered with :func:`extractors.recognizers.extractor` and called by name from a form's
``fields`` block:

- ``persons`` — ``persons``, ``mentions`` and ``suspect_name`` from role-cued basic-information
  blocks (``被告人张三，男，1990年1月1日出生，…``) and a form's labelled head;
- ``suspect_by_mention`` — the suspect where no block names one (``涉嫌X罪的张三``, a labelled row);
- ``self_stated_person`` — a transcript's ``答：我叫张三，男，…`` block;
- ``bracketed_person`` — a warrant's person described in brackets after the name;
- ``header_labels`` — the template's ``labels`` (``讯问人（签名）　张三　李四``).

The grammar of a basic-information block (gender, birth date, ID number, ethnicity, education,
occupation, address) is the same in every form, so it lives here rather than in the YAML.
"""

from __future__ import annotations

import re
from typing import Any

from models import vocab

from extractors import normalize as nz
from extractors import patterns as pt
from extractors import persons as people
from extractors import templates
from extractors.lexicon import is_person_name
from extractors.recognizers import Extraction, extractor

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


def persons(x: Extraction, found: list[people.Mention] | None = None, head_label: str = "") -> list[dict[str, Any]]:
    """Person blocks: ``<role>张三，男，1990年1月1日出生，公民身份号码…，汉族，…，住…。``.

    The role is the one the text gives the person (:mod:`extractors.persons`: ``被告人张三``,
    ``上诉人（原审被告人）：张三``, ``被害人李四``); a name with no role cue is not a person here.
    A victim is kept with its name alone; a party named without a block is in ``mentions`` only.
    ``head_label`` (a regex, group 1 the name) finds a form's labelled head person (:func:`_labelled_person`).
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
    header = _labelled_person(x, head_label) if head_label else None
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


def _labelled_person(x: Extraction, label: str) -> dict[str, Any] | None:
    """Form-style heads: ``被讯问人（姓名）：张三  性别：男  出生日期：…  身份证号码：…``; ``label`` is the
    declared regex of the label and name (group 1), read in the first 900 characters."""
    head = x.s[:900]
    m = re.search(label, head)
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


@extractor("persons")
def put_persons(x: Extraction, found: list[people.Mention] | None = None, head_label: str = "") -> None:
    """``persons``, ``mentions`` and ``suspect_name``: the suspect is the first party with a block,
    else the party the cues name most often; never a person the text gives another role. Arg
    ``head_label``: the regex of a form's labelled head person (see :func:`persons`)."""
    found = people.mentions(x.s, actions=False) if found is None else found
    people_ = persons(x, found, head_label)
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


@extractor("suspect_by_mention")
def suspect_by_mention(x: Extraction, patterns: list[str] = (), head_patterns: list[str] = (), head: int = 600) -> None:
    """Fallback for SUSPECT_NAME where no role cue names the party: the name (group 1) of the declared
    ``patterns`` (a form's labelled row, ``涉嫌X罪的张三``, a case name ``张三涉嫌盗窃罪``) and of the
    ``head_patterns`` read in the first ``head`` characters (an addressee line); the name found most
    often, validated as a person name."""
    if vocab.SUSPECT_NAME in x.fields:
        return
    counts: dict[str, list[tuple[int, int]]] = {}
    for pattern, text in [(p, x.s) for p in patterns] + [(p, x.s[:head]) for p in head_patterns]:
        for m in re.finditer(pattern, text):
            if is_person_name(m.group(1)):
                counts.setdefault(m.group(1), []).append((m.start(1), m.end(1)))
    if counts:
        name, spans = max(counts.items(), key=lambda kv: len(kv[1]))
        x.put(vocab.SUSPECT_NAME, name, spans[:3], confidence=0.85)


#: The questioned person's own account of who they are: 答：我叫张三，男，1990年1月1日出生，身份证号码…
_SELF_STATED = re.compile(r"答[：:]\s*(?:我叫|我的名字叫|我名叫|本人叫|我是)(?P<name>[\u4e00-\u9fff]{2,4}?)(?=[，,。；（(]|\s)")


@extractor("self_stated_person")
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



#: Confidence of a header field whose values are handwritten names read by OCR (police 讯问人（签名）).
HANDWRITTEN_FIELD_CONFIDENCE = 0.5
_STOP_WORDS = ("工作单位", "单位", "地点", "时间", "职务", "被讯问人")


#: Duties written after a name in a header row, with whatever brackets survived OCR.
_DUTY = re.compile(r"[（(]?(?:检察官助理|检察员助理|检察官|检察员|书记员|侦查员|民警|辅警|警官|审判员|法官助理|翻译人员?)[）)]?")


@extractor("header_labels")
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
            # a duty whose brackets OCR lost (张某检察官助理) or half-read (李某（书记员)
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



@extractor("bracketed_person")
def bracketed_person(x: Extraction) -> None:
    """A warrant's or notice's person described in brackets after the name (gender, birth date, address);
    read only when no person block was found, and then the suspect (it overrides a mention)."""
    if vocab.PERSONS in x.fields:
        return
    p = re.search(r"(?:的|对)([\u4e00-\u9fff]{2,4}?)[（(]((?:性别|男|女)[^）)]{0,200})[）)]", x.s)
    if p and is_person_name(p.group(1)):
        person = _parse_person(p.group(1), "，" + re.sub(r"(性别|出生日期|住址)", r"，\1", p.group(2)), "犯罪嫌疑人")
        x.put(vocab.PERSONS, [person], (p.start(1), p.end(2)))
        x.put(vocab.SUSPECT_NAME, person["name"], (p.start(1), p.end(1)), overwrite=True)
