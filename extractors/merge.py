"""The case summary across documents: 文号, suspects, charges, key dates, plea, custody."""

from __future__ import annotations

from models import UNSURE_BELOW, CaseSummary, Document, Person, vocab

#: Case events (``CaseSummary.dates`` keys) and where they are read: (document type, field), first found wins.
EVENT_SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "拘留": ((vocab.DETENTION_WARRANT, vocab.EXECUTION_TIME), (vocab.INDICTMENT, vocab.DETENTION_DATE),
             (vocab.JUDGMENT, vocab.DETENTION_DATE)),
    "提请批准逮捕": ((vocab.ARREST_REQUEST, vocab.DATE), (vocab.ARREST_APPROVAL, vocab.REQUEST_DATE)),
    "批准逮捕": ((vocab.ARREST_APPROVAL, vocab.DATE),),
    "逮捕": ((vocab.ARREST_WARRANT, vocab.EXECUTION_TIME), (vocab.INDICTMENT, vocab.ARREST_DATE),
             (vocab.JUDGMENT, vocab.ARREST_DATE)),
    "移送审查起诉": ((vocab.PROSECUTION_OPINION, vocab.DATE), (vocab.INDICTMENT, vocab.TRANSFER_DATE)),
    "受理": ((vocab.CASE_ACCEPTANCE, vocab.RECEIVED_DATE), (vocab.INDICTMENT, vocab.RECEIVED_DATE)),
    "告知": ((vocab.RIGHTS_NOTICE, vocab.NOTIFY_RIGHTS_DATE), (vocab.INDICTMENT, vocab.NOTIFY_RIGHTS_DATE)),
    "起诉": ((vocab.INDICTMENT, vocab.DATE),),
    "撤回起诉": ((vocab.WITHDRAWAL, vocab.DATE),),
    "不起诉": ((vocab.NON_PROSECUTION, vocab.DATE),),
    "判决": ((vocab.JUDGMENT, vocab.DATE),),
}

_PERSON_KEYS = ("gender", "birth_date", "id_number", "ethnicity", "birthplace", "address", "education", "occupation")


def summarize(documents: list[Document]) -> CaseSummary:
    """Merge the fields of the case's own documents (``role`` case: not evidence material, another
    case's documents or volume furniture) into one :class:`CaseSummary`."""
    documents = [d for d in documents if d.role == vocab.ROLE_CASE]
    summary = CaseSummary()
    for d in documents:
        n = d.value(vocab.DOC_NUMBER)
        if n and n not in summary.doc_numbers:
            summary.doc_numbers.append(n)
    summary.suspects = merge_suspects(documents)
    # the charges of the judgment, the indictment and the 不起诉决定书 together (a judgment that
    # changes the charge does not erase the one prosecuted); other documents only without those
    for d in sorted(documents, key=_charge_priority):
        if summary.charges and _charge_priority(d) >= 3:
            break
        for c in d.value(vocab.CHARGES) or []:
            same = next((i for i, k in enumerate(summary.charges) if k.replace("、", "") == c.replace("、", "")), None)
            if same is None:
                summary.charges.append(c)
            elif c.count("、") > summary.charges[same].count("、"):  # the spelling with its 、 (OCR drops marks)
                summary.charges[same] = c
    for event, sources in EVENT_SOURCES.items():
        # a sure reading first; an uncertain one (a date under a seal) only where there is no other,
        # and marked as such in the overview
        read = [(d.fields[field], doc_type) for doc_type, field in sources for d in documents
                if d.type == doc_type and d.value(field)]
        sure = next((f for f, _ in read if f.confidence >= UNSURE_BELOW), None)
        if sure is not None or read:
            summary.dates[event] = str((sure or read[0][0]).value)
            if sure is None:
                summary.unsure_dates.append(event)
    pleas = [d.value(vocab.PLEA) for d in documents if d.value(vocab.PLEA) is not None]
    summary.plea = any(pleas) if pleas else (True if any(d.type == vocab.PLEA_AGREEMENT for d in documents) else None)
    if any(d.type in (vocab.ARREST_WARRANT, vocab.DETENTION_WARRANT) for d in documents):
        summary.in_custody = True
    for d in documents:
        if d.type == vocab.INDICTMENT and d.value(vocab.FACTS):
            summary.facts = d.value(vocab.FACTS)
            break
    return summary


def _charge_priority(d: Document) -> int:
    order = (vocab.JUDGMENT, vocab.INDICTMENT, vocab.NON_PROSECUTION)
    return order.index(d.type) if d.type in order else 3


def merge_suspects(documents: list[Document]) -> list[Person]:
    """Suspects across documents, merged by ID number, else by name; richer values win."""
    merged: dict[str, dict] = {}
    by_name: dict[str, str] = {}
    mentions: list[dict] = []
    for d in documents:
        people = [p for p in d.value(vocab.PERSONS) or [] if p.get("role") in ("犯罪嫌疑人", "被告人", "被不起诉人", None)]
        if not people:  # parties named by a role cue only (指控被告人张三、李四犯…), those the structure lists first
            named = [m for m in d.value(vocab.MENTIONS) or []
                     if m.get("role") in ("犯罪嫌疑人", "被告人", "被不起诉人") and m.get("basis") in ("cue", "structure")]
            listed = [m for m in named if m.get("basis") == "structure"]
            people = [{"name": m["name"], "role": m["role"]} for m in listed or named]
        if not people and d.value(vocab.SUSPECT_NAME):
            people = [{"name": d.value(vocab.SUSPECT_NAME), "role": "犯罪嫌疑人"}]
        mentions.extend(people)
    # mentions with a valid ID number first, so a later name-only mention joins that person
    mentions.sort(key=lambda p: not (p.get("id_number") and p.get("valid", True)))
    for p in mentions:
        name = p.get("name")
        if not name:
            continue
        key = p.get("id_number") if p.get("id_number") and p.get("valid", True) else None
        key = key or by_name.get(name) or name
        cur = merged.setdefault(key, {"name": name, "role": "犯罪嫌疑人"})
        by_name.setdefault(name, key)
        for k in _PERSON_KEYS:
            if p.get(k) and not cur.get(k):
                cur[k] = p[k]
    out = []
    for p in merged.values():
        try:
            out.append(Person.model_validate(p))
        except ValueError:
            out.append(Person(name=p["name"], role=p.get("role")))
    return out
