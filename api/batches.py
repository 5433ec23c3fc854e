"""Batch runs (``assistant batch``): a caseload scanned by long-lived workers, resumable
through the service database.

State lives in two tables next to the service's (same database: SQLite by default,
PostgreSQL by URL): ``batches`` (one row per SOURCE + output folder, so running the same
command again continues the same batch) and ``batch_items`` (one row per dossier: content
hash, versions, status, summary row). Every dossier scanned by a batch is an ordinary
:class:`api.db.Scan` (same content hash as a service submission, report in the service's
storage), so the service shows it to the roles that may see it.

Workers do all the writing: a worker hashes the dossier, reuses an earlier result when the
content hash and the rules/model versions (:func:`assistant.batch.versions`) match, else
marks the scan running, scans, writes the report to storage (atomic), the dossier's
``report.json``/``report.html``/``notice.docx`` (atomic, each), then marks scan and item done.
A worker, the batch or a Ray node killed at any point loses no finished report; a dossier
interrupted mid-scan is scanned again by the next run (or by another worker at once).

Runners:

- :class:`LocalPool`: N worker processes (spawn), each loading the models once and scanning
  dossiers end to end, one at a time, fed over its own pipe (a dead worker is noticed through
  its process sentinel, restarted, and its dossier handed out again);
- :class:`RayPool` (:mod:`ray`, the ``ray`` extra): one actor per CPU slot (models loaded
  once per actor, ``max_restarts``/``max_task_retries`` for crashes), at most
  ``2 × actors`` dossiers in flight (backpressure), results written by the actors.

Scanned pages are OCR'd by workers the whole batch shares (:func:`extractors.ocr.share_pages_with`):
in the local pool, one pool of OCR processes in the driver, fed by every worker through its
pipe; on Ray, one OCR actor per scanning actor, which every scanning actor may call. A worker
reading a 300-page scanned dossier therefore gets every core while the other workers wait in
their own OCR or have nothing left, instead of one core per dossier and idle cores at the end
of the batch. A page whose OCR worker failed is read by the scanning worker itself.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
import traceback
import uuid
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from queue import Empty, SimpleQueue
from typing import Any, Callable, Iterable

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, Scan, get_engine, scan_by_hash, session_factory, utcnow
from assistant.config import Settings
from assistant.database import SafeString, SafeText

log = logging.getLogger(__name__)

ITEM_DONE = ("done", "reused")
MAX_ATTEMPTS = 3
MAX_START_FAILURES = 3


class BatchError(RuntimeError):
    """The batch cannot run at all: workers cannot start, Ray is unreachable (message in Chinese)."""


class Batch(Base):
    """One caseload: SOURCE and output folder (CLI) or a service submission."""

    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(SafeString(32), primary_key=True)
    name: Mapped[str] = mapped_column(SafeString(255))
    source: Mapped[str] = mapped_column(SafeText)
    out_dir: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    origin: Mapped[str] = mapped_column(SafeString(16), default="cli")
    status: Mapped[str] = mapped_column(SafeString(16), default="running", index=True)
    versions: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    submitted_by: Mapped[str | None] = mapped_column(SafeString(32), nullable=True, index=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class BatchItem(Base):
    """One dossier of a batch."""

    __tablename__ = "batch_items"

    id: Mapped[str] = mapped_column(SafeString(32), primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    path: Mapped[str] = mapped_column(SafeText)
    name: Mapped[str] = mapped_column(SafeString(255))
    meta: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    content_hash: Mapped[str | None] = mapped_column(SafeString(64), nullable=True, index=True)
    versions: Mapped[str | None] = mapped_column(SafeString(32), nullable=True, index=True)
    scan_id: Mapped[str | None] = mapped_column(SafeString(32), nullable=True, index=True)
    status: Mapped[str] = mapped_column(SafeString(16), default="pending", index=True)
    owner: Mapped[str | None] = mapped_column(SafeString(200), nullable=True)
    node: Mapped[str | None] = mapped_column(SafeString(100), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(SafeString(50), nullable=True)
    error_message: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    row: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    seconds: Mapped[int] = mapped_column(Integer, default=0)  # milliseconds of the last scan
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


def batch_sessions(url: str):
    """A session factory with the service tables and the batch tables created."""
    eng = get_engine(url)
    Base.metadata.create_all(eng, tables=[Batch.__table__, BatchItem.__table__])
    return session_factory(url)


def batch_id_for(source: Path, out_dir: Path) -> str:
    return hashlib.sha256(f"{Path(source).resolve()}\n{Path(out_dir).resolve()}".encode()).hexdigest()[:16]


def item_id_for(batch_id: str, path: str) -> str:
    return hashlib.sha256(f"{batch_id}\n{path}".encode()).hexdigest()[:24]


# --- the worker side ---------------------------------------------------------------------------------

@dataclass
class WorkerConfig:
    """Everything a worker needs, picklable (sent to local processes and Ray actors)."""

    settings: Settings
    batch_id: str
    out_dir: str | None
    versions_key: str
    profile: str | None = None
    heartbeat_s: float = 5.0
    #: OCR workers the batch shares among its dossiers (0: as many as cores for a local pool;
    #: -1: none, each worker reads its own pages on its own core — the benchmark's comparison).
    ocr_slots: int = 0


def _quiet_threads() -> None:
    """One core per worker: no thread pools inside the numeric libraries.

    The environment covers OpenMP/BLAS/tokenizers; OpenCV keeps a pthread pool of its own
    sized to the machine (``OMP_NUM_THREADS`` does not reach it). Left on, every connected-
    component pass of the mark detector wakes a second thread that spins on the other core:
    measured on a text-layer caseload, 12 % more CPU per page for the same pages and a
    single worker that already occupies 1.13 cores, so a second worker has less to gain.
    """
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TOKENIZERS_PARALLELISM"):
        os.environ.setdefault(var, "1" if var != "TOKENIZERS_PARALLELISM" else "false")
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover - opencv is a core dependency
        pass


class BatchWorker:
    """Loads the models once and scans dossiers of one batch, writing every result itself."""

    def __init__(self, cfg: WorkerConfig, name: str = "w", node: str | None = None):
        _quiet_threads()
        from api.jobs import HOST
        from api.storage import Storage

        self.cfg = cfg
        self.settings = cfg.settings.model_copy(update={"ocr_workers": 1})
        self.node = node or HOST
        self.owner = f"{HOST}|{os.getpid()}|batch-{name}|{uuid.uuid4().hex[:8]}"
        self.sessions = batch_sessions(self.settings.db_url)
        self.storage = Storage((self.settings.data_dir / "service").resolve())
        self.profile = self._load_profile()
        self._current: Any = None
        self._cpu_started = time.thread_time()
        self._scanned, self._settled = 0, False
        self._beat = threading.Thread(target=self._beat_loop, name="batch-heartbeat", daemon=True)
        self._beat.start()
        self.warm()

    def _load_profile(self):
        from assistant import profiles

        if self.cfg.profile:
            from checks.catalog import load_catalog

            return profiles.load_profile(Path(self.cfg.profile), set(load_catalog(self.settings.catalog_path).rules))
        return profiles.load_default(self.settings)

    def warm(self) -> None:
        """Load spaCy, the lexicon, the catalog and the similar-case index now, once."""
        from checks.catalog import load_catalog
        from extractors.lexicon import nlp

        nlp()
        load_catalog(self.settings.catalog_path)
        index_dir = self.settings.effective_index_dir()
        if index_dir:
            try:
                from assistant.similar import open_index

                open_index(self.settings.model_copy(update={"index_dir": index_dir}))
            except Exception:  # the scan reports an unusable index itself
                log.warning("index warm-up failed", exc_info=True)
        # The models are millions of long-lived objects (jieba's dictionary, spaCy's vocabulary, the
        # lexicon) that every full garbage collection would walk again: freeze them out of it.
        # Measured on a text-layer caseload: 6–14 % less CPU per page.
        gc.collect()
        gc.freeze()

    def _beat_loop(self) -> None:
        while True:
            time.sleep(self.cfg.heartbeat_s)
            job = self._current
            if job is not None:
                try:
                    job.heartbeat()
                except Exception:  # pragma: no cover - database briefly locked
                    log.warning("heartbeat failed", exc_info=True)

    # -- one dossier

    def _item_update(self, item_id: str, **values: Any) -> None:
        with self.sessions() as s:
            s.execute(update(BatchItem).where(BatchItem.id == item_id).values(**values))
            s.commit()

    def _reuse(self, item: dict, digest: str) -> dict | None:
        """A finished report of the same content and versions, or None."""
        with self.sessions() as s:
            prior = s.scalars(select(BatchItem).where(
                BatchItem.content_hash == digest, BatchItem.versions == self.cfg.versions_key,
                BatchItem.status.in_(ITEM_DONE), BatchItem.scan_id.is_not(None))
                .order_by((BatchItem.id == item["id"]).desc(), BatchItem.finished_at.desc()).limit(5)).all()
            for p in prior:
                scan = s.get(Scan, p.scan_id)
                if scan is None or scan.status != "done" or not scan.report_path:
                    continue
                try:
                    report = self.storage.read_report(scan.report_path)
                except (OSError, ValueError):
                    continue
                return {"scan": scan, "report": report, "same_item": p.id == item["id"], "dossier_key": scan.dossier_key}
        return None

    def _out(self, item: dict) -> Path | None:
        return Path(self.cfg.out_dir) / item["name"] if self.cfg.out_dir else None

    def _finish_item(self, item: dict, status: str, report: dict | None, scan_id: str | None, digest: str | None,
                     started: float, message: str = "", code: str | None = None) -> dict:
        from assistant.summary import summary_row

        link = f"{item['name']}/report.html" if self.cfg.out_dir and report else ""
        row = summary_row(report, item.get("meta"), name=item["name"], status=status, message=message, link=link,
                          scan_id=scan_id)
        pages = row["pages"]
        ms = int((time.perf_counter() - started) * 1000)
        self._item_update(item["id"], status=status, row=row, pages=pages, scan_id=scan_id, content_hash=digest,
                          versions=self.cfg.versions_key if status in ITEM_DONE else None, node=self.node,
                          error_code=code, error_message=message or None, finished_at=utcnow(), seconds=ms, owner=None)
        return {"id": item["id"], "status": status, "pages": pages, "message": message, "node": self.node,
                "scan_id": scan_id, "seconds": ms / 1000, "pid": os.getpid(),
                "cpu": time.thread_time() - self._cpu_started}

    def process(self, item: dict, progress: Callable[[str, int, int], None] | None = None) -> dict:
        """Scan (or reuse) one dossier; returns a small result dict (status, pages, node …)."""
        from assistant.batch import dossier_files, outputs_complete, write_outputs
        from assistant.pipeline import DossierError
        from assistant.service import apply_dispositions, content_hash

        if self._scanned == 1 and not self._settled:  # what the first dossier loaded lazily (templates,
            self._settled = True                      # modules, the index's parts) is long-lived too
            gc.collect()
            gc.freeze()
        started = time.perf_counter()
        self._cpu_started = time.thread_time()  # CPU of this thread for the dossier (the benchmark reads it)
        path = Path(item["path"])
        if item.get("problem"):
            return self._finish_item(item, "failed", None, None, None, started, item["problem"], "dossier_missing")
        try:
            files = dossier_files(path)
            if not files:
                return self._finish_item(item, "failed", None, None, None, started, "卷宗中没有任何文件", "no_files")
            digest = content_hash(files)
        except OSError as exc:
            return self._finish_item(item, "failed", None, None, None, started,
                                     f"无法读取卷宗（{exc.strerror or '读取失败'}）", "dossier_unreadable")
        out = self._out(item)
        prior = self._reuse(item, digest)
        if prior is not None:
            disp = self._dispositions(prior["dossier_key"])
            report = apply_dispositions(prior["report"], disp, self.settings)
            if out is not None and (disp or not (prior["same_item"] and outputs_complete(out))):
                write_outputs(report, out)
            res = self._finish_item(item, "done" if prior["same_item"] else "reused", report, prior["scan"].id,
                                    digest, started)
            res["skipped"] = True
            return res
        self._item_update(item["id"], status="running", owner=self.owner, started_at=utcnow(), node=self.node,
                          attempts=BatchItem.attempts + 1)
        dkey = self._dossier_key(path, digest)
        scan_id = self._claim_scan(item, digest, dkey, len(files))
        from api.jobs import _Job

        with self.sessions() as s:
            job = _Job(self.sessions, s.get(Scan, scan_id), self.owner)

        def on_progress(stage: str, done: int, total: int) -> None:
            try:
                job.progress(stage, done, total)
            except Exception:  # pragma: no cover - database briefly locked
                log.warning("progress update failed", exc_info=True)
            if progress:
                progress(stage, done, total)

        self._current = job
        try:
            result = _scan(path, self.settings, self.profile, on_progress, self._dispositions(dkey))
        except DossierError as exc:
            self._current = None
            self._finish_scan(scan_id, status="failed", error_code="dossier_unreadable", error_message=str(exc)[:2000])
            return self._finish_item(item, "failed", None, scan_id, digest, started, str(exc), "dossier_unreadable")
        except Exception as exc:
            self._current = None
            log.error("batch scan of %s failed: %s", path, traceback.format_exc())
            msg = "扫描过程出错，请查看日志。"
            self._finish_scan(scan_id, status="failed", error_code="scan_error", error_message=msg)
            return self._finish_item(item, "error", None, scan_id, digest, started, msg, "scan_error")
        self._current = None
        self._scanned += 1
        report = result.report
        report_path = self.storage.write_report(scan_id, report)
        if out is not None:
            write_outputs(report, out)
        from assistant.summary import prosecutor_of

        pros = (item.get("meta") or {}).get("prosecutor") or prosecutor_of(report).split("、")[0] or None
        self._finish_scan(scan_id, status="done", report_path=str(report_path), stage="完成", error_code=None,
                          error_message=None, pages=int(report["dossier"]["pages"] or 0), prosecutor=pros)
        return self._finish_item(item, "done", report, scan_id, digest, started)

    def _dispositions(self, dkey: str | None) -> dict | None:
        if not dkey:
            return None
        try:
            from assistant.dispositions import lookup_by_key

            return lookup_by_key(dkey, self.settings) or None
        except Exception:  # a broken dispositions store must not fail the scan
            log.warning("dispositions lookup failed", exc_info=True)
            return None

    def _dossier_key(self, path: Path, digest: str) -> str:
        try:
            from assistant.dispositions import dossier_key_for_path

            return dossier_key_for_path(path)
        except Exception:
            return digest

    def _claim_scan(self, item: dict, digest: str, dkey: str, files: int) -> str:
        """The scan row of this content, created or taken over (left ``done`` when it already is)."""
        now = utcnow()
        meta = item.get("meta") or {}
        with self.sessions() as s:
            scan = scan_by_hash(s, digest)
            if scan is None:
                scan = Scan(id=uuid.uuid4().hex[:16], content_hash=digest, dossier_key=dkey, name=item["name"][:255],
                            status="running", input_path=str(Path(item["path"]).resolve()), files=files,
                            prosecutor=meta.get("prosecutor") or None, owner=self.owner, attempts=1,
                            stage="批量评查", started_at=now, heartbeat_at=now)
                s.add(scan)
                try:
                    s.commit()
                    return scan.id
                except IntegrityError:
                    s.rollback()
                    scan = scan_by_hash(s, digest)
            if scan.status != "done":
                scan.status, scan.owner, scan.started_at, scan.heartbeat_at = "running", self.owner, now, now
                scan.attempts = (scan.attempts or 0) + 1
                scan.stage, scan.error_code, scan.error_message = "批量评查", None, None
            if meta.get("prosecutor") and not scan.prosecutor:
                scan.prosecutor = meta["prosecutor"]
            s.commit()
            return scan.id

    def _finish_scan(self, scan_id: str, **values: Any) -> None:
        prosecutor = values.pop("prosecutor", None)
        with self.sessions() as s:
            scan = s.get(Scan, scan_id)
            if scan is None:
                return
            if scan.status == "running" and scan.owner != self.owner:
                return  # taken over by someone else; their result will land
            if scan.status == "done" and values.get("status") != "done":
                return  # an earlier report of this content stays valid
            for k, v in values.items():
                setattr(scan, k, v)
            scan.finished_at = utcnow()
            if prosecutor and not scan.prosecutor:
                scan.prosecutor = prosecutor
            s.commit()


def _scan(path: Path, settings: Settings, profile: Any, progress, dispositions):
    from assistant.pipeline import scan

    return scan(path, settings=settings, profile=profile, progress=progress, dispositions=dispositions)


# --- local process pool -------------------------------------------------------------------------------

class _PipeFuture:
    def __init__(self, client: "_PipeOcr", rid: int):
        self.client, self.rid = client, rid

    def result(self) -> Any:
        return self.client.wait(self.rid)


class _PipeOcr:
    """A local worker's way to the batch's shared OCR processes: a page job goes to the driver
    over the worker's own pipe (``("ocr", id, job)``), the page comes back as
    ``("ocr_result", id, ok, page-or-reason)``. Only the scanning thread uses the pipe while a
    dossier is being read, so replies are simply read in turn (out-of-order ones kept)."""

    def __init__(self, conn, slots: int, inbox: deque):
        self.conn, self.slots, self.inbox = conn, max(1, slots), inbox
        self._next = 0
        self._done: dict[int, tuple[bool, Any]] = {}

    def submit(self, job: tuple) -> _PipeFuture:
        self._next += 1
        self.conn.send(("ocr", self._next, job))
        return _PipeFuture(self, self._next)

    def wait(self, rid: int) -> Any:
        while rid not in self._done:
            msg = self.conn.recv()
            if isinstance(msg, tuple) and msg and msg[0] == "ocr_result":
                self._done[msg[1]] = (msg[2], msg[3])
            else:  # the next dossier handed out ahead (or the stop): the worker's loop takes it later
                self.inbox.append(msg)
        ok, value = self._done.pop(rid)
        if not ok:
            raise RuntimeError(f"shared OCR worker failed: {value}")
        return value


def _local_worker_main(conn, cfg: WorkerConfig, name: str) -> None:
    from api.jobs import _die_with_parent

    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C and stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    logging.basicConfig(level=logging.WARNING, format=f"%(levelname)s batch worker {name}: %(message)s")
    worker = BatchWorker(cfg, name)
    inbox: deque = deque()  # messages read while waiting for OCR replies
    if cfg.ocr_slots > 0:
        from extractors.ocr import share_pages_with

        share_pages_with(_PipeOcr(conn, cfg.ocr_slots, inbox))
    conn.send(("ready", os.getpid()))
    last = [0.0]
    while True:
        try:
            item = inbox.popleft() if inbox else conn.recv()
        except (EOFError, OSError):
            return
        if item is None:
            return
        if isinstance(item, tuple):  # a late OCR reply for a dossier that ended without it
            continue

        def progress(stage: str, done: int, total: int, _id=item["id"]) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.2 or done >= total:
                last[0] = now
                conn.send(("progress", _id, stage, done, total))

        conn.send(("result", worker.process(item, progress)))


@dataclass
class _Slot:
    name: str
    proc: Any
    conn: Any
    #: dossiers handed to this worker, in order: the one it scans, and at most one more sent ahead
    #: so it never waits for the driver between two dossiers (as Ray actors have two in flight)
    items: list[dict] = field(default_factory=list)
    ready: bool = False
    pid: int | None = None
    gen: int = 0  # bumped when the process is replaced: OCR replies for a dead one are dropped

    @property
    def item(self) -> dict | None:
        """The dossier being scanned (None when idle)."""
        return self.items[0] if self.items else None


class LocalPool:
    """N long-lived worker processes; :meth:`run` hands out dossiers and yields events."""

    def __init__(self, cfg: WorkerConfig, workers: int, start_together: bool = False):
        self.n = max(1, workers)
        if cfg.ocr_slots == 0 and str(cfg.settings.ocr_engine).lower() != "none":
            # the shared OCR pool: as many processes as cores (the scanning workers mostly wait
            # on it while a scanned dossier is read), at most the configured OCR workers
            cores = os.cpu_count() or 1
            cfg = replace(cfg, ocr_slots=max(1, min(cores, int(cfg.settings.ocr_workers or cores))))
        self.cfg = cfg
        self.start_together = start_together  # hold work until every worker has its models (benchmarks)
        self.ctx = mp.get_context("spawn")
        self.slots: list[_Slot] = []
        self._ocr_done: SimpleQueue = SimpleQueue()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self.ocr_used = False
        self.ocr_pages = 0

    def _start(self, name: str) -> _Slot:
        parent, child = self.ctx.Pipe(duplex=True)
        p = self.ctx.Process(target=_local_worker_main, args=(child, self.cfg, name), name=f"batch-{name}", daemon=True)
        p.start()
        child.close()
        return _Slot(name, p, parent)

    @property
    def pids(self) -> list[int]:
        return [s.proc.pid for s in self.slots if s.proc.is_alive()]

    def run(self, items: Iterable[dict], emit: Callable[[str, Any], None]) -> None:
        """Process every item; ``emit(kind, payload)`` gets ``result``/``progress``/``retry`` events."""
        from multiprocessing.connection import wait

        queue: deque = deque(items)
        attempts: dict[str, int] = {}
        self.start_failures = 0
        self.slots = [self._start(f"w{i + 1}") for i in range(self.n)]
        try:
            while queue or any(s.items for s in self.slots):
                held = self.start_together and not all(s.ready for s in self.slots)
                for s in self.slots:
                    # one dossier each, and one more ahead while enough are left for the other workers
                    while (s.ready and not held and queue
                           and (not s.items or (len(s.items) == 1 and len(queue) >= self.n))):
                        s.items.append(queue.popleft())
                        s.conn.send(s.items[-1])
                waitables: dict[Any, Any] = {self._wake_r: None}
                for s in self.slots:
                    waitables[s.conn] = s
                    waitables[s.proc.sentinel] = s
                for obj in wait(list(waitables), timeout=1.0):
                    s = waitables[obj]
                    if s is None:
                        self._reply_ocr()
                        continue
                    if obj is s.conn:
                        try:
                            msg = s.conn.recv()
                        except (EOFError, OSError):
                            continue  # the sentinel reports the death
                        if msg[0] == "ready":
                            s.ready, s.pid = True, msg[1]
                            emit("ready", {"worker": s.name, "pid": s.pid})
                        elif msg[0] == "progress":
                            emit("progress", (s.name,) + tuple(msg[1:]))
                        elif msg[0] == "result":
                            s.items = [i for i in s.items if i["id"] != msg[1]["id"]]
                            emit("result", msg[1])
                        elif msg[0] == "ocr":
                            self._submit_ocr(s, msg[1], msg[2])
                    elif not s.proc.is_alive():
                        self._replace(s, queue, attempts, emit)
        finally:
            self.close()

    # -- the shared OCR processes (in this, the driver's, process)

    def _submit_ocr(self, s: _Slot, rid: int, job: tuple) -> None:
        from extractors import ocr

        gen = s.gen

        def done(fut, s=s, gen=gen, rid=rid) -> None:  # runs in the executor's thread
            self._ocr_done.put((s, gen, rid, fut))
            try:
                os.write(self._wake_w, b"\0")
            except (BlockingIOError, OSError):  # the pipe is full: the loop is awake anyway
                pass

        self.ocr_used = True
        try:
            ocr.submit_page(job, self.cfg.ocr_slots).add_done_callback(done)
        except Exception as exc:  # noqa: BLE001 - the worker reads the page itself
            log.warning("shared OCR pool unavailable: %s", exc)
            self._send_ocr(s, gen, rid, False, str(exc))

    def _reply_ocr(self) -> None:
        from concurrent.futures.process import BrokenProcessPool

        from extractors import ocr

        try:
            os.read(self._wake_r, 65536)
        except (BlockingIOError, OSError):
            pass
        broken = False
        while True:
            try:
                s, gen, rid, fut = self._ocr_done.get_nowait()
            except Empty:
                break
            if fut.cancelled():
                self._send_ocr(s, gen, rid, False, "cancelled")
                continue
            exc = fut.exception()
            if exc is not None:
                broken = broken or isinstance(exc, BrokenProcessPool)
                self._send_ocr(s, gen, rid, False, f"{type(exc).__name__}: {exc}")
            else:
                self.ocr_pages += 1
                self._send_ocr(s, gen, rid, True, fut.result())
        if broken:  # an OCR process died: a fresh pool starts with the next page
            log.warning("a shared OCR process died; restarting the OCR pool")
            ocr.shutdown_pool()

    @staticmethod
    def _send_ocr(s: _Slot, gen: int, rid: int, ok: bool, value: Any) -> None:
        if s.gen != gen:
            return  # for a worker that has died since
        try:
            s.conn.send(("ocr_result", rid, ok, value))
        except (OSError, ValueError, BrokenPipeError):
            pass  # the sentinel reports the death

    def _replace(self, s: _Slot, queue: deque, attempts: dict, emit) -> None:
        code = s.proc.exitcode
        s.conn.close()
        if not s.ready:
            self.start_failures += 1
            if self.start_failures >= MAX_START_FAILURES:
                raise BatchError(f"工作进程无法启动（已连续失败 {self.start_failures} 次，退出码 {code}），"
                                 "请用 --verbose 查看日志（常见原因：数据库不可用、模型文件缺失、内存不足）。")
        held, s.items = s.items, []
        for ahead in reversed(held[1:]):  # sent ahead, not started: back to the front, no attempt counted
            queue.appendleft(ahead)
        item = held[0] if held else None
        if item is not None:
            n = attempts[item["id"]] = attempts.get(item["id"], 0) + 1
            if n < MAX_ATTEMPTS:
                queue.appendleft(item)
                emit("retry", {"id": item["id"], "name": item["name"], "exitcode": code})
            else:
                emit("crashed", item)
        fresh = self._start(s.name)
        s.proc, s.conn, s.ready, s.pid, s.gen = fresh.proc, fresh.conn, False, None, s.gen + 1

    def close(self, timeout: float = 5.0) -> None:
        if self.ocr_used:
            from extractors import ocr

            ocr.shutdown_pool()
            self.ocr_used = False
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._wake_r = self._wake_w = -1  # a second close must not close a reused descriptor
        for s in self.slots:
            try:
                s.conn.send(None)
            except (OSError, ValueError, BrokenPipeError):
                pass
        deadline = time.monotonic() + timeout
        for s in self.slots:
            s.proc.join(max(0.05, deadline - time.monotonic()) if s.item is None else 0.05)
        for s in self.slots:
            if s.proc.is_alive():
                s.proc.terminate()
                s.proc.join(2)
                if s.proc.is_alive():
                    s.proc.kill()
                    s.proc.join(2)


# --- Ray ------------------------------------------------------------------------------------------------

def _ray_actor_class():
    import ray

    @ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=MAX_ATTEMPTS)
    class BatchActor:
        """A Ray actor holding one :class:`BatchWorker` (models loaded once per actor)."""

        def __init__(self, cfg: WorkerConfig, name: str, ocr_actors: list | None = None):
            node = ray.get_runtime_context().get_node_id()
            self.worker = BatchWorker(cfg, name, node=node)
            if ocr_actors:
                from extractors.ocr import share_pages_with

                share_pages_with(_RayOcr(ocr_actors))

        def where(self) -> tuple[str, int]:
            return self.worker.node, os.getpid()

        def process(self, item: dict) -> dict:
            return self.worker.process(item)

    return BatchActor


def _ray_ocr_class():
    import ray

    @ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=MAX_ATTEMPTS)
    class OcrActor:
        """One OCR engine on one thread; every scanning actor of the batch sends it pages. It
        takes no CPU slot of its own: it works while the scanning actors wait for their pages."""

        def __init__(self):
            _quiet_threads()
            self.done = 0

        def page(self, job: tuple) -> Any:
            from extractors.ocr import ocr_one

            self.done += 1
            return ocr_one(job)

        def pages(self) -> int:
            return self.done

    return OcrActor


class _RayFuture:
    def __init__(self, ref: Any):
        self.ref = ref

    def result(self) -> Any:
        import ray

        return ray.get(self.ref)


class _RayOcr:
    """A scanning actor's way to the batch's OCR actors: pages go to them in turn."""

    def __init__(self, actors: list):
        self.actors, self.slots, self._k = list(actors), len(actors), 0

    def submit(self, job: tuple) -> _RayFuture:
        actor = self.actors[self._k % len(self.actors)]
        self._k += 1
        return _RayFuture(actor.page.remote(job))


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast on a ``host:port`` nobody listens on (``ray.init`` would retry for minutes)."""
    import socket

    host, sep, port = address.rpartition(":")
    if address in ("auto", "local") or not sep or not port.isdigit():
        return
    host = host.removeprefix("ray://") or "127.0.0.1"
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise BatchError(f"无法连接 Ray 集群 {address}（{exc.strerror or '连接失败'}）：请确认已用 ray start "
                         "启动集群且地址、端口正确，或用 --ray auto 连接本机集群。") from exc


