"""YAML profiles: validation with Chinese messages, and their effect on rules and grading."""

from __future__ import annotations

import textwrap

import pytest

from models import Finding

from assistant.grading import grade
from assistant.profiles import Profile, ProfileError, load_profile, parse_profile
from checks.catalog import load_catalog

IDS = set(load_catalog().rules)


def f(rule_id: str, points: int) -> Finding:
    return Finding(rule_id=rule_id, title="t", category="c", severity_points=points, message="m")


def test_full_profile(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(textwrap.dedent("""
        name: 某区院公诉
        case_kind: 其他
        grade_scheme: "2026"
        rules:
          disable: [DOC-021]
          severity: {CON-004: 2}
          options: {SUB-002: {reason_points: 4}}
        preview: [CON-006]
        key_review: [SUB-001, SUB-003]
        thresholds: {flaw_total_points: 5, accumulation: 25, fail_item_requires_confirmation: false}
    """), encoding="utf-8")
    p = load_profile(path, IDS)
    assert p.name == "某区院公诉" and p.case_kind == "其他"
    assert "DOC-021" not in p.enabled_rules(load_catalog())
    assert p.rule_options() == {"SUB-002": {"reason_points": 4}}
    findings = p.apply([f("CON-004", 1), f("CON-006", 3), f("SUB-005", 0)])
    assert findings[0].severity_points == 2
    assert findings[1].preview
    g = grade(findings, p.scheme, case_kind=p.case_kind)
    assert g.points == 2 and g.grade == "合格"
    assert g.key_review.reasons == []  # SUB-005 is not a key-review rule in this profile
    assert g.accumulation["threshold"] == 25
    assert grade([f("DL-010", 5)], p.scheme).grade == "基本合格"
    assert grade([f("DL-008", 9)], p.scheme).grade == "不合格"


def test_only_runs_listed_rules():
    p = parse_profile({"rules": {"only": ["DL-010", "SG-001"]}}, IDS)
    assert p.enabled_rules(load_catalog()) == ["DL-010", "SG-001"]


def test_custom_grade_names():
    p = parse_profile({"grade_scheme": ["甲", "乙", "丙", "丁"]}, IDS)
    assert grade([f("DL-010", 5)], p.scheme).grade == "丙"


def test_every_mistake_is_reported_in_chinese():
    with pytest.raises(ProfileError) as err:
        parse_profile({
            "colour": "red",
            "case_kind": "民事",
            "rules": {"disable": ["XX-001"], "severity": {"DL-010": 20, "CON-004": True}, "bogus": 1},
            "preview": ["DOC-021"],
            "grade_scheme": "2030",
            "thresholds": {"flaw_item_points": 12, "accumulation": -1, "nope": 1,
                           "fail_item_requires_confirmation": "yes"},
        }, IDS, source="配置文件 p.yaml")
    text = str(err.value)
    for fragment in ("未知配置项“colour”", "case_kind 应为", "XX-001", "rules.severity.DL-010", "rules.severity.CON-004",
                     "rules 下未知配置项“bogus”", "grade_scheme 应为", "thresholds.accumulation", "thresholds 下未知配置项“nope”",
                     "fail_item_requires_confirmation 应为 true 或 false", "flaw_item_points（12）不应大于"):
        assert fragment in text, fragment
    assert text.startswith("配置文件 p.yaml 有 ")


def test_disable_and_preview_conflict():
    with pytest.raises(ProfileError, match="同时列于"):
        parse_profile({"rules": {"disable": ["DOC-021"]}, "preview": ["DOC-021"]}, IDS)


def test_bad_files(tmp_path):
    with pytest.raises(ProfileError, match="找不到配置文件"):
        load_profile(tmp_path / "missing.yaml", IDS)
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [unclosed", encoding="utf-8")
    with pytest.raises(ProfileError, match="不是有效的 YAML"):
        load_profile(bad, IDS)
    top = tmp_path / "list.yaml"
    top.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="顶层应为键值映射"):
        load_profile(top, IDS)


def test_default_profile_runs_everything():
    assert Profile().enabled_rules(load_catalog()) == sorted(IDS)
