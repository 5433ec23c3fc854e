"""Database plumbing shared by the dispositions store and the scan service.

SQLite is the embedded default (WAL, a busy timeout, foreign keys); PostgreSQL is used when
``DATABASE_URL`` names it. Both behave the same to callers:

- :func:`normalize_url` maps ``postgres://`` and ``postgresql://`` to the psycopg 3 driver
  (``postgresql+psycopg://``), the one the ``postgres`` extra installs;
- :class:`Base` is the one declarative base of every table in the database (the dispositions here,
  the service's scans, keys and audit log, the batch and web tables in ``api``), so one metadata
  describes the schema the Alembic migrations (``api/migrations``) keep up to date;
- :func:`make_engine` creates the engine and the tables (on PostgreSQL under an advisory lock,
  so several worker processes starting at once do not race on ``CREATE TABLE``) and turns a
  missing driver or an unreachable server into :class:`DatabaseUnavailable` with a Chinese message;
- :class:`SafeString` / :class:`SafeText` columns replace NUL characters with U+FFFD and clip
  to the declared length; PostgreSQL refuses both (``varchar(n)`` overflow, ``\\x00`` in text)
  where SQLite stores anything. The same applies to values compared in ``WHERE`` clauses, so a
  lookup with a NUL never errors and never matches a stored key.
"""

from __future__ import annotations

import os
import sqlite3
import time
import threading
from typing import Any

from sqlalchemy import MetaData, String, Text, create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

_ADVISORY_LOCK_KEY = 0x70696E67  # "ping": serialises create_all across processes on PostgreSQL
_ENGINES: dict[tuple[str, int], Engine] = {}
_CREATED: set[tuple[str, int, frozenset[str]]] = set()
_LOCK = threading.Lock()


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened (message in Chinese)."""


class Base(DeclarativeBase):
    """The declarative base of every table of the database (one metadata for the whole schema)."""


def normalize_url(url: str) -> str:
    """``postgres://…`` / ``postgresql://…`` → ``postgresql+psycopg://…``; other URLs unchanged."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def display_url(url: str) -> str:
    """The URL with its password masked, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "（无法解析的数据库地址）"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    # Switching a fresh file to WAL needs an exclusive lock, and SQLite answers "database is
    # locked" at once (without the busy handler) when another process opens the same new file at
    # that moment (batch workers starting together): retry briefly. WAL then persists in the file.
    for attempt in range(100):
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 99:
                raise
            time.sleep(0.05)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _new_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"数据库地址格式不正确：{url!r}（示例：sqlite:///var/assistant.sqlite3 或 "
                                  f"postgresql+psycopg://用户@主机/库名）。") from exc
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
                os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
            eng = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            event.listen(eng, "connect", _sqlite_pragmas)
        elif backend == "postgresql":
            timeout = {} if "connect_timeout" in parsed.query else {"connect_timeout": 10}
            eng = create_engine(url, pool_pre_ping=True, connect_args=timeout)
        else:
            eng = create_engine(url, pool_pre_ping=True)
    except (ImportError, ArgumentError) as exc:
        hint = "（PostgreSQL 需要安装驱动：pip install 'psycopg[binary]>=3.1'）" if backend == "postgresql" else ""
        raise DatabaseUnavailable(f"无法使用数据库 {display_url(url)}：缺少驱动或不受支持{hint}。") from exc
    return eng


def make_engine(url: str, metadata: MetaData | None = None) -> Engine:
    """One engine per URL and process; creates the tables of ``metadata`` (normally ``Base.metadata``)
    that are missing, again whenever tables were declared since (a module of models imported later)."""
    url = normalize_url(url)
    key = (url, os.getpid())
    with _LOCK:
        eng = _ENGINES.get(key)
        if eng is None:
            eng = _ENGINES[key] = _new_engine(url)
        key = (url, os.getpid(), frozenset(metadata.tables)) if metadata is not None else None
        if key is not None and key not in _CREATED:
            _create_tables(eng, metadata)
            _CREATED.add(key)
    return eng


def _create_tables(eng: Engine, metadata: MetaData, attempts: int = 3) -> None:
    """Create what is missing. PostgreSQL serialises creators with an advisory lock; SQLite has
    none, so two processes starting together (batch workers) may both find a table missing and
    the second ``CREATE TABLE`` fails with "already exists": that is retried, and the retry's
    check finds the table."""
    for attempt in range(attempts):
        try:
            with eng.begin() as conn:
                if eng.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_KEY})
                metadata.create_all(conn)
            return
        except SQLAlchemyError as exc:
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
            if "already exists" in detail and attempt + 1 < attempts:
                continue
            raise DatabaseUnavailable(f"无法连接或初始化数据库 {display_url(str(eng.url))}：{detail}") from exc


def _clean(value: Any, length: int | None) -> Any:
    if value is None:
        return None
    value = str(value)
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    return value[:length] if length else value


class SafeString(TypeDecorator):
    """``VARCHAR(n)`` holding at most ``n`` characters and no NUL, on every backend."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> Any:
        return _clean(value, self.impl.length)


class SafeText(TypeDecorator):
    """``TEXT`` without NUL characters (PostgreSQL refuses them)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> Any:
        return _clean(value, None)
