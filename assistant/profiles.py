"""Profiles: per-procuratorate or per-case-type configuration of rules and grading.

A profile is a YAML file::

    name: 某某区院公诉
    case_kind: 公诉            # or 其他: picks the 瑕疵累计积分 threshold
    grade_scheme: "2017"      # or "2026" (基本合格), or names: [优质, 合格, 瑕疵, 不合格]
    rules:
      disable: [DOC-021]
      only: null              # a list to run only these
      severity: {CON-004: 2}
      options: {SUB-007: {threshold: 0.4}}
    preview: [CON-006]        # shown as 提示, never counted
    thresholds: {fail_item_points: 9, fail_total_points: 20, flaw_item_points: 3,
                 flaw_total_points: 4, accumulation: 40, key_review_points: 9,
                 fail_item_requires_confirmation: true}
    key_review: [SUB-001, SUB-002, SUB-003, SUB-004, SUB-005, SUB-006, SUB-007]  # rules that trigger 重点评查

Every mistake is reported at once, in Chinese (:class:`ProfileError`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from models import Finding

from assistant.grading import GRADE_SCHEMES, GradingScheme


class ProfileError(ValueError):
    """A profile is invalid; the message lists every mistake in Chinese."""


@dataclass
class Profile:
    """A 评查 profile: rules switched off or on, severities, options, thresholds and grade names."""

    name: str = ""
    case_kind: str = "公诉"
    disable: set[str] = field(default_factory=set)
    only: set[str] | None = None
    severity: dict[str, int] = field(default_factory=dict)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    preview: set[str] = field(default_factory=set)
    scheme: GradingScheme = field(default_factory=GradingScheme)

    def enabled_rules(self, catalog) -> list[str]:
        ids = set(catalog.rules)
        if self.only is not None:
            ids &= self.only
        return sorted(ids - self.disable)

    def rule_options(self) -> dict[str, dict[str, Any]]:
        return self.options

    def apply(self, findings: list[Finding]) -> list[Finding]:
        for f in findings:
            if f.rule_id in self.severity:
                f.severity_points = self.severity[f.rule_id]
            if f.rule_id in self.preview:
                f.preview = True
        return findings


_TOP_KEYS = {"name", "case_kind", "grade_scheme", "rules", "preview", "thresholds", "key_review"}
_RULE_KEYS = {"disable", "only", "severity", "options"}
_THRESHOLD_KEYS = {"fail_item_points", "fail_total_points", "flaw_item_points", "flaw_total_points",
                   "accumulation", "key_review_points", "fail_item_requires_confirmation"}


def parse_profile(data: Any, catalog_ids: set[str], source: str = "配置") -> Profile:
    """Validate a profile mapping; raise :class:`ProfileError` listing every problem in Chinese."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise ProfileError(f"{source}：配置文件顶层应为键值映射。")
    for k in set(data) - _TOP_KEYS:
        errors.append(f"未知配置项“{k}”（可用：{'、'.join(sorted(_TOP_KEYS))}）")
    p = Profile(name=str(data.get("name") or ""))
    kind = data.get("case_kind", "公诉")
    if kind not in ("公诉", "其他"):
        errors.append(f"case_kind 应为“公诉”或“其他”，而不是“{kind}”")
    p.case_kind = kind

    def ids(value: Any, where: str) -> set[str]:
        if value is None:
            return set()
        if not isinstance(value, list):
            errors.append(f"{where} 应为规则编号列表")
            return set()
        bad = [str(v) for v in value if v not in catalog_ids]
        if bad:
            errors.append(f"{where} 中的规则编号不存在：{'、'.join(bad)}")
        return {v for v in value if v in catalog_ids}

    rules = data.get("rules") or {}
    if not isinstance(rules, dict):
        errors.append("rules 应为键值映射")
        rules = {}
    for k in set(rules) - _RULE_KEYS:
        errors.append(f"rules 下未知配置项“{k}”")
    p.disable = ids(rules.get("disable"), "rules.disable")
    p.only = ids(rules.get("only"), "rules.only") if rules.get("only") is not None else None
    sev = rules.get("severity") or {}
    if not isinstance(sev, dict):
        errors.append("rules.severity 应为“规则编号: 分值”映射")
        sev = {}
    for rid, pts in sev.items():
        if rid not in catalog_ids:
            errors.append(f"rules.severity 中的规则编号不存在：{rid}")
        elif isinstance(pts, bool) or not isinstance(pts, int) or not 0 <= pts <= 10:
            errors.append(f"rules.severity.{rid} 分值应为 0–10 的整数，而不是“{pts}”")
        else:
            p.severity[rid] = pts
    opts = rules.get("options") or {}
    if not isinstance(opts, dict) or not all(isinstance(v, dict) for v in opts.values()):
        errors.append("rules.options 应为“规则编号: {参数: 值}”映射")
    else:
        for rid, o in opts.items():
            if rid not in catalog_ids:
                errors.append(f"rules.options 中的规则编号不存在：{rid}")
            else:
                p.options[rid] = o
    p.preview = ids(data.get("preview"), "preview")

    scheme = GradingScheme()
    gs = data.get("grade_scheme", "2017")
    if isinstance(gs, list):
        if len(gs) != 4 or not all(isinstance(x, str) and x for x in gs):
            errors.append("grade_scheme 为列表时应恰好包含四个等次名称（由高到低）")
        else:
            scheme.names = tuple(gs)  # type: ignore[assignment]
    elif str(gs) in GRADE_SCHEMES:
        scheme.names = GRADE_SCHEMES[str(gs)]
    else:
        errors.append(f"grade_scheme 应为“2017”“2026”或四个等次名称的列表，而不是“{gs}”")
    th = data.get("thresholds") or {}
    if not isinstance(th, dict):
        errors.append("thresholds 应为键值映射")
        th = {}
    for k, v in th.items():
        if k not in _THRESHOLD_KEYS:
            errors.append(f"thresholds 下未知配置项“{k}”")
        elif k == "fail_item_requires_confirmation":
            if isinstance(v, bool):
                scheme.fail_item_requires_confirmation = v
            else:
                errors.append(f"thresholds.{k} 应为 true 或 false，而不是“{v}”")
        elif isinstance(v, bool) or not isinstance(v, int) or v < 0:
            errors.append(f"thresholds.{k} 应为非负整数，而不是“{v}”")
        elif k == "accumulation":
            scheme.accumulation_threshold = v
        else:
            setattr(scheme, k, v)
    if scheme.flaw_item_points > scheme.fail_item_points:
        errors.append(f"thresholds.flaw_item_points（{scheme.flaw_item_points}）不应大于 fail_item_points（{scheme.fail_item_points}）")
    if scheme.flaw_total_points > scheme.fail_total_points:
        errors.append(f"thresholds.flaw_total_points（{scheme.flaw_total_points}）不应大于 fail_total_points（{scheme.fail_total_points}）")
    if "key_review" in data:
        kr = ids(data.get("key_review"), "key_review")
        scheme.key_review_rules = tuple(sorted(kr))
    both = p.preview & p.disable
    if both:
        errors.append(f"规则 {'、'.join(sorted(both))} 同时列于 rules.disable 与 preview，请只保留一处")
    if p.only is not None and p.preview - p.only:
        errors.append(f"preview 中的 {'、'.join(sorted(p.preview - p.only))} 不在 rules.only 范围内，不会运行")
    p.scheme = scheme
    if errors:
        raise ProfileError(f"{source} 有 {len(errors)} 处错误：\n" + "\n".join(f"  - {e}" for e in errors))
    return p


def load_profile(path: str | Path, catalog_ids: set[str]) -> Profile:
    p = Path(path)
    if not p.is_file():
        raise ProfileError(f"找不到配置文件：{p}")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProfileError(f"配置文件 {p} 不是有效的 YAML：{exc}") from exc
    return parse_profile(data or {}, catalog_ids, source=f"配置文件 {p.name}")


def load_default(settings) -> Profile:
    """The profile named by ``ASSISTANT_PROFILE``, or the built-in defaults."""
    if settings.profile:
        from checks.catalog import load_catalog

        return load_profile(settings.profile, set(load_catalog(settings.catalog_path).rules))
    return Profile()
