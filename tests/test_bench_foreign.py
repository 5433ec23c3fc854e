"""``bench/foreign.py``: the baseline comparison over the shared scorer's per-dossier rows."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "foreign.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_foreign", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _row(dossier: str, tp=(), fn=(), fp=(), clean=False, charges=1.0) -> dict:
    fields = {"suspect_name": 1.0, "id_number": 1.0, "birth_date": 1.0, "charges": charges, "doc_numbers": 1.0}
    return {"dossier": dossier, "rendering": "text", "status": "ok", "seconds": 1.0, "pages": 10, "clean": clean,
            "score": {"tp": list(tp), "fn": list(fn), "fp": list(fp), "tolerated": [], "doc_type_correct": 9,
                      "doc_type_total": 10, "doc_type_by_type": {"起诉书": [1, 1]}, "fields": fields}}


def test_compare_reports_per_rule_deltas_on_common_dossiers():
    bench = _bench()
    if not bench.SCORER.is_file():
        pytest.skip(f"shared scorer not available at {bench.SCORER}")
    scorer = bench.load_scorer()
    baseline = {"rows": {"text": [_row("D001", fn=["SUB-007"], fp=["SG-002"]), _row("D002", fp=["SG-001"], clean=True,
                                                                                     charges=0.0),
                                  _row("D003", tp=["DL-005"])]}}
    current = {"rows": {"text": [_row("D001", tp=["SUB-007"], fp=["SG-002"]), _row("D002", clean=True),
                                 _row("D009", fp=["DOC-001"])]}}
    text = "\n".join(bench.compare(scorer, current, baseline))
    assert "2 dossiers in common" in text  # D003 (baseline only) and D009 (current only) are left out
    assert "recall 1.000 (+1.000)" in text and "charges 1.000 (+0.500)" in text
    assert "clean dossiers with a false finding: 0 (-1)" in text
    lines = {ln.split()[0]: ln.split()[1:] for ln in text.splitlines() if ln[:3] in ("SUB", "SG-", "DOC", "DL-")}
    assert lines["SUB-007"] == ["1", "+1", "0", "-1", "0", "+0"]
    assert lines["SG-001"] == ["0", "+0", "0", "+0", "0", "-1"]
    assert "SG-002" not in lines and "DOC-001" not in lines and "DL-005" not in lines  # unchanged / not common


def test_compare_flags_regressions_by_dossier():
    bench = _bench()
    if not bench.SCORER.is_file():
        pytest.skip(f"shared scorer not available at {bench.SCORER}")
    baseline = {"rows": {"text": [_row("D001", tp=["CON-002"])]}}
    current = {"rows": {"text": [_row("D001", fn=["CON-002"], fp=["SG-002"])]}}
    text = "\n".join(bench.compare(bench.load_scorer(), current, baseline))
    assert "D001: new fp SG-002  lost tp CON-002" in text
