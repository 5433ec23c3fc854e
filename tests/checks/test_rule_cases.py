"""One harness for every rule: each ``cases/<ID>.yaml`` lists ``fail`` cases (the rule must fire,
with the expected count and message substring) and ``pass`` cases (it must run and not fire). A pass
case the engine skips (trigger documents absent, a needed document missing) proves nothing about the
rule itself: it fails unless it says so with ``skipped: true`` (then the rule must have been skipped).
Likewise a pass case on which the rule ran but could not decide (it stopped with ``Skip``: a value it
needs was not read or not usable) must name the ``warning`` it expects."""

from __future__ import annotations

import pytest

from checks import implemented_rules, run_rules, unsupported_rules
from checks.catalog import load_catalog
from checks.engine import DOC_HEADINGS

from tests.checks.builder import build_case, load_cases

CASES = load_cases()
OWNED_ELSEWHERE = {"SUB-007"}  # the index helper owns checks/rules/similar.py and its tests


def _params():
    for rule_id, data in CASES.items():
        for kind in ("fail", "pass"):
            for i, case in enumerate(data.get(kind) or []):
                yield pytest.param(rule_id, kind, case, id=f"{rule_id}-{kind}-{i}-{case.get('name', '')}")


def _run(rule_id, case):
    catalog = load_catalog()
    run = run_rules(build_case(case), catalog, enabled=[rule_id])
    mine = [f for f in run.findings if f.rule_id == rule_id]
    return [f for f in mine if not f.preview], [f for f in mine if f.preview], run.warnings, run


@pytest.mark.parametrize("rule_id,kind,case", list(_params()))
def test_rule_case(rule_id, kind, case):
    findings, previews, warnings, run = _run(rule_id, case)
    if case.get("skipped"):
        assert kind == "pass" and rule_id in run.skipped, f"{rule_id} was expected to be skipped (ran: {run.ran})"
    else:
        assert rule_id in run.ran, f"{rule_id} did not run on this case (trigger or needed document absent); " \
                                   "a case meant to be skipped says `skipped: true`"
    messages = [f.message for f in findings + previews]
    if kind == "fail":
        assert len(findings) == case.get("count", 1), messages
        if "message" in case:
            assert any(case["message"] in m for m in messages), messages
        for f in findings:
            assert f.evidence, f"{rule_id} finding without evidence: {f.message}"
            assert f.basis or not load_catalog()[rule_id].basis
    else:
        assert findings == [], messages
        assert rule_id not in run.undecided or "warning" in case, \
            f"{rule_id} could not decide on this pass case (it stopped with Skip: {warnings}); " \
            "a case meant to test that says which `warning` it expects"
    if "preview" in case:
        assert len(previews) == case["preview"], messages
    if "warning" in case:
        assert any(case["warning"] in w for w in warnings), warnings
    assert not any("规则执行出错" in w for w in warnings), warnings


def test_every_catalog_rule_is_implemented_or_listed_unsupported():
    catalog = load_catalog()
    implemented, unsupported = implemented_rules(), unsupported_rules()
    missing = [r for r in catalog.rules if r not in implemented and r not in unsupported]
    assert missing == []
    assert not set(implemented) & set(unsupported)
    assert all(reason.strip() for reason in unsupported.values())


def test_every_rule_has_fail_and_pass_cases():
    lacking = [r for r in implemented_rules() if r not in OWNED_ELSEWHERE
               and not (CASES.get(r, {}).get("fail") and CASES.get(r, {}).get("pass"))]
    assert lacking == []


@pytest.mark.parametrize("rule_id", sorted(implemented_rules()))
def test_rule_docstring_has_all_headings(rule_id):
    sections = implemented_rules()[rule_id].doc_sections()
    assert sections.get("摘要")
    for heading in DOC_HEADINGS:
        assert sections.get(heading), f"{rule_id} lacks {heading}"


def test_a_broken_rule_becomes_a_warning_not_a_crash(monkeypatch):
    cls = implemented_rules()["DL-010"]
    monkeypatch.setattr(cls, "check", lambda self, case, ctx: 1 / 0)
    case = build_case({"docs": [{"type": "起诉书", "fields": {"date": "2024-05-20"}}]})
    run = run_rules(case, load_catalog(), enabled=["DL-010"])
    assert run.findings == []
    assert any("DL-010" in w and "规则执行出错" in w for w in run.warnings)


def test_a_pass_case_that_proves_nothing_fails_the_harness():
    """The guard itself: a pass case whose rule did not run, or ran but could not decide without
    the case naming the expected warning, is a failure, not a silent pass."""
    not_run = {"docs": [{"type": "提请批准逮捕书", "fields": {"date": "2024-03-28"}}]}  # no 拘留证: DL-004 never runs
    with pytest.raises(AssertionError, match="did not run"):
        test_rule_case("DL-004", "pass", not_run)
    undecided = {"docs": [{"type": "拘留证", "fields": {}}, {"type": "提请批准逮捕书", "fields": {"date": "2024-03-28"}}]}
    with pytest.raises(AssertionError, match="could not decide"):
        test_rule_case("DL-004", "pass", undecided)
    test_rule_case("DL-004", "pass", {**undecided, "warning": "未能读取执行拘留日期"})