class RayPool:
    """Actors on a Ray cluster; at most ``2 × actors`` dossiers in flight."""

    def __init__(self, cfg: WorkerConfig, address: str, workers: int | None = None, in_flight: int | None = None):
        import ray

        self.cfg = cfg
        if not ray.is_initialized():
            _check_reachable(address)
            try:
                ray.init(address=None if address == "local" else address, log_to_driver=False,
                         ignore_reinit_error=True, logging_level=logging.WARNING)
            except Exception as exc:  # ConnectionError, RuntimeError, ValueError …
                raise BatchError(f"无法连接 Ray 集群 {address}（请确认已用 ray start 启动集群，"
                                 "地址形如 主机:6379，或用 --ray auto 连接本机集群）。") from exc
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.n = max(1, workers or cpus)
        self.in_flight = in_flight or 2 * self.n
        self.ocr_actors: list = []
        self.ocr_pages = 0
        if str(cfg.settings.ocr_engine).lower() != "none":  # one OCR actor per scanning actor, spread over the nodes
            Ocr = _ray_ocr_class()
            self.ocr_actors = [Ocr.options(scheduling_strategy="SPREAD").remote() for _ in range(self.n)]
        Actor = _ray_actor_class()
        self.actors = [Actor.options(name=None).remote(cfg, f"r{i + 1}", self.ocr_actors) for i in range(self.n)]

    def wait_ready(self) -> list[tuple[str, int]]:
        """(node id, pid) of every actor, once all have loaded their models."""
        import ray
        from ray.exceptions import RayError

        try:
            return ray.get([a.where.remote() for a in self.actors])
        except RayError as exc:
            raise BatchError(f"Ray 工作进程无法启动：请确认各节点可访问同一数据库"
                             "（多台机器须使用 PostgreSQL）与数据目录，并已安装本程序。") from exc

    def run(self, items: Iterable[dict], emit: Callable[[str, Any], None]) -> None:
        import ray
        from ray.exceptions import RayError

        for node, pid in self.wait_ready():
            emit("ready", {"node": node, "pid": pid})
        queue: deque = deque(items)
        attempts: dict[str, int] = {}
        busy: dict[Any, tuple[int, dict]] = {}
        load = [0] * self.n
        while queue or busy:
            while queue and len(busy) < self.in_flight:
                item = queue.popleft()
                a = min(range(self.n), key=lambda i: load[i])
                busy[self.actors[a].process.remote(item)] = (a, item)
                load[a] += 1
            done, _ = ray.wait(list(busy), num_returns=1, timeout=1.0)
            for ref in done:
                a, item = busy.pop(ref)
                load[a] -= 1
                try:
                    emit("result", ray.get(ref))
                except RayError as exc:
                    n = attempts[item["id"]] = attempts.get(item["id"], 0) + 1
                    if n < MAX_ATTEMPTS:
                        queue.appendleft(item)
                        emit("retry", {"id": item["id"], "name": item["name"], "error": type(exc).__name__})
                    else:
                        emit("crashed", item)

    def close(self) -> None:
        import ray

        if self.ocr_actors:  # pages read by the OCR actors (the benchmark and tests show it)
            try:
                self.ocr_pages = sum(ray.get([a.pages.remote() for a in self.ocr_actors], timeout=60))
            except Exception:  # noqa: BLE001 - a dead actor: the count is only informative
                log.warning("could not count the pages read by the OCR actors", exc_info=True)
        for a in self.actors + self.ocr_actors:
            try:
                ray.kill(a)
            except Exception:  # pragma: no cover
                pass


