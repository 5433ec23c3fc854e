"""The batch worker: models loaded once, then dossiers of one batch scanned end to end.

A worker hashes the dossier, reuses an earlier result when the content hash and the rules/model
versions (:func:`assistant.batch.versions`) match, else marks the dossier's ``scans`` row running,
scans through the worker core shared with the service (:func:`api.worker.scan_dossier`, progress and
heartbeat through :class:`api.worker.ScanJob`), writes the report to storage (atomic), the dossier's
``report.json``/``report.html``/``notice.docx`` (atomic, each), then marks scan and item done. A
worker killed at any point loses no finished report.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from api.batch.store import ITEM_DONE, BatchItem, batch_sessions
from api.db import Scan, scan_by_hash, utcnow
from api.storage import Storage
from api.worker import HOST, ScanJob, dispositions_for, freeze_long_lived, quiet_threads, scan_dossier
from models.settings import Settings

log = logging.getLogger(__name__)


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


class BatchWorker:
    """Loads the models once and scans dossiers of one batch, writing every result itself."""

    def __init__(self, cfg: WorkerConfig, name: str = "w", node: str | None = None):
        quiet_threads()

        self.cfg = cfg
        self.settings = cfg.settings.model_copy(update={"ocr_workers": 1})
        self.node = node or HOST
        self.owner = f"{HOST}|{os.getpid()}|batch-{name}|{uuid.uuid4().hex[:8]}"
        self.sessions = batch_sessions(self.settings.db_url)
        self.storage = Storage((self.settings.data_dir / "service").resolve())
        self.profile = self._load_profile()
        self._current: Any = None
        self._cpu_started = time.thread_time()
        self._scanned = 0
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
        freeze_long_lived()

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
        from assistant.service import apply_dispositions, content_hash

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
        with self.sessions() as s:
            job = ScanJob(self.sessions, s.get(Scan, scan_id), self.owner)

        def on_progress(stage: str, done: int, total: int) -> None:
            try:
                job.progress(stage, done, total)
            except Exception:  # pragma: no cover - database briefly locked
                log.warning("progress update failed", exc_info=True)
            if progress:
                progress(stage, done, total)

        self._current = job
        done = scan_dossier(path, self.settings, on_progress, self._dispositions(dkey), profile=self.profile,
                            label=f"batch {path}")
        if done.error_code == "dossier_unreadable":
            self._current = None
            self._finish_scan(scan_id, status="failed", error_code="dossier_unreadable", error_message=done.message[:2000])
            return self._finish_item(item, "failed", None, scan_id, digest, started, done.message, "dossier_unreadable")
        if done.error_code:
            self._current = None
            msg = "扫描过程出错，请查看日志。"
            self._finish_scan(scan_id, status="failed", error_code="scan_error", error_message=msg)
            return self._finish_item(item, "error", None, scan_id, digest, started, msg, "scan_error")
        result = done.result
        self._current = None
        self._scanned += 1
        if self._scanned == 1:  # what the first dossier loaded lazily (templates, index parts) lives on too
            freeze_long_lived()
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
        return dispositions_for(dkey, self.settings)

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
