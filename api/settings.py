"""Service settings: the core :class:`assistant.config.Settings` plus the service's own switches.

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

Storage (uploads, reports) lives under ``$ASSISTANT_DATA_DIR/service``; the database is
``assistant.config.Settings.db_url`` (SQLite with WAL by default, PostgreSQL by ``DATABASE_URL``).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.config import Settings, get_settings


class ServiceSettings(BaseSettings):
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
    #: Per-dossier budgets of a process worker: past either, the worker is stopped and the scan failed.
    scan_timeout_s: float = 1800.0
    scan_memory_bytes: int = 4 * 1024**3
    core: Settings = Field(default_factory=lambda: get_settings().model_copy())

    @property
    def storage_dir(self) -> Path:
        return (self.core.data_dir / "service").resolve()

    @property
    def db_url(self) -> str:
        return self.core.db_url
