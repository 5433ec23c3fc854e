"""Service settings: the core :class:`models.settings.Settings` plus the service's own switches.

| variable | meaning | default |
|---|---|---|
| ASSISTANT_INTAKE_ROOT | folder under which ``POST /v1/scans`` may name a ``path`` | none (path intake off) |
| ASSISTANT_SCAN_WORKERS | scan worker processes (scans are CPU bound) | number of cores |
| ASSISTANT_WORKER_MODE | ``process`` (default) or ``thread`` (tests, tiny installs) | process |
| ASSISTANT_SCAN_FUNCTION | ``module:function`` with the signature of ``assistant.pipeline.scan`` | ``assistant.pipeline:scan`` |
| ASSISTANT_UPLOAD_MAX_BYTES | largest accepted request body | 512 MiB |
| ASSISTANT_UPLOAD_MAX_FILES | most files in one submission | 500 |
| ASSISTANT_WAIT_TIMEOUT_S | longest ``?wait=true`` wait before answering 202 | 600 |
| ASSISTANT_STALE_AFTER_S | a running scan without heartbeat this long is requeued | 120 |
| ASSISTANT_BATCH_MAX_DOSSIERS | most dossiers in one ``POST /v1/batches`` | 2000 |
| ASSISTANT_LOGIN_MAX_FAILURES | wrong passwords for one account (within the window) that lock it | 10 |
| ASSISTANT_LOGIN_MAX_FAILURES_PER_ADDRESS | wrong passwords from one client address that lock that address | 30 |
| ASSISTANT_LOGIN_FAILURE_WINDOW_S | the window the failures are counted in | 900 |
| ASSISTANT_LOGIN_LOCKOUT_S | how long a locked account or address is refused | 900 |
| ASSISTANT_LOGIN_LIMIT_STORAGE | `limits` storage URI of the counters (`memory://`; `redis://…` shares them between processes) | memory:// |
| ASSISTANT_PASSWORD_MIN_LENGTH | shortest web password | 10 |
| ASSISTANT_PASSWORD_MIN_SCORE | lowest zxcvbn strength estimate (0–4) of a web password | 3 |

Storage (uploads, reports) lives under ``$ASSISTANT_DATA_DIR/service``; the database is
``models.settings.Settings.db_url`` (SQLite with WAL by default, PostgreSQL by ``DATABASE_URL``).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.settings import Settings, get_settings


class ServiceSettings(BaseSettings):
    """The service's switches (``ASSISTANT_<NAME>``, see the module docstring) and the core settings (``core``)."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    intake_root: Path | None = None
    scan_workers: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1))
    worker_mode: str = "process"
    scan_function: str = "assistant.pipeline:scan"
    upload_max_bytes: int = 512 * 1024 * 1024
    upload_max_files: int = 500
    wait_timeout_s: float = 600.0
    stale_after_s: float = 120.0
    heartbeat_s: float = 5.0
    poll_s: float = 0.2
    max_attempts: int = 3
    batch_max_dossiers: int = Field(default=2000, ge=1)
    #: Per-dossier budgets of a process worker: past either, the worker is stopped and the scan failed.
    #: The wall-time budget grows with the dossier: ``scan_timeout_s`` + ``scan_seconds_per_page`` × its pages
    #: (the page count the scan reports with its progress), so a 400-page scan is not cut off at 30 minutes.
    scan_timeout_s: float = 1800.0
    scan_seconds_per_page: float = Field(default=3.0, ge=0)
    scan_memory_bytes: int = 4 * 1024**3
    #: Sign-in throttling of the web pages (:mod:`api.web.throttle`) and the password policy (:mod:`api.web.auth`).
    login_max_failures: int = Field(default=10, ge=1)
    login_max_failures_per_address: int = Field(default=30, ge=1)
    login_failure_window_s: int = Field(default=900, ge=1)
    login_lockout_s: int = Field(default=900, ge=1)
    login_limit_storage: str = "memory://"
    password_min_length: int = Field(default=10, ge=1, le=200)
    password_min_score: int = Field(default=3, ge=0, le=4)
    core: Settings = Field(default_factory=lambda: get_settings().model_copy())

    @property
    def storage_dir(self) -> Path:
        return (self.core.data_dir / "service").resolve()

    @property
    def db_url(self) -> str:
        return self.core.db_url
