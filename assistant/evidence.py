"""The report's ``evidence`` block (issue 14): the dossier's evidence inventory under the eight kinds
of 刑事诉讼法第五十条, the per-charge checklist decisions and the confession pattern (零口供 / 翻供).

An added key of the report contract (``../shared/contract/report.md``: add keys freely)::

    "evidence": {
      "kinds": [{"kind": str, "held": int, "listed": int, "mentioned": int}],   # the eight kinds, statute order
      "items": [{"kind", "name", "source": "held"|"listed"|"mentioned", "document_id", "document_type",
                 "file", "page", "text"}],
      "complete": bool, "completeness": str,          # complete enough to tell a missing item, and why
      "charges": [str],                               # checklists applied
      "checklist": [{"id", "name", "element", "charge", "kinds", "status": "statutory"|"practice",
                     "state": "found"|"mentioned"|"unclear"|"absent"|"n/a", "basis", "found_in": [...]}],
      "confession": {"status": "零口供"|"翻供"|"供认"|"", "reason": str, "evidence": [Evidence]},
      "elements": [str]                               # per element, the evidence other than the statement
    }
"""

from __future__ import annotations

from typing import Any

from models import CaseFile, vocab
from models import evidence as E


def evidence_block(case: CaseFile) -> dict[str, Any]:
    from checks.evidence import assess_items, checklist_for, completeness, confession_pattern, inventory
    from checks.rules.evd import element_lines

    case = case.view((vocab.ROLE_CASE, vocab.ROLE_EVIDENCE))  # neither another case's documents nor volume furniture
    entries = inventory(case)
    comp = completeness(case, entries)
    results = assess_items(case, entries)
    pattern = confession_pattern(case)
    kinds = []
    for k in E.KINDS:
        of = [e for e in entries if e.kind == k]
        kinds.append({"kind": k, **{s: sum(1 for e in of if e.source == s) for s in ("held", "listed", "mentioned")}})
    charges = [c.charge for c in checklist_for(list(case.case.charges))]
    return {
        "kinds": kinds,
        "items": [e.contract() for e in entries],
        "complete": comp.complete,
        "completeness": comp.reason,
        "charges": list(dict.fromkeys(charges)),
        "checklist": [r.contract() for r in results],
        "confession": {"status": pattern.status, "reason": pattern.reason,
                       "evidence": [e.contract() for e in pattern.evidence]},
        "elements": element_lines(results) if pattern.status in ("零口供", "翻供") else [],
    }
