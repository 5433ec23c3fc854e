"""Slot decisions on scans drawn in held-out mark styles (not the ones the detectors were developed on).

``generate_dossier(style="heldout")`` draws ballpoint cursive signatures (blue/black, small and
large, over underlines, under fingerprints), smudged/partial fingerprints, pale/broken/oval
seals in other reds, and negatives around blank slots (see ``fixtures/render.py``). A few
documents of one such dossier are scanned and read through ``extract_case``; the wider
measurement (by role and style tag, before/after) is ``bench/slots_heldout.py``.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict

import pytest

from fixtures.generator import generate_dossier
from fixtures.scan import scan_dossier, truth_path_of

KEEP = ("讯问笔录", "认罪认罚具结书", "送达回证", "拘留证", "起诉书")
SEED = 4242   # neither the tuning seeds (500…) nor the reported ones (900…) of the benchmark


def _slot_keys(truth: dict) -> list[tuple]:
    return [(s["file"], s["page"], s["role"], s["kind"], s["filled"], tuple(s["bbox"] or ())) for s in truth["slots"]]


def test_heldout_style_keeps_the_ground_truth(tmp_path):
    a = generate_dossier(SEED, tmp_path / "default", ["SG-001"], "per-document")
    b = generate_dossier(SEED, tmp_path / "heldout", ["SG-001"], "per-document", style="heldout")
    ta = json.loads(truth_path_of(a).read_text(encoding="utf-8"))
    tb = json.loads(truth_path_of(b).read_text(encoding="utf-8"))
    assert _slot_keys(ta) == _slot_keys(tb)
    assert all("style" not in s for s in ta["slots"]) and all(s.get("style") for s in tb["slots"] if s["bbox"])
    assert {k: v for k, v in ta.items() if k != "slots"} == {k: v for k, v in tb.items() if k != "slots"}
    with pytest.raises(ValueError):
        generate_dossier(SEED, tmp_path / "bad", [], "per-document", style="nope")


@pytest.fixture(scope="module")
def heldout_scan(tmp_path_factory):
    root = tmp_path_factory.mktemp("heldout")
    folder = generate_dossier(SEED, root / "gen", ["SG-001", "SG-009"], "per-document", style="heldout")
    truth = json.loads(truth_path_of(folder).read_text(encoding="utf-8"))
    text_dir = root / "text" / "dossier"
    text_dir.mkdir(parents=True)
    kept: set[str] = set()
    for f in sorted(folder.iterdir()):
        kind = next((k for k in KEEP if k in f.name), None)
        if kind and kind not in {next(k for k in KEEP if k in n) for n in kept}:
            shutil.copy2(f, text_dir / f.name)
            kept.add(f.name)
    truth["slots"] = [s for s in truth["slots"] if s["file"] in kept]
    truth["documents"] = [d for d in truth["documents"] if d["file"] in kept]
    truth_path_of(text_dir).write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
    scan_dir = root / "scan" / "dossier"
    scanned = scan_dossier(text_dir, scan_dir, seed=SEED, profile="pdf", turns=False)
    from extractors import extract_case

    return extract_case(scan_dir), scanned


def test_slot_decisions_on_heldout_scans(heldout_scan):
    """Measured on this dossier (8 pages, 23 slots): 19/23 right; the 4 others are slots whose
    label OCR did not read as a label (a typed name or a signature merged into the label's
    line), none a wrong decision on a label that was read. The bench gives the wider figures."""
    case, truth = heldout_scan
    got: dict[tuple, list] = defaultdict(list)
    for d in case.documents:
        for s in d.slots:
            got[(d.file, s.page, s.role, s.kind)].append(s.filled)
    wanted = [s for s in truth["slots"] if s.get("bbox")]
    right, decided, wrong = 0, 0, []
    for s in wanted:
        pool = got.get((s["file"], s["page"], s["role"], s["kind"]))
        decided += bool(pool)
        if pool and s["filled"] in pool:
            pool.remove(s["filled"])
            right += 1
        else:
            wrong.append((s["file"], s["page"], s["role"], s["filled"], s["style"], "wrong" if pool else "missing"))
    styles = {t for s in wanted for t in s["style"].split("+")}
    assert any(not s["filled"] for s in wanted) and len(wanted) >= 15
    assert {"ballpoint-blue", "ballpoint-black"} & styles
    assert right / max(decided, 1) >= 0.95, (right, decided, wrong)
    assert right / len(wanted) >= 0.78, (right, len(wanted), wrong)
