"""Evidence assessment: the dossier's evidence inventory, per-charge checklists and the
confession pattern (零口供 / 翻供), computed from the fields extraction wrote.

- :func:`inventory` lists every piece of evidence under the eight kinds of 刑事诉讼法第五十条:
  documents the dossier holds (``evidence_kind``; 讯问笔录 are 供述和辩解), items of the
  evidence lists of 起诉意见书/起诉书/判决书 (``evidence_list``) and evidence those documents
  cite elsewhere (``evidence_mentions``: ``经鉴定……``).
- :func:`completeness` says whether the dossier is complete enough to tell that something is
  missing: it holds the evidence volume (证据卷) with evidence documents recognised, or a
  起诉书/起诉意见书/判决书 evidence list of at least two items was read.
- :func:`checklist_for` picks the checklists (``checklists.yaml``) of the case's charges;
  :func:`assess_items` decides each item: ``found`` (held or listed), ``mentioned`` (only
  cited in a document's text), ``absent`` (no evidence of its kinds at all) or ``unclear``
  (evidence of its kinds exists, none matches the item's words).
- :func:`confession_pattern` reads 讯问笔录 stances in order and the 起诉书/判决书 wording:
  ``零口供`` (never admitted, denied), ``翻供`` (admitted, later denied or said to retract),
  ``供认``, or ``""`` (unknown).

The rules in ``checks/rules/evd.py`` and the report's ``evidence`` block
(:mod:`assistant.evidence`) share these functions.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from models import Basis, CaseFile, Document, Evidence, vocab
from models import evidence as E
from models.charges import parent_charge

CHECKLISTS = Path(__file__).with_name("checklists.yaml")

#: short kind names used in checklists.yaml
SHORT_KINDS = {"物证": E.PHYSICAL, "书证": E.DOCUMENTARY, "证人证言": E.WITNESS, "被害人陈述": E.VICTIM,
               "供述": E.STATEMENT, "鉴定意见": E.EXPERT, "笔录": E.RECORDS, "视听电子": E.AUDIOVISUAL}
KIND_SHORT = {v: k for k, v in SHORT_KINDS.items()}
MIN_LIST_ITEMS = 2


# ----------------------------------------------------------------------------- checklists


@dataclass(frozen=True)
class Item:
    """One item of evidence an element of a crime calls for (statutory or practice), with what matches it."""

    id: str
    name: str
    kinds: tuple[str, ...]
    status: str  # statutory / practice
    match: str = ""
    when: str = ""
    basis: Basis | None = None


@dataclass(frozen=True)
class Element:
    """One element of a crime (构成要件) and the evidence items that prove it."""

    name: str
    items: tuple[Item, ...]
    basis: Basis | None = None


@dataclass(frozen=True)
class Checklist:
    """The evidence checklist of one 罪名: its elements and their basis."""

    charge: str
    elements: tuple[Element, ...]
    basis: Basis | None = None


@dataclass(frozen=True)
class Checklists:
    """Every checklist: the elements common to all crimes and those of each 罪名."""

    common: tuple[Element, ...]
    charges: dict[str, Checklist]
    bases: dict[str, dict[str, str]]


def _basis(bases: dict[str, dict], key: str | None) -> Basis | None:
    if not key:
        return None
    b = bases[key]
    return Basis(law=b["law"], article=b.get("article"), quote=b.get("quote", ""))


def _elements(raw: list[dict], bases: dict[str, dict]) -> tuple[Element, ...]:
    out = []
    for e in raw or []:
        items = tuple(Item(id=i["id"], name=i["name"], kinds=tuple(SHORT_KINDS[k] for k in i["kinds"]), status=i["status"],
                           match=i.get("match", ""), when=i.get("when", ""), basis=_basis(bases, i.get("basis")))
                      for i in e.get("items") or [])
        for it in items:
            if it.status not in ("statutory", "practice"):
                raise ValueError(f"checklist item {it.id}: status {it.status}")
            re.compile(it.match)
            re.compile(it.when)
        out.append(Element(name=e["element"], items=items, basis=_basis(bases, e.get("basis"))))
    return tuple(out)


@functools.lru_cache(maxsize=4)
def load_checklists(path: str | None = None) -> Checklists:
    data = yaml.safe_load(Path(path or CHECKLISTS).read_text(encoding="utf-8"))
    bases = data.get("bases") or {}
    charges: dict[str, Checklist] = {}
    for c in data.get("charges") or []:
        cl = Checklist(charge=c["name"], elements=_elements(c.get("elements"), bases), basis=_basis(bases, c.get("basis")))
        for name in [c["name"], *(c.get("aliases") or [])]:
            charges[name] = cl
    return Checklists(common=_elements(data.get("common"), bases), charges=charges, bases=bases)


def checklist_for(charges: list[str], lists: Checklists | None = None) -> list[Checklist]:
    """The checklists of the case's charges (a split form of a 选择性罪名 maps to its official name)."""
    lists = lists or load_checklists()
    out: list[Checklist] = []
    for c in charges:
        name = c if c in lists.charges else parent_charge(c, lists.charges)
        if name and lists.charges[name] not in out:
            out.append(lists.charges[name])
    return out


