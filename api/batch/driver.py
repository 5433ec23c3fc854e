"""The batch driver: :func:`run_batch` hands the items (largest first) to a local pool or to Ray,
counts what comes back (:class:`BatchStats`) and leaves the batch resumable on Ctrl-C."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import update

from api.batch.local import LocalPool
from api.batch.raypool import RayPool
from api.batch.store import MAX_ATTEMPTS, BatchError, BatchItem, batch_sessions, release_interrupted, release_scans_of
from api.batch.worker import WorkerConfig

log = logging.getLogger(__name__)


@dataclass
class BatchStats:
    """Counts of one run as results come in: dossiers done, reused and failed, pages, retries,
    results per node, the workers, and the times the figures of the benchmark are taken from."""

    total: int = 0
    done: int = 0
    reused: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    pages: int = 0
    scanned_pages: int = 0
    retries: int = 0
    nodes: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    ready_at: float | None = None  # when the first worker had loaded its models
    finished_at: float | None = None
    last_result_at: float | None = None  # when the last dossier's result came in
    workers: list[dict] = field(default_factory=list)
    interrupted: bool = False

    @property
    def scan_seconds(self) -> float:
        """Seconds from the first ready worker to the last result: excludes the one-time model
        loading and the workers' shut-down (a local worker's interpreter exit with the models
        loaded takes about half a second; Ray actors are killed without waiting)."""
        end = self.last_result_at if self.finished_at is not None and self.last_result_at else None
        return (end or self.finished_at or time.perf_counter()) - (self.ready_at or self.started)

    @property
    def finished(self) -> int:
        return self.done + self.reused + len(self.failed)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def _bytes_of(path: str) -> int:
    from assistant.batch import dossier_files

    try:
        return sum(p.stat().st_size for _, p in dossier_files(Path(path)))
    except OSError:
        return 0


def largest_first(items: list[dict]) -> list[dict]:
    """The order dossiers are handed out in: largest first (by bytes on disk, a proxy for pages),
    so the batch does not end with one worker reading a long dossier while the others idle
    (longest-processing-time-first scheduling). Summary rows keep the caseload's own order."""
    return sorted(items, key=lambda it: -_bytes_of(it["path"]) if not it.get("problem") else 0)


def run_batch(cfg: WorkerConfig, items: list[dict], workers: int, ray_address: str | None = None,
              on_event: Callable[[str, Any, BatchStats], None] | None = None,
              pool_hook: Callable[[Any], None] | None = None, start_together: bool = False) -> BatchStats:
    """Run the items on a local pool or Ray; Ctrl-C leaves the batch resumable.

    ``start_together``: the local pool hands out work only once every worker has loaded its
    models (as Ray actors do), for steady-state measurements; ``stats.ready_at`` is then the
    moment the last worker became ready."""
    sessions = batch_sessions(cfg.settings.db_url)
    stats = BatchStats(total=len(items))
    try:  # create the dispositions table here, once, before workers race to create it
        from assistant.dispositions import lookup_by_key

        lookup_by_key("-", cfg.settings)
    except Exception:  # workers scan without dispositions if the store is unusable; they log it
        log.warning("dispositions store unavailable", exc_info=True)

    def emit(kind: str, payload: Any) -> None:
        if kind in ("result", "crashed"):
            stats.last_result_at = time.perf_counter()
        if kind == "result":
            st = payload["status"]
            if payload.get("skipped"):
                stats.reused += 1
            elif st == "done":
                stats.done += 1
                stats.scanned_pages += payload["pages"]
            else:
                name = next((i["name"] for i in items if i["id"] == payload["id"]), payload["id"])
                stats.failed.append((name, payload.get("message") or "无法读取"))
            stats.pages += payload["pages"]
            node = payload.get("node") or "?"
            stats.nodes[node] = stats.nodes.get(node, 0) + 1
        elif kind == "ready":
            stats.workers.append(payload)
            if stats.ready_at is None or start_together or ray_address:
                stats.ready_at = time.perf_counter()
        elif kind == "retry":
            stats.retries += 1
        elif kind == "crashed":
            msg = f"处理该卷宗时工作进程已中断 {MAX_ATTEMPTS} 次，已跳过（重新运行同一命令会再试）。"
            with sessions() as s:
                s.execute(update(BatchItem).where(BatchItem.id == payload["id"])
                          .values(status="error", error_code="worker_crashed", error_message=msg, owner=None))
                s.commit()
            stats.failed.append((payload["name"], msg))
        if on_event:
            on_event(kind, payload, stats)

    items = largest_first(items)
    try:
        pool: Any = RayPool(cfg, ray_address, workers) if ray_address else LocalPool(cfg, workers, start_together)
    except BatchError:
        release_interrupted(sessions, cfg.batch_id)
        raise
    if pool_hook:
        pool_hook(pool)
    try:
        pool.run(items, emit)
    except BatchError:
        if isinstance(pool, RayPool):
            pool.close()
        release_interrupted(sessions, cfg.batch_id)
        raise
    except KeyboardInterrupt:
        stats.interrupted = True
        if isinstance(pool, LocalPool):
            pool.close(timeout=0.5)
        else:
            pool.close()
        release_interrupted(sessions, cfg.batch_id)
        release_scans_of(sessions, set())
    else:
        if isinstance(pool, RayPool):
            pool.close()
    stats.finished_at = time.perf_counter()
    return stats
