"""SUB-007 cases that must fire and must not, run through the rule engine."""

from __future__ import annotations

import pytest
import yaml

from checks.catalog import load_catalog
from checks.engine import REGISTRY
from checks.runner import run_rules
from models import CaseFile, Document, Field

CASES = yaml.safe_load("""
- name: far above the interval
  similar: {charge: 盗窃罪, expected_sentence_months: 8, actual_sentence_months: 36, deviation: 3.5,
            interval_months: [4, 14], neighbour_count: 30, actual_outcome_class: 监禁刑,
            outcome_rates: {监禁刑: 1.0}, neighbours: [{id: c1, charges: [盗窃罪], sentence_months: 8, similarity: 0.93}],
            circumstances_differing: {自首: 3}}
  fires: true
  contains: [偏离 +350%, c1, 自首]
- name: far below the interval
  similar: {charge: 盗窃罪, expected_sentence_months: 40, actual_sentence_months: 6, deviation: -0.85,
            interval_months: [24, 60], neighbour_count: 30, actual_outcome_class: 监禁刑, outcome_rates: {监禁刑: 1.0}}
  fires: true
  contains: [低于类案预期]
- name: inside the interval
  similar: {charge: 盗窃罪, expected_sentence_months: 8, actual_sentence_months: 11, deviation: 0.375,
            interval_months: [4, 14], neighbour_count: 30, actual_outcome_class: 监禁刑, outcome_rates: {监禁刑: 1.0}}
  fires: false
- name: outside the interval but a small relative deviation
  similar: {charge: 危险驾驶罪, expected_sentence_months: 3, actual_sentence_months: 3.5, deviation: 0.17,
            interval_months: [2, 3.4], neighbour_count: 30, actual_outcome_class: 监禁刑, outcome_rates: {监禁刑: 1.0}}
  fires: false
- name: rare outcome
  similar: {charge: 盗窃罪, expected_sentence_months: 30, actual_sentence_months: 0, deviation: -1.0,
            interval_months: [0, 50], neighbour_count: 30, actual_outcome_class: 非监禁刑/免予刑事处罚,
            outcome_rates: {监禁刑: 0.99, 非监禁刑/免予刑事处罚: 0.01}}
  fires: true
  contains: [占比仅 1%]
- name: rare outcome among too few neighbours
  similar: {charge: 盗窃罪, expected_sentence_months: 30, actual_sentence_months: 0, deviation: -1.0,
            interval_months: [0, 50], neighbour_count: 3, actual_outcome_class: 非监禁刑/免予刑事处罚,
            outcome_rates: {监禁刑: 1.0}}
  fires: false
- name: far above the interval but the index has too few cases of the charge
  similar: {charge: 盗窃罪, expected_sentence_months: 8, actual_sentence_months: 36, deviation: 3.5, same_charge_cases: 3,
            interval_months: [4, 14], neighbour_count: 30, actual_outcome_class: 监禁刑, outcome_rates: {监禁刑: 1.0}}
  fires: false
  warns: 仅 3 件
- name: an acquittal is not judged against a corpus of convictions (SUB-003 owns it)
  similar: {charge: 诈骗罪, expected_sentence_months: 14, actual_sentence_months: 0, deviation: -1.0,
            interval_months: [2, 85], neighbour_count: 30, actual_outcome_class: 无罪/不起诉,
            outcome_rates: {监禁刑: 0.84, 非监禁刑/免予刑事处罚: 0.14}}
  fires: false
- name: threshold option raised
  options: {threshold: 4.0}
  similar: {charge: 盗窃罪, expected_sentence_months: 8, actual_sentence_months: 36, deviation: 3.5,
            interval_months: [4, 14], neighbour_count: 30, actual_outcome_class: 监禁刑, outcome_rates: {监禁刑: 1.0}}
  fires: false
""")


def _case() -> CaseFile:
    doc = Document(id="d1", type="判决书", file="判决书.pdf", pages=[1],
                   fields={"sentence": Field(value={"kind": "有期徒刑", "months": 36})})
    return CaseFile(name="t", documents=[doc])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_sub007_cases(case):
    catalog = load_catalog()
    run = run_rules(_case(), catalog, enabled=["SUB-007"], options={"SUB-007": case.get("options", {})},
                    similar=case["similar"])
    found = [f for f in run.findings if f.rule_id == "SUB-007"]
    assert bool(found) is case["fires"], (found, run.warnings)
    if case.get("warns"):
        assert any(case["warns"] in w for w in run.warnings), run.warnings
    for text in case.get("contains", []):
        assert text in found[0].message, found[0].message
    if found:
        assert found[0].evidence and found[0].evidence[0].document_id == "d1" or not case["similar"].get("actual_document_id")


def test_sub007_without_assessment_warns():
    run = run_rules(_case(), load_catalog(), enabled=["SUB-007"])
    assert not run.findings
    assert any("SUB-007" in w and "类案" in w for w in run.warnings)


def test_sub007_documented():
    sections = REGISTRY["SUB-007"].doc_sections()
    for heading in ("检查内容", "为何是问题", "违规示例", "规范示例"):
        assert sections.get(heading)
