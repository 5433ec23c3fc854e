"""End to end on generated dossiers (fixtures/evidence_docs.py): complete, incomplete, 零口供, 翻供 and
no-volume variants — every EVD rule fires where the truth says and stays silent elsewhere."""

from __future__ import annotations

import json

import pytest

from checks.catalog import load_catalog
from checks.runner import run_rules
from checks.evidence import confession_pattern
from extractors import extract_case
from fixtures import evidence_docs

EVD = ["EVD-001", "EVD-002", "EVD-003", "EVD-004"]


@pytest.fixture(scope="module")
def dossiers(tmp_path_factory):
    out = tmp_path_factory.mktemp("evd")
    return [(d, json.loads((out / f"{d.name}.truth.json").read_text(encoding="utf-8"))) for d in evidence_docs.write(out)]


def _state(findings, rule_id):
    mine = [f for f in findings if f.rule_id == rule_id]
    if any(not f.preview for f in mine):
        return "finding"
    return "hint" if mine else "none"


def test_every_variant_gets_what_its_truth_expects(dossiers):
    assert {t["variant"] for _, t in dossiers} == set(evidence_docs.VARIANTS)
    for d, truth in dossiers:
        case = extract_case(d)
        run = run_rules(case, load_catalog(), enabled=EVD)
        got = {r: _state(run.findings, r) for r in truth["expect"]}
        want = {r: v for r, v in truth["expect"].items() if v != "any"}
        assert {r: got[r] for r in want} == want, (d.name, [f.message for f in run.findings])
        assert confession_pattern(case).status == truth["confession"], d.name
        assert not any("规则执行出错" in w for w in run.warnings)


def test_the_report_carries_the_evidence_block(dossiers):
    from assistant.pipeline import scan

    d = next(d for d, t in dossiers if t["variant"] == "zero")
    report = scan(d).report
    ev = report["evidence"]
    assert [k["kind"] for k in ev["kinds"]][0] == "物证" and len(ev["kinds"]) == 8
    assert ev["complete"] and ev["confession"]["status"] == "零口供" and ev["elements"]
    held = [i for i in ev["items"] if i["source"] == "held" and i["kind"] == "鉴定意见"]
    assert held and held[0]["file"].startswith("证据卷/")
    from assistant.render import render_html

    assert "证据目录" in render_html(report) and "零口供" in render_html(report)
