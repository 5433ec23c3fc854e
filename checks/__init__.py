"""The rule registry: one small, self-documenting unit per catalog rule.

Public entry points: :func:`checks.runner.run_rules`, :func:`implemented_rules`,
:func:`unsupported_rules` and :func:`rule_page`.
"""

from __future__ import annotations

from checks.catalog import Catalog, CatalogError, load_catalog  # noqa: F401
from checks.engine import REGISTRY, UNSUPPORTED, Context, Rule, Skip, register, unsupported  # noqa: F401
from checks.runner import RuleRun, run_rules  # noqa: F401


def implemented_rules() -> dict[str, type[Rule]]:
    import checks.rules  # noqa: F401

    return dict(REGISTRY)


def unsupported_rules() -> dict[str, str]:
    import checks.rules  # noqa: F401

    return dict(UNSUPPORTED)


def rule_page(rule_id: str, catalog: Catalog) -> str:
    """The rule's page as plain Chinese text (the ``rules show`` output)."""
    rules = implemented_rules()
    if rule_id not in catalog:
        raise KeyError(rule_id)
    entry = catalog[rule_id]
    lines = [f"{rule_id}  {entry.title}", f"类别：{entry.category}    分值：{entry.severity_points}    阶段：{entry.stage}", ""]
    if rule_id in rules:
        sec = rules[rule_id].doc_sections()
        for head in ("检查内容", "为何是问题", "违规示例", "规范示例"):
            lines += [f"【{head}】", sec.get(head, "（未填写）"), ""]
    else:
        reason = unsupported_rules().get(rule_id, "尚未实现。")
        lines += ["【状态】未实现：" + reason, "", "【检查逻辑（目录）】", entry.check_logic, ""]
    lines.append("【依据】")
    for b, status in zip(entry.basis, entry.basis_status):
        lines.append(f"  {b.law}{b.article or ''}：“{b.quote}”（{status}）")
    return "\n".join(lines)
