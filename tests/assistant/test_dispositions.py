"""Dispositions: dossier keys, storage, statistics, the CLI and their effect on a re-scan."""

from __future__ import annotations

import json
import zipfile

import pytest
from typer.testing import CliRunner

from models import CaseFile, Document, Field

from assistant import dispositions as D
from models.settings import Settings


@pytest.fixture()
def settings(tmp_path):
    return Settings(data_dir=tmp_path / "var", database_url=f"sqlite:///{tmp_path / 'd.sqlite3'}")


@pytest.fixture()
def dossier(tmp_path):
    folder = tmp_path / "卷宗A"
    (folder / "sub").mkdir(parents=True)
    (folder / "起诉书.pdf").write_bytes(b"%PDF-1.4 indictment")
    (folder / "sub" / "笔录.pdf").write_bytes(b"%PDF-1.4 transcript")
    (folder / ".DS_Store").write_bytes(b"junk")
    return folder


def test_dossier_key_is_a_content_hash(dossier, tmp_path):
    key = D.dossier_key_for_path(dossier)
    assert len(key) == 64 and key == D.dossier_key_for_path(dossier)
    archive = tmp_path / "卷宗A.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in dossier.rglob("*.pdf"):
            zf.write(p, "renamed/" + p.name)
        zf.writestr("__MACOSX/._x", b"meta")
    assert D.dossier_key_for_path(archive) == key
    (dossier / "起诉书.pdf").write_bytes(b"%PDF-1.4 indictment, edited")
    assert D.dossier_key_for_path(dossier) != key
    with pytest.raises(D.DispositionError, match="找不到卷宗"):
        D.dossier_key_for_path(tmp_path / "nope")


def test_single_file_and_broken_zip(tmp_path):
    f = tmp_path / "a.pdf"
    f.write_bytes(b"x")
    bad = tmp_path / "b.zip"
    bad.write_bytes(b"not a zip")
    assert D.dossier_key_for_path(f) != D.dossier_key_for_path(bad)


def test_mark_lookup_update_and_stats(dossier, settings):
    key = D.dossier_key_for_path(dossier)
    d = D.mark(dossier, "abc123", "误报", "笔录第3页有签名，识别错误", by="李评查", rule_id="SG-001", settings=settings)
    assert d["status"] == "误报" and d["by"] == "李评查" and d["at"].endswith("+00:00")
    D.mark_by_key(key, "def456", "确认", "", "李评查", rule_id="SG-001", settings=settings)
    D.mark_by_key(key, "ghi789", "不适用", "本案无被害人", None, rule_id="DL-014", settings=settings)
    found = D.lookup_for_dossier(dossier, settings)
    assert set(found) == {"abc123", "def456", "ghi789"}
    assert found["abc123"]["reason"] == "笔录第3页有签名，识别错误"
    D.mark_by_key(key, "abc123", "确认", "复核后确认", "王", settings=settings)  # replaces, keeps the rule id
    assert D.lookup_by_key(key, settings)["abc123"]["status"] == "确认"
    stats = D.stats(settings)
    assert stats["SG-001"] == {"确认": 2, "误报": 0, "不适用": 0, "precision": 1.0}
    assert stats["DL-014"]["precision"] is None
    assert [r["finding_id"] for r in D.list_by_key(key, settings)][0] == "abc123"
    assert D.unmark_by_key(key, "ghi789", settings) and not D.unmark_by_key(key, "ghi789", settings)


def test_bad_dispositions_are_refused_in_chinese(settings):
    with pytest.raises(D.DispositionError, match="处置状态应为确认、误报、不适用之一"):
        D.mark_by_key("k", "f", "删除", "x", settings=settings)
    with pytest.raises(D.DispositionError, match="须填写理由"):
        D.mark_by_key("k", "f", "误报", "  ", settings=settings)


def test_lookup_never_breaks_a_scan(tmp_path, settings):
    assert D.lookup_for_dossier(tmp_path / "missing", settings) == {}


def test_cli_mark_list_stats(dossier, settings, tmp_path, monkeypatch):
    from assistant import cli_rules

    monkeypatch.setattr(cli_rules, "get_settings", lambda: settings)
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"findings": [{"id": "f1", "rule_id": "DL-010", "message": "起诉书超期"}]}), encoding="utf-8")
    runner = CliRunner()
    r = runner.invoke(cli_rules.findings_app, ["mark", str(dossier), "f1", "--status", "误报", "--reason", "有延长决定",
                                               "--by", "张", "--report", str(report)])
    assert r.exit_code == 0, r.output
    assert "已标记问题 f1（DL-010）为“误报”" in r.output
    r = runner.invoke(cli_rules.findings_app, ["mark", str(dossier), "f2", "--status", "错了"])
    assert r.exit_code == 2 and "处置状态应为" in r.output
    r = runner.invoke(cli_rules.findings_app, ["list", str(dossier)])
    assert r.exit_code == 0 and "f1" in r.output and "有延长决定" in r.output
    r = runner.invoke(cli_rules.rules_app, ["stats"])
    assert r.exit_code == 0 and "DL-010" in r.output and "0%" in r.output


def test_rescan_shows_disposition_and_excludes_points(dossier, settings, monkeypatch):
    import extractors

    from assistant.pipeline import scan

    case = CaseFile(name="卷宗A", documents=[
        Document(id="d1", type="受理案件登记表", file="a.pdf", pages=[1], fields={"received_date": Field(value="2024-04-01")}),
        Document(id="d2", type="起诉书", file="a.pdf", pages=[2], fields={"date": Field(value="2024-05-20")}),
    ])
    case.case.in_custody = True
    monkeypatch.setattr(extractors, "extract_case", lambda path, settings=None, progress=None: case.model_copy(deep=True))
    first = scan(dossier, settings=settings)
    late = [f for f in first.findings if f.rule_id == "DL-010"]
    assert len(late) == 1 and first.report["points"] >= late[0].severity_points
    D.mark(dossier, late[0].id, "误报", "卷内另有延长决定（未识别）", rule_id="DL-010", settings=settings)
    second = scan(dossier, settings=settings, dispositions=D.lookup_for_dossier(dossier, settings))
    again = next(f for f in second.report["findings"] if f["rule_id"] == "DL-010")
    assert again["id"] == late[0].id
    assert again["disposition"]["status"] == "误报"
    assert second.report["points"] == first.report["points"] - late[0].severity_points
