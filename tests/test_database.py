"""``assistant.database``: several processes opening a fresh SQLite file at once (batch workers):
the switch to WAL and the table creation must both survive the race."""

from __future__ import annotations

import multiprocessing as mp

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, inspect
from sqlalchemy.exc import OperationalError

from assistant import database


def _meta() -> MetaData:
    meta = MetaData()
    Table("things", meta, Column("id", Integer, primary_key=True))
    return meta


def test_a_table_created_by_another_process_meanwhile_is_not_an_error(tmp_path, monkeypatch):
    meta = _meta()
    calls = []
    real = MetaData.create_all

    def racing(self, bind, *a, **kw):  # the other process created the table between check and CREATE
        calls.append(1)
        if len(calls) == 1:
            real(self, bind, *a, **kw)
            raise OperationalError("CREATE TABLE things", {}, Exception("table things already exists"))
        return real(self, bind, *a, **kw)

    monkeypatch.setattr(MetaData, "create_all", racing)
    eng = database.make_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}", meta)
    assert len(calls) == 2 and "things" in inspect(eng).get_table_names()


def test_other_creation_errors_still_fail_with_a_chinese_message(tmp_path, monkeypatch):
    def broken(self, bind, *a, **kw):
        raise OperationalError("CREATE TABLE things", {}, Exception("disk I/O error"))

    monkeypatch.setattr(MetaData, "create_all", broken)
    with pytest.raises(database.DatabaseUnavailable, match="无法连接或初始化数据库"):
        database.make_engine(f"sqlite:///{tmp_path / 'b.sqlite3'}", _meta())


def _create(path: str, start) -> None:
    start.wait()
    database.make_engine(f"sqlite:///{path}", _meta())


def test_processes_starting_together_all_get_their_tables(tmp_path):
    for k in range(5):
        path = str(tmp_path / f"race{k}.sqlite3")
        ctx = mp.get_context("fork")
        start = ctx.Event()
        procs = [ctx.Process(target=_create, args=(path, start)) for _ in range(4)]
        for p in procs:
            p.start()
        start.set()
        for p in procs:
            p.join(30)
        assert [p.exitcode for p in procs] == [0, 0, 0, 0]
