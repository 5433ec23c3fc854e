"""Alembic migrations of the service database (``api/migrations``), run from Python.

:func:`upgrade` brings a database to the newest revision once per process and URL: a database
made before migrations existed (tables, no ``alembic_version``) and a new one alike go through
the baseline (``0001``, nothing to change) and then the additive revisions, which look at what
is there first. PostgreSQL serialises concurrent upgrades with an advisory lock; on SQLite a
second process racing the first finds the columns already added and moves on.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from assistant.database import DatabaseUnavailable, display_url, make_engine, normalize_url

log = logging.getLogger(__name__)
SCRIPTS = Path(__file__).resolve().parent / "migrations"
_LOCK_KEY = 0x70696E68
_DONE: set[tuple[str, int]] = set()
_LOCK = threading.Lock()


def config(url: str | None = None):
    """The Alembic configuration of the service database (``url`` else the service's)."""
    from alembic.config import Config

    cfg = Config(str(SCRIPTS / "alembic.ini"))
    cfg.set_main_option("script_location", str(SCRIPTS))
    if url:
        cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


def head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config()).get_current_head()


def current(url: str) -> str | None:
    """The revision the database is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with make_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url`` to ``revision`` (once per process for ``head``)."""
    from alembic import command

    key = (normalize_url(url), os.getpid())
    with _LOCK:
        if revision == "head" and key in _DONE:
            return
        eng = make_engine(url)
        for attempt in range(3):
            try:
                with eng.begin() as conn:
                    if eng.dialect.name == "postgresql":
                        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
                    cfg = config(url)
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, revision)
                break
            except OperationalError as exc:  # SQLite: another process added the column or table meanwhile
                msg = str(exc.orig or exc)
                if attempt < 2 and ("duplicate column" in msg or "already exists" in msg or "locked" in msg):
                    log.info("migration raced another process (%s); retrying", msg)
                    continue
                raise DatabaseUnavailable(f"数据库 {display_url(url)} 升级失败：{msg[:300]}") from exc
            except SQLAlchemyError as exc:
                raise DatabaseUnavailable(f"数据库 {display_url(url)} 升级失败：{str(exc)[:300]}") from exc
        if revision == "head":
            _DONE.add(key)
