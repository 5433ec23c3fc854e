"""``assistant rules …`` and ``assistant findings …``: the rule pages, statistics and dispositions."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from assistant.config import get_settings

rules_app = typer.Typer(no_args_is_help=True, help="查看本产品实现的评查规则。")
findings_app = typer.Typer(no_args_is_help=True, help="评查员对问题的处置（确认 / 误报 / 不适用）。")
con = Console()


def _catalog():
    from checks.catalog import load_catalog

    return load_catalog(get_settings().catalog_path)


@rules_app.command("list")
def list_rules(unsupported: bool = typer.Option(False, "--unsupported", help="列出目录中无法仅凭卷宗判断、未实现的规则及原因。")) -> None:
    """列出已实现的规则（编号、标题、类别、分值）。"""
    from checks import implemented_rules, unsupported_rules

    cat = _catalog()
    table = Table(show_lines=False)
    if unsupported:
        for col in ("编号", "标题", "原因"):
            table.add_column(col)
        for rid, reason in sorted(unsupported_rules().items()):
            table.add_row(rid, cat[rid].title if rid in cat else "", reason)
    else:
        for col in ("编号", "标题", "类别", "分值"):
            table.add_column(col)
        for rid in sorted(implemented_rules()):
            e = cat[rid]
            table.add_row(rid, e.title, e.category, str(e.severity_points))
    con.print(table)


@rules_app.command("show")
def show_rule(rule_id: str = typer.Argument(..., help="规则编号，如 DL-010。")) -> None:
    """显示一条规则的说明页：检查内容 / 为何是问题 / 违规示例 / 规范示例 / 依据。"""
    from checks import rule_page

    try:
        page = rule_page(rule_id.upper(), _catalog())
    except KeyError:
        con.print(f"[red]错误：[/]没有编号为 {rule_id} 的规则。")
        raise typer.Exit(2)
    con.print(page, markup=False, highlight=False)
