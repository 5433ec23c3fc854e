"""End to end with the real pipeline: a real uvicorn server on 127.0.0.1 (random port) with
process workers; generated dossiers are uploaded as zips, polled, and their report, HTML and
notice downloaded; then the whole server is killed with SIGKILL mid-scan and restarted, and
the interrupted scan completes."""

from __future__ import annotations

import io
import sqlite3
import time
import zipfile
from pathlib import Path

import docx
import httpx
import pytest

from api.live import LiveServer
from tests.contract import validate_report


def dossier_zip(seed: int, tmp: Path) -> bytes:
    from fixtures.generator import generate_dossier

    folder = generate_dossier(seed, tmp / f"gen{seed}")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(folder.parent).as_posix())
    return buf.getvalue()


def poll(c: httpx.Client, sid: str, key: str, until, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    body: dict = {}
    while time.monotonic() < deadline:
        body = c.get(f"/v1/scans/{sid}", headers={"X-API-Key": key}).json()
        if until(body):
            return body
        time.sleep(0.1)
    raise AssertionError(f"timeout: {body}")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    srv = LiveServer(tmp / "data", workers=1)
    srv.start()
    key = srv.create_key("intake", "受理窗口")
    state = {"srv": srv, "key": key, "tmp": tmp}
    yield state
    state["srv"].stop()


def test_submit_poll_and_download(live):
    srv, key = live["srv"], live["key"]
    data = dossier_zip(11, live["tmp"])
    with httpx.Client(base_url=srv.url, timeout=60) as c:
        r = c.post("/v1/scans", files=[("file", ("卷宗.zip", data, "application/zip"))], headers={"X-API-Key": key})
        assert r.status_code == 202, r.text
        sid = r.json()["id"]
        assert r.json()["pages"] > 0
        done = poll(c, sid, key, lambda b: b["status"] in ("done", "failed"))
        assert done["status"] == "done", done
        report = c.get(f"/v1/scans/{sid}/report", headers={"X-API-Key": key}).json()
        validate_report(report)
        assert report["dossier"]["pages"] == done["pages"] and report["documents"]
        html = c.get(f"/v1/scans/{sid}/report.html", headers={"X-API-Key": key})
        assert html.status_code == 200 and report["dossier"]["name"] in html.text
        for f in report["findings"]:
            assert f["rule_id"] in html.text
        notice = c.get(f"/v1/scans/{sid}/notice.docx", headers={"X-API-Key": key})
        assert notice.status_code == 200
        table = docx.Document(io.BytesIO(notice.content)).tables[0]
        counted = [f for f in report["findings"] if (f.get("disposition") or {}).get("status") not in ("误报", "不适用")]
        assert len(table.rows) == 1 + max(1, len(counted))
        again = c.post("/v1/scans", files=[("file", ("卷宗.zip", data, "application/zip"))], headers={"X-API-Key": key})
        assert again.json()["id"] == sid and again.json()["status"] == "done"


def test_server_killed_mid_scan_resumes_after_restart(live):
    srv, key = live["srv"], live["key"]
    data = dossier_zip(12, live["tmp"])
    with httpx.Client(base_url=srv.url, timeout=60) as c:
        sid = c.post("/v1/scans", files=[("file", ("卷宗2.zip", data, "application/zip"))],
                     headers={"X-API-Key": key}).json()["id"]
        poll(c, sid, key, lambda b: b["status"] == "running", timeout=30)
    srv.kill()
    db = srv.data_dir / "assistant.sqlite3"
    with sqlite3.connect(db) as con:
        status, = con.execute("select status from scans where id=?", (sid,)).fetchone()
    assert status == "running", "the kill must interrupt the scan"
    stored = list((srv.data_dir / "service" / "scans" / sid).rglob("*.zip"))
    assert stored, "the submitted dossier is kept across the crash"
    restarted = LiveServer(srv.data_dir, workers=1, port=srv.port)
    live["srv"] = restarted
    restarted.start()
    with httpx.Client(base_url=restarted.url, timeout=60) as c:
        done = poll(c, sid, key, lambda b: b["status"] in ("done", "failed"))
        assert done["status"] == "done" and done["attempts"] == 2
        validate_report(c.get(f"/v1/scans/{sid}/report", headers={"X-API-Key": key}).json())
