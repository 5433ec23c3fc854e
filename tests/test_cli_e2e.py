"""End to end through the console script: ``assistant scan`` on generated dossiers.

Runs the real installed entry point in a subprocess, as a prosecutor would, and checks
the report against the public contract, the ground truth's injected defects, the exit
codes and the Chinese messages for dossiers that cannot be read.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pikepdf
import pytest

from checks.catalog import load_catalog
from fixtures.generator import generate_dossier
from tests.contract import validate_report

ASSISTANT = [sys.executable, "-m", "api.cli"]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONIOENCODING="utf-8", ASSISTANT_OCR_ENGINE="none")
    return subprocess.run([*ASSISTANT, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


@pytest.fixture(scope="module")
def dossier(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli")
    return generate_dossier(seed=4242, out_dir=out, defects=["DL-010", "SG-007", "CON-002"], layout="mixed")


def _truth(folder: Path) -> dict:
    return json.loads(folder.with_name(folder.name + ".truth.json").read_text(encoding="utf-8"))


def test_scan_json_is_the_contract_and_finds_injected_defects(dossier: Path):
    proc = run_cli("scan", str(dossier), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)  # stdout carries the report and nothing else
    validate_report(report, set(load_catalog().rules))
    fired = {f["rule_id"] for f in report["findings"]}
    expected = {e["rule_id"] if isinstance(e, dict) else e for e in _truth(dossier)["expected_findings"]}
    assert expected <= fired, f"missed {expected - fired}"
    for f in report["findings"]:
        assert f["basis"], f"{f['rule_id']} has no legal basis"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in f["message"])
    truth_types = sorted(d["type"] for d in _truth(dossier)["documents"])
    assert sorted(d["type"] for d in report["documents"]) == truth_types


def test_scan_summary_writes_reports(dossier: Path, tmp_path: Path):
    proc = run_cli("scan", str(dossier), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "建议等次" in proc.stdout and "发现问题" in proc.stdout
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    validate_report(report)
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "问题清单" in html and report["findings"][0]["message"][:10] in html
    assert (tmp_path / "out" / "notice.docx").stat().st_size > 5000


def test_unreadable_dossier_exits_nonzero_with_chinese_message(tmp_path: Path):
    proc = run_cli("scan", str(tmp_path / "不存在的卷宗"))
    assert proc.returncode != 0
    assert "找不到" in proc.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_cli("scan", str(empty), "--format", "json")
    assert proc.returncode != 0 and proc.stdout == ""
    assert any("\u4e00" <= ch <= "\u9fff" for ch in proc.stderr)


def test_bad_files_are_reported_and_the_rest_is_scanned(dossier: Path, tmp_path: Path):
    mixed = tmp_path / "mixed"
    shutil.copytree(dossier, mixed)
    (mixed / "损坏.pdf").write_bytes(b"%PDF-1.7\n garbage that is not a pdf")
    (mixed / "空文件.pdf").write_bytes(b"")
    (mixed / "卷宗.rar").write_bytes(b"Rar!\x1a\x07\x00")
    src = next(mixed.glob("*.pdf"))
    with pikepdf.open(src) as pdf:
        pdf.save(mixed / "加密.pdf", encryption=pikepdf.Encryption(owner="o", user="secret"))
    zpath = tmp_path / "卷宗.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for f in sorted(mixed.iterdir()):
            z.write(f, f.name)
        z.writestr("../逃逸.txt", "x")
    proc = run_cli("scan", str(zpath), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    validate_report(report)
    text = "\n".join(report["warnings"])
    for name in ("损坏.pdf", "空文件.pdf", "卷宗.rar", "加密.pdf", "逃逸.txt"):
        assert name in text, f"no warning names {name}: {text}"
    assert "加密" in text
    clean = json.loads(run_cli("scan", str(dossier), "--format", "json").stdout)
    assert len(report["documents"]) == len(clean["documents"])
    assert {f["rule_id"] for f in clean["findings"]} <= {f["rule_id"] for f in report["findings"]}


def test_rules_commands():
    proc = run_cli("rules", "list")
    assert proc.returncode == 0 and "DL-010" in proc.stdout
    proc = run_cli("rules", "show", "DL-010")
    assert proc.returncode == 0
    for head in ("检查内容", "为何是问题", "依据", "第一百七十二条"):
        assert head in proc.stdout
    proc = run_cli("rules", "show", "XX-999")
    assert proc.returncode != 0 and "没有编号" in proc.stdout + proc.stderr
