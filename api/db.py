"""The service database: scans (the durable job table), access grants, API keys, audit log.

SQLite (WAL, busy timeout) by default; PostgreSQL through ``DATABASE_URL`` (engine, URL
handling and the NUL-free, length-clipped string columns come from :mod:`assistant.database`).
Workers claim jobs with one atomic ``UPDATE … RETURNING`` (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, see :func:`api.jobs.claim`) so any number of worker processes (or hosts, with
PostgreSQL) can share the table. Timestamps are naive UTC on both backends.
"""

from __future__ import annotations

import datetime as dt
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from assistant.database import Base, SafeString, SafeText, make_engine

STATUSES = ("queued", "running", "done", "failed")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Scan(Base):
    """One submitted dossier and its job state; ``content_hash`` makes submission idempotent."""

    __tablename__ = "scans"

    id: Mapped[str] = mapped_column(SafeString(32), primary_key=True)
    content_hash: Mapped[str] = mapped_column(SafeString(64), unique=True, index=True)
    dossier_key: Mapped[str] = mapped_column(SafeString(200), index=True)
    name: Mapped[str] = mapped_column(SafeString(255))
    status: Mapped[str] = mapped_column(SafeString(16), index=True, default="queued")
    input_path: Mapped[str] = mapped_column(SafeText)
    report_path: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    files: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    submitted_by: Mapped[str | None] = mapped_column(SafeString(32), nullable=True)
    prosecutor: Mapped[str | None] = mapped_column(SafeString(100), nullable=True, index=True)
    owner: Mapped[str | None] = mapped_column(SafeString(200), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[str | None] = mapped_column(SafeString(50), nullable=True)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(SafeString(50), nullable=True)
    error_message: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class ScanAccess(Base):
    """A key that submitted (or re-submitted) a scan; ``intake``/``prosecutor`` keys read through it."""

    __tablename__ = "scan_access"

    scan_id: Mapped[str] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True)
    key_id: Mapped[str] = mapped_column(SafeString(32), primary_key=True, index=True)
    prosecutor: Mapped[str | None] = mapped_column(SafeString(100), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ApiKey(Base):
    """An API key: only a sha256 of the secret is stored; ``prefix`` finds the row."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(SafeString(32), primary_key=True)
    prefix: Mapped[str] = mapped_column(SafeString(16), unique=True, index=True)
    key_hash: Mapped[str] = mapped_column(SafeString(64))
    role: Mapped[str] = mapped_column(SafeString(16))
    name: Mapped[str] = mapped_column(SafeString(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class AuditEntry(Base):
    """Who did what when: report reads, dispositions, key changes, submissions."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    key_id: Mapped[str | None] = mapped_column(SafeString(32), nullable=True)
    key_name: Mapped[str | None] = mapped_column(SafeString(100), nullable=True)
    role: Mapped[str | None] = mapped_column(SafeString(16), nullable=True)
    action: Mapped[str] = mapped_column(SafeString(50), index=True)
    target: Mapped[str | None] = mapped_column(SafeString(200), nullable=True)
    detail: Mapped[dict | None] = mapped_column(JSON, nullable=True)


def get_engine(url: str) -> Engine:
    """One engine per URL and process, with the tables declared so far created (SQLite: WAL, busy timeout,
    foreign keys); every table shares :class:`assistant.database.Base`."""
    return make_engine(url, Base.metadata)


def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


def audit(session: Session, action: str, key=None, target: str | None = None, detail: dict | None = None) -> None:
    """Add an audit entry (committed with the caller's transaction)."""
    session.add(AuditEntry(key_id=getattr(key, "id", None), key_name=getattr(key, "name", None),
                           role=getattr(key, "role", None), action=action, target=target, detail=detail))


def scan_by_hash(session: Session, content_hash: str) -> Scan | None:
    return session.scalar(select(Scan).where(Scan.content_hash == content_hash))
