"""The similar-case index by default: ``$ASSISTANT_DATA_DIR/index`` is where ``assistant index
build`` writes without ``--out`` and what ``assistant scan`` uses without ``--index``; without any
index a scan says so once."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from models.settings import Settings, get_settings

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample" / "dossier"
NO_INDEX = "未配置类案索引"


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """An empty data directory the CLI's cached settings point at (restored afterwards)."""
    d = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(d))
    monkeypatch.delenv("ASSISTANT_INDEX_DIR", raising=False)
    monkeypatch.setenv("ASSISTANT_OCR_ENGINE", "none")
    get_settings.cache_clear()
    yield d
    get_settings.cache_clear()


def _build(*args: str):
    return runner.invoke(app, ["index", "build", *args, "--lexical"])


def _scan() -> dict:
    r = runner.invoke(app, ["scan", str(SAMPLE), "--format", "json", "--no-progress"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_effective_index_dir(tmp_path):
    idx = tmp_path / "data" / "index"
    assert Settings(data_dir=tmp_path / "data").effective_index_dir() is None
    idx.mkdir(parents=True)
    (idx / "meta.sqlite3").write_bytes(b"")
    assert Settings(data_dir=tmp_path / "data").effective_index_dir() is None  # incomplete: no FAISS file
    (idx / "index.faiss").write_bytes(b"")
    assert Settings(data_dir=tmp_path / "data").effective_index_dir() == idx
    explicit = tmp_path / "elsewhere"
    assert Settings(data_dir=tmp_path / "data", index_dir=explicit).effective_index_dir() == explicit


def test_build_writes_to_the_data_dir_and_reuses_a_current_index(data_dir, tmp_path, corpus_file):
    cases = tmp_path / "cases.jsonl"
    shutil.copy(corpus_file, cases)
    r = _build("--cases", str(cases), "--reuse")
    assert r.exit_code == 0, r.output
    assert "已建立类案索引：70 件案例" in r.output
    faiss_file = data_dir / "index" / "index.faiss"
    assert faiss_file.is_file()
    stamp = faiss_file.stat().st_mtime_ns

    r = _build("--cases", str(cases), "--reuse")
    assert r.exit_code == 0, r.output
    assert "类案索引已是最新" in r.output and "已建立" not in r.output
    assert faiss_file.stat().st_mtime_ns == stamp

    # a changed cases file is not current any more: --reuse rebuilds
    rows = cases.read_text(encoding="utf-8").splitlines()[:50]
    cases.write_text("\n".join(rows) + "\n", encoding="utf-8")
    os.utime(cases, ns=(stamp + 10**9, stamp + 10**9))
    r = _build("--cases", str(cases), "--reuse")
    assert r.exit_code == 0, r.output
    assert "已建立类案索引：50 件案例" in r.output


def test_scan_uses_the_default_index_without_flags(data_dir, corpus_file):
    assert _build("--cases", str(corpus_file)).exit_code == 0
    report = _scan()
    assert report.get("similar_cases"), "scan without --index did not use $ASSISTANT_DATA_DIR/index"
    assert report["similar_cases"]["neighbours"]
    assert not [w for w in report["warnings"] if NO_INDEX in w]


def test_scan_without_any_index_says_so_once(data_dir):
    report = _scan()
    assert not report.get("similar_cases")
    assert len([w for w in report["warnings"] if NO_INDEX in w]) == 1
