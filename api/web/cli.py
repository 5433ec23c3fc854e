"""``assistant users …``: web accounts from the shell (the first admin, scripted set-ups)."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from api.console import con, err, service_sessions

users_app = typer.Typer(no_args_is_help=True, help="管理网页账号（角色：prosecutor 检察官、evaluator 评查员、admin 管理员）。")


def _sessions():
    from api.settings import ServiceSettings
    from api.web.models import create_tables

    factory = service_sessions()
    create_tables(ServiceSettings().db_url)
    return factory


@users_app.command("create")
def create(
    role: str = typer.Option(..., "--role", "-r", help="角色：prosecutor（检察官）、evaluator（评查员）、admin（管理员）。"),
    name: str = typer.Option(..., "--name", "-n", help="用户名（登录名）；检察官请用提交卷宗时填写的承办检察官姓名或工号。"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读取密码（第一行），避免出现在命令历史中。"),
    display_name: str = typer.Option("", "--display-name", help="姓名（可选，页面显示用）。"),
    department: str = typer.Option("", "--department", help="所在部门（可选，用于分析研判按部门统计）。"),
) -> None:
    """创建网页账号；密码以 argon2 哈希保存，不记录、不显示。"""
    from api.settings import ServiceSettings
    from api.web import auth

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    with _sessions()() as s:
        try:
            user = auth.create_user(s, name, password, role, display_name, department,
                                    policy=auth.PasswordPolicy.from_settings(ServiceSettings()))
        except auth.UserError as exc:
            err.print(f"[bold red]错误：[/]{exc}")
            raise typer.Exit(2)
    err.print(f"已创建用户：{user.username}（{auth.ROLE_LABELS[user.role]}{'，' + user.department if user.department else ''}）。")


@users_app.command("list")
def list_users() -> None:
    """列出网页账号。"""
    from sqlalchemy import select

    from api.web.auth import ROLE_LABELS
    from api.web.models import User

    table = Table()
    for col in ("用户名", "姓名", "角色", "部门", "创建时间", "状态"):
        table.add_column(col)
    with _sessions()() as s:
        for u in s.scalars(select(User).order_by(User.id)):
            table.add_row(u.username, u.display_name, ROLE_LABELS.get(u.role, u.role), u.department,
                          u.created_at.strftime("%Y-%m-%d %H:%M"), "已停用" if u.disabled_at else "正常")
    con.print(table)


@users_app.command("disable")
def disable(name: str = typer.Argument(..., help="用户名。")) -> None:
    """停用账号（立即退出其全部登录会话）。"""
    from sqlalchemy import select

    from api.web import auth
    from api.web.models import User

    with _sessions()() as s:
        user = s.scalar(select(User).where(User.username == name))
        if user is None:
            err.print(f"[bold red]错误：[/]找不到用户：{name}")
            raise typer.Exit(2)
        auth.set_disabled(s, user, True)
    err.print(f"已停用用户 {name}。")
