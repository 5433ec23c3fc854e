"""A validator for the report contract of ``../shared/contract/report.md`` (schema v1).

Tests call :func:`validate_report`; it raises AssertionError naming the first violation.
Only the contract's keys are checked: additive keys are allowed.
"""

from __future__ import annotations

import re
from typing import Any

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$")
RULE_ID = re.compile(r"^(DL|SG|DOC|CON|SUB)-\d{3}$")


def _is(value: Any, types, where: str) -> None:
    assert isinstance(value, types), f"{where}: expected {types}, got {type(value).__name__} ({value!r:.80})"


def _evidence(e: Any, where: str) -> None:
    _is(e, dict, where)
    for k, t in (("document_id", str), ("file", str), ("page", int), ("text", str)):
        assert k in e, f"{where}: missing {k}"
        _is(e[k], t, f"{where}.{k}")
    assert "bbox" in e, f"{where}: missing bbox"
    if e["bbox"] is not None:
        _is(e["bbox"], list, f"{where}.bbox")
        assert len(e["bbox"]) == 4 and all(isinstance(v, (int, float)) for v in e["bbox"]), f"{where}.bbox"


def validate_report(r: dict, catalog_ids: set[str] | None = None) -> None:
    _is(r, dict, "report")
    assert r.get("schema_version") == "1", "schema_version must be '1'"
    d = r["dossier"]
    _is(d["name"], str, "dossier.name")
    _is(d["files"], list, "dossier.files")
    assert all(isinstance(f, str) for f in d["files"])
    _is(d["pages"], int, "dossier.pages")
    doc_ids = set()
    for i, doc in enumerate(r["documents"]):
        w = f"documents[{i}]"
        for k, t in (("id", str), ("type", str), ("title", str), ("source", dict), ("fields", dict)):
            _is(doc[k], t, f"{w}.{k}")
        doc_ids.add(doc["id"])
        _is(doc["source"]["file"], str, f"{w}.source.file")
        _is(doc["source"]["pages"], list, f"{w}.source.pages")
        assert all(isinstance(p, int) and p >= 1 for p in doc["source"]["pages"]), f"{w}.source.pages"
        assert doc["text_source"] in ("text-layer", "ocr", "mixed"), f"{w}.text_source={doc['text_source']}"
        for name, f in doc["fields"].items():
            assert set(f) >= {"value", "evidence"}, f"{w}.fields.{name}"
            for j, e in enumerate(f["evidence"]):
                _evidence(e, f"{w}.fields.{name}.evidence[{j}]")
    assert len(doc_ids) == len(r["documents"]), "document ids must be unique"
    c = r["case"]
    _is(c["doc_numbers"], list, "case.doc_numbers")
    for s in c["suspects"]:
        _is(s["name"], str, "case.suspects[].name")
        assert s["gender"] in ("男", "女", None)
        assert s["birth_date"] is None or ISO_DATE.match(s["birth_date"])
        assert s["id_number"] is None or isinstance(s["id_number"], str)
    for ch in c["charges"]:
        assert isinstance(ch, str) and ch.endswith("罪"), f"charge {ch!r} must end in 罪"
    for ev, v in c["dates"].items():
        assert isinstance(ev, str) and ISO_DATE.match(v), f"case.dates[{ev}]={v!r}"
    for i, f in enumerate(r["findings"]):
        w = f"findings[{i}]"
        assert RULE_ID.match(f["rule_id"]), f"{w}.rule_id"
        if catalog_ids is not None:
            assert f["rule_id"] in catalog_ids, f"{w}.rule_id not in catalog"
        for k, t in (("title", str), ("category", str), ("severity_points", int), ("message", str),
                     ("basis", list), ("evidence", list)):
            _is(f[k], t, f"{w}.{k}")
        assert f["message"], f"{w}.message empty"
        for b in f["basis"]:
            _is(b["law"], str, f"{w}.basis.law")
            assert b["article"] is None or isinstance(b["article"], str)
            _is(b["quote"], str, f"{w}.basis.quote")
        for j, e in enumerate(f["evidence"]):
            _evidence(e, f"{w}.evidence[{j}]")
    kr = r["key_review"]
    _is(kr["required"], bool, "key_review.required")
    _is(kr["reasons"], list, "key_review.reasons")
    _is(r["grade"], str, "grade")
    _is(r["points"], int, "points")
    assert r["points"] == sum(
        f["severity_points"] for f in r["findings"]
        if not (f.get("disposition") or {}).get("status") in ("误报", "不适用")
    ), "points must be the sum of counted severity_points"
    if "similar_cases" in r:
        sc = r["similar_cases"]
        for k in ("expected_sentence_months", "actual_sentence_months", "deviation"):
            assert sc[k] is None or isinstance(sc[k], (int, float)), f"similar_cases.{k}"
        for n in sc["neighbours"]:
            _is(n["id"], str, "neighbour.id")
            _is(n["charges"], list, "neighbour.charges")
            assert n["sentence_months"] is None or isinstance(n["sentence_months"], (int, float))
            _is(n["similarity"], (int, float), "neighbour.similarity")
    _is(r["warnings"], list, "warnings")
    assert all(isinstance(w, str) for w in r["warnings"])
