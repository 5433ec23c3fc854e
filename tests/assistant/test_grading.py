"""Points, suggested 等次, 重点评查 and 瑕疵累计积分 (assistant.grading)."""

from __future__ import annotations

import pytest

from models import Finding

from assistant.grading import DEFAULT_KEY_REVIEW_RULES, GRADE_SCHEMES, GradingScheme, grade
from checks.catalog import load_catalog


def f(rule_id: str, points: int, **kw) -> Finding:
    return Finding(rule_id=rule_id, title="t", category="c", severity_points=points, message="m", **kw)


@pytest.mark.parametrize("points,expected", [
    ([], "合格"),
    ([1, 2], "合格"),
    ([1, 1, 1, 1], "瑕疵"),        # total 4
    ([3], "瑕疵"),                 # a 3-point item
    ([5, 5, 5, 4], "瑕疵"),        # total 19, below the 20-point line
    ([5, 5, 5, 5], "不合格"),      # total 20
])
def test_default_scheme(points, expected):
    g = grade([f(f"DOC-00{i}", p) for i, p in enumerate(points)])
    assert g.points == sum(points)
    assert g.grade == expected


def test_nine_point_item_needs_confirmation_to_fail():
    unconfirmed = grade([f("DL-008", 9)])
    assert unconfirmed.grade == "瑕疵"
    assert unconfirmed.key_review.required and unconfirmed.key_review.reasons == ["DL-008"]
    assert unconfirmed.accumulation["unconfirmed_fail_items"] == ["DL-008"]
    confirmed = grade([f("DL-008", 9, disposition={"status": "确认"})])
    assert confirmed.grade == "不合格"
    assert confirmed.accumulation["unconfirmed_fail_items"] == []
    assert grade([f("DL-008", 9)], GradingScheme(fail_item_requires_confirmation=False)).grade == "不合格"


def test_preview_findings_never_count():
    g = grade([f("CON-006", 3, preview=True), f("DOC-021", 1)])
    assert g.points == 1 and g.grade == "合格"


def test_key_review_from_sub_triggers_with_zero_points():
    g = grade([f("SUB-001", 0), f("SUB-005", 0), f("DOC-021", 1)])
    assert g.key_review.required
    assert g.key_review.reasons == ["SUB-001", "SUB-005"]
    assert g.points == 1 and g.grade == "合格"
    assert not grade([f("DOC-021", 1)]).key_review.required


def test_default_key_review_rules_match_the_catalog():
    assert set(DEFAULT_KEY_REVIEW_RULES) == set(_catalog_triggers())


def _catalog_triggers():
    import yaml

    data = yaml.safe_load(load_catalog().path.read_text(encoding="utf-8"))
    return data["key_review_triggers"]["entries"]


def test_grade_names_2026():
    scheme = GradingScheme(names=GRADE_SCHEMES["2026"])
    assert grade([f("DL-010", 5)], scheme).grade == "基本合格"


def test_accumulation_thresholds_by_case_kind():
    findings = [f("DL-010", 5)] * 7  # 35 points
    assert grade(findings, case_kind="公诉").accumulation == {
        "points": 35, "threshold": 40, "flagged": False, "case_kind": "公诉", "unconfirmed_fail_items": []}
    assert grade(findings, case_kind="其他").accumulation["flagged"] is True
    assert grade(findings, GradingScheme(accumulation_threshold=30)).accumulation["flagged"] is True
