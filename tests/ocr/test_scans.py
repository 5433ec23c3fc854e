"""Scanned renderings of generated dossiers: slot decisions and findings agree with the text layer.

A small set (a few documents with signature slots, with empty-slot defects injected) is
scanned with :func:`fixtures.scan.scan_dossier` and read through ``extract_case``; the
bigger measurement is ``bench/ocr_pages.py``.
"""

from __future__ import annotations

import json
import shutil

import pytest

from fixtures.generator import generate_dossier
from fixtures.scan import scan_dossier, truth_path_of

KEEP = ("讯问笔录", "认罪认罚具结书", "起诉书", "送达回证")
FAMILIES = ("SG-", "DL-", "CON-", "DOC-")


@pytest.fixture(scope="module")
def dossiers(tmp_path_factory):
    root = tmp_path_factory.mktemp("scans")
    folder = generate_dossier(seed=21, out_dir=root / "gen", layout="per-document", defects=["SG-001", "SG-004"])
    truth = json.loads(truth_path_of(folder).read_text(encoding="utf-8"))
    text_dir = root / "text" / "dossier"
    text_dir.mkdir(parents=True)
    chosen = []
    for f in sorted(folder.iterdir()):
        if any(k in f.name for k in KEEP) and not any(k in c.name for c in chosen for k in KEEP if k in f.name):
            shutil.copy2(f, text_dir / f.name)
            chosen.append(f)
    names = {f.name for f in chosen}
    truth["slots"] = [s for s in truth["slots"] if s["file"] in names]
    truth["documents"] = [d for d in truth["documents"] if d["file"] in names]
    truth_path_of(text_dir).write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
    scan_dir = root / "scan" / "dossier"
    scanned_truth = scan_dossier(text_dir, scan_dir, seed=4, profile="pdf", turns=False)
    return text_dir, scan_dir, truth, scanned_truth


def test_scan_writes_image_only_files_and_adapted_truth(dossiers):
    import pypdfium2 as pdfium

    text_dir, scan_dir, truth, scanned = dossiers
    assert sorted(p.name for p in scan_dir.iterdir()) == sorted(p.name for p in text_dir.iterdir())
    assert truth_path_of(scan_dir).exists() and scanned["scan"]["profile"] == "pdf"
    for f in scan_dir.iterdir():
        pdf = pdfium.PdfDocument(str(f))
        assert all(len(page.get_textpage().get_text_range().strip()) == 0 for page in pdf)
        pdf.close()
    assert [s["page"] for s in scanned["slots"]] == [s["page"] for s in truth["slots"]]


def test_loose_images_move_page_references(tmp_path, dossiers):
    text_dir, _, truth, _ = dossiers
    one = tmp_path / "src" / "d"
    one.mkdir(parents=True)
    name = next(s["file"] for s in truth["slots"] if "讯问笔录" in s["file"])
    shutil.copy2(text_dir / name, one / name)
    sub = dict(truth, slots=[s for s in truth["slots"] if s["file"] == name], documents=[])
    truth_path_of(one).write_text(json.dumps(sub, ensure_ascii=False), encoding="utf-8")
    out = scan_dossier(one, tmp_path / "out" / "d", seed=1, profile="images")
    files = {f["name"] for f in out["files"]}
    for s in out["slots"]:
        assert s["page"] == 1 and s["file"] in files and s["file"].endswith((".jpg", ".png"))


@pytest.fixture(scope="module")
def cases(dossiers):
    from extractors import extract_case

    text_dir, scan_dir, _, _ = dossiers
    return extract_case(text_dir), extract_case(scan_dir)


def test_scanned_pages_were_read_by_ocr(cases):
    _, scanned = cases
    assert scanned.pages and all(p.text_source == "ocr" for p in scanned.pages)
    assert min(p.ocr_confidence or 0 for p in scanned.pages) > 0.8
    assert {d.type for d in scanned.documents} >= {"讯问笔录", "认罪认罚具结书", "起诉书"}