# ----------------------------------------------------------------------------- inventory


@dataclass
class Entry:
    """One piece of evidence: held (the dossier has the document), listed (a list names it) or
    mentioned (a document cites it outside its list)."""

    kind: str
    name: str
    source: str  # held / listed / mentioned
    document_id: str
    document_type: str
    file: str
    page: int
    text: str = ""

    def evidence(self) -> Evidence:
        return Evidence(document_id=self.document_id, file=self.file, page=self.page, text=(self.text or self.name)[:80])

    def contract(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "source": self.source, "document_id": self.document_id,
                "document_type": self.document_type, "file": self.file, "page": self.page, "text": self.text}


def _page(doc: Document, value: Any = None) -> int:
    if isinstance(value, dict) and isinstance(value.get("page"), int):
        return value["page"]
    return doc.pages[0] if doc.pages else 1


def _file_of(doc: Document, page: int) -> str:
    for f, p in doc.page_refs():
        if p == page:
            return f
    return doc.file


def inventory(case: CaseFile) -> list[Entry]:
    out: list[Entry] = []
    for doc in case.documents:
        kind = doc.value(E.EVIDENCE_KIND)
        if doc.type == vocab.INTERROGATION:
            kind = E.STATEMENT
        if kind in E.KINDS:
            subject = doc.value(E.EVIDENCE_SUBJECT) or ""
            name = doc.title or doc.type
            if subject and subject not in name:
                name = f"{name}（{subject}）"
            p = _page(doc)
            out.append(Entry(kind, name, "held", doc.id, doc.type, _file_of(doc, p), p, subject))
        for it in doc.value(E.EVIDENCE_LIST) or []:
            p = _page(doc, it)
            for k in it.get("kinds") or []:
                out.append(Entry(k, it.get("text", ""), "listed", doc.id, doc.type, _file_of(doc, p), p, it.get("text", "")))
        for it in doc.value(E.EVIDENCE_MENTIONS) or []:
            p = _page(doc, it)
            out.append(Entry(it.get("kind", ""), it.get("text", ""), "mentioned", doc.id, doc.type, _file_of(doc, p), p,
                             it.get("text", "")))
    return out


@dataclass
class Completeness:
    """Whether an evidence list is complete, why not (Chinese) and where that was read."""

    complete: bool
    reason: str  # Chinese
    evidence: list[Evidence] = field(default_factory=list)


