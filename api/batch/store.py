"""Batch state in the service database: the ``batches`` and ``batch_items`` tables, and the
driver's bookkeeping around a run.

``batches`` holds one row per SOURCE + output folder (running the same command again continues
the same batch), ``batch_items`` one row per dossier (content hash, versions, status, summary
row). :func:`prepare` creates or refreshes both before a run; :func:`release_interrupted` and
:func:`release_scans_of` hand back what an interrupted run or a dead worker left running;
:func:`summary_rows` and :func:`finish_batch` close a run (summary files, final status).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, select, update
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Scan, get_engine, session_factory, utcnow
from api.worker import HOST, parse_owner, pid_alive
from assistant.database import Base, SafeString, SafeText

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
    get_engine(url)  # creates what is missing of every declared table, these among them
    return session_factory(url)


def batch_id_for(source: Path, out_dir: Path) -> str:
    return hashlib.sha256(f"{Path(source).resolve()}\n{Path(out_dir).resolve()}".encode()).hexdigest()[:16]


def item_id_for(batch_id: str, path: str) -> str:
    return hashlib.sha256(f"{batch_id}\n{path}".encode()).hexdigest()[:24]


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
