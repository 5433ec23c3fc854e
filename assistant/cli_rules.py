"""``assistant rules …`` and ``assistant findings …``: the rule pages, statistics and dispositions."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from models.settings import get_settings

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
        table.add_column("编号", no_wrap=True)
        table.add_column("标题", overflow="fold")
        table.add_column("原因", overflow="fold")
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


def _finding_from_report(dossier, report_path):
    """(rule_id, message) per finding id from a report.json written by ``assistant scan``."""
    import json
    from pathlib import Path

    candidates = [Path(report_path)] if report_path else [
        Path.cwd() / (Path(dossier).stem if Path(dossier).is_file() else Path(dossier).name) / "report.json"]
    for p in candidates:
        if p.is_file():
            try:
                data = json.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            return {f["id"]: (f.get("rule_id"), f.get("message", "")) for f in data.get("findings", []) + data.get("hints", [])}
    return {}


@findings_app.command("mark")
def mark_finding(
    dossier: str = typer.Argument(..., help="卷宗路径（与扫描时相同的文件夹、zip 或文件）。"),
    finding_id: str = typer.Argument(..., help="问题编号（报告中每个问题的 id）。"),
    status: str = typer.Option(..., "--status", "-s", help="确认 / 误报 / 不适用。"),
    reason: str = typer.Option("", "--reason", "-r", help="理由（误报、不适用必填）。"),
    by: str = typer.Option("", "--by", help="评查员姓名。"),
    rule: str = typer.Option("", "--rule", help="规则编号；不填时从该卷宗的 report.json 中查找。"),
    report: str = typer.Option("", "--report", help="report.json 路径（默认：当前目录下以卷宗命名的文件夹）。"),
) -> None:
    """标记一个问题的处置结果；再次扫描时显示处置，误报、不适用不计分。"""
    from pathlib import Path

    from assistant.dispositions import DispositionError, mark

    if not Path(dossier).exists():
        con.print(f"[red]错误：[/]找不到卷宗：{dossier}")
        raise typer.Exit(2)
    known = _finding_from_report(dossier, report)
    rule_id, message = (rule.upper() or None, "")
    if finding_id in known:
        rule_id = rule_id or known[finding_id][0]
        message = known[finding_id][1]
    try:
        d = mark(dossier, finding_id, status, reason, by or None, rule_id=rule_id, settings=get_settings(), message=message)
    except DispositionError as exc:
        con.print(f"[red]错误：[/]{exc}")
        raise typer.Exit(2)
    con.print(f"已标记问题 {finding_id}{'（' + rule_id + '）' if rule_id else ''}为“{d['status']}”。", markup=False)
    if not rule_id:
        con.print("提示：未能确定该问题的规则编号（可用 --rule 指定），规则统计中将归入“未知”。", markup=False)


@findings_app.command("list")
def list_findings(dossier: str = typer.Argument(..., help="卷宗路径。")) -> None:
    """列出一份卷宗已记录的处置。"""
    from pathlib import Path

    from assistant.dispositions import DispositionError, dossier_key_for_path, list_by_key

    if not Path(dossier).exists():
        con.print(f"[red]错误：[/]找不到卷宗：{dossier}")
        raise typer.Exit(2)
    try:
        rows = list_by_key(dossier_key_for_path(dossier), get_settings())
    except DispositionError as exc:
        con.print(f"[red]错误：[/]{exc}")
        raise typer.Exit(2)
    if not rows:
        con.print("该卷宗尚无处置记录。")
        return
    table = Table()
    for col in ("问题编号", "规则", "处置", "理由", "评查员", "时间"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["finding_id"], r["rule_id"] or "未知", r["status"], r["reason"], r["by"], r["at"])
    con.print(table)


@rules_app.command("stats")
def rule_stats() -> None:
    """按规则统计评查员的处置（确认 / 误报 / 不适用）及精确率 = 确认 /（确认 + 误报）。"""
    from assistant.dispositions import DispositionError, stats

    try:
        data = stats(get_settings())
    except DispositionError as exc:
        con.print(f"[red]错误：[/]{exc}")
        raise typer.Exit(2)
    if not data:
        con.print("尚无处置记录。")
        return
    table = Table()
    for col in ("规则", "确认", "误报", "不适用", "精确率"):
        table.add_column(col)
    for rid, e in data.items():
        p = "—" if e["precision"] is None else f"{e['precision']:.0%}"
        table.add_row(rid, str(e["确认"]), str(e["误报"]), str(e["不适用"]), p)
    con.print(table)