# --- the driver -----------------------------------------------------------------------------------------

@dataclass
class BatchStats:
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


def prepare(sessions, batch_id: str, entries, source: Path, out_dir: Path | None, versions: dict,
            origin: str = "cli", submitted_by: str | None = None, name: str | None = None) -> list[dict]:
    """Create or refresh the batch and its items; returns the work items (every dossier: workers
    skip those whose content and versions are unchanged)."""
    now = utcnow()
    items = []
    with sessions() as s:
        b = s.get(Batch, batch_id)
        if b is None:
            b = Batch(id=batch_id, name=(name or Path(source).name)[:255], source=str(source),
                      out_dir=str(out_dir) if out_dir else None, origin=origin, submitted_by=submitted_by)
            s.add(b)
        b.status, b.versions, b.total, b.updated_at, b.finished_at = "running", versions, len(entries), now, None
        existing = {i.id: i for i in s.scalars(select(BatchItem).where(BatchItem.batch_id == batch_id))}
        keep = set()
        for pos, e in enumerate(entries):
            iid = item_id_for(batch_id, str(e.path) if e.path != Path("") else f"#{pos}:{e.name}")
            keep.add(iid)
            row = existing.get(iid)
            if row is None:
                row = BatchItem(id=iid, batch_id=batch_id, path=str(e.path), status="pending", attempts=0, pages=0)
                s.add(row)
            row.position, row.name, row.meta = pos, e.name, dict(e.meta)
            if row.status == "running":  # left by an interrupted run
                row.status = "pending"
            items.append({"id": iid, "path": str(e.path), "name": e.name, "meta": dict(e.meta), "problem": e.problem})
        for iid, row in existing.items():
            if iid not in keep:
                s.delete(row)
        s.commit()
    return items


