"""Scan jobs: worker processes that claim queued scans from the database and run them.

- A worker claims a job with one atomic ``UPDATE … RETURNING`` (``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL; safe across processes and, with PostgreSQL, hosts), see :func:`claim`.
- While scanning it writes progress (stage, done/total pages) and a heartbeat; the report
  is written to a file first, then the row is marked ``done`` — a worker killed at any
  point loses nothing: the input stays stored and the job goes back to ``queued``.
- The :class:`Supervisor` (in the server process) starts ``scan_workers`` workers, restarts
  dead ones and requeues jobs whose owner died (same host, process gone) or whose heartbeat
  is older than ``stale_after_s``; at start-up this resumes scans a crashed server left.
  A job interrupted ``max_attempts`` times is marked failed.
- Budgets (process workers): a scan running longer than ``scan_timeout_s`` plus
  ``scan_seconds_per_page`` for each of its pages, or whose worker,
  with its OCR processes, holds more than ``scan_memory_bytes`` is marked failed with a
  Chinese reason and its worker is killed and replaced; the other scans go on.
- Temporary files: each process worker writes its temporary files (unpacked archives) under
  its own folder ``<storage>/work/<name>``, emptied whenever the worker is (re)started, so a
  worker killed mid-scan leaves nothing behind. Workers and their OCR pools exit when their
  parent dies (``PR_SET_PDEATHSIG``, and the OCR pool's parent watch).
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import multiprocessing as mp
import os
import shutil
import signal
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select, update

from api.db import Scan, session_factory, utcnow
from api.settings import ServiceSettings
from api.storage import Storage
from api.worker import (HOST, ScanJob, die_with_parent, dispositions_for, parse_owner, pid_alive,  # noqa: F401
                        quiet_threads, scan_dossier)

log = logging.getLogger(__name__)


def load_scan_function(spec: str) -> Callable[..., Any]:
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr or "scan")


def claim(sessions, owner: str, max_attempts: int) -> Scan | None:
    """Claim the oldest queued scan for ``owner``; None when the queue is empty.

    One statement, ``UPDATE scans SET status='running', … WHERE id = (SELECT id … WHERE
    status='queued' ORDER BY created_at LIMIT 1) AND status='queued' RETURNING id``: SQLite runs
    it under its single write lock; on PostgreSQL the sub-select takes ``FOR UPDATE SKIP
    LOCKED``, so concurrent claimers lock different rows instead of queueing on the same one.
    """
    with sessions() as s:
        oldest = select(Scan.id).where(Scan.status == "queued").order_by(Scan.created_at, Scan.id).limit(1)
        if s.get_bind().dialect.name == "postgresql":
            oldest = oldest.with_for_update(skip_locked=True)
        now = utcnow()
        stmt = (update(Scan).where(Scan.id == oldest.scalar_subquery(), Scan.status == "queued")
                .values(status="running", owner=owner, started_at=now, heartbeat_at=now, attempts=Scan.attempts + 1,
                        stage="排队完成", done=0, total=0)
                .returning(Scan.id).execution_options(synchronize_session=False))
        scan_id = s.execute(stmt).scalar_one_or_none()
        s.commit()
        return s.get(Scan, scan_id) if scan_id is not None else None


def run_one(sessions, storage: Storage, scan: Scan, owner: str, scan_fn: Callable[..., Any], core_settings,
            heartbeat_s: float) -> None:
    """Scan one claimed dossier and store its report (or its failure)."""
    job = ScanJob(sessions, scan, owner)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(heartbeat_s):
            try:
                job.heartbeat()
            except Exception:  # pragma: no cover - database briefly locked
                log.warning("heartbeat failed", exc_info=True)

    t = threading.Thread(target=beat, name=f"heartbeat-{scan.id}", daemon=True)
    t.start()
    try:
        out = scan_dossier(scan.input_path, core_settings, job.progress,
                           dispositions_for(scan.dossier_key, core_settings), scan_fn=scan_fn, label=scan.id)
        if out.error_code == "dossier_unreadable":
            job.finish(status="failed", error_code="dossier_unreadable", error_message=out.message[:2000])
        elif out.error_code:
            job.finish(status="failed", error_code="scan_error", error_message="扫描过程出错，请联系管理员查看服务日志。")
        else:
            try:
                path = storage.write_report(scan.id, out.result.report)
            except Exception:
                log.error("scan %s failed: %s", scan.id, traceback.format_exc())
                job.finish(status="failed", error_code="scan_error", error_message="扫描过程出错，请联系管理员查看服务日志。")
            else:
                job.finish(status="done", report_path=str(path), stage="完成", error_code=None, error_message=None,
                           pages=int(out.result.report.get("dossier", {}).get("pages", 0) or 0))
    finally:
        stop.set()


def work_dir(cfg: ServiceSettings, name: str) -> Path:
    """The temporary folder of process worker ``name`` (emptied at each (re)start)."""
    return Path(cfg.storage_dir) / "work" / name


def reset_work_dir(cfg: ServiceSettings, name: str) -> Path:
    folder = work_dir(cfg, name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def worker_loop(cfg: ServiceSettings, stop: Any, name: str, in_process: bool = False) -> None:
    """Claim and run scans until ``stop`` is set (a multiprocessing or threading Event)."""
    if not in_process:
        die_with_parent()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        logging.basicConfig(level=logging.WARNING, format=f"%(levelname)s worker {name}: %(message)s")
        folder = reset_work_dir(cfg, name)
        tempfile.tempdir = str(folder)
        os.environ["TMPDIR"] = str(folder)  # the OCR pool's processes too
        quiet_threads()  # several workers share the cores: no spinning thread pools (as batch workers)
    owner = f"{HOST}|{os.getpid()}|{name}|{uuid.uuid4().hex[:8]}"
    sessions = session_factory(cfg.db_url)
    storage = Storage(cfg.storage_dir)
    scan_fn = load_scan_function(cfg.scan_function)
    parent = os.getppid()
    while not stop.is_set():
        if not in_process and os.getppid() != parent:
            return
        try:
            scan = claim(sessions, owner, cfg.max_attempts)
        except Exception:  # pragma: no cover - database briefly unavailable
            log.warning("claim failed", exc_info=True)
            scan = None
        if scan is None:
            stop.wait(cfg.poll_s)
            continue
        run_one(sessions, storage, scan, owner, scan_fn, cfg.core, cfg.heartbeat_s)


def _process_main(cfg: ServiceSettings, stop: Any, name: str) -> None:
    worker_loop(cfg, stop, name)


def recover(sessions, max_attempts: int, stale_after_s: float, live_owners: set[str] | None = None) -> int:
    """Requeue running scans whose owner is dead or silent; returns how many were requeued/failed."""
    now = utcnow()
    changed = 0
    with sessions() as s:
        for scan in s.scalars(select(Scan).where(Scan.status == "running")).all():
            host, pid = parse_owner(scan.owner)
            if live_owners is not None and scan.owner in live_owners:
                continue
            dead = host == HOST and (pid <= 0 or not pid_alive(pid))
            stale = scan.heartbeat_at is None or (now - scan.heartbeat_at) > dt.timedelta(seconds=stale_after_s)
            if not (dead or stale):
                continue
            values: dict[str, Any]
            if scan.attempts >= max_attempts:
                values = dict(status="failed", error_code="worker_crashed", finished_at=now,
                              error_message=f"处理该卷宗时工作进程已中断 {scan.attempts} 次，已停止重试。")
            else:
                values = dict(status="queued", owner=None, stage="等待重新处理")
            res = s.execute(update(Scan).where(Scan.id == scan.id, Scan.status == "running",
                                               Scan.owner == scan.owner).values(**values))
            changed += res.rowcount
        s.commit()
    if changed:
        log.warning("recovered %d interrupted scan(s)", changed)
    return changed


def _children(pid: int) -> list[int]:
    """Descendants of ``pid`` (Linux ``/proc``; empty elsewhere)."""
    parents: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                ppid = int(fh.read().rsplit(")", 1)[-1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def tree_rss(pid: int) -> int:
    """Resident memory in bytes of ``pid`` and its descendants (the OCR pool); 0 when unknown."""
    total = 0
    page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/statm", encoding="ascii") as fh:
                total += int(fh.read().split()[1]) * page
        except (OSError, ValueError, IndexError):
            continue
    return total


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid`` and its descendants."""
    for p in [*_children(pid), pid]:
        try:
            os.kill(p, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def time_budget(timeout_s: float, seconds_per_page: float, pages: int | None) -> float:
    """Wall seconds a scan of ``pages`` pages may take: a base plus a share per page."""
    return timeout_s + seconds_per_page * max(int(pages or 0), 0)


def over_budget(sessions, workers: dict[int, str], timeout_s: float, memory_bytes: int,
                rss: Callable[[int], int] = tree_rss, seconds_per_page: float = 0.0) -> list[tuple[int, str]]:
    """Fail the running scans of ``workers`` (pid → name) past their wall-time or memory budget.

    The wall-time budget is :func:`time_budget` of the pages the scan reported with its progress
    (the largest stage total so far: the pages to read, OCR or parse).

    Each such scan is marked failed (code ``scan_timeout`` or ``scan_memory``, Chinese message)
    in one conditional update, so a worker finishing at that moment keeps its result. Returns
    ``(pid, name)`` of the workers to stop.
    """
    now = utcnow()
    stop: list[tuple[int, str]] = []
    with sessions() as s:
        rows = s.execute(select(Scan.id, Scan.owner, Scan.started_at, Scan.total).where(Scan.status == "running")).all()
        for scan_id, owner, started, total in rows:
            host, pid = parse_owner(owner)
            if host != HOST or pid not in workers:
                continue
            elapsed = (now - started).total_seconds() if started else 0.0
            pages = _PAGES[scan_id] = max(_PAGES.get(scan_id, 0), int(total or 0))
            budget = time_budget(timeout_s, seconds_per_page, pages)
            if elapsed > budget:
                code, message = "scan_timeout", (f"扫描超时：处理该卷宗已超过 {budget:.0f} 秒，已停止处理"
                                                 "（其余卷宗照常处理）。请检查卷宗是否过大或含有异常文件。")
            else:
                used = rss(pid)
                if used <= memory_bytes:
                    continue
                code, message = "scan_memory", (f"扫描占用内存超过上限（{memory_bytes / 2**30:.1f} GB），已停止处理该卷宗"
                                                "（其余卷宗照常处理）。请检查卷宗是否含有异常的大图像或大文件。")
            res = s.execute(update(Scan).where(Scan.id == scan_id, Scan.owner == owner, Scan.status == "running")
                            .values(status="failed", error_code=code, error_message=message, finished_at=now,
                                    stage="已停止"))
            if res.rowcount:
                log.warning("scan %s over budget (%s): stopping worker %s", scan_id, code, workers[pid])
                stop.append((pid, workers[pid]))
        s.commit()
    for gone in set(_PAGES) - {row[0] for row in rows}:
        del _PAGES[gone]
    return stop


#: The largest page count each running scan has reported (its stages count different things first).
_PAGES: dict[str, int] = {}


class StopFlag:
    """A stop flag shared with worker processes: a lock-free shared byte, polled.

    (``multiprocessing.Event`` is unsafe here: a worker killed while waiting on it leaves
    its condition variable unreleased, and a later ``set()`` blocks forever.)
    """

    def __init__(self, ctx):
        self._v = ctx.RawValue("b", 0)

    def set(self) -> None:
        self._v.value = 1

    def is_set(self) -> bool:
        return bool(self._v.value)

    def wait(self, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while not self.is_set() and time.monotonic() < end:
            time.sleep(min(0.05, timeout))
        return self.is_set()


class Supervisor:
    """Starts and watches the scan workers of one server (processes, or threads in tests)."""

    def __init__(self, cfg: ServiceSettings):
        self.cfg = cfg
        self.sessions = session_factory(cfg.db_url)
        self._ctx = mp.get_context("spawn")
        self._stop_mp = StopFlag(self._ctx) if cfg.worker_mode == "process" else None
        self._stop_thread = threading.Event()
        self._workers: dict[str, Any] = {}
        self._watch: threading.Thread | None = None

    def _start_worker(self, name: str) -> None:
        if self.cfg.worker_mode != "thread":
            reset_work_dir(self.cfg, name)  # what a killed predecessor left
        if self.cfg.worker_mode == "thread":
            w = threading.Thread(target=worker_loop, args=(self.cfg, self._stop_thread, name, True),
                                 name=f"scan-worker-{name}", daemon=True)
        else:
            w = self._ctx.Process(target=_process_main, args=(self.cfg, self._stop_mp, name),
                                  name=f"scan-worker-{name}", daemon=False)
        w.start()
        self._workers[name] = w

    def start(self) -> None:
        recover(self.sessions, self.cfg.max_attempts, self.cfg.stale_after_s)
        for i in range(max(0, self.cfg.scan_workers)):
            self._start_worker(f"w{i + 1}")
        self._watch = threading.Thread(target=self._watch_loop, name="scan-supervisor", daemon=True)
        self._watch.start()

    def _enforce_budgets(self) -> None:
        if self.cfg.worker_mode == "thread":
            return  # threads cannot be stopped; budgets apply to process workers
        live = {w.pid: name for name, w in self._workers.items() if w.is_alive() and w.pid}
        if not live:
            return
        for pid, name in over_budget(self.sessions, live, self.cfg.scan_timeout_s, self.cfg.scan_memory_bytes,
                                     seconds_per_page=self.cfg.scan_seconds_per_page):
            kill_tree(pid)
            w = self._workers.get(name)
            if w is not None:
                w.join(timeout=5)

    def _watch_loop(self) -> None:
        while not self._stop_thread.wait(1.0):
            try:
                self._enforce_budgets()
            except Exception:  # pragma: no cover - database briefly locked
                log.warning("budget check failed", exc_info=True)
            for name, w in list(self._workers.items()):
                if not w.is_alive() and not self._stop_thread.is_set():
                    if getattr(w, "exitcode", None) == -signal.SIGTERM:
                        continue  # terminated on purpose (service stopping): not a crash
                    log.warning("scan worker %s exited (code %s); restarting", name, getattr(w, "exitcode", None))
                    if hasattr(w, "join"):
                        w.join(timeout=0)
                    self._start_worker(name)
            try:
                recover(self.sessions, self.cfg.max_attempts, self.cfg.stale_after_s)
            except Exception:  # pragma: no cover - database briefly locked
                log.warning("recover failed", exc_info=True)

    @property
    def workers(self) -> dict[str, Any]:
        return dict(self._workers)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop_thread.set()
        if self._stop_mp is not None:
            self._stop_mp.set()
        deadline = time.monotonic() + timeout
        for w in self._workers.values():
            w.join(timeout=max(0.1, deadline - time.monotonic()))
        for w in self._workers.values():
            if hasattr(w, "terminate") and w.is_alive():
                w.terminate()
                w.join(timeout=2)
                if w.is_alive():
                    w.kill()
                    w.join(timeout=2)
        if self.cfg.worker_mode != "thread":
            for name, w in self._workers.items():
                if not w.is_alive():
                    shutil.rmtree(work_dir(self.cfg, name), ignore_errors=True)
        if self._watch:
            self._watch.join(timeout=2)
