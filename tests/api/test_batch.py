"""``assistant batch``: a small generated caseload scanned by long-lived workers.

- the console script on a CSV manifest (manifest values win, an unreadable dossier is listed
  with its Chinese reason and does not stop the batch, summary files, reports are ordinary
  scans); running it again skips every unchanged dossier;
- a local worker killed with SIGKILL mid-batch: its dossier is handed out again, every
  dossier ends with a report;
- a real two-node Ray cluster on this machine (``ray start --head`` + ``ray start --address``
  with its own resource): both nodes scan, the reports equal a plain local scan's; one node's
  actor killed mid-batch is restarted by Ray and every dossier still ends with the same report.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures.generator import generate_set

ASSISTANT = [sys.executable, "-m", "api.cli"]

N = 4


def _env(data: Path) -> dict[str, str]:
    # a fixed code version: the skip decision must not depend on source files edited during the run
    env = dict(os.environ, PYTHONIOENCODING="utf-8", ASSISTANT_OCR_ENGINE="none", ASSISTANT_DATA_DIR=str(data),
               RAY_USAGE_STATS_ENABLED="0", ASSISTANT_CODE_VERSION="test-batch")
    env.pop("DATABASE_URL", None)
    env.pop("ASSISTANT_DATABASE_URL", None)
    return env


def run_cli(data: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*ASSISTANT, *args], capture_output=True, text=True, env=_env(data), timeout=300)


@pytest.fixture(scope="module")
def caseload(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("caseload")
    folders = generate_set(N, seed=41, out_dir=root / "gen", layouts=("mixed", "single-pdf"))
    src = root / "source"
    src.mkdir()
    for f in folders:
        shutil.copytree(f, src / f.name)
    (src / "坏卷宗.zip").write_bytes(b"this is not a zip archive")
    return src


@pytest.fixture(scope="module")
def baseline(caseload) -> dict[str, dict]:
    """The reports of a plain in-process scan of each dossier (what every batch run must equal)."""
    from models.settings import Settings
    from assistant.pipeline import scan

    settings = Settings(data_dir=caseload.parent / "baseline-data", ocr_engine="none")
    return {p.name: json.loads(json.dumps(scan(p, settings=settings).report, ensure_ascii=False))
            for p in sorted(caseload.iterdir()) if p.is_dir()}


def _interrupted_run(data: Path, args: list[str], out: Path, sig: int, after_reports: int):
    """The console script, stopped with ``sig`` once ``after_reports`` dossiers have their report."""
    proc = subprocess.Popen([*ASSISTANT, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(data))
    deadline = time.monotonic() + 180
    while len(list(out.glob("*/report.json"))) < after_reports and proc.poll() is None:
        assert time.monotonic() < deadline, "no report appeared"
        time.sleep(0.05)
    if proc.poll() is None:
        proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


@pytest.fixture(scope="module")
def local_run(caseload, baseline, tmp_path_factory):
    """The console script on a CSV manifest: killed (SIGKILL) after its first report, interrupted
    (Ctrl-C) after its next one, run to the end, and run once more (which skips everything)."""
    root = tmp_path_factory.mktemp("local")
    names = sorted(p.name for p in caseload.iterdir())
    manifest = root / "清单.csv"
    with manifest.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["卷宗路径", "案号", "承办检察官", "部门"])
        for i, n in enumerate(names):
            w.writerow([str(caseload / n), f"测检刑诉〔2024〕{i + 1}号" if i == 0 else "", "王检察官" if i == 0 else "",
                        "第一检察部" if i == 0 else ""])
        w.writerow([str(caseload / "不存在的卷宗"), "", "", ""])
    out = root / "out"
    args = ["batch", str(manifest), "--out", str(out), "--workers", "2", "--no-progress"]
    killed = _interrupted_run(root / "data", args, out, signal.SIGKILL, 1)
    after_kill = {p.parent.name: json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*/report.json")}
    ctrl_c = _interrupted_run(root / "data", args, out, signal.SIGINT, len(after_kill) + 1)
    url = f"sqlite:///{(root / 'data' / 'assistant.sqlite3').resolve()}"
    from api.batch import BatchItem, batch_sessions
    from api.db import Scan
    from sqlalchemy import select

    with batch_sessions(url)() as s:
        left_running = [i.name for i in s.scalars(select(BatchItem).where(BatchItem.status == "running"))]
        left_running += [sc.name for sc in s.scalars(select(Scan).where(Scan.status == "running"))]
    first = run_cli(root / "data", *args)
    second = run_cli(root / "data", *args)
    return {"root": root, "out": out, "first": first, "second": second, "names": names, "data": root / "data",
            "killed": killed, "after_kill": after_kill, "ctrl_c": ctrl_c, "left_running": left_running}


def test_kill_and_ctrl_c_lose_no_report_and_the_rerun_continues(local_run, baseline):
    assert local_run["killed"].returncode == -signal.SIGKILL
    assert len(local_run["after_kill"]) >= 1  # finished reports are complete after kill -9
    for name, report in local_run["after_kill"].items():
        assert report == baseline[name]
    ctrl_c = local_run["ctrl_c"]
    if ctrl_c.returncode == 0:  # the run ended before the signal arrived: nothing to check
        pytest.skip("the batch finished before Ctrl-C")
    assert ctrl_c.returncode == 130, ctrl_c.stderr
    assert "已中断" in ctrl_c.stderr and "重新运行同一命令即可继续" in ctrl_c.stderr
    assert local_run["left_running"] == []  # Ctrl-C leaves nothing marked running
    first = local_run["first"]
    assert first.returncode == 0, first.stderr
    skipped = int(re.search(r"跳过 (\d+) 份", first.stderr).group(1))
    assert skipped >= len(local_run["after_kill"])  # finished before the interruptions: not scanned again
    assert set(local_run["after_kill"]) <= set(_reports(local_run["out"]))


def _reports(out: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob("*/report.json"))}


def test_cli_batch_reports_summary_and_unreadable(local_run, baseline):
    first, out = local_run["first"], local_run["out"]
    assert first.returncode == 0, first.stderr
    reports = _reports(out)
    assert reports == baseline
    for name in reports:
        assert {p.name for p in (out / name).iterdir()} >= {"report.json", "report.html", "notice.docx"}
    assert "无法读取" in first.stderr and "坏卷宗" in first.stderr and "找不到卷宗" in first.stderr
    from openpyxl import load_workbook

    ws = load_workbook(out / "summary.xlsx").active
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert {"案号", "罪名", "承办检察官", "部门", "等次", "扣分", "重点评查", "重点评查原因", "问题编号", "状态"} <= set(header)
    body = [dict(zip(header, r)) for r in rows[1:]]
    assert len(body) == N + 2
    first_row = body[0]
    assert (first_row["案号"], first_row["承办检察官"], first_row["部门"]) == ("测检刑诉〔2024〕1号", "王检察官", "第一检察部")
    done = [r for r in body if r["状态"] == "已完成"]
    assert len(done) == N
    for r in done[1:]:  # from the documents: the 起诉书's 检察官 and issuing 院
        assert r["承办检察官"] and r["部门"].endswith("人民检察院") and r["罪名"].endswith("罪")
    by_name = {r["卷宗"]: r for r in body}
    for name, rep in reports.items():
        assert by_name[name]["等次"] == rep["grade"] and by_name[name]["扣分"] == rep["points"]
        assert (by_name[name]["问题编号"] or "") == "、".join(f["id"] for f in rep["findings"])
    bad = [r for r in body if r["状态"] != "已完成"]
    assert len(bad) == 2 and all(r["说明"] for r in bad)
    csv_rows = list(csv.reader((out / "summary.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert len(csv_rows) == N + 3
    html = (out / "summary.html").read_text(encoding="utf-8")
    assert "建议等次分布" in html and "各规则发现问题" in html and "report.html" in html


def test_batch_results_are_ordinary_scans_and_rerun_skips(local_run):
    from api.batch import BatchItem, batch_sessions
    from api.db import Scan
    from sqlalchemy import select

    second = local_run["second"]
    assert second.returncode == 0, second.stderr
    assert f"跳过 {N} 份" in second.stderr and "完成 0 份" in second.stderr
    url = f"sqlite:///{(local_run['data'] / 'assistant.sqlite3').resolve()}"
    with batch_sessions(url)() as s:
        scans = s.scalars(select(Scan)).all()
        items = s.scalars(select(BatchItem)).all()
    done_scans = [sc for sc in scans if sc.status == "done"]
    assert len(done_scans) == N
    assert {sc.prosecutor for sc in done_scans} >= {"王检察官"}
    assert all(Path(sc.report_path).is_file() for sc in done_scans)
    assert sum(1 for i in items if i.status == "done") == N


def _settings(data: Path, ocr: str = "none"):
    from models.settings import Settings

    s = Settings(data_dir=data.resolve(), ocr_engine=ocr)
    return s.model_copy(update={"database_url": s.db_url})


def _run_in_process(source: Path, out: Path, data: Path, workers: int, ray_address=None, on_event=None, hook=None,
                    ocr: str = "none"):
    from api.batch import WorkerConfig, batch_id_for, batch_sessions, finish_batch, prepare, run_batch
    from assistant.batch import discover, versions_key

    settings = _settings(data, ocr)
    entries, _ = discover(source)
    sessions = batch_sessions(settings.db_url)
    vers = {"test": "fixed"}
    bid = batch_id_for(source, out)
    items = prepare(sessions, bid, entries, source, out, vers)
    cfg = WorkerConfig(settings=settings, batch_id=bid, out_dir=str(out), versions_key=versions_key(vers))
    stats = run_batch(cfg, items, workers, ray_address, on_event=on_event, pool_hook=hook)
    finish_batch(sessions, bid, out)
    return stats, sessions, bid


def test_local_worker_killed_mid_batch(caseload, baseline, tmp_path):
    src = _source_without_bad(caseload, tmp_path)
    pools, killed = [], []

    def on_event(kind, payload, stats):
        if kind == "result" and not killed:
            busy = [s for s in pools[0].slots if s.item is not None and s.pid]
            if busy:
                os.kill(busy[0].pid, signal.SIGKILL)
                killed.append(busy[0].item["name"])

    stats, _, _ = _run_in_process(src, tmp_path / "out", tmp_path / "data", 2, on_event=on_event, hook=pools.append)
    assert killed, "no worker was busy to kill"
    assert stats.retries >= 1 and not stats.failed
    assert _reports(tmp_path / "out") == baseline


# --- scanned dossiers: OCR workers shared by the whole batch ------------------------------------------

@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> Path:
    """Two small scanned dossiers (image-only PDFs of generated documents, no degradation):
    甲 with two scanned documents, 乙 with one scanned document and one text-layer document."""
    from fixtures.scan import page_count, scan_dossier

    root = tmp_path_factory.mktemp("scanned")
    [folder] = generate_set(1, seed=43, out_dir=root / "gen", layouts=("per-document",))
    singles = sorted((p for p in folder.glob("*.pdf") if page_count(p) == 1), key=lambda p: p.name)[:3]
    assert len(singles) == 3, "the generated dossier has too few one-page documents"
    src = root / "source"
    for name, scan_these, keep_text in (("甲", singles[:2], []), ("乙", singles[2:3], singles[:1])):
        mini = root / "mini" / name
        mini.mkdir(parents=True)
        for p in scan_these:
            shutil.copy2(p, mini / p.name)
        scan_dossier(mini, src / name, seed=1, profile="clean")
        for p in keep_text:
            shutil.copy2(p, src / name / f"文本层-{p.name}")
        (src / f"{name}.truth.json").unlink(missing_ok=True)
    return src


@pytest.fixture(scope="module")
def scanned_baseline(scanned, tmp_path_factory) -> dict[str, dict]:
    from assistant.pipeline import scan
    from extractors.ocr import shutdown_pool

    settings = _settings(tmp_path_factory.mktemp("scanned-baseline"), "rapidocr")
    try:
        return {p.name: json.loads(json.dumps(scan(p, settings=settings).report, ensure_ascii=False))
                for p in sorted(scanned.iterdir()) if p.is_dir()}
    finally:
        shutdown_pool()


def test_scanned_pages_go_to_the_batch_shared_ocr_workers(scanned, scanned_baseline, tmp_path):
    pools = []
    stats, _, _ = _run_in_process(scanned, tmp_path / "out", tmp_path / "data", 2, hook=pools.append, ocr="rapidocr")
    assert not stats.failed and stats.done == 2
    assert pools[0].cfg.ocr_slots >= 1 and pools[0].ocr_pages == 3  # every scanned page went through the shared pool
    reports = _reports(tmp_path / "out")
    assert reports == scanned_baseline
    read = {name: sorted(d["text_source"] for d in r["documents"]) for name, r in reports.items()}
    assert read == {"甲": ["ocr", "ocr"], "乙": ["ocr", "text-layer"]}, read

# --- Ray -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ray_cluster():
    pytest.importorskip("ray")
    import fcntl
    import tempfile

    import ray

    from fixtures.raycluster import RayCluster

    # xdist may hand this module's Ray tests to both workers: one cluster at a time on the machine
    with open(Path(tempfile.gettempdir()) / "assistant-test-ray.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with RayCluster() as cluster:
            nodes = {n["NodeID"]: n for n in ray.nodes() if n["Alive"]}
            assert len(nodes) == 2
            node2 = next(i for i, n in nodes.items() if "node2" in n["Resources"])
            yield {"address": cluster.address, "nodes": set(nodes), "node2": node2}


def _source_without_bad(caseload: Path, root: Path) -> Path:
    src = root / "src"
    shutil.copytree(caseload, src, ignore=shutil.ignore_patterns("*.zip"))
    return src


def test_ray_two_nodes_share_the_work_and_match_local(ray_cluster, caseload, baseline, tmp_path):
    from api.batch import BatchItem
    from sqlalchemy import select

    src = _source_without_bad(caseload, tmp_path)
    stats, sessions, bid = _run_in_process(src, tmp_path / "out", tmp_path / "data", 2, ray_cluster["address"])
    assert not stats.failed and stats.done == N
    with sessions() as s:
        nodes = {i.node for i in s.scalars(select(BatchItem).where(BatchItem.batch_id == bid))}
    assert nodes == ray_cluster["nodes"], nodes  # both nodes scanned dossiers
    assert _reports(tmp_path / "out") == baseline
    assert (tmp_path / "out" / "summary.xlsx").is_file()


def test_ray_node_worker_killed_mid_batch(ray_cluster, caseload, baseline, tmp_path):
    src = _source_without_bad(caseload, tmp_path)
    victims: list[int] = []
    killed: list[int] = []

    def on_event(kind, payload, stats):
        if kind == "ready" and payload["node"] == ray_cluster["node2"]:
            victims.append(payload["pid"])
        if kind == "result" and victims and not killed:
            os.kill(victims[0], signal.SIGKILL)
            killed.append(victims[0])

    stats, _, _ = _run_in_process(src, tmp_path / "out", tmp_path / "data", 2, ray_cluster["address"],
                                  on_event=on_event)
    assert killed
    assert not stats.failed and stats.done == N
    assert _reports(tmp_path / "out") == baseline


def test_versions_follow_catalog_profile_and_code(tmp_path, monkeypatch):
    from assistant.batch import versions, versions_key
    from models.settings import Settings

    monkeypatch.setenv("ASSISTANT_CODE_VERSION", "r1")
    base = Settings(data_dir=tmp_path)  # ASSISTANT_CODE_VERSION is read into Settings.code_version
    assert base.code_version == "r1"
    v1 = versions_key(versions(base))
    assert versions_key(versions(base)) == v1
    profile = tmp_path / "p.yaml"
    profile.write_text("name: 测试\n", encoding="utf-8")
    assert versions_key(versions(base, profile)) != v1
    catalog = tmp_path / "catalog.yaml"
    catalog.write_bytes(base.catalog_path.read_bytes() + b"\n# changed\n")
    assert versions_key(versions(base.model_copy(update={"catalog": catalog}))) != v1
    assert versions_key(versions(base.model_copy(update={"code_version": "r2"}))) != v1
    monkeypatch.delenv("ASSISTANT_CODE_VERSION")
    assert versions(Settings(data_dir=tmp_path))["code"] not in ("r1", "r2")  # the source hash


def test_ray_scanned_pages_go_to_the_ocr_actors(ray_cluster, scanned, scanned_baseline, tmp_path):
    pools = []
    stats, _, _ = _run_in_process(scanned, tmp_path / "out", tmp_path / "data", 2, ray_cluster["address"],
                                  hook=pools.append, ocr="rapidocr")
    assert not stats.failed and stats.done == 2, (stats.failed, stats.done, stats.retries)
    assert len(pools[0].ocr_actors) == 2 and pools[0].ocr_pages == 3, pools[0].ocr_pages
    assert _reports(tmp_path / "out") == scanned_baseline