def release_interrupted(sessions, batch_id: str, owners_prefix: str | None = None) -> None:
    """After Ctrl-C: items still running go back to pending and their scans to ``queued`` (as the
    service's recovery does for a dead worker), so nothing stays 'running' for a dead process."""
    with sessions() as s:
        rows = s.scalars(select(BatchItem).where(BatchItem.batch_id == batch_id, BatchItem.status == "running")).all()
        for r in rows:
            if r.scan_id:
                s.execute(update(Scan).where(Scan.id == r.scan_id, Scan.status == "running", Scan.owner == r.owner)
                          .values(status="queued", owner=None, stage="等待重新处理"))
            r.status, r.owner = "pending", None
        b = s.get(Batch, batch_id)
        if b is not None:
            b.status, b.updated_at = "interrupted", utcnow()
        s.commit()


def release_scans_of(sessions, owner_pids: set[int]) -> None:
    """Scans left running by batch worker processes that are now gone go back to ``queued``."""
    from api.jobs import HOST, parse_owner, pid_alive

    with sessions() as s:
        for scan in s.scalars(select(Scan).where(Scan.status == "running", Scan.owner.like(f"{HOST}|%|batch-%"))):
            host, pid = parse_owner(scan.owner)
            if host == HOST and (pid in owner_pids or not pid_alive(pid)):
                scan.status, scan.owner, scan.stage = "queued", None, "等待重新处理"
        s.commit()


