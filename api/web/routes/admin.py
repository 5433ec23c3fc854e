"""用户管理 (``/admin/users``): accounts (create, disable, enable, unlock) and the audit log with its export."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from api.db import audit
from api.deps import SessionDep
from api.web import audit_view, auth
from api.web.auth import actor
from api.web.common import (XLSX_MIME, PageError, UserDep, attachment, checked_form, form_str, need, render, secure_headers
)
from api.web.throttle import LoginThrottle
from api.web.models import WEB_ROLES, User

router = APIRouter(include_in_schema=False)


# --- 用户管理 ---------------------------------------------------------------------------------------

@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, user: UserDep, session: SessionDep, error: str = "", done: str = "") -> Response:
    need(user)
    users = list(session.scalars(select(User).order_by(User.id)))
    throttle: LoginThrottle = request.app.state.login_throttle
    locked = {u.id for u in users if throttle.is_locked(u.username)}
    filters = {k: request.query_params.get(k, "").strip()[:100] for k in audit_view.FILTERS}
    kept = urlencode({k: v for k, v in filters.items() if v})
    return render(request, "users.html", users=users, locked=locked, entries=audit_view.entries(session, filters),
                  filters=filters, actions=audit_view.ACTIONS, export_qs=kept, roles=WEB_ROLES, error=error[:200],
                  done=done[:200], policy=request.app.state.password_policy, nav="admin")


@router.get("/admin/audit.{fmt}")
def audit_export(request: Request, fmt: str, user: UserDep, session: SessionDep) -> Response:
    need(user)
    if fmt not in ("xlsx", "csv"):
        raise PageError(404, "格式不支持", "审计日志可导出为 XLSX 或 CSV。", back="/admin/users", back_label="返回用户管理")
    filters = {k: request.query_params.get(k, "").strip()[:100] for k in audit_view.FILTERS}
    rows = audit_view.entries(session, filters, limit=100_000)
    audit(session, "web.export", actor(user), target=f"audit.{fmt}", detail={k: v for k, v in filters.items() if v} or None)
    session.commit()
    mime = XLSX_MIME if fmt == "xlsx" else "text/csv; charset=utf-8"
    return secure_headers(Response(audit_view.export(rows, fmt), media_type=mime,
                                   headers=attachment(f"audit.{fmt}", f"审计日志.{fmt}")))


@router.post("/admin/users")
async def users_create(request: Request, user: UserDep, session: SessionDep) -> Response:
    form = await checked_form(request)
    need(user)
    password = form.get("password")
    try:
        created = auth.create_user(session, form_str(form, "username", 100), password if isinstance(password, str) else "",
                                   form_str(form, "role", 16), form_str(form, "display_name", 100),
                                   form_str(form, "department", 100), by=user, policy=request.app.state.password_policy)
    except auth.UserError as exc:
        session.rollback()
        return secure_headers(RedirectResponse("/admin/users?" + urlencode({"error": str(exc)}), status_code=303))
    return secure_headers(RedirectResponse("/admin/users?" + urlencode({"done": f"已创建用户 {created.username}。"}),
                                           status_code=303))


@router.post("/admin/users/{user_id}/{action}")
async def users_toggle(request: Request, user_id: int, action: str, user: UserDep, session: SessionDep) -> Response:
    await checked_form(request)
    need(user)
    target = session.get(User, user_id)
    if target is None or action not in ("disable", "enable", "unlock"):
        raise PageError(404, "用户不存在", "找不到该用户。", back="/admin/users", back_label="返回用户管理")
    if action == "unlock":
        request.app.state.login_throttle.unlock(target.username)
        audit(session, "web.account_unlocked", actor(user), target=f"u:{target.id}", detail={"username": target.username})
        session.commit()
        return secure_headers(RedirectResponse("/admin/users?" + urlencode({"done": f"已解除用户 {target.username} 的登录锁定。"}),
                                               status_code=303))
    if target.id == user.id and action == "disable":
        return secure_headers(RedirectResponse("/admin/users?" + urlencode({"error": "不能停用当前登录的账号。"}), status_code=303))
    auth.set_disabled(session, target, action == "disable", by=user)
    msg = f"已{'停用' if action == 'disable' else '启用'}用户 {target.username}。"
    return secure_headers(RedirectResponse("/admin/users?" + urlencode({"done": msg}), status_code=303))
