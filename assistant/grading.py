"""Points, suggested 等次 and 重点评查 from findings.

Default scheme (``../shared/rules/README.md`` §6, configurable through a profile):

- 不合格: a finding of ≥ 9 points confirmed by an evaluator (disposition 确认), or a total ≥ 20;
  an unconfirmed ≥ 9-point finding makes the case 瑕疵 and a key-review case until confirmed
  (``fail_item_requires_confirmation``);
- 瑕疵: a finding of ≥ 3 points, or a total ≥ 4;
- 合格: otherwise (only 1–2 point findings, total ≤ 3);
- 优质 is never suggested by the machine (it needs an evaluator's judgement of exemplary work);
- 无法评定 (:data:`UNGRADABLE`) whatever the findings, when the scan could not read the dossier
  well enough to grade it (a file without readable text, scanned pages left unread, no core
  document of the case's stage recognised: ``assistant.coverage``), see :func:`gate`.

Key review: findings of the trigger rules (the catalog's ``key_review_triggers``) and any
finding of ≥ ``key_review_points`` points (a serious procedure violation, 第十三条（二）).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from models import Finding, KeyReview

GRADE_SCHEMES: dict[str, tuple[str, str, str, str]] = {
    # (best, pass, flawed, fail)
    "2017": ("优质", "合格", "瑕疵", "不合格"),
    "2026": ("优质", "合格", "基本合格", "不合格"),
}

#: The suggested grade of a dossier the scan could not read well enough (never 合格 for an unread dossier).
UNGRADABLE = "无法评定"

DEFAULT_KEY_REVIEW_RULES = ("SUB-001", "SUB-002", "SUB-003", "SUB-004", "SUB-005", "SUB-006", "SUB-007")


@dataclass
class GradingScheme:
    """Thresholds and names; every number here may be overridden by a profile."""

    names: tuple[str, str, str, str] = GRADE_SCHEMES["2017"]
    fail_item_points: int = 9
    fail_total_points: int = 20
    flaw_item_points: int = 3
    flaw_total_points: int = 4
    key_review_rules: tuple[str, ...] = DEFAULT_KEY_REVIEW_RULES
    key_review_points: int = 9
    fail_item_requires_confirmation: bool = True
    accumulation_threshold: int | None = None
    accumulation_thresholds: dict[str, int] = field(default_factory=lambda: {"公诉": 40, "其他": 30})


@dataclass
class Grade:
    """The suggested grade: points, grade name, key-review triggers and accumulation, and why none is suggested."""

    points: int
    grade: str
    key_review: KeyReview
    accumulation: dict
    #: Why no grade is suggested (Chinese), when ``grade`` is :data:`UNGRADABLE`.
    reasons: list[str] = field(default_factory=list)


def gate(g: Grade, coverage: dict | None) -> Grade:
    """``g`` unless the coverage block says the dossier was not read well enough to grade: then
    :data:`UNGRADABLE` with the coverage's reasons (points and key review stay as found)."""
    if not coverage or coverage.get("gradable", True):
        return g
    return Grade(points=g.points, grade=UNGRADABLE, key_review=g.key_review, accumulation=g.accumulation,
                 reasons=list(coverage.get("ungradable_reasons") or ["卷宗未能完整读取"]))


def grade(findings: Iterable[Finding], scheme: GradingScheme | None = None, case_kind: str = "公诉") -> Grade:
    """Grade a case from its non-preview findings (disposed 误报/不适用 findings are excluded by the caller)."""
    scheme = scheme or GradingScheme()
    counted = [f for f in findings if not f.preview]
    points = sum(f.severity_points for f in counted)
    top = max((f.severity_points for f in counted), default=0)
    best, ok, flawed, fail = scheme.names
    confirmed_top = max((f.severity_points for f in counted
                         if not scheme.fail_item_requires_confirmation or (f.disposition or {}).get("status") == "确认"),
                        default=0)
    if confirmed_top >= scheme.fail_item_points or points >= scheme.fail_total_points:
        g = fail
    elif top >= scheme.flaw_item_points or points >= scheme.flaw_total_points:
        g = flawed
    else:
        g = ok
    reasons: list[str] = []
    for f in counted:
        if (f.rule_id in scheme.key_review_rules or f.severity_points >= scheme.key_review_points) and f.rule_id not in reasons:
            reasons.append(f.rule_id)
    threshold = scheme.accumulation_threshold or scheme.accumulation_thresholds.get(
        case_kind, scheme.accumulation_thresholds.get("其他", 30))
    accumulation = {"points": points, "threshold": threshold, "flagged": points >= threshold, "case_kind": case_kind,
                    "unconfirmed_fail_items": sorted({f.rule_id for f in counted if f.severity_points >= scheme.fail_item_points
                                                      and f.severity_points > confirmed_top})}
    return Grade(points=points, grade=g, key_review=KeyReview(required=bool(reasons), reasons=reasons), accumulation=accumulation)
