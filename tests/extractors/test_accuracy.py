"""Classification and key-field accuracy against the fixture generator's ground truth.

Thirty dossiers (all layouts, with and without injected defects) are generated once per
session; the measured figures are printed (``pytest -s``) and asserted.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from extractors import extract_case
from tests.extractors.truth_eval import compare, load_truth, summary

N_DOSSIERS = 30


@pytest.fixture(scope="session")
def dossiers(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    generator = pytest.importorskip("fixtures.generator")
    out = tmp_path_factory.mktemp("dossiers")
    return generator.generate_set(N_DOSSIERS, seed=2024, out_dir=out)


def _slot_stats(case, truth, stats: Counter) -> None:
    got = {}
    for d in case.documents:
        for s in d.slots:
            got.setdefault((d.file, s.page, s.role, s.kind), []).append(s.filled)
    for t in truth.get("slots", []):
        key = (t["file"], t["page"], t["role"], t["kind"])
        if key not in got or t["kind"] == "date":
            continue
        stats["slots_n"] += 1
        if got[key].pop(0) == t["filled"] if got[key] else False:
            stats["slots_ok"] += 1


def test_type_and_key_field_accuracy(dossiers: list[Path]):
    assert len(dossiers) >= 30
    stats: Counter = Counter()
    misses: list[str] = []
    pages = 0
    for folder in dossiers:
        case = extract_case(folder)
        truth = load_truth(folder)
        compare(case, truth, stats, misses)
        _slot_stats(case, truth, stats)
        pages += len(case.pages)
    figures = summary(stats)
    slot_acc = stats["slots_ok"] / max(stats["slots_n"], 1)
    print(f"\n{len(dossiers)} dossiers, {pages} pages, {stats['docs']} documents, {stats['key_n']} key values")
    print("accuracy:", {k: round(v, 4) for k, v in figures.items()})
    print(f"slot filled/empty agreement on matched slots: {slot_acc:.3f} ({stats['slots_n']} slots)")
    for m in misses[:20]:
        print("miss:", m)
    assert figures["type_accuracy"] >= 0.98
    assert figures["key_field_accuracy"] >= 0.98
    assert stats["slots_n"] > 100
    assert slot_acc >= 0.95
