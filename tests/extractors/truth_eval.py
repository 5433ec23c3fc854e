"""Compare extraction with the fixture generator's truth (used by tests and bench)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from models import CaseFile, vocab

#: Key fields, compared by exact value (lists as sets; sentences by months / range).
KEY_FIELDS = (vocab.DOC_NUMBER, vocab.DATE, vocab.SUSPECT_NAME, vocab.CHARGES, vocab.EXECUTION_TIME,
              vocab.START_TIME, vocab.END_TIME, vocab.RECOMMENDATION, vocab.SENTENCE, "id_number")


#: (document type, field) whose truth is not in the text layer: the 送达回证 签收日期 is a handwritten
#: image (fixtures/README.md), and a 送达回证 served on an organ never names the suspect.
NOT_IN_TEXT = {(vocab.SERVICE_RECEIPT, vocab.DATE), (vocab.SERVICE_RECEIPT, vocab.SUSPECT_NAME)}


def _norm(name: str, value: Any) -> Any:
    if name in (vocab.RECOMMENDATION, vocab.SENTENCE):
        if not isinstance(value, dict):
            return value
        rng = value.get("range_months")
        return (value.get("kind"), float(value["months"]) if value.get("months") is not None else None,
                tuple(rng) if rng else None)
    if isinstance(value, list):
        return frozenset(value)
    return value


def _id_of(fields: dict[str, Any]) -> Any:
    people = fields.get(vocab.PERSONS) or []
    ids = [p.get("id_number") for p in people if p.get("id_number")]
    return ids[0] if ids else None


def truth_refs(td: dict[str, Any]) -> list[tuple[str, int]]:
    """Every ``(file, page)`` of a truth document in reading order.

    ``fixtures.scan`` keeps the first file in ``file`` with its ``pages``, and lists all the
    files under ``files`` when the pages became several loose images (one page each).
    """
    refs = [(td["file"], p) for p in td["pages"]]
    return refs + [(f, 1) for f in (td.get("files") or [])[1:]]


def compare(case: CaseFile, truth: dict[str, Any], stats: Counter, misses: list[str]) -> None:
    """Add type and key-field hits/totals of one dossier to ``stats``; describe misses.

    Documents are matched on their first ``(file, page)``; a match needs the type and all
    pages, across files for documents that span loose images.
    """
    got = {d.page_refs()[0]: d for d in case.documents if d.page_refs()}
    for td in truth["documents"]:
        stats["docs"] += 1
        refs = truth_refs(td)
        d = got.get(refs[0])
        if d is not None and d.type == td["type"] and d.page_refs() == refs:
            stats["type_ok"] += 1
        else:
            misses.append(f"{truth['dossier']} {refs} type {td['type']} → {d.type if d else None} "
                          f"{d.page_refs() if d else ''}")
        tf = td["fields"]
        for name in KEY_FIELDS:
            want = _id_of(tf) if name == "id_number" else tf.get(name)
            if want in (None, "", [], {}) or (td["type"], name) in NOT_IN_TEXT:
                continue
            have = None
            if d is not None:
                have = _id_of({k: f.value for k, f in d.fields.items()}) if name == "id_number" else d.value(name)
            stats[f"{name}_n"] += 1
            stats["key_n"] += 1
            if _norm(name, have) == _norm(name, want):
                stats[f"{name}_ok"] += 1
                stats["key_ok"] += 1
            else:
                misses.append(f"{truth['dossier']} {td['type']} {td['file']}:{td['pages']} {name}: want {want!r} got {have!r}")


def load_truth(folder: Path) -> dict[str, Any]:
    return json.loads(folder.with_name(folder.name + ".truth.json").read_text(encoding="utf-8"))


def summary(stats: Counter) -> dict[str, float]:
    out = {"type_accuracy": stats["type_ok"] / max(stats["docs"], 1),
           "key_field_accuracy": stats["key_ok"] / max(stats["key_n"], 1)}
    for name in KEY_FIELDS:
        if stats[f"{name}_n"]:
            out[name] = stats[f"{name}_ok"] / stats[f"{name}_n"]
    return out
