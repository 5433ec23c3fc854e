"""Fixtures for the API tests: an isolated data dir, the app with in-process (thread) workers
running a fake scan (API mechanics only; end-to-end tests use the real pipeline), and one
key per role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.db import session_factory
from api.main import create_app
from api.security import ROLES, create_key
from api.settings import ServiceSettings
from models.settings import Settings

FAKE_SCAN = "tests.api.api_support:fake_scan"


def make_cfg(tmp_path, **over) -> ServiceSettings:
    core = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'svc.sqlite3'}")
    intake = tmp_path / "intake"
    intake.mkdir(exist_ok=True)
    values = dict(core=core, worker_mode="thread", scan_workers=1, scan_function=FAKE_SCAN, intake_root=intake,
                  poll_s=0.05, heartbeat_s=1.0, wait_timeout_s=30)
    values.update(over)
    return ServiceSettings(**values)


def make_keys(cfg: ServiceSettings) -> dict[str, str]:
    keys = {}
    with session_factory(cfg.db_url)() as s:
        for role in ROLES:
            keys[role] = create_key(s, role, name=f"测试{role}")[1]
        keys["prosecutor2"] = create_key(s, "prosecutor", name="王检察官")[1]
        keys["intake2"] = create_key(s, "intake", name="受理二")[1]
    return keys


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """(client, cfg, keys) with thread workers and the fake scan function."""
    tmp = tmp_path_factory.mktemp("svc")
    cfg = make_cfg(tmp)
    app = create_app(cfg)
    keys = make_keys(cfg)
    with TestClient(app) as client:
        yield client, cfg, keys


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