def summary_rows(sessions, batch_id: str) -> list[dict]:
    from assistant.summary import summary_row

    rows = []
    with sessions() as s:
        for it in s.scalars(select(BatchItem).where(BatchItem.batch_id == batch_id).order_by(BatchItem.position)):
            rows.append(it.row or summary_row(None, it.meta, name=it.name, status=it.status,
                                              message=it.error_message or ""))
    return rows


def finish_batch(sessions, batch_id: str, out_dir: Path | None, interrupted: bool = False) -> dict[str, Path]:
    from assistant.summary import write_summary

    rows = summary_rows(sessions, batch_id)
    paths: dict[str, Path] = {}
    if out_dir is not None:
        paths = write_summary(rows, out_dir)
    with sessions() as s:
        b = s.get(Batch, batch_id)
        if b is not None:
            pending = s.scalar(select(BatchItem.id).where(BatchItem.batch_id == batch_id,
                                                          BatchItem.status.in_(("pending", "running"))).limit(1))
            b.status = "interrupted" if (interrupted or pending) else "done"
            b.updated_at = utcnow()
            b.finished_at = None if b.status == "interrupted" else utcnow()
            s.commit()
    return paths


def _bytes_of(path: str) -> int:
    try:
        p = Path(path)
        if p.is_dir():
            return sum(f.stat().st_size for f in p.rglob("*") if f.is_file() and not f.is_symlink())
        return p.stat().st_size
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
