"""Scans as both front ends handle them: submitting a dossier, reading its report, recording a disposition.

A submission is idempotent on the content hash: :func:`submit` stores a new dossier as a queued scan
(:func:`queue_new_scan`) or hands back the scan of the same content, granting the submitter access
either way. A report is always read with the evaluator's dispositions applied
(:func:`report_with_dispositions`), so points and grade are those after 误报/不适用. The callers —
``/v1/scans``, ``/v1/batches`` and the web pages — keep their own request parsing, access rules and
wording; who submitted or read what goes to the audit log here.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from pathlib import Path
from typing import Any, Callable

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import IntegrityError

from api.db import Scan, ScanAccess, audit, scan_by_hash
from api.errors import ApiError
from api.services.intake import display_name, stored_files
from api.settings import ServiceSettings
from api.storage import Storage
from assistant.service import UploadSummary, apply_dispositions

log = logging.getLogger(__name__)

#: Failures a re-submission of the same content clears (the dossier itself was not at fault).
RETRYABLE = ("worker_crashed", "scan_error")


def dossier_key(input_path: Path, digest: str) -> str:
    """The dispositions key of :mod:`assistant.dispositions` (shared with the CLI), else the content hash."""
    try:
        from assistant.dispositions import dossier_key_for_path
    except ImportError:
        return digest
    return dossier_key_for_path(input_path)


def dispositions_of(scan: Scan, cfg: ServiceSettings) -> dict[str, dict]:
    """The stored dispositions of the scan's dossier (finding id → disposition)."""
    try:
        from assistant.dispositions import lookup_by_key
    except ImportError:
        return {}
    return lookup_by_key(scan.dossier_key, cfg.core) or {}


def report_with_dispositions(storage: Storage, scan: Scan, cfg: ServiceSettings) -> dict[str, Any]:
    """The finished scan's report with its dispositions applied (points and grade recomputed);
    ``OSError``/``ValueError`` when the report file is missing or broken."""
    return apply_dispositions(storage.read_report(scan.report_path), dispositions_of(scan, cfg), cfg.core)


def find_finding(report: dict[str, Any], finding_id: str) -> dict[str, Any] | None:
    """The finding or hint of the report with this id."""
    return next((f for f in (report.get("findings") or []) + (report.get("hints") or []) if f.get("id") == finding_id),
                None)


def grant(session, scan: Scan, who: Any, prosecutor: str | None) -> bool:
    """Let ``who`` (an API key or a web user's actor) read the scan; False when it already could."""
    if session.get(ScanAccess, (scan.id, who.id)) is not None:
        return False
    session.add(ScanAccess(scan_id=scan.id, key_id=who.id, prosecutor=prosecutor))
    return True


def requeue_if_failed(scan: Scan) -> None:
    """A scan that failed through no fault of its dossier (a crashed worker, an internal error) goes back
    to the queue with its attempts reset."""
    if scan.status == "failed" and scan.error_code in RETRYABLE:
        scan.status, scan.attempts, scan.error_code, scan.error_message = "queued", 0, None, None
        scan.owner, scan.stage, scan.finished_at = None, "排队中", None


async def queue_new_scan(session: Any, storage: Storage, tmp: Path, digest: str, summary: UploadSummary, who: Any,
                         prosecutor: str | None, name_for: Callable[[str], str],
                         via: str | None = None) -> Scan | None:
    """Store the received files as a new queued scan, grant the submitter access and audit it.

    Returns ``None`` when another request stored the same dossier (same content hash) first: the
    caller then takes that scan.
    """
    scan_id = uuid.uuid4().hex[:16]
    name = display_name(name_for(scan_id))
    try:
        folder = storage.commit_input(tmp, scan_id, name)
    except OSError:
        log.exception("storing scan %s failed", scan_id)
        raise ApiError(503, "storage_error", "卷宗文件未能保存到服务器存储（磁盘空间不足或存储不可写），请稍后重试或联系管理员。")
    single = [p for _, p in stored_files(folder)]
    input_path = single[0] if len(single) == 1 and single[0].suffix.lower() == ".zip" else folder
    dkey = await run_in_threadpool(dossier_key, input_path, digest)
    scan = Scan(id=scan_id, content_hash=digest, dossier_key=dkey, name=name, status="queued",
                input_path=str(input_path), files=summary.files, pages=summary.pages, submitted_by=who.id,
                prosecutor=prosecutor, stage="排队中")
    session.add(scan)
    session.add(ScanAccess(scan_id=scan_id, key_id=who.id, prosecutor=prosecutor))
    detail = {"files": summary.files, "pages": summary.pages, "rejected": len(summary.rejected)}
    audit(session, "scan.submit", who, target=scan_id, detail={**detail, "via": via} if via else detail)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        shutil.rmtree(storage.scan_dir(scan_id), ignore_errors=True)
        return None
    return scan


async def submit(session: Any, storage: Storage, tmp: Path, digest: str, summary: UploadSummary, who: Any,
                 prosecutor: str | None, name_for: Callable[[str], str], via: str | None = None) -> tuple[Scan, bool]:
    """``(scan, duplicate)``: the checked dossier in ``tmp`` queued as a new scan, or the existing scan of the
    same content (``duplicate``), which ``who`` may then read too. 409 when a concurrent submission of the
    same content has not landed yet."""
    existing = scan_by_hash(session, digest)
    if existing is None:
        scan = await queue_new_scan(session, storage, tmp, digest, summary, who, prosecutor, name_for, via=via)
        if scan is not None:
            return scan, False
        existing = scan_by_hash(session, digest)
        if existing is None:
            raise ApiError(409, "conflict", "卷宗正在被同时提交，请稍后重试。")
    return existing, True


def record_disposition(session, scan: Scan, finding: dict[str, Any], status: str, reason: str, by: str, who: Any,
                       cfg: ServiceSettings, via: str | None = None) -> None:
    """Store an evaluator's disposition of one finding (keyed by the dossier, so it survives re-scans)
    and audit it; :class:`assistant.dispositions.DispositionError` when it cannot be stored."""
    from assistant import dispositions as dmod

    dmod.mark_by_key(scan.dossier_key, finding["id"], status, reason, by, rule_id=finding.get("rule_id"),
                     settings=cfg.core, message=finding.get("message", ""))
    detail = {"status": status, "reason": reason, "rule_id": finding.get("rule_id")}
    audit(session, "disposition", who, target=f"{scan.id}/{finding['id']}", detail={**detail, "via": via} if via else detail)
    session.commit()
