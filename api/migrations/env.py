"""Alembic environment of the service database (scans, audit log, web tables, dispositions, batches).

Run through :func:`api.migrate.upgrade` (the service and ``assistant users`` call it at start), or
from the shell: ``alembic -c api/migrations/alembic.ini upgrade head`` (the database is
``DATABASE_URL`` / ``ASSISTANT_DATABASE_URL`` as for the service).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

config = context.config


def _url() -> str:
    from models.settings import get_settings
    from assistant.database import normalize_url

    return normalize_url(config.get_main_option("sqlalchemy.url") or get_settings().db_url)


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=None, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url())
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=None, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=None, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
