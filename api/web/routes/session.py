"""Signing in and out: ``/login`` (a login-CSRF cookie, the sign-in throttle, the audit of every failure
and lock) and ``/logout``."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.db import audit
from api.deps import SessionDep
from api.web import auth
from api.web.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, actor
from api.web.common import PageError, UserDep, checked_form, form_str, render, safe_next, secure_headers
from api.web.throttle import LoginThrottle

router = APIRouter(include_in_schema=False)


# --- sign-in ---------------------------------------------------------------------------------------

@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, session: SessionDep, next: str = "/") -> Response:
    if auth.load_session(session, request.cookies.get(SESSION_COOKIE)):
        return secure_headers(RedirectResponse(safe_next(next), status_code=303))
    return _login_form(request, next)


def _login_form(request: Request, next_url: str, error: str = "", status: int = 200, retry_after: int = 0) -> Response:
    token = secrets.token_urlsafe(24)
    resp = render(request, "login.html", status=status, login_csrf=token, next=safe_next(next_url), error=error)
    if retry_after:
        resp.headers["Retry-After"] = str(retry_after)
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                    max_age=3600, path="/login")
    return resp


@router.post("/login")
async def login(request: Request, session: SessionDep) -> Response:
    form = await request.form()
    given, expected = form.get("csrf_token"), request.cookies.get(LOGIN_CSRF_COOKIE)
    if not isinstance(given, str) or not auth.csrf_ok(expected, given):
        raise PageError(403, "安全校验失败", "登录表单缺少安全令牌或令牌已失效（CSRF 校验未通过），请刷新登录页后重试。")
    username, password = form_str(form, "username", 100), form.get("password")
    next_url = safe_next(form_str(form, "next", 500))
    throttle: LoginThrottle = request.app.state.login_throttle
    address = request.client.host if request.client else "unknown"
    lock = throttle.locked(username, address)
    if lock is not None:  # refused before the password is even checked: a lock holds for the right one too
        audit(session, "web.login_locked", None, target=username[:100] or None,
              detail={"address": address, "scope": lock.scope, "seconds_left": lock.seconds})
        session.commit()
        return _login_form(request, next_url, lock.message(), status=429, retry_after=lock.seconds)
    user = auth.authenticate(session, username, password if isinstance(password, str) else "")
    if user is None:
        new_lock = throttle.failed(username, address)
        audit(session, "web.login_failed", None, target=username[:100] or None,
              detail={"address": address, "failures": throttle.failures(username)})
        if new_lock is not None:
            audit(session, "web.account_locked" if new_lock.scope == "account" else "web.address_locked", None,
                  target=username[:100] or None,
                  detail={"address": address, "scope": new_lock.scope, "lockout_s": new_lock.seconds})
        session.commit()
        if new_lock is not None:
            return _login_form(request, next_url, new_lock.message(), status=429, retry_after=new_lock.seconds)
        return _login_form(request, next_url, f"用户名或密码错误，或账号已停用。连续输错 {throttle.max_failures} 次，"
                                              f"账号将被锁定 {max(1, throttle.lockout_s // 60)} 分钟。", status=401)
    throttle.succeeded(username)
    token, _ = auth.start_session(session, user)
    resp = RedirectResponse(next_url, status_code=303)
    resp.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                    max_age=auth.SESSION_HOURS * 3600, path="/")
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return secure_headers(resp)


@router.post("/logout")
async def logout(request: Request, user: UserDep, session: SessionDep) -> Response:
    await checked_form(request)
    auth.end_session(session, request.cookies.get(SESSION_COOKIE))
    audit(session, "web.logout", actor(user), target=f"u:{user.id}")
    session.commit()
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return secure_headers(resp)
