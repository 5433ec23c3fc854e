"""The web pages: sign-in, 案件列表, 案件页, 自查, 期限预警, 分析研判 and 用户管理.

Every page needs a signed-in session (else a redirect to ``/login``); every POST form carries
the session's ``csrf_token``. Prosecutors see their own cases only (403 page otherwise);
evaluators and admins see all and record dispositions and conclusions. Pages are rendered
by Jinja2 with autoescaping, served with a strict Content-Security-Policy (scripts, styles
and images from the product itself only).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import math
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, select
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.db import AuditEntry, Scan, ScanAccess, audit, scan_by_hash
from api.deps import SessionDep
from api.errors import ApiError
from api.web import auth, crops, dashboard, index
from api.web.auth import LOGIN_CSRF_COOKIE, ROLE_LABELS, SESSION_COOKIE, actor
from api.web.models import WEB_ROLES, CaseRow, Conclusion, DeadlineRow, User
from assistant.deadlines import refresh as refresh_deadlines
from assistant.deadlines import status_for
from assistant.service import UploadProblem, apply_dispositions, content_hash, safe_name, validate_dossier

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
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
    def __init__(self, next_url: str = "/"):
        self.next_url = next_url


class PageError(Exception):
    def __init__(self, status: int, title: str, message: str):
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                   trim_blocks=True, lstrip_blocks=True)
_env.globals.update(ROLE_LABELS=ROLE_LABELS)


def _months(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return "—"
    if value >= 1200:
        return "无期徒刑或以上"
    y, m = divmod(int(round(value)), 12)
    return (f"{y}年" if y else "") + (f"{m}个月" if m or not y else "")


_env.filters["months"] = _months
_env.filters["dt"] = lambda v: v.strftime("%Y-%m-%d %H:%M") if isinstance(v, dt.datetime) else (v or "")


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


def install(app) -> None:
    """Add the pages, their static files and their error handling to the service app."""
    from fastapi.staticfiles import StaticFiles

    from api.web.models import create_tables

    create_tables(app.state.cfg.db_url)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="web-static")

    @app.exception_handler(LoginRequired)
    async def _login(_req: Request, exc: LoginRequired) -> Response:
        return secure_headers(RedirectResponse("/login?" + urlencode({"next": exc.next_url}), status_code=303))

    @app.exception_handler(PageError)
    async def _page_error(req: Request, exc: PageError) -> Response:
        return render(req, "error.html", status=exc.status, title=exc.title, message=exc.message)

    api_http = app.exception_handlers.get(StarletteHTTPException)

    async def _http(req: Request, exc: StarletteHTTPException) -> Response:
        """JSON errors for the API, a page for a browser on a page path."""
        if req.url.path.startswith("/v1/") or req.url.path == "/healthz" or api_http is None or \
                "text/html" not in req.headers.get("accept", ""):
            return await api_http(req, exc) if api_http else JSONResponse({"detail": str(exc.detail)}, exc.status_code)
        titles = {404: "页面不存在", 405: "不支持该操作"}
        return render(req, "error.html", status=exc.status_code, title=titles.get(exc.status_code, "请求失败"),
                      message="请求的页面不存在。" if exc.status_code == 404 else "请求未能完成。")

    app.add_exception_handler(StarletteHTTPException, _http)


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


def _safe_next(value: str | None) -> str:
    v = (value or "/").strip()
    if not v.startswith("/") or v.startswith("//") or "\\" in v or any(c.isspace() or not c.isprintable() for c in v):
        return "/"
    return v


def _form_str(form, name: str, limit: int = 2000) -> str:
    v = form.get(name)
    return v.strip()[:limit] if isinstance(v, str) else ""


# --- sign-in ---------------------------------------------------------------------------------------

@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, session: SessionDep, next: str = "/") -> Response:
    if auth.load_session(session, request.cookies.get(SESSION_COOKIE)):
        return secure_headers(RedirectResponse(_safe_next(next), status_code=303))
    return _login_form(request, next)


def _login_form(request: Request, next_url: str, error: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    resp = render(request, "login.html", status=status, login_csrf=token, next=_safe_next(next_url), error=error)
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                    max_age=3600, path="/login")
    return resp


@router.post("/login")
async def login(request: Request, session: SessionDep) -> Response:
    form = await request.form()
    given, expected = form.get("csrf_token"), request.cookies.get(LOGIN_CSRF_COOKIE)
    if not isinstance(given, str) or not auth.csrf_ok(expected, given):
        raise PageError(403, "安全校验失败", "登录表单缺少安全令牌或令牌已失效（CSRF 校验未通过），请刷新登录页后重试。")
    username, password = _form_str(form, "username", 100), form.get("password")
    user = auth.authenticate(session, username, password if isinstance(password, str) else "")
    next_url = _safe_next(_form_str(form, "next", 500))
    if user is None:
        audit(session, "web.login_failed", None, target=username[:100] or None)
        session.commit()
        return _login_form(request, next_url, "用户名或密码错误，或账号已停用。", status=401)
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


# --- 案件列表 ------------------------------------------------------------------------------------

def _sync(request: Request, session, only=None) -> None:
    try:
        index.sync(session, request.app.state.storage, request.app.state.cfg, only=only)
    except Exception:  # a broken report must not take the list down
        session.rollback()
        log.exception("case index sync failed")


@router.get("/", response_class=HTMLResponse)
def case_list(request: Request, user: UserDep, session: SessionDep, page: int = 1) -> Response:
    _sync(request, session)
    filters = {k: request.query_params.get(k, "").strip()[:100] for k in index.FILTERS}
    page = max(1, min(page, 100000))
    rows, total = index.list_cases(session, user, filters, page, PER_PAGE)
    pages = max(1, math.ceil(total / PER_PAGE))
    kept = {k: v for k, v in filters.items() if v}
    return render(request, "list.html", rows=rows, total=total, page=page, pages=pages, filters=filters,
                  options=index.filter_options(session, user), statuses=index.REVIEW_STATUSES,
                  qs=lambda p: urlencode({**kept, "page": p}), nav="list")


# --- 案件页 ---------------------------------------------------------------------------------------

def _scan_for(session, user: User, scan_id: str) -> Scan:
    scan = session.get(Scan, scan_id[:32])
    if scan is None:
        raise PageError(404, "案件不存在", f"找不到案件：{scan_id[:32]}。")
    if not index.can_view(session, user, scan):
        audit(session, "web.case.forbidden", actor(user), target=scan.id)
        session.commit()
        raise PageError(403, "无权查看", "该案件不属于您承办或提交的案件，无权查看。")
    return scan


def _report(request: Request, scan: Scan) -> dict[str, Any]:
    if scan.status != "done" or not scan.report_path:
        raise PageError(409, "报告尚未生成", f"该卷宗尚未扫描完成（当前状态：{index.SCAN_STATUS_LABELS.get(scan.status, scan.status)}）。")
    try:
        report = request.app.state.storage.read_report(scan.report_path)
    except (OSError, ValueError):
        raise PageError(409, "报告缺失", "报告文件缺失或损坏，请重新提交卷宗。")
    from assistant.dispositions import lookup_by_key

    cfg = request.app.state.cfg
    return apply_dispositions(report, lookup_by_key(scan.dossier_key, cfg.core) or {}, cfg.core)


def _evidence_views(scan_id: str, fid: str, f: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for n, e in enumerate(f.get("evidence") or []):
        file, page = str(e.get("file") or ""), e.get("page")
        image = bool(file and isinstance(page, int) and crops.renderable(file))
        base = f"/cases/{quote(scan_id)}/findings/{quote(fid)}/evidence/{n}"
        out.append({"file": file, "page": page, "text": e.get("text") or "", "image": image,
                    "crop": f"{base}/crop.png" if image else "", "full": f"{base}/page.png" if image else ""})
    return out


@router.get("/cases/{scan_id}", response_class=HTMLResponse)
def case_page(request: Request, scan_id: str, user: UserDep, session: SessionDep, error: str = "") -> Response:
    scan = _scan_for(session, user, scan_id)
    audit(session, "web.case.view", actor(user), target=scan.id)
    session.commit()
    row = session.get(CaseRow, scan.id)
    if scan.status != "done":
        return render(request, "pending.html", scan=scan, status_label=index.SCAN_STATUS_LABELS.get(scan.status, scan.status),
                      nav="list")
    report = _report(request, scan)
    findings = [{**f, "views": _evidence_views(scan.id, str(f.get("id") or ""), f)} for f in report.get("findings") or []]
    hints = [{**f, "views": _evidence_views(scan.id, str(f.get("id") or ""), f)} for f in report.get("hints") or []]
    conclusion = session.get(Conclusion, scan.id)
    return render(request, "case.html", scan=scan, row=row, report=report, findings=findings, hints=hints,
                  deadlines=refresh_deadlines(report.get("deadlines") or []), conclusion=conclusion,
                  grades=CONCLUSION_GRADES, can_review=user.role in ("evaluator", "admin"), error=error[:200],
                  case_no=index._case_no(report), nav="list")


def _finding(report: dict[str, Any], finding_id: str) -> dict[str, Any]:
    f = next((x for x in (report.get("findings") or []) + (report.get("hints") or []) if x.get("id") == finding_id), None)
    if f is None:
        raise PageError(404, "问题不存在", f"报告中没有编号为 {finding_id[:64]} 的问题。")
    return f


@router.get("/cases/{scan_id}/findings/{finding_id}/evidence/{n}/{kind}.png")
def evidence_image(request: Request, scan_id: str, finding_id: str, n: int, kind: str, user: UserDep,
                   session: SessionDep) -> Response:
    if kind not in ("crop", "page"):
        raise PageError(404, "页面不存在", "请求的页面不存在。")
    scan = _scan_for(session, user, scan_id)
    report = _report(request, scan)
    evidence = _finding(report, finding_id).get("evidence") or []
    if not 0 <= n < len(evidence):
        raise PageError(404, "证据不存在", "该问题没有这条证据。")
    e = evidence[n]
    cache = request.app.state.storage.scan_dir(scan.id) / "web_cache"
    try:
        data = crops.page_png(Path(scan.input_path), cache, str(e.get("file") or ""), int(e.get("page") or 1),
                              e.get("bbox"), crop=kind == "crop", text=str(e.get("text") or ""))
    except crops.NoImage as exc:
        raise PageError(404, "没有页面图像", str(exc))
    resp = Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})
    return secure_headers(resp, cache=True)


@router.post("/cases/{scan_id}/findings/{finding_id}/disposition")
async def set_disposition(request: Request, scan_id: str, finding_id: str, user: UserDep, session: SessionDep) -> Response:
    form = await checked_form(request)
    need(user, "evaluator")
    scan = _scan_for(session, user, scan_id)
    report = _report(request, scan)
    finding = _finding(report, finding_id)
    status, reason = _form_str(form, "status", 8), _form_str(form, "reason", 2000)
    back = f"/cases/{quote(scan.id)}"
    if status not in ("确认", "误报", "不适用"):
        raise PageError(400, "处置无效", "处置应为确认、误报或不适用。")
    if status in DISMISSED and not reason:
        return secure_headers(RedirectResponse(back + "?" + urlencode({"error": f"标记为“{status}”须填写理由。"})
                                               + f"#f-{quote(finding_id)}", status_code=303))
    from assistant import dispositions as dmod

    cfg = request.app.state.cfg
    try:
        await run_in_threadpool(dmod.mark_by_key, scan.dossier_key, finding_id, status, reason, user.username,
                                finding.get("rule_id"), cfg.core, finding.get("message", ""))
    except dmod.DispositionError as exc:
        raise PageError(422, "处置未保存", str(exc))
    audit(session, "disposition", actor(user), target=f"{scan.id}/{finding_id}",
          detail={"status": status, "reason": reason, "rule_id": finding.get("rule_id"), "via": "web"})
    session.commit()
    _sync(request, session, only=[scan.id])
    return secure_headers(RedirectResponse(f"{back}#f-{quote(finding_id)}", status_code=303))


@router.post("/cases/{scan_id}/conclusion")
async def set_conclusion(request: Request, scan_id: str, user: UserDep, session: SessionDep) -> Response:
    form = await checked_form(request)
    need(user, "evaluator")
    scan = _scan_for(session, user, scan_id)
    grade, opinion = _form_str(form, "grade", 16), _form_str(form, "opinion", 5000)
    if grade not in CONCLUSION_GRADES:
        raise PageError(400, "评查结论无效", f"评查结果等次应为{'、'.join(CONCLUSION_GRADES)}之一。")
    row = session.get(Conclusion, scan.id) or Conclusion(scan_id=scan.id)
    row.grade, row.opinion, row.by, row.at = grade, opinion, user.username, dt.datetime.utcnow()
    session.add(row)
    audit(session, "web.conclusion", actor(user), target=scan.id, detail={"grade": grade})
    session.commit()
    _sync(request, session, only=[scan.id])
    return secure_headers(RedirectResponse(f"/cases/{quote(scan.id)}#conclusion", status_code=303))


@router.get("/cases/{scan_id}/report.json")
def download_json(request: Request, scan_id: str, user: UserDep, session: SessionDep) -> Response:
    scan = _scan_for(session, user, scan_id)
    report = _report(request, scan)
    audit(session, "report.read", actor(user), target=scan.id, detail={"via": "web"})
    session.commit()
    body = json.dumps(report, ensure_ascii=False, indent=1).encode("utf-8")
    return secure_headers(Response(body, media_type="application/json", headers=_attachment("report.json", f"{scan.name}-report.json")))


@router.get("/cases/{scan_id}/report.html")
def download_html(request: Request, scan_id: str, user: UserDep, session: SessionDep) -> Response:
    from assistant.render import render_html

    scan = _scan_for(session, user, scan_id)
    report = _report(request, scan)
    audit(session, "report.html.read", actor(user), target=scan.id, detail={"via": "web"})
    session.commit()
    return secure_headers(Response(render_html(report), media_type="text/html; charset=utf-8",
                                   headers=_attachment("report.html", f"{scan.name}-report.html")))


@router.get("/cases/{scan_id}/notice.docx")
def download_notice(request: Request, scan_id: str, user: UserDep, session: SessionDep) -> Response:
    from assistant.render import render_notice_docx

    scan = _scan_for(session, user, scan_id)
    report = _report(request, scan)
    blanks: dict[str, str] = {}
    if scan.prosecutor:
        blanks["handler"] = scan.prosecutor
    c = session.get(Conclusion, scan.id)
    if c is not None:
        blanks.update(grade=c.grade, year=str(c.at.year), month=str(c.at.month),
                      date=f"{c.at.year}年{c.at.month}月{c.at.day}日")
        if c.opinion:
            blanks["opinion"] = c.opinion
    audit(session, "notice.read", actor(user), target=scan.id, detail={"via": "web"})
    session.commit()
    buf = io.BytesIO()
    render_notice_docx(report, buf, **blanks)
    return secure_headers(Response(buf.getvalue(), media_type=DOCX_MIME,
                                   headers=_attachment("notice.docx", f"{scan.name}-评查结果通知书.docx")))


def _attachment(ascii_name: str, name: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename={ascii_name}; filename*=UTF-8''{quote(name)}"}


# --- 自查 -----------------------------------------------------------------------------------------

@router.get("/selfcheck", response_class=HTMLResponse)
def selfcheck_page(request: Request, user: UserDep, session: SessionDep) -> Response:
    q = select(Scan).join(ScanAccess, ScanAccess.scan_id == Scan.id).where(ScanAccess.key_id == f"u:{user.id}") \
        .order_by(Scan.created_at.desc()).limit(20)
    return render(request, "selfcheck.html", recent=list(session.scalars(q)), labels=index.SCAN_STATUS_LABELS,
                  nav="selfcheck")


@router.post("/selfcheck")
async def selfcheck_submit(request: Request, user: UserDep, session: SessionDep) -> Response:
    from api.routes.scans import _receive_files, _stored_files, queue_new_scan

    cfg, storage = request.app.state.cfg, request.app.state.storage
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > cfg.upload_max_bytes:
        raise PageError(413, "上传内容过大", f"上传内容过大（上限 {cfg.upload_max_bytes / 2**20:.0f} MB）。")
    form = await checked_form(request, max_files=cfg.upload_max_files, max_fields=20)
    files = [v for k, v in form.multi_items() if k == "file" and isinstance(v, UploadFile) and v.filename]
    if not files:
        return render(request, "selfcheck.html", status=422, recent=[], labels=index.SCAN_STATUS_LABELS,
                      error="请选择要自查的卷宗文件（ZIP 压缩包或 PDF、DOCX、图片等文件）。", nav="selfcheck")
    prosecutor = user.username if user.role == "prosecutor" else (_form_str(form, "prosecutor", 100) or None)
    tmp = storage.new_tmp()
    try:
        try:
            await _receive_files(files, tmp, storage, cfg)
            stored = _stored_files(tmp)
            summary = await run_in_threadpool(validate_dossier, stored, cfg.core, False)
        except ApiError as exc:
            raise PageError(exc.status, "无法接收卷宗", exc.message)
        except UploadProblem as exc:
            detail = "；".join(f"{p.get('file', '')}：{p.get('message', '')}" for p in (exc.files or [])[:10])
            raise PageError(exc.status, "无法接收卷宗", exc.message + (f"（{detail}）" if detail else ""))
        except Exception:  # noqa: BLE001 - a reader library choking on hostile bytes is bad input
            log.exception("self-check upload check failed")
            raise PageError(422, "无法接收卷宗", "无法检查上传的文件（格式异常或已损坏），请确认文件可以正常打开后重新上传。")
        digest = await run_in_threadpool(content_hash, stored)
        scan = scan_by_hash(session, digest)
        who = actor(user)
        if scan is None:
            default = Path(safe_name(files[0].filename or "卷宗")).stem if len(files) == 1 else ""
            scan = await queue_new_scan(session, storage, tmp, digest, summary, who, prosecutor,
                                        lambda sid: _form_str(form, "name", 200) or default or f"自查卷宗-{sid[:6]}",
                                        via="web")
            if scan is None:
                scan = scan_by_hash(session, digest)
                if scan is None:
                    raise PageError(409, "无法接收卷宗", "卷宗正在被同时提交，请稍后重试。")
        if scan.id and session.get(ScanAccess, (scan.id, who.id)) is None:
            session.add(ScanAccess(scan_id=scan.id, key_id=who.id, prosecutor=prosecutor))
            if prosecutor and not scan.prosecutor:
                scan.prosecutor = prosecutor
            audit(session, "scan.resubmit", who, target=scan.id, detail={"via": "web"})
            session.commit()
    finally:
        if tmp.exists():
            storage.discard(tmp)
    return secure_headers(RedirectResponse(f"/selfcheck/{quote(scan.id)}", status_code=303))


@router.get("/selfcheck/{scan_id}", response_class=HTMLResponse)
def selfcheck_progress(request: Request, scan_id: str, user: UserDep, session: SessionDep) -> Response:
    scan = _scan_for(session, user, scan_id)
    return render(request, "progress.html", scan=scan, status_label=index.SCAN_STATUS_LABELS.get(scan.status, scan.status),
                  nav="selfcheck")


@router.get("/selfcheck/{scan_id}/status")
def selfcheck_status(scan_id: str, user: UserDep, session: SessionDep) -> Response:
    scan = _scan_for(session, user, scan_id)
    body = {"status": scan.status, "label": index.SCAN_STATUS_LABELS.get(scan.status, scan.status),
            "stage": scan.stage or "", "done": scan.done or 0, "total": scan.total or 0,
            "error": scan.error_message or "", "url": f"/cases/{scan.id}"}
    return secure_headers(JSONResponse(body))


# --- 期限预警 ---------------------------------------------------------------------------------------

@router.get("/deadlines", response_class=HTMLResponse)
def deadlines_page(request: Request, user: UserDep, session: SessionDep) -> Response:
    _sync(request, session)
    case_cols = (CaseRow.scan_id, CaseRow.case_no, CaseRow.name, CaseRow.prosecutor)
    q = (select(DeadlineRow, *case_cols).join(CaseRow, CaseRow.scan_id == DeadlineRow.scan_id)
         .where(DeadlineRow.done.is_(False), CaseRow.in_progress.is_(True), CaseRow.scan_status == "done"))
    if (vis := index.visible_cases(user)) is not None:
        q = q.where(vis)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    q = q.order_by(DeadlineRow.due_date, DeadlineRow.event).limit(DEADLINES_SHOWN)
    today = dt.date.today()
    items = []
    for d, *c in session.execute(q):
        c = dict(zip(("scan_id", "case_no", "name", "prosecutor"), c))
        days = (d.due_date - today).days
        items.append({"d": d, "c": c, "days_left": days, "status": status_for(days)})
    return render(request, "deadlines.html", items=items, total=total, today=today, nav="deadlines")


# --- 分析研判 ---------------------------------------------------------------------------------------

@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, user: UserDep, session: SessionDep) -> Response:
    _sync(request, session)
    tables = {name: dashboard.table(session, user, name) for name in dashboard.TABLES}
    charts = {
        "rule": dashboard.bars(tables["rule"], "规则", "问题数"),
        "category": dashboard.bars(tables["category"], "问题类别", "问题数"),
        "department": dashboard.bars(tables["department"], "部门", "问题数"),
        "prosecutor": dashboard.bars(tables["prosecutor"], "承办检察官", "问题数"),
        "month": dashboard.bars(list(reversed(tables["month"][:12])), "月份", "案件数"),
        "grade": dashboard.bars(tables["grade"], "等次", "案件数"),
        "fp": dashboard.bars([r for r in tables["rule"] if r["误报率(%)"] is not None], "规则", "误报率(%)"),
    }
    return render(request, "dashboard.html", tables=tables, titles=dashboard.TABLES, charts=charts,
                  totals=dashboard.totals(session, user), nav="dashboard")


@router.get("/dashboard/{name}.xlsx")
def dashboard_export(request: Request, name: str, user: UserDep, session: SessionDep) -> Response:
    if name not in dashboard.TABLES:
        raise PageError(404, "报表不存在", "没有这张报表。")
    _sync(request, session)
    rows = dashboard.table(session, user, name)
    audit(session, "web.export", actor(user), target=name)
    session.commit()
    title = dashboard.TABLES[name]
    return secure_headers(Response(dashboard.xlsx(rows, title), media_type=XLSX_MIME,
                                   headers=_attachment(f"{name}.xlsx", f"分析研判-{title}.xlsx")))


# --- 用户管理 ---------------------------------------------------------------------------------------

@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, user: UserDep, session: SessionDep, error: str = "", done: str = "") -> Response:
    need(user)
    users = list(session.scalars(select(User).order_by(User.id)))
    entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200)))
    return render(request, "users.html", users=users, entries=entries, roles=WEB_ROLES, error=error[:200],
                  done=done[:200], nav="admin")


@router.post("/admin/users")
async def users_create(request: Request, user: UserDep, session: SessionDep) -> Response:
    form = await checked_form(request)
    need(user)
    password = form.get("password")
    try:
        created = auth.create_user(session, _form_str(form, "username", 100), password if isinstance(password, str) else "",
                                   _form_str(form, "role", 16), _form_str(form, "display_name", 100),
                                   _form_str(form, "department", 100), by=user)
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
    if target is None or action not in ("disable", "enable"):
        raise PageError(404, "用户不存在", "找不到该用户。")
    if target.id == user.id and action == "disable":
        return secure_headers(RedirectResponse("/admin/users?" + urlencode({"error": "不能停用当前登录的账号。"}), status_code=303))
    auth.set_disabled(session, target, action == "disable", by=user)
    msg = f"已{'停用' if action == 'disable' else '启用'}用户 {target.username}。"
    return secure_headers(RedirectResponse("/admin/users?" + urlencode({"done": msg}), status_code=303))
