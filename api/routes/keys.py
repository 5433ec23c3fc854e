"""``/v1/keys`` and ``/v1/audit``: API key management and the audit log (admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.db import AuditEntry
from api.deps import AdminDep, SessionDep
from api.errors import ApiError
from api.routes.scans import ERRORS
from api.schemas import AuditOut, KeyCreated, KeyIn, KeyOut
from api.security import create_key, list_keys, revoke_key

router = APIRouter(tags=["keys"])


def key_out(row) -> KeyOut:
    return KeyOut(id=row.id, role=row.role, name=row.name, prefix=row.prefix, created_at=row.created_at,
                  revoked_at=row.revoked_at, last_used_at=row.last_used_at)


@router.post("/v1/keys", operation_id="create_key", status_code=201, response_model=KeyCreated, responses=ERRORS,
             summary="创建 API 密钥")
def create(body: KeyIn, key: AdminDep, session: SessionDep) -> KeyCreated:
    """创建密钥；完整密钥只在此次响应中出现一次。"""
    row, plain = create_key(session, body.role, body.name.strip(), by=key)
    return KeyCreated(**key_out(row).model_dump(), key=plain)


@router.get("/v1/keys", operation_id="list_keys", response_model=list[KeyOut], responses=ERRORS, summary="密钥列表")
def list_all(key: AdminDep, session: SessionDep) -> list[KeyOut]:
    """全部密钥（不含密钥本身）。"""
    return [key_out(r) for r in list_keys(session)]


@router.delete("/v1/keys/{key_id}", operation_id="revoke_key", response_model=KeyOut, responses=ERRORS, summary="吊销密钥")
def revoke(key_id: str, key: AdminDep, session: SessionDep) -> KeyOut:
    """吊销密钥，吊销后立即失效。"""
    row = revoke_key(session, key_id, by=key)
    if row is None:
        raise ApiError(404, "key_not_found", f"找不到密钥：{key_id}")
    return key_out(row)


@router.get("/v1/audit", operation_id="list_audit", response_model=list[AuditOut], responses=ERRORS, summary="审计日志")
def audit_log(
    key: AdminDep, session: SessionDep,
    action: Annotated[str | None, Query(max_length=50, description="按操作筛选，如 report.read、disposition")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditOut]:
    """最近的审计记录：读取报告、处置、密钥变更、提交卷宗（谁、何时、做了什么）。"""
    q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        q = q.where(AuditEntry.action == action)
    return [AuditOut.model_validate(e, from_attributes=True) for e in session.scalars(q)]