def test_slot_decisions_on_scans(cases, dossiers):
    _, scanned = cases
    truth = dossiers[3]
    got = {}
    for d in scanned.documents:
        for s in d.slots:
            got.setdefault((s.file or d.file, s.page, s.role, s.kind), []).append(s.filled)
    wanted = [s for s in truth["slots"] if s.get("bbox")]
    right = 0
    for s in wanted:
        found = got.get((s["file"], s["page"], s["role"], s["kind"]), [])
        if found and None not in found and ((s["filled"] and any(found)) or (not s["filled"] and not all(found))):
            right += 1
    assert any(not s["filled"] for s in wanted)
    assert right / len(wanted) >= 0.98, (right, len(wanted))


def test_grey_scans_judge_marks_from_the_image(tmp_path, dossiers):
    """The same dossier scanned in grey mode: no red anywhere, seals and fingerprints decided by their
    shape; the signature and fingerprint findings equal the text layer's."""
    from checks.catalog import load_catalog
    from checks.runner import run_rules
    from extractors import extract_case

    text_dir, _, truth, _ = dossiers
    grey_dir = tmp_path / "grey" / "dossier"
    scan_dossier(text_dir, grey_dir, seed=7, profile="pdf", turns=False, grey=True)
    grey = extract_case(grey_dir)
    got = {}
    for d in grey.documents:
        for s in d.slots:
            got.setdefault((s.file or d.file, s.page, s.role, s.kind), []).append(s.filled)
    wanted = [s for s in truth["slots"] if s.get("bbox") and s["kind"] in ("fingerprint", "seal")]
    right = sum(1 for s in wanted if (found := got.get((s["file"], s["page"], s["role"], s["kind"])))
                and None not in found and ((s["filled"] and any(found)) or (not s["filled"] and not all(found))))
    assert wanted and right / len(wanted) >= 0.9, (right, len(wanted))
    catalog = load_catalog()
    a = {(f.rule_id, f.key) for f in run_rules(extract_case(text_dir), catalog).findings if f.rule_id.startswith("SG-")}
    b = {(f.rule_id, f.key) for f in run_rules(grey, catalog).findings if f.rule_id.startswith("SG-")}
    assert a == b, (sorted(a - b), sorted(b - a))


def test_findings_on_scans_equal_text_layer(cases):
    from checks.catalog import load_catalog
    from checks.runner import run_rules

    catalog = load_catalog()
    text_case, scanned = cases
    a = {(f.rule_id, f.key) for f in run_rules(text_case, catalog).findings if f.rule_id.startswith(FAMILIES)}
    b = {(f.rule_id, f.key) for f in run_rules(scanned, catalog).findings if f.rule_id.startswith(FAMILIES)}
    assert {r for r, _ in a} >= {"SG-001", "SG-004"}
    assert len(a & b) / max(len(a | b), 1) >= 0.95, (sorted(a - b), sorted(b - a))


def test_mixed_pdf_is_read_page_by_page(tmp_path, dossiers):
    """A PDF whose second page is a scan and whose other pages keep their text layer: only the
    scan is OCR'd, and the document reads on across both kinds of page."""
    from extractors import extract_case
    from fixtures.scan import _mixed_pdf, rasterize
    from models import vocab

    text_dir, _, _, _ = dossiers
    src = next(f for f in sorted(text_dir.iterdir()) if "讯问笔录" in f.name)
    text_case = extract_case(src)
    assert len(text_case.pages) >= 2
    out = tmp_path / "d" / src.name
    out.parent.mkdir()
    _mixed_pdf(src, out, {1: (rasterize(src, 200, {1})[1], 200)})
    case = extract_case(out.parent)
    assert [p.text_source for p in case.pages] == ["text-layer", "ocr"] + ["text-layer"] * (len(case.pages) - 2)
    [doc] = [d for d in case.documents if d.type == vocab.INTERROGATION]
    [want] = [d for d in text_case.documents if d.type == vocab.INTERROGATION]
    assert doc.text_source == "mixed" and doc.pages == want.pages
    assert {(s.role, s.page, s.filled) for s in doc.slots} == {(s.role, s.page, s.filled) for s in want.slots}
