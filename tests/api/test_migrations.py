"""Alembic migrations of the service database (``api/migrations``, :mod:`api.migrate`): a database
made before migrations (today's schema as the service created it) is upgraded in place and keeps its
rows; a new one gets the newest schema; the web pages work on both. The same runs on PostgreSQL when
a server can be started (``tests/api/test_postgres.py``'s ``pg_server``)."""

from __future__ import annotations

import sqlite3

from sqlalchemy import create_engine, inspect, text

from api import migrate
from api.web.models import create_tables
from tests.api.test_postgres import pg_server  # noqa: F401 - the throwaway PostgreSQL cluster fixture

#: web_cases and web_conclusions as the service created them before revision 0002
OLD_SCHEMA = """
CREATE TABLE web_cases (
    scan_id VARCHAR(32) NOT NULL, dossier_key VARCHAR(200) NOT NULL, scan_status VARCHAR(16) NOT NULL,
    name VARCHAR(255) NOT NULL, case_no VARCHAR(200) NOT NULL, charges VARCHAR(500) NOT NULL,
    defendants VARCHAR(500) NOT NULL, prosecutor VARCHAR(100) NOT NULL, department VARCHAR(100) NOT NULL,
    scanned_at DATETIME NOT NULL, month VARCHAR(7) NOT NULL, grade VARCHAR(16) NOT NULL, points INTEGER NOT NULL,
    key_review BOOLEAN NOT NULL, findings INTEGER NOT NULL, review_status VARCHAR(16) NOT NULL,
    in_progress BOOLEAN NOT NULL, search TEXT NOT NULL, disp_count INTEGER NOT NULL, disp_at VARCHAR(40) NOT NULL,
    indexed_at DATETIME NOT NULL, PRIMARY KEY (scan_id));
CREATE INDEX ix_web_cases_scanned_at ON web_cases (scanned_at);
CREATE INDEX ix_web_cases_dashboard ON web_cases (scan_status, department, prosecutor, month, grade, points, findings, key_review);
CREATE TABLE web_conclusions (
    scan_id VARCHAR(32) NOT NULL, grade VARCHAR(16) NOT NULL, opinion TEXT NOT NULL, "by" VARCHAR(100) NOT NULL,
    at DATETIME NOT NULL, PRIMARY KEY (scan_id));
INSERT INTO web_cases VALUES ('s1', 'k', 'done', '旧案', '测检刑诉〔2024〕1号', '盗窃罪', '张三', '王检察官', '一部',
    '2024-05-01 08:00:00', '2024-05', '瑕疵', 5, FALSE, 2, '已评查', FALSE, '旧案', 0, '', '2024-05-01 08:00:00');
INSERT INTO web_conclusions VALUES ('s1', '合格', '意见', '评查员甲', '2024-05-02 08:00:00');
"""


def _old_sqlite(path) -> str:
    con = sqlite3.connect(path)
    con.executescript(OLD_SCHEMA)
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def _check_upgraded(url: str) -> None:
    eng = create_engine(url)
    insp = inspect(eng)
    cols = {c["name"] for c in insp.get_columns("web_cases")}
    assert {"group_key", "latest", "group_scans", "final_grade", "closed_on", "closed_month"} <= cols
    assert {"by_label", "machine_grade", "override_reason"} <= {c["name"] for c in insp.get_columns("web_conclusions")}
    assert "web_review_events" in insp.get_table_names()
    assert "ix_web_cases_latest_scanned" in {i["name"] for i in insp.get_indexes("web_cases")}
    with eng.connect() as conn:
        assert conn.execute(text("SELECT grade, opinion FROM web_conclusions WHERE scan_id='s1'")).one() == ("合格", "意见")
        row = conn.execute(text("SELECT name, latest, final_grade FROM web_cases WHERE scan_id='s1'")).one()
        assert row[0] == "旧案" and bool(row[1]) and row[2] == ""
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == migrate.head()
    eng.dispose()


def test_an_existing_sqlite_database_is_upgraded_in_place(tmp_path):
    url = _old_sqlite(tmp_path / "old.sqlite3")
    assert migrate.current(url) is None
    create_tables(url)  # what the service does at start: create what is missing, then migrate
    _check_upgraded(url)
    migrate.upgrade(url)  # again: nothing to do
    assert migrate.current(url) == migrate.head()


def test_a_new_database_gets_the_newest_schema_and_revision(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    create_tables(url)
    assert migrate.current(url) == migrate.head()
    cols = {c["name"] for c in inspect(create_engine(url)).get_columns("web_cases")}
    assert "group_key" in cols


def test_the_web_pages_work_on_an_upgraded_database(tmp_path):
    from fastapi.testclient import TestClient

    from api.db import session_factory
    from api.main import create_app
    from api.web import auth
    from tests.web.conftest import PASSWORD, login, make_cfg

    cfg = make_cfg(tmp_path)
    _old_sqlite(tmp_path / "web.sqlite3")  # the file make_cfg names
    app = create_app(cfg, start_workers=False)
    with session_factory(cfg.db_url)() as s:
        auth.create_user(s, "评查员甲", PASSWORD, "evaluator")
    c = login(TestClient(app), "评查员甲")
    for path in ("/", "/dashboard", "/deadlines"):
        assert c.get(path).status_code == 200, path


def test_the_migration_runs_on_postgresql(pg_server):  # noqa: F811 - skips with its reason without a server
    url = pg_server("migrations")
    eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with eng.begin() as conn:
        for stmt in OLD_SCHEMA.replace("DATETIME", "TIMESTAMP").split(";"):
            if stmt.strip():
                conn.execute(text(stmt))
    eng.dispose()
    create_tables(url)
    _check_upgraded(url.replace("postgresql://", "postgresql+psycopg://", 1))
