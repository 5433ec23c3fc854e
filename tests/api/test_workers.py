"""Worker durability with real worker processes (fake scan function): a worker killed with
SIGKILL mid-scan is replaced and the scan is requeued and completes; progress is reported."""

from __future__ import annotations

import os
import signal
import time

import httpx

from api.jobs import parse_owner
from api.live import LiveServer
from tests.api import files

SLOW = {"ASSISTANT_SCAN_FUNCTION": "tests.api.api_support:slow_fake_scan", "ASSISTANT_HEARTBEAT_S": "0.5"}


def _poll(client, url, key, until, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(url, headers={"X-API-Key": key}).json()
        if until(body):
            return body
        time.sleep(0.1)
    raise AssertionError(f"timeout waiting on {url}: {body}")


def test_worker_killed_mid_scan_is_replaced_and_scan_completes(tmp_path):
    from api.db import Scan, session_factory

    with LiveServer(tmp_path / "data", workers=1, env=SLOW) as srv:
        key = srv.create_key("intake", "受理")
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            r = c.post("/v1/scans", files=[("file", ("a.pdf", files.pdf_bytes(["杀进程"]), "application/pdf"))],
                       headers={"X-API-Key": key})
            assert r.status_code == 202, r.text
            sid = r.json()["id"]
            body = _poll(c, f"/v1/scans/{sid}", key, lambda b: b["status"] == "running" and b["progress"]["done"] >= 3)
            assert body["progress"]["total"] == 20 and body["progress"]["stage"] == "读取页面"
            with session_factory(f"sqlite:///{(tmp_path / 'data' / 'assistant.sqlite3').resolve()}")() as s:
                owner = s.get(Scan, sid).owner
            _, pid = parse_owner(owner)
            assert pid > 0 and pid != srv.proc.pid
            os.kill(pid, signal.SIGKILL)
            done = _poll(c, f"/v1/scans/{sid}", key, lambda b: b["status"] in ("done", "failed"))
            assert done["status"] == "done" and done["attempts"] == 2
            assert c.get(f"/v1/scans/{sid}/report", headers={"X-API-Key": key}).status_code == 200
            assert c.get("/healthz").json()["workers"] == 1


def _queued_scan(sessions, sid="s1", **values):
    from api.db import Scan

    with sessions() as s:
        s.add(Scan(id=sid, content_hash=sid * 4, dossier_key=sid, name="卷宗", input_path="/nonexistent", **values))
        s.commit()


def test_failed_scan_reports_chinese_error(tmp_path):
    from api.db import Scan, session_factory
    from api.jobs import claim, run_one
    from api.storage import Storage
    from models.settings import Settings
    from assistant.pipeline import DossierError

    sessions = session_factory(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    _queued_scan(sessions)
    scan = claim(sessions, "host|1|w", 3)
    assert scan is not None and claim(sessions, "host|1|w", 3) is None

    def broken(path, **kw):
        raise DossierError("卷宗文件夹为空：卷宗")

    run_one(sessions, Storage(tmp_path / "st"), scan, "host|1|w", broken, Settings(data_dir=tmp_path), 1.0)
    with sessions() as s:
        row = s.get(Scan, "s1")
        assert (row.status, row.error_code, row.error_message) == ("failed", "dossier_unreadable", "卷宗文件夹为空：卷宗")


def test_recover_requeues_dead_owner_and_gives_up_after_max_attempts(tmp_path):
    from api.db import Scan, session_factory
    from api.jobs import HOST, recover

    sessions = session_factory(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    dead = f"{HOST}|999999999|w1|x"
    _queued_scan(sessions, "a", status="running", owner=dead, attempts=1)
    _queued_scan(sessions, "b", status="running", owner=dead, attempts=3)
    _queued_scan(sessions, "c", status="running", owner=f"{HOST}|{os.getpid()}|w1|x", attempts=1)
    from api.db import utcnow

    with sessions() as s:
        s.get(Scan, "c").heartbeat_at = utcnow()
        s.commit()
    assert recover(sessions, max_attempts=3, stale_after_s=60) == 2
    with sessions() as s:
        assert s.get(Scan, "a").status == "queued" and s.get(Scan, "a").owner is None
        assert s.get(Scan, "b").status == "failed" and s.get(Scan, "b").error_code == "worker_crashed"
        assert s.get(Scan, "c").status == "running"
    assert recover(sessions, max_attempts=3, stale_after_s=0) == 1  # silent owner: stale heartbeat
