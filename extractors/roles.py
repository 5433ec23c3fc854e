"""What each document is to this case (``Document.role``).

A long dossier holds far more than the case's own procedural documents. Every document gets one
of the roles of :data:`models.vocab.ROLES`, with a Chinese reason where it is not plain:

- **volume** — 卷宗封面, 卷内文书目录, 卷内备考表, separator sheets;
- **evidence** — evidence material (:data:`models.vocab.EVIDENCE_TYPES`: 询问笔录 of witnesses and
  victims, 辨认/勘验/搜查 records, 扣押清单, 鉴定意见书, 户籍证明, 到案经过, 情况说明, photos …),
  and untyped pages bound in an evidence volume;
- **other_case** — another case's document: an administrative penalty (:data:`models.vocab.OTHER_CASE_TYPES`),
  a decision (判决书, 起诉书, 不起诉决定书 …) dated before this case began (the suspect's earlier
  conviction, 前科), a decision about another person (both the name and the ID number differ from
  this case's suspect: a co-perpetrator tried separately, 另案处理), or what the 目录 lists as 前科 or
  另案 material;
- **case** — everything else: the documents the rules are about.

The case's start is the earliest date of its own custody, interrogation and investigation
documents that lies within a year of their median (so an earlier case's stray record does not
move it); its suspect is the name most of those documents (and the volume covers) give.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from models import Document, Volume, parse_date, vocab

#: Documents whose dates mark this case's course (investigation, custody, interrogation, review).
_ANCHORS = (vocab.DETENTION_WARRANT, vocab.ARREST_WARRANT, vocab.ARREST_REQUEST, vocab.ARREST_APPROVAL,
            vocab.PROSECUTION_OPINION, vocab.INTERROGATION, vocab.CASE_ACCEPTANCE, vocab.FILING_DECISION,
            vocab.RIGHTS_NOTICE, vocab.DETENTION_NOTICE, vocab.ARREST_NOTICE, vocab.CASE_REGISTRATION)
#: Decisions that end a case: one dated before this case began is an earlier case's.
_DECISIONS = (vocab.JUDGMENT, vocab.INDICTMENT, vocab.NON_PROSECUTION, vocab.WITHDRAWAL, vocab.SENTENCING_RECOMMENDATION,
              vocab.PROTEST)
#: Where the suspect's name is read with the most weight.
_NAMING = (vocab.INTERROGATION, vocab.DETENTION_WARRANT, vocab.ARREST_WARRANT, vocab.ARREST_REQUEST,
           vocab.PROSECUTION_OPINION, vocab.ARREST_APPROVAL, vocab.RIGHTS_NOTICE, vocab.PLEA_AGREEMENT)
_OTHER_CASE_NAME = re.compile(r"前科|刑满释放|另案|原判|前案")
#: How much earlier than this case's start a decision must be to be another case's (a judgment is never
#: before its own case's investigation; the margin absorbs a misread day).
_MARGIN = dt.timedelta(days=2)


def _date(doc: Document, *names: str) -> dt.date | None:
    for n in names:
        d = parse_date(doc.value(n))
        if d:
            return d
    return None


def case_start(docs: list[Document]) -> dt.date | None:
    """The earliest date of this case's own course (see the module docstring)."""
    dates = [d for doc in docs if doc.type in _ANCHORS and doc.role == vocab.ROLE_CASE
             and (d := _date(doc, vocab.EXECUTION_TIME, vocab.START_TIME, vocab.DATE))]
    if not dates:
        return None
    mid = sorted(dates)[len(dates) // 2]
    return min(d for d in dates if d >= mid - dt.timedelta(days=365))


def case_suspect(docs: list[Document], volumes: list[Volume] = ()) -> tuple[str | None, set[str]]:
    """(name, ID numbers) of this case's suspect, by majority over the naming documents and covers."""
    names: Counter[str] = Counter()
    for doc in docs:
        if doc.type not in _NAMING or doc.role != vocab.ROLE_CASE:
            continue
        if doc.value(vocab.SUSPECT_NAME):
            names[str(doc.value(vocab.SUSPECT_NAME))] += 1
        for p in doc.value(vocab.PERSONS) or []:  # a party written with an ID number weighs more
            if p.get("name") and p.get("id_number") and p.get("role") in ("犯罪嫌疑人", "被告人", "被不起诉人"):
                names[str(p["name"])] += 2
    for v in volumes:
        if v.suspect:
            names[v.suspect] += 2
    if not names:
        return None, set()
    name = names.most_common(1)[0][0]
    ids = {str(p.get("id_number")) for doc in docs if doc.role == vocab.ROLE_CASE
           for p in doc.value(vocab.PERSONS) or [] if p.get("name") == name and p.get("id_number")}
    return name, ids


def _party(doc: Document) -> tuple[str | None, set[str]]:
    name = doc.value(vocab.SUSPECT_NAME)
    ids = {str(p.get("id_number")) for p in doc.value(vocab.PERSONS) or []
           if p.get("id_number") and (not name or p.get("name") == name)}
    return (str(name) if name else None), ids


def assign_roles(docs: list[Document], volumes: list[Volume] = ()) -> None:
    """Set ``role`` (and ``role_reason``) on every document; documents already marked as volume
    furniture (separator sheets) keep their role."""
    rows = {e.document_id: e for v in volumes for e in v.entries if e.document_id}
    evidence_volumes = {v.label for v in volumes if "证据" in (v.title or v.label)}
    for doc in docs:
        if doc.role == vocab.ROLE_VOLUME:
            continue
        row = rows.get(doc.id)
        if doc.type in vocab.VOLUME_TYPES:
            doc.role = vocab.ROLE_VOLUME
        elif doc.type in vocab.OTHER_CASE_TYPES:
            doc.role, doc.role_reason = vocab.ROLE_OTHER_CASE, f"{doc.type}不是本案刑事诉讼文书"
        elif row is not None and _OTHER_CASE_NAME.search(row.name):
            doc.role, doc.role_reason = vocab.ROLE_OTHER_CASE, f"卷内目录列为“{row.name}”"
        elif doc.type in vocab.EVIDENCE_TYPES:
            doc.role = vocab.ROLE_EVIDENCE
        elif doc.type == vocab.OTHER and doc.volume and doc.volume in evidence_volumes:
            doc.role, doc.role_reason = vocab.ROLE_EVIDENCE, f"装订于{doc.volume}"
        else:
            doc.role = vocab.ROLE_CASE
    start = case_start(docs)
    name, ids = case_suspect(docs, volumes)
    for doc in docs:
        if doc.role != vocab.ROLE_CASE or doc.type not in _DECISIONS:
            continue
        day = _date(doc, vocab.DATE)
        if start and day and day < start - _MARGIN:
            doc.role = vocab.ROLE_OTHER_CASE
            doc.role_reason = f"{doc.type}作出于{day.isoformat()}，早于本案立案、羁押（{start.isoformat()}），系前案文书"
            continue
        party, party_ids = _party(doc)
        named = name and re.search(rf"(?:犯罪嫌疑人|被告人|被不起诉人|被申诉人){re.escape(name)}", doc.text or "")
        if name and party and not named and other_person(name, ids, party, party_ids):
            doc.role = vocab.ROLE_OTHER_CASE
            doc.role_reason = f"{doc.type}所涉{party}不是本案犯罪嫌疑人{name}，系他案文书"


def other_person(name: str, ids: set[str], party: str, party_ids: set[str]) -> bool:
    """Whether a document's party is someone else than this case's suspect: two or more characters of
    the name differ (a name written differently in one document differs in one: that is a defect of
    this case, CON-001, not another person), or one differs and the ID numbers read differ too."""
    if party == name:
        return False
    diff = sum(a != b for a, b in zip(name, party)) + abs(len(name) - len(party))
    if diff >= 2:
        return not (ids & party_ids)
    return bool(ids and party_ids and not (ids & party_ids))
