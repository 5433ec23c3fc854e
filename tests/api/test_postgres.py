"""The PostgreSQL path ("SQLite embedded by default, PostgreSQL by URL") against a real server.

The ``pg_server`` fixture starts a throwaway PostgreSQL cluster (``initdb`` + ``pg_ctl``, Unix
socket only, in a temporary folder) and each test gets its own database. Tests skip with the
reason when the server binaries, the psycopg driver, or (when running as root, which ``initdb``
refuses) a ``postgres`` system user are missing. ``ASSISTANT_PG_BIN`` names the folder holding
``initdb`` and ``pg_ctl`` when they are not on PATH or under ``/usr/lib/postgresql/*/bin``.
"""

from __future__ import annotations

import io
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from assistant import dispositions as D
from models.settings import REPO_ROOT, Settings
from tests.api.conftest import auth, make_cfg, make_keys

SAMPLE = REPO_ROOT / "fixtures" / "sample" / "dossier"


def _pg_bin() -> Path | None:
    candidates = [Path(os.environ["ASSISTANT_PG_BIN"])] if os.environ.get("ASSISTANT_PG_BIN") else []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).parent)
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return next((c for c in candidates if (c / "initdb").is_file() and (c / "pg_ctl").is_file()), None)


def _as_user() -> tuple[list[str], str | None] | str:
    """(command prefix, owner) to run the server, or the reason it cannot run here."""
    if os.geteuid() != 0:
        return [], None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "running as root without a postgres system user (initdb refuses root)"
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--"], "postgres"
    return "running as root without runuser to switch to the postgres user"