def completeness(case: CaseFile, entries: list[Entry] | None = None) -> Completeness:
    """Complete enough to tell a missing item: the evidence volume with evidence documents recognised,
    or an evidence list of at least two items read from a 起诉书/起诉意见书/判决书."""
    entries = inventory(case) if entries is None else entries
    held = [e for e in entries if e.source == "held" and e.kind != E.STATEMENT]
    volume = [d for d in case.documents if d.value(E.EVIDENCE_VOLUME)]
    if volume and held:
        d = volume[0]
        return Completeness(True, f"卷宗含证据卷（{d.file}），识别到卷内证据材料{len(held)}份", d.evidence(E.EVIDENCE_VOLUME))
    for t in (vocab.INDICTMENT, vocab.PROSECUTION_OPINION, vocab.JUDGMENT):
        for d in case.of_type(t):
            items = d.value(E.EVIDENCE_LIST) or []
            if len(items) >= MIN_LIST_ITEMS:
                return Completeness(True, f"识别到{d.type}的证据清单（{len(items)}项）", d.evidence(E.EVIDENCE_LIST)[:1])
    if volume:
        return Completeness(False, "卷宗含证据卷，但未识别到其中的证据材料")
    return Completeness(False, "卷宗未包含证据卷，也未识别到起诉书或起诉意见书的证据清单")


# ----------------------------------------------------------------------------- checklist items


@dataclass
class ItemResult:
    """What the dossier holds for one checklist item: found, mentioned, unclear, absent or not applicable."""

    item: Item
    element: str
    charge: str
    state: str  # found / mentioned / unclear / absent / n/a
    entries: list[Entry] = field(default_factory=list)

    def contract(self) -> dict[str, Any]:
        return {"id": self.item.id, "name": self.item.name, "element": self.element, "charge": self.charge,
                "kinds": list(self.item.kinds), "status": self.item.status, "state": self.state,
                "basis": self.item.basis.model_dump() if self.item.basis else None,
                "found_in": [{"document_id": e.document_id, "document_type": e.document_type, "source": e.source,
                              "file": e.file, "page": e.page, "text": e.text[:80]} for e in self.entries[:5]]}


STATE_ZH = {"found": "已见", "mentioned": "仅文书提及", "unclear": "待核实", "absent": "未见", "n/a": "不适用"}
SOURCE_ZH = {"held": "卷内", "listed": "清单列明", "mentioned": "文书提及"}


def case_facts(case: CaseFile) -> str:
    """The facts as stated (起诉书, 起诉意见书, 判决书 FACTS fields, the summary's facts)."""
    parts = [case.case.facts or ""]
    for t in (vocab.INDICTMENT, vocab.PROSECUTION_OPINION, vocab.JUDGMENT, vocab.ARREST_REQUEST):
        parts += [str(d.value(vocab.FACTS) or "") for d in case.of_type(t)]
    return "\n".join(p for p in parts if p)


def assess_item(item: Item, entries: list[Entry], facts: str) -> tuple[str, list[Entry]]:
    if item.when and facts and not re.search(item.when, facts):
        return "n/a", []
    if item.when and not facts:
        return "n/a", []
    of_kind = [e for e in entries if e.kind in item.kinds]
    matching = [e for e in of_kind if not item.match or re.search(item.match, f"{e.name}{e.text}")]
    firm = [e for e in matching if e.source in ("held", "listed")]
    if firm:
        return "found", sorted(firm, key=lambda e: e.source != "held")
    if matching:
        return "mentioned", matching
    if [e for e in of_kind if e.source in ("held", "listed")]:
        return "unclear", of_kind
    if of_kind:
        return "mentioned", of_kind
    return "absent", []


def assess_items(case: CaseFile, entries: list[Entry] | None = None) -> list[ItemResult]:
    """Every checklist item of the case's charges (common elements first), decided."""
    entries = inventory(case) if entries is None else entries
    lists = load_checklists()
    charges = checklist_for(list(case.case.charges) or _doc_charges(case), lists)
    if not charges:
        return []
    facts = case_facts(case)
    out: list[ItemResult] = []
    for el in lists.common:
        for it in el.items:
            state, found = assess_item(it, entries, facts)
            out.append(ItemResult(it, el.name, "", state, found))
    for cl in charges:
        for el in cl.elements:
            for it in el.items:
                state, found = assess_item(it, entries, facts)
                out.append(ItemResult(it, el.name, cl.charge, state, found))
    return out


