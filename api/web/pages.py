"""The web pages: sign-in, 案件列表, 案件页, 自查, 期限预警, 分析研判 and 用户管理.

Every page needs a signed-in session (else a redirect to ``/login``); every POST form carries
the session's ``csrf_token``. Prosecutors see their own cases only (403 page otherwise);
evaluators and admins see all and record dispositions and conclusions. Pages are rendered
by Jinja2 with autoescaping, served with a strict Content-Security-Policy (scripts, styles
and images from the product itself only).

This module puts them on the service app (:func:`install`): the routers of :mod:`api.web.routes`
(one per resource), the static files, and the error handling that answers browser routes with a
page and ``/v1`` with JSON. What the pages share is :mod:`api.web.common`.
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from urllib.parse import urlencode

from api.errors import ApiError
from api.web import auth
from api.web.common import HTTP_PAGES, STATIC, LoginRequired, PageError, error_page, is_browser, secure_headers
from api.web.routes import ROUTERS
from api.web.throttle import LoginThrottle

log = logging.getLogger(__name__)


def install(app) -> None:
    """Add the pages, their static files and their error handling to the service app."""
    from fastapi.staticfiles import StaticFiles

    from api.web.models import create_tables

    create_tables(app.state.cfg.db_url)
    app.state.login_throttle = LoginThrottle.from_settings(app.state.cfg)
    app.state.password_policy = auth.PasswordPolicy.from_settings(app.state.cfg)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="web-static")

    @app.exception_handler(LoginRequired)
    async def _login(_req: Request, exc: LoginRequired) -> Response:
        return secure_headers(RedirectResponse("/login?" + urlencode({"next": exc.next_url}), status_code=303))

    @app.exception_handler(PageError)
    async def _page_error(req: Request, exc: PageError) -> Response:
        return error_page(req, exc.status, exc.title, exc.message, exc.back, exc.back_label)

    api_http = app.exception_handlers.get(StarletteHTTPException)
    api_validation = app.exception_handlers.get(RequestValidationError)
    api_error = app.exception_handlers.get(ApiError)
    api_unexpected = app.exception_handlers.get(Exception)

    async def _http(req: Request, exc: StarletteHTTPException) -> Response:
        """JSON errors for the API, a page on every browser route."""
        if not is_browser(req):
            return await api_http(req, exc) if api_http else JSONResponse({"detail": str(exc.detail)}, exc.status_code)
        title, message = HTTP_PAGES.get(exc.status_code, ("请求失败", "请求未能完成。"))
        return error_page(req, exc.status_code, title, message)

    async def _validation(req: Request, exc: RequestValidationError) -> Response:
        if not is_browser(req):
            return await api_validation(req, exc)
        return error_page(req, 400, "请求参数不合法", "地址中的参数不合法（如页码、编号格式不对），请从页面上的链接进入。")

    async def _api_error(req: Request, exc: ApiError) -> Response:
        if not is_browser(req):
            return await api_error(req, exc)
        return error_page(req, exc.status, HTTP_PAGES.get(exc.status, ("请求失败", ""))[0], exc.message)

    async def _unexpected(req: Request, exc: Exception) -> Response:
        if not is_browser(req):
            return await api_unexpected(req, exc)
        log.exception("unhandled error on %s", req.url.path, exc_info=exc)
        return error_page(req, 500, "服务器内部错误", "处理请求时出错，请稍后重试；问题持续时请联系管理员。")

    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(Exception, _unexpected)
