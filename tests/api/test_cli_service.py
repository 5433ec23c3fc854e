"""``assistant keys create/list/revoke`` against an isolated data dir."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from api.cli import app
from models.settings import get_settings


@pytest.fixture()
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("ASSISTANT_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_keys_commands(isolated):
    runner = CliRunner()
    r = runner.invoke(app, ["keys", "create", "--role", "evaluator", "--name", "评查员甲"])
    assert r.exit_code == 0, r.output
    key = r.stdout.strip().splitlines()[-1]
    assert key.startswith("pc_")
    assert (isolated / "assistant.sqlite3").exists()
    listed = runner.invoke(app, ["keys", "list"])
    assert listed.exit_code == 0 and "评查员甲" in listed.stdout and key not in listed.stdout
    from api.db import ApiKey, session_factory

    with session_factory(get_settings().db_url)() as s:
        row = s.query(ApiKey).one()
        assert row.key_hash != key and row.role == "evaluator"
        key_id = row.id
    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 0
    assert "已吊销" in runner.invoke(app, ["keys", "list"]).stdout
    bad = runner.invoke(app, ["keys", "create", "--role", "root"])
    assert bad.exit_code == 2 and "未知角色" in bad.output
    assert runner.invoke(app, ["keys", "revoke", "nokey"]).exit_code == 2


def test_notice_command(tmp_path):
    import json

    import docx

    from tests.api.api_support import sample_report

    report_path = tmp_path / "report.json"
    report_path.write_text(json.dumps(sample_report(), ensure_ascii=False), encoding="utf-8")
    r = CliRunner().invoke(app, ["notice", str(report_path), "--procuratorate", "北京市朝阳区"])
    assert r.exit_code == 0, r.output
    d = docx.Document(str(tmp_path / "notice.docx"))
    assert d.paragraphs[0].text == "北京市朝阳区人民检察院" and len(d.tables[0].rows) == 3
    (tmp_path / "bad.json").write_text("[1, 2]", encoding="utf-8")
    bad = CliRunner().invoke(app, ["notice", str(tmp_path / "bad.json")])
    assert bad.exit_code == 2 and "不是评查报告" in bad.output
