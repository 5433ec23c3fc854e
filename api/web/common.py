"""What every web page shares: rendering (Jinja2 with autoescaping, the filters, the security headers),
error pages, the signed-in user and role checks, CSRF-checked forms, and the lookups of a case the
user may view and of its report. The routes are in :mod:`api.web.routes`, one module per resource;
:mod:`api.web.pages` puts them on the app.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.db import Scan, audit
from api.deps import SessionDep
from api.services import scans as scan_service
from api.web import auth, index
from api.web.auth import ROLE_LABELS, SESSION_COOKIE, actor
from api.web.models import WEB_ROLES, User

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
PER_PAGE = 50
DEADLINES_SHOWN = 200
CONCLUSION_GRADES = ("优质", "合格", "瑕疵", "不合格")
DISMISSED = ("误报", "不适用")
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class LoginRequired(Exception):
    """Raised by a page that needs a signed-in user: answered with a redirect to ``/login``."""

    def __init__(self, next_url: str = "/"):
        self.next_url = next_url


class PageError(Exception):
    """An error shown as a page (never JSON): a title, a Chinese message and a way back
    (``back``: the page to return to, with its ``back_label``; else the referring page)."""

    def __init__(self, status: int, title: str, message: str, back: str | None = None, back_label: str | None = None):
        super().__init__(message)
        self.status, self.title, self.message = status, title, message
        self.back, self.back_label = back, back_label


_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                   trim_blocks=True, lstrip_blocks=True)
_env.globals.update(ROLE_LABELS=ROLE_LABELS)


def months(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return "—"
    if value >= 1200:
        return "无期徒刑或以上"
    y, m = divmod(int(round(value)), 12)
    return (f"{y}年" if y else "") + (f"{m}个月" if m or not y else "")


def when(value: Any) -> str:
    """A time as people read it: ``YYYY-MM-DD HH:MM`` in the server's local time. Stored times are
    naive UTC (the service's tables) or ISO strings with an offset (dispositions)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def day(value: Any) -> str:
    """The local date of a stored time (``YYYY-MM-DD``)."""
    return when(value)[:10]


def days_left(days: Any) -> str:
    """剩余天数 as read aloud: 「剩 3 天」「今日届满」「已超期 1288 天」."""
    if not isinstance(days, int):
        return "—"
    if days < 0:
        return f"已超期 {-days} 天"
    return "今日届满" if days == 0 else f"剩 {days} 天"


_env.filters["months"] = months
_env.filters["days_left"] = days_left
_env.filters["dt"] = when
_env.filters["day"] = day


def secure_headers(resp: Response, cache: bool = False) -> Response:
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "same-origin"
    resp.headers["X-Frame-Options"] = "DENY"
    if not cache:
        resp.headers["Cache-Control"] = "no-store"
    return resp


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    user = getattr(request.state, "web_user", None)
    sess = getattr(request.state, "web_session", None)
    html = _env.get_template(name).render(request=request, user=user, csrf=sess.csrf_token if sess else "",
                                          path=request.url.path, **ctx)
    return secure_headers(HTMLResponse(html, status_code=status))


#: Titles and messages of HTTP errors on browser routes.
HTTP_PAGES = {
    400: ("请求格式错误", "请求格式错误，请从页面上的链接或表单重新操作。"),
    403: ("无权访问", "当前账号无权执行此操作。"),
    404: ("页面不存在", "请求的页面不存在。"),
    405: ("不支持该操作", "该地址不支持这种访问方式，请从页面上的链接或按钮进入。"),
    409: ("暂不能处理", "请求与当前状态冲突，请稍后重试。"),
    413: ("上传内容过大", "上传内容过大。"),
    415: ("格式不支持", "不支持的请求内容类型。"),
    422: ("无法处理", "提交的内容无法处理。"),
    429: ("请求过于频繁", "请求过于频繁，请稍后再试。"),
    500: ("服务器内部错误", "处理请求时出错，请稍后重试。"),
    503: ("服务暂不可用", "服务暂不可用，请稍后重试。"),
}


def is_browser(req: Request) -> bool:
    """A request to a browser route: not the ``/v1`` API, not ``/healthz``, not a script's JSON fetch."""
    path = req.url.path
    if path == "/v1" or path.startswith("/v1/") or path == "/healthz":
        return False
    accept = req.headers.get("accept", "")
    return not ("application/json" in accept and "text/html" not in accept)


def back_of(req: Request) -> str:
    """The referring page of this site (path and query), else the case list."""
    ref = req.headers.get("referer") or ""
    try:
        parsed = urlsplit(ref)
    except ValueError:
        return "/"
    if not ref or (parsed.netloc and parsed.netloc != req.url.netloc):
        return "/"
    target = safe_next(parsed.path + (f"?{parsed.query}" if parsed.query else ""))
    return "/" if target == req.url.path and req.method == "GET" else target


def error_page(req: Request, status: int, title: str, message: str, back: str | None = None,
               back_label: str | None = None) -> Response:
    """The error page: title, message and the way back (a given page, else the referring one)."""
    back = safe_next(back) if back else back_of(req)
    label = back_label or ("返回案件列表" if back == "/" else "返回上一页")
    if getattr(req.state, "web_user", None) is None and req.cookies.get(SESSION_COOKIE):
        try:  # an unknown path: no route loaded the session, but the header still shows who is signed in
            with req.app.state.sessions() as session:
                got = auth.load_session(session, req.cookies.get(SESSION_COOKIE))
                if got:
                    session.expunge_all()
                    req.state.web_user, req.state.web_session = got
        except Exception:  # noqa: BLE001 - the error page must render even when the database does not answer
            log.warning("session lookup for an error page failed", exc_info=True)
    return render(req, "error.html", status=status, title=title, message=message, back=back, back_label=label)


# --- session, roles, CSRF -----------------------------------------------------------------------

def web_user(request: Request, session: SessionDep) -> User:
    got = auth.load_session(session, request.cookies.get(SESSION_COOKIE))
    if got is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target if request.method == "GET" else "/")
    request.state.web_user, request.state.web_session = got
    return got[0]


