"""Fixtures for the web page tests: the service app with a thread worker running the stand-in
scan of :mod:`tests.web.support`, accounts for each role, and a signed-in client factory."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient

from api.db import session_factory
from api.main import create_app
from api.security import create_key
from api.settings import ServiceSettings
from api.web import auth
from api.web.models import create_tables
from models.settings import Settings
from tests.api.files import pdf_bytes

WEB_SCAN = "tests.web.support:web_fake_scan"
PASSWORD = "Web-Test-密码-7391"
USERS = {  # username: (role, department)
    "admin": ("admin", ""),
    "评查员甲": ("evaluator", "案件管理部"),
    "王检察官": ("prosecutor", "第一检察部"),
    "李检察官": ("prosecutor", "第二检察部"),
}


def make_cfg(tmp_path) -> ServiceSettings:
    core = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'web.sqlite3'}")
    return ServiceSettings(core=core, worker_mode="thread", scan_workers=1, scan_function=WEB_SCAN, poll_s=0.05,
                           heartbeat_s=1.0, wait_timeout_s=30)


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no csrf_token field in the page"
    return m.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    page = client.get("/login")
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(page.text),
                                    "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


def dossier_pdf(tag: str) -> bytes:
    return pdf_bytes([f"拘留证 {tag}", "犯罪嫌疑人于某日被刑事拘留"], pages=2)


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """(app, cfg, key) with accounts created; clients are made per test with :func:`client_for`."""
    tmp = tmp_path_factory.mktemp("web")
    cfg = make_cfg(tmp)
    app = create_app(cfg)
    create_tables(cfg.db_url)
    with session_factory(cfg.db_url)() as s:
        for name, (role, dept) in USERS.items():
            auth.create_user(s, name, PASSWORD, role, department=dept)
        key = create_key(s, "intake", name="受理窗口")[1]
    with TestClient(app) as boot:  # starts the worker for the module
        yield {"app": app, "cfg": cfg, "key": key, "boot": boot, "tmp": tmp}


def client_for(web, username: str | None = None) -> TestClient:
    c = TestClient(web["app"])
    return login(c, username) if username else c


def submit_as(web, username: str, tag: str) -> str:
    """Upload a one-PDF dossier through the 自查 page as ``username``; waits for the scan; returns its id."""
    c = client_for(web, username)
    page = c.get("/selfcheck")
    r = c.post("/selfcheck", data={"csrf_token": csrf_of(page.text)},
               files=[("file", (f"{tag}.pdf", dossier_pdf(tag), "application/pdf"))], follow_redirects=False)
    assert r.status_code == 303, r.text
    scan_id = r.headers["location"].rsplit("/", 1)[-1]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        s = c.get(f"/selfcheck/{scan_id}/status").json()
        if s["status"] in ("done", "failed"):
            assert s["status"] == "done", s
            return scan_id
        time.sleep(0.1)
    raise AssertionError("scan did not finish")
