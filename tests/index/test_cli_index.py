"""``assistant index build`` / ``query`` / ``info`` on a small JSONL written by the test."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from assistant.cli import app

runner = CliRunner()


def test_build_query_info(tmp_path, corpus_file):
    out = tmp_path / "idx"
    r = runner.invoke(app, ["index", "build", "--cases", str(corpus_file), "--out", str(out), "--lexical"])
    assert r.exit_code == 0, r.output
    assert "已建立类案索引：70 件案例" in r.output
    r = runner.invoke(app, ["index", "query", "被告人在超市内盗窃他人财物，价值人民币3000元。", "--charge", "盗窃罪",
                            "-k", "5", "--index", str(out), "--months", "36"])
    assert r.exit_code == 0, r.output
    assert "预期刑期约" in r.output and "偏离" in r.output and "盗窃罪" in r.output
    r = runner.invoke(app, ["index", "query", "醉酒驾驶机动车", "--index", str(out), "-f", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert len(data["neighbours"]) == 10 and data["expected_sentence_months"] is not None
    r = runner.invoke(app, ["index", "info", "--index", str(out)])
    assert r.exit_code == 0 and "案例数：70" in r.output


def test_append_skips_known_ids(tmp_path, corpus_file):
    out = tmp_path / "idx"
    assert runner.invoke(app, ["index", "build", "--cases", str(corpus_file), "--out", str(out), "--lexical"]).exit_code == 0
    r = runner.invoke(app, ["index", "build", "--cases", str(corpus_file), "--out", str(out), "--append"])
    assert r.exit_code == 0, r.output
    assert "已追加 0 件案例" in r.output


def test_errors_are_chinese(tmp_path):
    r = runner.invoke(app, ["index", "query", "盗窃", "--index", str(tmp_path / "none")])
    assert r.exit_code == 2 and "类案索引目录无效" in r.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    r = runner.invoke(app, ["index", "build", "--cases", str(bad), "--out", str(tmp_path / "o"), "--lexical"])
    assert r.exit_code == 2 and "没有可用的案例记录" in r.output