def _doc_charges(case: CaseFile) -> list[str]:
    for t in (vocab.INDICTMENT, vocab.JUDGMENT, vocab.PROSECUTION_OPINION):
        for d in case.of_type(t):
            if d.value(vocab.CHARGES):
                return list(d.value(vocab.CHARGES))
    return []


# ----------------------------------------------------------------------------- confession pattern


@dataclass
class ConfessionPattern:
    """The suspect's statements over time: 零口供, 翻供 or 供认, with the reason and evidence."""

    status: str  # 零口供 / 翻供 / 供认 / ""
    reason: str = ""  # Chinese
    evidence: list[Evidence] = field(default_factory=list)


def _stance(doc: Document) -> str | None:
    s = doc.value(E.STANCE)
    if s in (E.ADMITS, E.DENIES):
        return s
    if doc.type == vocab.INTERROGATION and doc.value(vocab.CONFESSION) is True:
        return E.ADMITS
    return None


def _order(doc: Document, index: int) -> tuple:
    t = doc.value(vocab.START_TIME) or doc.value(vocab.DATE) or ""
    return (str(t)[:16] or "9999", index)


def _ev(doc: Document) -> list[Evidence]:
    return doc.evidence(E.STANCE) or doc.evidence(vocab.CONFESSION) or [doc.first_evidence()]


def confession_pattern(case: CaseFile) -> ConfessionPattern:
    hearings = sorted(((d, i) for i, d in enumerate(case.documents) if d.type == vocab.INTERROGATION), key=lambda p: _order(*p))
    ordered = [d for d, _ in hearings]
    stances = [(d, _stance(d)) for d in ordered]
    docs = [d for t in (vocab.PROSECUTION_OPINION, vocab.INDICTMENT, vocab.JUDGMENT) for d in case.of_type(t)]
    retract = [d for d in docs if d.value(E.RETRACTED)]
    if retract:
        d = retract[0]
        return ConfessionPattern("翻供", f"{d.type}记载被告人翻供", d.evidence(E.RETRACTED))
    for i, (d, s) in enumerate(stances):
        if s != E.ADMITS:
            continue
        later = next(((d2, s2) for d2, s2 in stances[i + 1:] if s2 == E.DENIES), None)
        if later:
            return ConfessionPattern("翻供", f"{d.type}（{d.file} 第{d.pages[0]}页）供认，其后的{later[0].type}"
                                             f"（{later[0].file} 第{later[0].pages[0]}页）否认", _ev(d) + _ev(later[0]))
        deny_doc = next((x for x in docs if _stance(x) == E.DENIES and x.type in (vocab.INDICTMENT, vocab.JUDGMENT)), None)
        if deny_doc:
            return ConfessionPattern("翻供", f"{d.type}（{d.file} 第{d.pages[0]}页）供认，{deny_doc.type}记载其否认或辩解",
                                     _ev(d) + _ev(deny_doc))
    admitted = [d for d, s in stances if s == E.ADMITS] + [d for d in docs if _stance(d) == E.ADMITS]
    if admitted:
        return ConfessionPattern("供认", f"{admitted[0].type}记载供认", _ev(admitted[0]))
    denied = [d for d, s in stances if s == E.DENIES] + [d for d in docs if _stance(d) == E.DENIES]
    if denied:
        names = "、".join(dict.fromkeys(d.type for d in denied))
        ev = [e for d in denied[:3] for e in _ev(d)]
        return ConfessionPattern("零口供", f"{names}均记载否认或拒不供认，卷内未见供认", ev)
    return ConfessionPattern("")
