"""API keys and roles.

A key looks like ``pc_<prefix>_<secret>``; the database keeps the prefix (to find the row)
and the sha256 of the whole key, never the key itself. It is shown once, at creation.

Roles and what they may do:

- ``intake``: submit dossiers; read the scans it submitted.
- ``prosecutor``: submit dossiers for self-check; read the scans it submitted and the scans
  submitted (by anyone) with ``prosecutor`` equal to this key's name — a prosecutor's "own cases".
- ``evaluator``: read every scan and report; record dispositions (确认/误报/不适用).
- ``admin``: everything, plus managing keys and reading the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import ApiKey, audit, utcnow

ROLES = ("intake", "prosecutor", "evaluator", "admin")
ROLE_LABELS = {"intake": "受理", "prosecutor": "检察官", "evaluator": "评查员", "admin": "管理员"}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, role: str, name: str = "", by: ApiKey | None = None) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the plain key (to be shown once). Commits."""
    if role not in ROLES:
        raise ValueError(f"未知角色：{role}（可选：{'、'.join(ROLES)}）")
    prefix = secrets.token_hex(4)
    plain = f"pc_{prefix}_{secrets.token_urlsafe(24)}"
    row = ApiKey(id=uuid.uuid4().hex[:16], prefix=prefix, key_hash=hash_key(plain), role=role,
                 name=(name or f"{role}-{prefix}")[:100])
    session.add(row)
    audit(session, "key.create", by, target=row.id, detail={"role": role, "name": row.name})
    session.commit()
    return row, plain


def revoke_key(session: Session, key_id: str, by: ApiKey | None = None) -> ApiKey | None:
    row = session.get(ApiKey, key_id)
    if row is None:
        return None
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit(session, "key.revoke", by, target=row.id, detail={"role": row.role, "name": row.name})
        session.commit()
    return row


def authenticate(session: Session, plain: str | None) -> ApiKey | None:
    """The active key row for a presented key, or None (constant-time hash comparison)."""
    if not plain or not plain.startswith("pc_"):
        return None
    parts = plain.split("_", 2)
    if len(parts) != 3:
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.key_hash, hash_key(plain)):
        return None
    return row


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at)))
