"""Generate ``docs/rules.md`` from the rule pages (docstrings) and the catalog.

Run ``python -m checks.docs`` to regenerate; a test fails when the file is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from checks import implemented_rules, unsupported_rules
from checks.catalog import REPO_ROOT, Catalog, load_catalog
from checks.engine import DOC_HEADINGS

DOCS_PATH = REPO_ROOT / "docs" / "rules.md"


def render_rules_markdown(catalog: Catalog) -> str:
    """The whole rules document: implemented rules by category, then the unsupported ones."""
    rules, unsupported = implemented_rules(), unsupported_rules()
    lines = ["# 评查规则说明", "", "本文件由 `python -m checks.docs` 根据规则代码的说明和规则目录自动生成，请勿手工修改。", "",
             f"已实现 {len(rules)} 条，无法仅凭卷宗文书判断的 {len(unsupported)} 条（见文末）。", ""]
    categories: dict[str, list[str]] = {}
    for rid in sorted(rules):
        if rid in catalog:
            categories.setdefault(catalog[rid].category, []).append(rid)
    for cat, ids in categories.items():
        lines += [f"## {cat}", ""]
        for rid in ids:
            entry = catalog[rid]
            sec = rules[rid].doc_sections()
            lines += [f"### {rid} {entry.title}", "", f"{sec.get('摘要', '')}", "",
                      f"分值：{entry.severity_points}　阶段：{entry.stage}" + ("　（重点评查触发项）" if entry.mandatory_key_review else ""), ""]
            for head in DOC_HEADINGS:
                lines += [f"**{head}**：{sec.get(head, '')}", ""]
            lines.append("**依据**：")
            for b, status in zip(entry.basis, entry.basis_status):
                lines.append(f"- {b.law}{b.article or ''}：“{b.quote}”（{status}）")
            lines.append("")
    lines += ["## 未实现的规则", ""]
    for rid, reason in sorted(unsupported.items()):
        title = catalog[rid].title if rid in catalog else ""
        lines += [f"- **{rid} {title}**：{reason}"]
    lines.append("")
    return "\n".join(lines)


def main() -> int:
    DOCS_PATH.write_text(render_rules_markdown(load_catalog()), encoding="utf-8")
    print(f"已写入 {DOCS_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
