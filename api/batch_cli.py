"""``assistant batch``: scan a caseload (a folder of dossiers or a CSV/XLSX manifest) with
long-lived workers, locally or on Ray, resumable through the service database.

Lives in ``api`` (like ``serve``) because batch state shares the service's tables."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]错误：[/]{message}")
    raise typer.Exit(code)


def _eta(seconds: float) -> str:
    if seconds != seconds or seconds < 0 or seconds > 10 * 86400:
        return "—"
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def batch(
    source: Path = typer.Argument(..., help="卷宗来源：以子文件夹或 zip 压缩包存放卷宗的文件夹，或 CSV/XLSX 清单（列：路径，可选 案号、承办检察官、部门、办结日期）。"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="输出目录（默认：当前目录下“来源名-批量评查”）；每份卷宗一个子文件夹，另有 summary.xlsx、summary.csv、summary.html。"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1, help="工作进程数（默认等于 CPU 核数；使用 Ray 时默认等于集群 CPU 数）。"),
    ray_address: Optional[str] = typer.Option(None, "--ray", help="在 Ray 集群上运行：集群地址（如 10.0.0.5:6379），或 auto（连接本机已启动的集群）。需安装 ray（pip install '.[ray]'）。"),
    profile: Optional[Path] = typer.Option(None, "--profile", "-p", help="评查配置文件（YAML）。"),
    index_dir: Optional[Path] = typer.Option(None, "--index", help="类案索引目录（默认同 scan）。"),
    no_progress: bool = typer.Option(False, "--no-progress", help="不显示进度条。"),
) -> None:
    """批量评查（每案必检）：逐份扫描卷宗，生成每份卷宗的报告与全部案件的汇总表；中断后重新运行同一命令即可继续。"""
    from api.batch import BatchError, WorkerConfig, batch_id_for, batch_sessions, finish_batch, prepare, run_batch
    from assistant.batch import SourceError, discover, versions, versions_key
    from models.settings import get_settings
    from assistant.database import DatabaseUnavailable

    settings = get_settings().model_copy()
    if index_dir:
        settings.index_dir = index_dir
    # absolute paths and a fixed database URL: workers (Ray actors) may run in another directory
    settings = settings.model_copy(update={
        "data_dir": settings.data_dir.resolve(), "database_url": settings.db_url,
        "index_dir": settings.index_dir.resolve() if settings.index_dir else None})
    if profile:
        from assistant.profiles import ProfileError, load_profile
        from checks.catalog import CatalogError, load_catalog

        try:
            load_profile(profile, set(load_catalog(settings.catalog_path).rules))
        except (ProfileError, CatalogError) as exc:
            _fail(str(exc))
    if ray_address:
        try:
            import ray  # noqa: F401
        except ImportError:
            _fail("未安装 Ray：请先执行 pip install 'pingcha-assistant[ray]'（或 pip install ray）。")
    try:
        entries, notes = discover(source)
    except SourceError as exc:
        _fail(str(exc))
    out_dir = (out or Path.cwd() / f"{source.stem if source.is_file() else source.name}-批量评查").resolve()
    # the output folder is never a dossier of its own batch (when it lies inside SOURCE)
    entries = [e for e in entries if not (e.path == out_dir or out_dir in e.path.parents)]
    if not entries:
        _fail(f"来源中没有找到卷宗（子文件夹或 zip 压缩包）：{source}")
    out_dir.mkdir(parents=True, exist_ok=True)
    for n in notes:
        err.print(f"[yellow]提示：[/]{n}")
    try:
        sessions = batch_sessions(settings.db_url)
    except DatabaseUnavailable as exc:
        _fail(str(exc), 1)
    vers = versions(settings, profile)
    bid = batch_id_for(source, out_dir)
    items = prepare(sessions, bid, entries, source.resolve(), out_dir, vers)
    cfg = WorkerConfig(settings=settings, batch_id=bid, out_dir=str(out_dir), versions_key=versions_key(vers),
                       profile=str(profile.resolve()) if profile else None)
    n_workers = workers or (None if ray_address else max(1, os.cpu_count() or 1))
    where = f"Ray 集群 {ray_address}" if ray_address else f"本机 {n_workers} 个工作进程"
    err.print(f"批量评查：{len(items)} 份卷宗，{where}，输出到 {out_dir}")

    show = not no_progress and err.is_terminal
    bar = Progress(TextColumn("[bold]批量评查"), BarColumn(), TextColumn("{task.fields[line]}"), console=err,
                   transient=True, disable=not show)
    task = bar.add_task("batch", total=len(items), line="")
    partial: dict[str, int] = {}

    def on_event(kind, payload, stats) -> None:
        if kind == "progress":
            worker, _item, stage, done, _total = payload
            if stage == "识别文字":
                partial[worker] = done
            return
        if kind == "result":
            partial.clear()
            if payload["status"] in ("failed", "error"):
                name = next((i["name"] for i in items if i["id"] == payload["id"]), payload["id"])
                bar.console.print(f"[yellow]无法读取：[/]{name}：{payload.get('message')}")
        if kind == "retry":
            bar.console.print(f"[yellow]工作进程中断，重新处理：[/]{payload['name']}")
        el = stats.scan_seconds
        rate = stats.scanned_pages / el if el > 0 else 0.0
        left = stats.total - stats.finished
        eta = el / stats.finished * left if stats.finished else float("nan")
        line = (f"卷宗 {stats.finished}/{stats.total}  页 {stats.pages + sum(partial.values())}  "
                f"{rate:.1f} 页/秒  剩余约 {_eta(eta)}")
        bar.update(task, completed=stats.finished, line=line)

    try:
        with bar:
            stats = run_batch(cfg, items, n_workers or 0, ray_address, on_event=on_event)
    except BatchError as exc:
        _fail(f"{exc}（已完成的报告均已保存，排除问题后重新运行同一命令即可继续）", 1)
    paths = finish_batch(sessions, bid, out_dir, interrupted=stats.interrupted)
    el, busy = stats.elapsed, stats.scan_seconds
    err.print(f"完成 {stats.done} 份（共 {stats.scanned_pages} 页，用时 {el:.1f} 秒，其中加载模型 {el - busy:.1f} 秒；"
              f"{stats.scanned_pages / busy if busy > 0 else 0:.1f} 页/秒）；内容与规则版本未变而跳过 {stats.reused} 份；"
              f"无法读取或出错 {len(stats.failed)} 份。")
    if stats.failed:
        err.print("[bold yellow]无法读取的卷宗：[/]")
        for name, why in stats.failed:
            err.print(f"  - {name}：{why}")
    _warn_ungraded(sessions, bid)
    if paths:
        err.print(f"[bold]汇总：[/]{paths['xlsx']}，{paths['csv']}，{paths['html']}")
    if stats.interrupted:
        err.print("[bold yellow]已中断。[/]已完成的报告均已保存；重新运行同一命令即可继续。")
        raise typer.Exit(130)
    sys.stderr.flush()


def _warn_ungraded(sessions, batch_id: str) -> None:
    """List the dossiers scanned but not read well enough to grade (「无法评定」, first in the summary)."""
    from rich.markup import escape

    from api.batch import summary_rows
    from assistant.summary import ungraded

    rows = [r for r in summary_rows(sessions, batch_id) if ungraded(r)]
    if rows:
        err.print(f"[bold yellow]未能完整读取、建议等次为「无法评定」的卷宗 {len(rows)} 份（汇总中排在最前）：[/]")
        for r in rows[:20]:
            err.print(f"  - {escape(r['name'])}：{escape('；'.join(r.get('grade_reasons') or []))}")
        if len(rows) > 20:
            err.print(f"  …… 另有 {len(rows) - 20} 份")