@pytest.fixture(scope="module")
def pg_server():
    """Start a throwaway cluster; yields a ``dbname -> URL`` factory (one fresh database per call)."""
    psycopg = pytest.importorskip("psycopg", reason="PostgreSQL driver psycopg not installed (pip install 'psycopg[binary]>=3.1')")
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server programs initdb/pg_ctl not found (set ASSISTANT_PG_BIN to their folder)")
    user = _as_user()
    if isinstance(user, str):
        pytest.skip(user)
    prefix, owner = user
    root = Path(tempfile.mkdtemp(prefix="pgtest-", dir="/tmp"))
    if owner:
        shutil.chown(root, owner)
    data, log = root / "data", root / "server.log"
    opts = f"-k {root} -c listen_addresses='' -F -c full_page_writes=off -c synchronous_commit=off -c max_connections=60"
    try:
        init = subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                               "-E", "UTF8", "--no-locale"], capture_output=True, text=True, timeout=120)
        if init.returncode != 0:
            pytest.skip(f"initdb failed: {init.stderr.strip()[-300:]}")
        start = subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(log), "-w",
                                "-t", "60", "start"], capture_output=True, text=True, timeout=90)
        if start.returncode != 0:
            pytest.skip(f"PostgreSQL did not start: {log.read_text(errors='replace')[-300:] if log.exists() else start.stderr}")
        stop = [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
        # Stops the server and removes the folder should this process die without tearing down.
        watchdog = subprocess.Popen(["sh", "-c", f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
                                                 f"{shlex.join(stop)}; rm -rf {shlex.quote(str(root))}"],
                                    start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        admin = psycopg.connect(host=str(root), user="postgres", dbname="postgres", autocommit=True)

        def new_database(prefix_name: str = "t") -> str:
            name = f"{prefix_name}_{uuid.uuid4().hex[:10]}"
            admin.execute(f'CREATE DATABASE "{name}"')
            return f"postgresql://postgres@/{name}?host={root}"

        try:
            yield new_database
        finally:
            admin.close()
            subprocess.run(stop, capture_output=True, timeout=60)
            watchdog.kill()
            watchdog.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def pg_url(pg_server) -> str:
    return pg_server()


def test_url_is_mapped_to_psycopg_and_an_unreachable_server_is_a_chinese_error(tmp_path):
    pytest.importorskip("psycopg", reason="PostgreSQL driver psycopg not installed")
    assert Settings(database_url="postgres://u@db/x").db_url == "postgresql+psycopg://u@db/x"
    assert Settings(database_url="postgresql://u@db/x").db_url == "postgresql+psycopg://u@db/x"
    assert Settings(database_url="postgresql+psycopg://u@db/x").db_url == "postgresql+psycopg://u@db/x"
    bad = Settings(data_dir=tmp_path, database_url=f"postgresql://u:secret@/x?host={tmp_path / 'no-server'}")
    with pytest.raises(D.DispositionError, match="无法打开处置记录数据库.*无法连接或初始化数据库") as err:
        D.mark_by_key("k" * 64, "f1", "确认", settings=bad)
    assert "secret" not in str(err.value)
    assert D.lookup_for_dossier(SAMPLE, bad) == {}


def test_dispositions_round_trip_on_postgres(pg_url, tmp_path, monkeypatch):
    from assistant import cli_rules

    settings = Settings(data_dir=tmp_path / "var", database_url=pg_url)
    folder = tmp_path / "卷宗A"
    folder.mkdir()
    (folder / "起诉书.pdf").write_bytes(b"%PDF-1.4 indictment")
    key = D.dossier_key_for_path(folder)
    d = D.mark(folder, "abc123", "误报", "笔录第3页有签名\x00识别错误", by="李" * 150, rule_id="SG-001", settings=settings,
               message="讯问笔录未签名")
    assert d["status"] == "误报" and d["by"] == "李" * 100 and d["at"].endswith("+00:00")
    assert d["reason"] == "笔录第3页有签名\ufffd识别错误"
    D.mark_by_key(key, "def456", "确认", "", "李评查", rule_id="SG-001", settings=settings)
    D.mark_by_key(key, "abc123", "确认", "复核后确认", "王", settings=settings)  # replaces, keeps rule id and message
    found = D.lookup_for_dossier(folder, settings)
    assert set(found) == {"abc123", "def456"} and found["abc123"]["by"] == "王"
    listed = D.list_by_key(key, settings)
    assert [(r["finding_id"], r["rule_id"]) for r in listed] == [("abc123", "SG-001"), ("def456", "SG-001")]
    assert listed[0]["message"] == "讯问笔录未签名"
    assert D.stats(settings)["SG-001"] == {"确认": 2, "误报": 0, "不适用": 0, "precision": 1.0}

    errors: list[BaseException] = []
    gate = threading.Barrier(6)

    def racer(i: int) -> None:
        try:
            gate.wait()
            D.mark_by_key(key, "race01", "不适用", f"理由{i}", f"评查员{i}", rule_id="DL-014", settings=settings)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [r["finding_id"] for r in D.list_by_key(key, settings)].count("race01") == 1
    assert D.unmark_by_key(key, "race01", settings) and not D.unmark_by_key(key, "race01", settings)

    monkeypatch.setattr(cli_rules, "get_settings", lambda: settings)
    runner = CliRunner()
    r = runner.invoke(cli_rules.findings_app, ["mark", str(folder), "f9", "--status", "不适用", "--reason", "本案无被害人",
                                               "--by", "张"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli_rules.findings_app, ["list", str(folder)])
    assert r.exit_code == 0 and "f9" in r.output and "本案无被害人" in r.output


def _zip(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.iterdir()):
            zf.write(p, f"{folder.name}/{p.name}")
    return buf.getvalue()


def _wait(client, key: str, sid: str, timeout: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/v1/scans/{sid}", headers=auth(key)).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"scan {sid} did not finish: {body}")


def test_service_main_flow_on_postgres(pg_url, tmp_path):
    """Real pipeline on the sample dossier: submit, scan, report, disposition, re-scan, keys, audit."""
    from api.main import create_app

    cfg = make_cfg(tmp_path, scan_function="assistant.pipeline:scan", wait_timeout_s=120)
    cfg.core = Settings(data_dir=tmp_path / "data", database_url=pg_url)
    assert cfg.db_url.startswith("postgresql+psycopg://")
    app = create_app(cfg)
    keys = make_keys(cfg)
    with TestClient(app) as c:
        data = _zip(SAMPLE)
        r = c.post("/v1/scans", files=[("file", ("样例卷宗.zip", data, "application/zip"))],
                   data={"prosecutor": "王检察官"}, headers=auth(keys["intake"]))
        assert r.status_code == 202, r.text
        sid = r.json()["id"]
        assert _wait(c, keys["intake"], sid)["status"] == "done"
        dup = c.post("/v1/scans", files=[("file", ("样例卷宗.zip", data, "application/zip"))], headers=auth(keys["intake2"]))
        assert dup.json()["id"] == sid and dup.json()["duplicate"] is True
        report = c.get(f"/v1/scans/{sid}/report", headers=auth(keys["prosecutor2"])).json()
        assert report["findings"], report
        target = next(f for f in report["findings"] if f["severity_points"] > 0)
        r = c.post(f"/v1/scans/{sid}/findings/{target['id']}/disposition", json={"status": "误报", "reason": "人工复核无误"},
                   headers=auth(keys["evaluator"]))
        assert r.status_code == 200, r.text
        assert r.json()["points"] == report["points"] - target["severity_points"]
        again = c.get(f"/v1/scans/{sid}/report", headers=auth(keys["evaluator"])).json()
        assert next(f for f in again["findings"] if f["id"] == target["id"])["disposition"]["status"] == "误报"

        for f in report["findings"]:
            if f["id"] != target["id"]:
                r = c.post(f"/v1/scans/{sid}/findings/{f['id']}/disposition", json={"status": "确认"},
                           headers=auth(keys["evaluator"]))
                assert r.status_code == 200, r.text
        marked = {f["id"]: ("误报" if f["id"] == target["id"] else "确认") for f in report["findings"]}

        # The same files uploaded loose are a new submission of the same dossier (same dossier key): the
        # worker's re-scan reads the dispositions back from PostgreSQL.
        loose = [("file", (p.name, p.read_bytes(), "application/octet-stream")) for p in sorted(SAMPLE.iterdir())]
        r = c.post("/v1/scans?wait=true", files=loose, headers=auth(keys["intake"]))
        assert r.status_code == 200, r.text
        shared = [f for f in r.json()["findings"] if f["id"] in marked]
        assert shared, "no finding id is shared between the zip and the loose upload"
        for f in shared:
            assert f["disposition"]["status"] == marked[f["id"]], f

        r = c.post("/v1/keys", json={"role": "evaluator", "name": "评" * 100}, headers=auth(keys["admin"]))
        assert r.status_code == 201, r.text
        new_id, new_key = r.json()["id"], r.json()["key"]
        assert c.get("/v1/scans", headers=auth(new_key)).json()["count"] == 2
        r = c.post(f"/v1/scans/{sid}/findings/{target['id']}/disposition", json={"status": "误报", "reason": "再次\x00复核"},
                   headers=auth(new_key))  # a 100-character key name as the disposition's author
        assert r.status_code == 200 and r.json()["by"] == "评" * 100, r.text
        stored = c.get(f"/v1/scans/{sid}/report", headers=auth(keys["evaluator"])).json()
        assert next(f for f in stored["findings"] if f["id"] == target["id"])["disposition"]["reason"] == "再次\ufffd复核"
        assert c.delete(f"/v1/keys/{new_id}", headers=auth(keys["admin"])).json()["revoked_at"]
        assert c.get("/v1/scans", headers=auth(new_key)).status_code == 401
        assert c.get(f"/v1/scans/{sid}%00x", headers=auth(keys["admin"])).status_code == 404

        audit = c.get("/v1/audit", headers=auth(keys["admin"])).json()
        actions = [a["action"] for a in audit]
        for action in ("scan.submit", "scan.resubmit", "report.read", "disposition", "key.create", "key.revoke"):
            assert action in actions, actions
        assert [a["id"] for a in audit] == sorted((a["id"] for a in audit), reverse=True)
        disp = [a for a in audit if a["action"] == "disposition" and a["target"] == f"{sid}/{target['id']}"]
        assert [(a["key_name"], a["detail"]["reason"]) for a in disp] == [("评" * 100, "再次\x00复核"), ("测试evaluator", "人工复核无误")]
        only = c.get("/v1/audit?action=disposition", headers=auth(keys["admin"])).json()
        assert {a["action"] for a in only} == {"disposition"}
        health = c.get("/healthz").json()
        assert (health["queued"], health["running"]) == (0, 0)


def test_concurrent_claimers_never_share_a_job(pg_url):
    import psycopg

    from api.db import Scan, session_factory, utcnow
    from api.jobs import HOST, claim, recover

    sessions = session_factory(pg_url)
    ids = [f"s{i:03d}" for i in range(80)]
    with sessions() as s:
        s.add_all(Scan(id=i, content_hash=i * 8, dossier_key=i, name="卷宗", input_path="/nonexistent") for i in ids)
        s.commit()

    claimed: dict[str, list[str]] = {}
    errors: list[BaseException] = []
    gate = threading.Barrier(8)

    def worker(name: str) -> None:
        mine = claimed.setdefault(name, [])
        try:
            gate.wait()
            while (scan := claim(sessions, f"{HOST}|{os.getpid()}|{name}|t", 3)) is not None:
                mine.append(scan.id)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    every = [sid for got in claimed.values() for sid in got]
    assert sorted(every) == ids  # each job exactly once
    assert sum(1 for got in claimed.values() if got) >= 2  # the claimers really ran side by side
    with sessions() as s:
        rows = {r.id: r for r in s.query(Scan)}
    for name, got in claimed.items():
        for sid in got:
            assert rows[sid].status == "running" and rows[sid].owner.split("|")[2] == name and rows[sid].attempts == 1

    # A row locked by another transaction is skipped, not waited on.
    with sessions() as s:
        s.query(Scan).filter(Scan.id.in_(["s000", "s001"])).update(
            {"status": "queued", "owner": None, "created_at": utcnow()}, synchronize_session=False)
        s.query(Scan).filter(Scan.id == "s001").update({"created_at": utcnow()}, synchronize_session=False)
        s.commit()
    dsn = sessions.kw["bind"].url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as holder:
        holder.execute("SELECT id FROM scans WHERE id = 's000' FOR UPDATE")
        got: list = []
        t = threading.Thread(target=lambda: got.append(claim(sessions, f"{HOST}|{os.getpid()}|other|t", 3)))
        t.start()
        t.join(timeout=5)
        blocked = t.is_alive()
        holder.rollback()
        t.join()
        assert not blocked, "claim waited on a row locked by another transaction"
        assert got[0] is not None and got[0].id == "s001"
    assert claim(sessions, f"{HOST}|{os.getpid()}|other|t", 3).id == "s000"

    # An owner that died is requeued by recover(), like on SQLite.
    with sessions() as s:
        s.query(Scan).filter(Scan.id == "s002").update({"owner": f"{HOST}|999999999|w|x"}, synchronize_session=False)
        s.commit()
    assert recover(sessions, max_attempts=3, stale_after_s=600) == 1
    with sessions() as s:
        assert (s.get(Scan, "s002").status, s.get(Scan, "s002").owner) == ("queued", None)
