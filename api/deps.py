"""Typed dependencies: settings, database session, storage, the calling API key and role checks."""

from __future__ import annotations

from typing import Annotated, Callable

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.db import ApiKey, utcnow
from api.errors import ApiError
from api.security import ROLE_LABELS, authenticate
from api.settings import ServiceSettings
from api.storage import Storage

bearer_scheme = HTTPBearer(auto_error=False, description="Authorization: Bearer <API 密钥>")
header_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: <API 密钥>")


def get_cfg(request: Request) -> ServiceSettings:
    return request.app.state.cfg


def get_storage(request: Request) -> Storage:
    return request.app.state.storage


def get_session(request: Request):
    with request.app.state.sessions() as session:
        yield session


CfgDep = Annotated[ServiceSettings, Depends(get_cfg)]
StorageDep = Annotated[Storage, Depends(get_storage)]
SessionDep = Annotated[Session, Depends(get_session)]


def current_key(
    request: Request,
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)] = None,
    header: Annotated[str | None, Security(header_scheme)] = None,
) -> ApiKey:
    """The calling key. Every credential presented must be valid: an ``Authorization`` header
    that is not ``Bearer <key>``, or two different keys, is refused rather than ignored."""
    raw_auth = request.headers.get("authorization")
    if raw_auth is not None and bearer is None:
        raise ApiError(401, "unauthorized", "Authorization 请求头格式错误，应为：Bearer <API 密钥>。")
    if header and bearer and header != bearer.credentials:
        raise ApiError(401, "unauthorized", "请求同时携带了两个不同的密钥（Authorization 与 X-API-Key），请只提供一个。")
    plain = header or (bearer.credentials if bearer else None)
    if not plain:
        raise ApiError(401, "unauthorized", "缺少 API 密钥：请在请求头 Authorization: Bearer <密钥> 或 X-API-Key 中提供。")
    key = authenticate(session, plain)
    if key is None:
        raise ApiError(401, "unauthorized", "API 密钥无效或已吊销。")
    key.last_used_at = utcnow()
    session.commit()
    return key


KeyDep = Annotated[ApiKey, Depends(current_key)]


def require(*roles: str) -> Callable[[ApiKey], ApiKey]:
    """A dependency that lets only ``roles`` (and ``admin``) through, else 403."""
    allowed = set(roles) | {"admin"}

    def check(key: KeyDep) -> ApiKey:
        if key.role not in allowed:
            need = "、".join(ROLE_LABELS[r] for r in sorted(allowed, key=list(ROLE_LABELS).index))
            raise ApiError(403, "forbidden", f"当前密钥的角色（{ROLE_LABELS.get(key.role, key.role)}）无权执行此操作，需要：{need}。")
        return key

    return check


SubmitterDep = Annotated[ApiKey, Depends(require("intake", "prosecutor"))]
EvaluatorDep = Annotated[ApiKey, Depends(require("evaluator"))]
AdminDep = Annotated[ApiKey, Depends(require())]
