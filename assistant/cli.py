"""The ``assistant`` command line: self-check for prosecutors, tools for evaluators.

Sub-commands live in their own modules (``cli_rules``, ``cli_index``) and are attached
here; the service commands (``serve``, ``keys``, ``notice``) are attached by ``api.cli``,
which is the console script's entry point (``api`` sits above ``assistant``). Everything printed for people is Simplified Chinese; with
``--format json`` stdout carries only the report.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from models.settings import get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="评查助手：刑事案件电子卷宗质量自查与评查辅助工具。")
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> None:
    from rich.markup import escape

    from extractors.ingest import clean_name

    err.print(f"[bold red]错误：[/]{escape(clean_name(message))}")
    raise typer.Exit(code)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="输出调试日志（写到标准错误）。")) -> None:
    # Diagnostics (English, with tracebacks) are for developers: shown only with --verbose.
    # Everything a user needs (files set aside, pages not read) is in the report in Chinese.
    logging.basicConfig(level=logging.DEBUG if verbose else logging.CRITICAL + 1, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    if not verbose:
        import warnings

        warnings.filterwarnings("ignore")


def _summary(report: dict, out_dir: Path | None) -> None:
    con = Console(soft_wrap=True)
    docs = report["documents"]
    types: dict[str, int] = {}
    for d in docs:
        types[d["type"]] = types.get(d["type"], 0) + 1
    con.print(f"[bold]卷宗：[/]{report['dossier']['name']}（{len(report['dossier']['files'])} 个文件，"
              f"{report['dossier']['pages']} 页）")
    con.print(f"[bold]识别文书：[/]{len(docs)} 份 — " + "、".join(f"{t}×{n}" for t, n in types.items()))
    if report.get("coverage"):
        from rich.markup import escape

        from assistant.coverage import summary_line

        con.print(f"[bold]读取情况：[/]{escape(summary_line(report['coverage']))}")
        for f in report["coverage"].get("unread_files") or []:
            con.print(f"  [yellow]未读出文字：[/]{escape(f['file'])}（{escape(f['reason'])}）")
    cats = report.get("findings_by_category", {})
    con.print(f"[bold]发现问题：[/]{len(report['findings'])} 项"
              + ("（" + "，".join(f"{c} {n} 项" for c, n in cats.items()) + "）" if cats else ""))
    for i, f in enumerate(report["findings"], 1):
        disp = f.get("disposition") or {}
        mark = f"  〔已处置：{disp['status']}〕" if disp.get("status") else ""
        con.print(f"  {i}. \\[{f['rule_id']}] {f['message']}（{f['severity_points']} 分；编号 {f['id']}）{mark}")
    if report.get("hints"):
        con.print(f"[bold]提示：[/]{len(report['hints'])} 项（不计分）")
    con.print(f"[bold]扣分合计：[/]{report['points']} 分    [bold]建议等次：[/]{report['grade']}")
    if report.get("grade_reasons"):
        from rich.markup import escape as esc

        con.print("  [red]未能评定等次：[/]" + esc("；".join(report["grade_reasons"])))
    kr = report["key_review"]
    con.print("[bold]重点评查：[/]" + (f"[red]需要[/]（{'、'.join(kr['reasons'])}）" if kr["required"] else "不需要"))
    if report.get("similar_cases"):
        sc = report["similar_cases"]
        if sc.get("expected_sentence_months") is not None:
            actual = sc.get("actual_sentence_months")
            dev = sc.get("deviation")
            iv = sc.get("interval_months")
            line = f"[bold]类案参考：[/]预期刑期约 {sc['expected_sentence_months']:.1f} 个月"
            if iv:
                line += f"（区间 {iv[0]:.1f}–{iv[1]:.1f} 个月）"
            if actual is not None:
                line += f"，实际 {actual:g} 个月"
            if dev is not None:
                line += f"，偏离 {dev:+.1%}"
            if sc.get("expected_outcome"):
                line += f"；类案预期处理结果：{sc['expected_outcome']}"
            con.print(line + f"；同罪名类案 {sc.get('same_charge_cases', sc.get('neighbour_count', 0))} 件")
    if report["warnings"]:
        con.print(f"[bold yellow]警告：[/]{len(report['warnings'])} 条（详见报告）")
        for w in report["warnings"][:5]:
            con.print(f"  - {w}")
    if out_dir:
        con.print(f"[bold]报告已写入：[/]{out_dir / 'report.json'}，{out_dir / 'report.html'}，"
                  f"{out_dir / 'notice.docx'}（评查结果通知书）")


@app.command()
def scan(
    dossier: Path = typer.Argument(..., help="卷宗：文件夹、zip 压缩包，或单个 PDF/DOCX/图片文件。"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="报告输出目录（默认：当前目录下以卷宗命名的文件夹）。"),
    fmt: str = typer.Option("summary", "--format", "-f", help="summary：中文摘要并写出报告；json：只向标准输出打印报告 JSON。"),
    profile: Optional[Path] = typer.Option(None, "--profile", "-p", help="评查配置文件（YAML）。"),
    index_dir: Optional[Path] = typer.Option(None, "--index", help="类案索引目录（默认取 ASSISTANT_INDEX_DIR，否则数据目录 ASSISTANT_DATA_DIR 下已建立的 index）。"),
    no_progress: bool = typer.Option(False, "--no-progress", help="不显示进度条。"),
) -> None:
    """扫描一份卷宗，生成问题清单、建议等次和报告（report.json、report.html、notice.docx）。"""
    from assistant.pipeline import DossierError, scan as run_scan
    from assistant.profiles import ProfileError, load_profile
    from assistant.render import render_html, render_notice_docx

    if fmt not in ("summary", "json"):
        _fail(f"不支持的输出格式：{fmt}（可选 summary 或 json）")
    if not dossier.exists():
        _fail(f"找不到卷宗：{dossier}")
    settings = get_settings().model_copy()
    if index_dir:
        settings.index_dir = index_dir
    prof = None
    if profile:
        from checks.catalog import CatalogError, load_catalog

        try:
            prof = load_profile(profile, set(load_catalog(settings.catalog_path).rules))
        except (ProfileError, CatalogError) as exc:
            _fail(str(exc))
    from assistant.dispositions import lookup_for_dossier

    show = not no_progress and err.is_terminal
    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TimeElapsedColumn(), console=err, transient=True, disable=not show)
    tasks: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    try:
        with bar:
            result = run_scan(dossier, settings=settings, profile=prof, progress=progress,
                              dispositions=lookup_for_dossier(dossier, settings))
    except DossierError as exc:
        _fail(str(exc))
    report = result.report
    if fmt == "json":
        # strict UTF-8 whatever the locale: a stray surrogate (a name that is not UTF-8) becomes
        # "?" instead of an invalid byte sequence in the JSON
        text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8", "replace"))
        sys.stdout.buffer.flush()
        return
    out_dir = out or Path.cwd() / (dossier.stem if dossier.is_file() else dossier.name)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    (out_dir / "report.html").write_text(render_html(report), encoding="utf-8")
    render_notice_docx(report, out_dir / "notice.docx")
    _summary(report, out_dir)


def _attach() -> None:
    from assistant import cli_index, cli_rules

    app.add_typer(cli_rules.rules_app, name="rules")
    app.add_typer(cli_rules.findings_app, name="findings")
    app.add_typer(cli_index.index_app, name="index")


_attach()

if __name__ == "__main__":  # pragma: no cover
    app()
