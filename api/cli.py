"""The ``assistant`` console script: the core commands of :mod:`assistant.cli` plus
``serve``, ``keys …`` and ``notice`` (run the scan service, manage its API keys, write the
评查结果通知书 from a saved report). It lives in ``api`` because ``api`` sits above
``assistant``; service modules are imported only when a command runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from api.console import con, err, service_sessions

keys_app = typer.Typer(no_args_is_help=True, help="管理扫描服务的 API 密钥（角色：intake、prosecutor、evaluator、admin）。")

ROLE_HELP = "角色：intake（受理，提交并查看自己提交的卷宗）、prosecutor（检察官，查看本人案件）、evaluator（评查员，查看全部并处置）、admin（管理员）。"




def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址（默认仅本机）。"),
    port: int = typer.Option(8000, "--port", help="监听端口。"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=0, help="扫描工作进程数（默认等于 CPU 核数）。"),
    log_level: str = typer.Option("warning", "--log-level", help="日志级别：debug、info、warning、error。"),
) -> None:
    """启动扫描服务（FastAPI + uvicorn；默认 SQLite 数据库与本地存储目录 ASSISTANT_DATA_DIR）。"""
    import uvicorn

    if workers is not None:
        os.environ["ASSISTANT_SCAN_WORKERS"] = str(workers)
    from api.settings import ServiceSettings

    settings = ServiceSettings()
    service_sessions()
    index_dir = settings.core.effective_index_dir()
    err.print(f"评查助手扫描服务：http://{host}:{port}  （扫描进程 {settings.scan_workers} 个，"
              f"数据目录 {settings.storage_dir}；"
              + (f"类案索引 {index_dir}）" if index_dir else "未配置类案索引，类案比对不可用）"))
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, log_level=log_level, workers=1)


@keys_app.command("create")
def create(
    role: str = typer.Option(..., "--role", "-r", help=ROLE_HELP),
    name: str = typer.Option("", "--name", "-n", help="密钥名称；检察官密钥请用检察官姓名或工号（用于认定“本人案件”）。"),
) -> None:
    """创建密钥并打印一次（数据库只保存其哈希，遗失后只能重新创建）。"""
    from api import security

    if role not in security.ROLES:
        err.print(f"[bold red]错误：[/]未知角色：{role}（可选：{'、'.join(security.ROLES)}）")
        raise typer.Exit(2)
    with service_sessions()() as s:
        row, plain = security.create_key(s, role, name)
    err.print(f"已创建密钥：编号 {row.id}，角色 {row.role}，名称 {row.name}。密钥只显示这一次，请妥善保存：")
    typer.echo(plain)


@keys_app.command("list")
def list_keys() -> None:
    """列出全部密钥（不显示密钥本身）。"""
    from api import security

    table = Table()
    for col in ("编号", "角色", "名称", "前缀", "创建时间", "状态"):
        table.add_column(col)
    with service_sessions()() as s:
        for r in security.list_keys(s):
            table.add_row(r.id, r.role, r.name, r.prefix, r.created_at.strftime("%Y-%m-%d %H:%M"),
                          "已吊销" if r.revoked_at else "有效")
    con.print(table)


@keys_app.command("revoke")
def revoke(key_id: str = typer.Argument(..., help="密钥编号（见 keys list）。")) -> None:
    """吊销密钥，立即失效。"""
    from api import security

    with service_sessions()() as s:
        row = security.revoke_key(s, key_id)
    if row is None:
        err.print(f"[bold red]错误：[/]找不到密钥：{key_id}")
        raise typer.Exit(2)
    err.print(f"已吊销密钥 {row.id}（{row.name}）。")


def notice(
    report_json: Path = typer.Argument(..., help="扫描生成的 report.json。"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="输出文件（默认：report.json 同目录下的 notice.docx）。"),
    procuratorate: str = typer.Option("", "--procuratorate", help="发文人民检察院名称（不含“人民检察院”）。"),
    organizer: str = typer.Option("", "--organizer", help="评查组织部门。"),
    addressee: str = typer.Option("", "--addressee", help="收文部门或人民检察院。"),
    handler: str = typer.Option("", "--handler", help="办案检察官或检察官办案组。"),
) -> None:
    """由 report.json 生成案件质量评查结果通知书（DOCX，附问题清单；等次、日期留空待签发）。"""
    import json

    from assistant.render import render_notice_docx

    try:
        report = json.loads(report_json.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        err.print(f"[bold red]错误：[/]无法读取报告文件 {report_json}：{exc.__class__.__name__}")
        raise typer.Exit(2)
    if not isinstance(report, dict) or "findings" not in report:
        err.print(f"[bold red]错误：[/]{report_json} 不是评查报告（缺少 findings）。")
        raise typer.Exit(2)
    target = out or report_json.with_name("notice.docx")
    blanks = {k: v for k, v in dict(procuratorate=procuratorate, organizer=organizer, addressee=addressee,
                                    handler=handler).items() if v}
    render_notice_docx(report, target, **blanks)
    err.print(f"通知书已写入：{target}")


def attach(app: typer.Typer) -> None:
    """Add ``serve``, ``keys`` and ``notice`` to the ``assistant`` command line."""
    app.command("serve")(serve)
    app.command("notice")(notice)
    from api.batch_cli import batch

    app.command("batch")(batch)
    app.add_typer(keys_app, name="keys")
    from api.web.cli import users_app

    app.add_typer(users_app, name="users")


from assistant.cli import app  # noqa: E402

attach(app)

if __name__ == "__main__":  # pragma: no cover
    app()
