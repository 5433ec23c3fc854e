"""Errors as JSON ``{"code": "...", "message": "中文…"}`` with a proper status, never a 500 page.

:class:`ApiError` is raised by routes; handlers turn FastAPI/Starlette errors (404 routes,
405, validation) into the same shape with Chinese messages.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answered with its HTTP status, a stable code and a Chinese message (JSON on ``/v1``, a page on
    the web)."""

    def __init__(self, status: int, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, **extra}


_HTTP_MESSAGES = {
    400: ("bad_request", "请求格式错误。"),
    401: ("unauthorized", "缺少或无效的 API 密钥。"),
    403: ("forbidden", "无权执行此操作。"),
    404: ("not_found", "请求的资源不存在。"),
    405: ("method_not_allowed", "不支持该请求方法。"),
    406: ("not_acceptable", "无法提供所请求的格式。"),
    413: ("payload_too_large", "上传内容过大。"),
    415: ("unsupported_media_type", "不支持的请求内容类型。"),
    422: ("invalid_request", "请求参数不合法。"),
}

_VALIDATION_TYPES = {
    "missing": "缺少必填项",
    "string_too_long": "内容过长",
    "string_too_short": "内容过短",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "int_parsing": "应为整数",
    "bool_parsing": "应为布尔值（true/false）",
    "json_invalid": "JSON 格式错误",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "string_type": "应为字符串",
    "extra_forbidden": "不允许的字段",
}


def _where(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "请求体"


def _allowed_methods(req: Request) -> list[str]:
    """Methods of every route matching the request path (several routes may share a path)."""
    methods: set[str] = set()
    for route in req.app.routes:
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(req.url.path) and getattr(route, "methods", None):
            methods |= set(route.methods)
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_req: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(error_body(exc.code, exc.message, **exc.extra), status_code=exc.status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(req: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message = _HTTP_MESSAGES.get(exc.status_code, ("http_error", "请求失败。"))
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            allowed = _allowed_methods(req)
            headers["Allow"] = ", ".join(allowed)
            message = f"不支持该请求方法：{req.method}（可用：{'、'.join(allowed)}）。"
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _where(tuple(e.get("loc", ()))), "message": _VALIDATION_TYPES.get(e.get("type", ""), "取值不合法")}
                  for e in exc.errors()]
        summary = "；".join(f"{e['field']}：{e['message']}" for e in errors[:5])
        return JSONResponse(error_body("invalid_request", f"请求参数不合法：{summary}", errors=errors), status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(_req: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - defensive
        log.exception("unhandled error")
        return JSONResponse(error_body("internal_error", "服务器内部错误，请稍后重试或联系管理员。"), status_code=500)