UserDep = Annotated[User, Depends(web_user)]


def need(user: User, *roles: str) -> None:
    if user.role not in set(roles) | {"admin"}:
        allowed = "、".join(ROLE_LABELS[r] for r in WEB_ROLES if r in set(roles) | {"admin"})
        raise PageError(403, "无权访问", f"当前账号（{ROLE_LABELS.get(user.role, user.role)}）无权执行此操作，需要：{allowed}。")


async def checked_form(request: Request, **kw: Any):
    """The POSTed form after its ``csrf_token`` matched the session's (403 page otherwise)."""
    try:
        form = await request.form(**kw)
    except StarletteHTTPException as exc:
        raise PageError(400, "表单无法解析", "上传内容格式错误或文件数过多。") from exc
    sess = getattr(request.state, "web_session", None)
    given = form.get("csrf_token")
    if sess is None or not isinstance(given, str) or not auth.csrf_ok(sess.csrf_token, given):
        raise PageError(403, "安全校验失败", "表单缺少安全令牌或令牌已失效（CSRF 校验未通过），请刷新页面后重试。")
    return form


def safe_next(value: str | None) -> str:
    v = (value or "/").strip()
    if not v.startswith("/") or v.startswith("//") or "\\" in v or any(c.isspace() or not c.isprintable() for c in v):
        return "/"
    return v


def form_str(form, name: str, limit: int = 2000) -> str:
    v = form.get(name)
    return v.strip()[:limit] if isinstance(v, str) else ""


def sync_index(request: Request, session, only=None) -> None:
    try:
        index.sync(session, request.app.state.storage, request.app.state.cfg, only=only)
    except Exception:  # a broken report must not take the list down
        session.rollback()
        log.exception("case index sync failed")


def page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(str(raw or "1").strip()), 100000))
    except ValueError:
        return 1


def scan_for(session, user: User, scan_id: str) -> Scan:
    """The scan the signed-in user may view (404 page when there is none, 403 page — audited — when not theirs)."""
    scan = session.get(Scan, scan_id[:32])
    if scan is None:
        raise PageError(404, "案件不存在", f"找不到案件：{scan_id[:32]}。")
    if not index.can_view(session, user, scan):
        audit(session, "web.case.forbidden", actor(user), target=scan.id)
        session.commit()
        raise PageError(403, "无权查看", "该案件不属于您承办或提交的案件，无权查看。")
    return scan


def report_for(request: Request, scan: Scan) -> dict[str, Any]:
    """The finished scan's report with its dispositions applied (409 page while it is not ready or when it is lost)."""
    if scan.status != "done" or not scan.report_path:
        raise PageError(409, "报告尚未生成", f"该卷宗尚未扫描完成（当前状态：{index.SCAN_STATUS_LABELS.get(scan.status, scan.status)}）。")
    try:
        return scan_service.report_with_dispositions(request.app.state.storage, scan, request.app.state.cfg)
    except (OSError, ValueError):
        raise PageError(409, "报告缺失", "报告文件缺失或损坏，请重新提交卷宗。")


def finding_of(report: dict[str, Any], finding_id: str) -> dict[str, Any]:
    """The finding or hint ``finding_id`` of the report (404 page when there is none)."""
    f = scan_service.find_finding(report, finding_id)
    if f is None:
        raise PageError(404, "问题不存在", f"报告中没有编号为 {finding_id[:64]} 的问题。")
    return f


def attachment(ascii_name: str, name: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename={ascii_name}; filename*=UTF-8''{quote(name)}"}
