"""Hostile input through the service (issue 15): special files under the intake root, the root
itself, nested and colliding archives, OFD pre-check, names, field lengths, denied reads in the
audit log, per-dossier budgets of process workers, and OCR workers that die with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path


from fixtures import hostile
from tests.api import files
from tests.api.conftest import auth


def post(client, key, members, **data):
    return client.post("/v1/scans", files=[("file", (n, b, "application/octet-stream")) for n, b in members],
                       data=data, headers=auth(key))


def _tmp_empty(cfg) -> bool:
    tmp = cfg.storage_dir / "tmp"
    return not tmp.exists() or not any(tmp.iterdir())


def test_fifo_inside_a_submitted_folder_is_set_aside(service):
    client, cfg, keys = service
    folder = cfg.intake_root / "管道卷宗"
    folder.mkdir()
    (folder / "起诉书.pdf").write_bytes(files.pdf_bytes(["起诉书"]))
    os.mkfifo(folder / "管道.pdf")
    r = client.post("/v1/scans", json={"path": "管道卷宗"}, headers=auth(keys["intake"]))
    assert r.status_code == 202, r.text
    assert {f["file"]: f["code"] for f in r.json()["rejected_files"]} == {"管道.pdf": "special_file"}
    assert _tmp_empty(cfg)


def test_fifo_as_the_path_and_the_root_itself_are_refused(service):
    client, cfg, keys = service
    os.mkfifo(cfg.intake_root / "管道")
    for path in ("管道", ".", ""):
        r = client.post("/v1/scans", json={"path": path or str(cfg.intake_root)}, headers=auth(keys["intake"]))
        assert r.status_code == 422, (path, r.text)
        assert "管道" in r.json()["message"] or "受理根目录" in r.json()["message"]
    assert _tmp_empty(cfg)


def test_nested_zip_bomb_is_refused_without_temporary_folders(service, tmp_path):
    import tempfile

    client, cfg, keys = service
    before = set(os.listdir(tempfile.gettempdir()))
    data = files.pdf_bytes(["套娃"])
    for level in range(40):  # used to give a vague 422 and leave hundreds of dossier-* folders
        data = hostile._zip({f"l{level}.zip" if level else "a.pdf": data})
    r = post(client, keys["intake"], [("套娃.zip", data)])
    assert r.status_code == 422, r.text
    assert r.json()["files"][0]["code"] == "zip_too_deep"
    leaked = {n for n in set(os.listdir(tempfile.gettempdir())) - before if n.startswith("dossier-")}
    assert not leaked and _tmp_empty(cfg)


def test_colliding_member_paths_keep_the_good_files(service):
    client, cfg, keys = service
    pdf = files.pdf_bytes(["冲突"])
    data = files.zip_bytes({"卷/材料.pdf": pdf, "卷/材料.pdf/附件.pdf": pdf, f"{'长' * 300}/起诉书.pdf": pdf})
    r = post(client, keys["intake"], [("冲突.zip", data)])
    assert r.status_code == 202, r.text
    assert r.json()["files"] == 3 and r.json()["rejected_files"] == []


def test_precheck_reads_ofd_with_the_scanner_reader(service):
    client, cfg, keys = service
    r = post(client, keys["intake"], [("好.pdf", files.pdf_bytes(["OFD 旁"])), ("坏.ofd", b"PK\x03\x04 broken ofd")])
    assert r.status_code == 202, r.text
    assert {f["file"]: f["code"] for f in r.json()["rejected_files"]} == {"坏.ofd": "corrupt_ofd"}


def test_bidi_characters_are_removed_from_stored_names(service):
    client, cfg, keys = service
    r = post(client, keys["intake"], [("\u202egpj.\u202d讯问笔录.pdf", files.pdf_bytes(["双向"]))])
    assert r.status_code == 202, r.text
    stored = [p.name for p in Path(cfg.storage_dir, "scans", r.json()["id"]).rglob("*.pdf")]
    assert stored and not any(c in n for n in stored for c in "\u202a\u202b\u202c\u202d\u202e")


def test_hidden_uploads_are_skipped_as_the_cli_skips_them(service):
    client, cfg, keys = service
    r = post(client, keys["intake"], [(".隐藏.pdf", files.pdf_bytes(["隐藏"]))])
    assert r.status_code == 422 and r.json()["code"] == "no_files"
    assert "隐藏文件" in r.json()["message"]


def test_multipart_prosecutor_is_limited_like_the_database_column(service):
    client, cfg, keys = service
    r = post(client, keys["intake"], [("a.pdf", files.pdf_bytes(["检察官"]))], prosecutor="检" * 101)
    assert r.status_code == 422 and "prosecutor" in r.json()["message"]


def test_denied_report_reads_are_audited(service):
    from sqlalchemy import select

    from api.db import AuditEntry, session_factory

    client, cfg, keys = service
    r = post(client, keys["intake"], [("审计.pdf", files.pdf_bytes(["审计"]))])
    sid = r.json()["id"]
    r = client.get(f"/v1/scans/{sid}/report", headers=auth(keys["intake2"]))
    assert r.status_code == 404
    with session_factory(cfg.db_url)() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action == "scan.read.denied",
                                                  AuditEntry.target == sid)).all()
    assert rows and rows[0].key_name == "受理二"


def test_process_worker_over_its_time_budget_is_stopped_and_replaced(tmp_path):
    import httpx

    from api.live import LiveServer

    # the budget grows by seconds per page (tests/api/test_scan_budget.py); here only its base counts
    env = {"ASSISTANT_SCAN_FUNCTION": "tests.api.api_support:slow_fake_scan", "ASSISTANT_SCAN_TIMEOUT_S": "1",
           "ASSISTANT_SCAN_SECONDS_PER_PAGE": "0", "ASSISTANT_HEARTBEAT_S": "0.5"}
    with LiveServer(tmp_path / "data", workers=1, env=env) as srv:
        key = srv.create_key("intake", "受理")
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            r = c.post("/v1/scans", files=[("file", ("a.pdf", files.pdf_bytes(["超时"]), "application/pdf"))],
                       headers={"X-API-Key": key})
            sid = r.json()["id"]
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                body = c.get(f"/v1/scans/{sid}", headers={"X-API-Key": key}).json()
                if body["status"] in ("done", "failed"):
                    break
                time.sleep(0.2)
            assert body["status"] == "failed" and body["error"]["code"] == "scan_timeout", body
            assert "超时" in body["error"]["message"]
            time.sleep(2.5)
            assert c.get("/healthz").json()["workers"] == 1
        work = tmp_path / "data" / "service" / "work"
        assert all(not any(d.iterdir()) for d in work.iterdir())


def test_budget_check_fails_only_the_scan_over_budget(tmp_path):
    from api.db import Scan, session_factory, utcnow
    from api.jobs import HOST, over_budget

    sessions = session_factory(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    import datetime as dt

    with sessions() as s:
        for sid, pid, age in (("old", 101, 100), ("young", 102, 1), ("fat", 103, 1)):
            s.add(Scan(id=sid, content_hash=sid * 8, dossier_key=sid, name="卷", input_path="/x", status="running",
                       owner=f"{HOST}|{pid}|w|x", started_at=utcnow() - dt.timedelta(seconds=age)))
        s.commit()
    stop = over_budget(sessions, {101: "w1", 102: "w2", 103: "w3"}, 50, 1000,
                       rss=lambda pid: 5000 if pid == 103 else 10)
    assert sorted(stop) == [(101, "w1"), (103, "w3")]
    with sessions() as s:
        assert {sid: (s.get(Scan, sid).status, s.get(Scan, sid).error_code) for sid in ("old", "young", "fat")} == {
            "old": ("failed", "scan_timeout"), "young": ("running", None), "fat": ("failed", "scan_memory")}


def test_ocr_pool_workers_die_with_their_parent(tmp_path):
    """kill -9 of the process holding the OCR pool leaves no worker and no resource tracker behind."""
    from api.jobs import _children, pid_alive

    script = textwrap.dedent("""
        import os, sys, time
        from extractors import ocr_pool
        pool = ocr_pool._pool("none", 2)
        pids = [f.result() for f in [pool.submit(os.getpid) for _ in range(4)]]
        print(" ".join(map(str, sorted(set(pids)))), flush=True)
        time.sleep(120)
    """)
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=repo, stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(repo)}, start_new_session=True)
    try:
        line = proc.stdout.readline().decode()
        workers = [int(x) for x in line.split()]
        assert workers, line
        family = set(_children(proc.pid))
        assert set(workers) <= family
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(pid_alive(p) for p in family):
            time.sleep(0.1)
        assert not [p for p in family if pid_alive(p)]
    finally:
        if proc.poll() is None:
            proc.kill()
