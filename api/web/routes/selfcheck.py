"""自查 (``/selfcheck``): a prosecutor uploads a dossier, follows its progress and lands on its case page."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from api.db import Scan, ScanAccess, audit
from api.deps import SessionDep
from api.errors import ApiError
from api.services import scans as scan_service
from api.services.intake import display_name, receive_files, stored_files
from api.web import index
from api.web.auth import actor
from api.web.common import UserDep, checked_form, form_str, is_browser, render, scan_for, secure_headers
from api.web.models import User
from assistant.service import UploadProblem, content_hash, validate_dossier

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


# --- 自查 -----------------------------------------------------------------------------------------

@router.get("/selfcheck", response_class=HTMLResponse)
def selfcheck_page(request: Request, user: UserDep, session: SessionDep) -> Response:
    return render(request, "selfcheck.html", recent=_recent(session, user), labels=index.SCAN_STATUS_LABELS,
                  nav="selfcheck")


def _recent(session, user: User) -> list[Scan]:
    q = select(Scan).join(ScanAccess, ScanAccess.scan_id == Scan.id).where(ScanAccess.key_id == f"u:{user.id}") \
        .order_by(Scan.created_at.desc()).limit(20)
    return list(session.scalars(q))


def _refused(request: Request, session, user: User, status: int, message: str,
             files: list[dict[str, str]] | None = None) -> Response:
    """The 自查 page again with why the upload was refused (each file's problem once, under the message)."""
    files = files or []
    if len(files) == 1 and files[0].get("message", "") in message:
        files = []  # the message already names the one file
    return render(request, "selfcheck.html", status=status, recent=_recent(session, user), labels=index.SCAN_STATUS_LABELS,
                  error=message, error_files=files[:20], more_files=max(0, len(files) - 20), nav="selfcheck")


@router.post("/selfcheck")
async def selfcheck_submit(request: Request, user: UserDep, session: SessionDep) -> Response:
    cfg, storage = request.app.state.cfg, request.app.state.storage
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > cfg.upload_max_bytes:
        return _refused(request, session, user, 413, f"上传内容过大（上限 {cfg.upload_max_bytes / 2**20:.0f} MB）。")
    form = await checked_form(request, max_files=cfg.upload_max_files, max_fields=20)
    files = [v for k, v in form.multi_items() if k == "file" and isinstance(v, UploadFile) and v.filename]
    if not files:
        return _refused(request, session, user, 422, "请选择要自查的卷宗文件（ZIP 压缩包或 PDF、DOCX、图片等文件）。")
    prosecutor = user.username if user.role == "prosecutor" else (form_str(form, "prosecutor", 100) or None)
    tmp = storage.new_tmp()
    try:
        try:
            await receive_files(files, tmp, storage, cfg)
            stored = stored_files(tmp)
            summary = await run_in_threadpool(validate_dossier, stored, cfg.core, False)
        except ApiError as exc:
            return _refused(request, session, user, exc.status, exc.message)
        except UploadProblem as exc:
            return _refused(request, session, user, exc.status, exc.message, exc.files)
        except OSError:
            log.exception("self-check upload could not be stored")
            return _refused(request, session, user, 503, "上传的文件未能保存到服务器存储，请稍后重试或联系管理员。")
        except Exception:  # noqa: BLE001 - a reader library choking on hostile bytes is bad input
            log.exception("self-check upload check failed")
            return _refused(request, session, user, 422,
                            "无法检查上传的文件（格式异常或已损坏），请确认文件可以正常打开后重新上传。")
        digest = await run_in_threadpool(content_hash, stored)
        who = actor(user)
        default = display_name(Path(files[0].filename or "卷宗").stem) if len(files) == 1 else ""
        try:
            scan, _ = await scan_service.submit(
                session, storage, tmp, digest, summary, who, prosecutor,
                lambda sid: form_str(form, "name", 200) or default or f"自查卷宗-{sid[:6]}", via="web")
        except ApiError as exc:
            return _refused(request, session, user, exc.status, exc.message)
        if scan.id and scan_service.grant(session, scan, who, prosecutor):
            if prosecutor and not scan.prosecutor:
                scan.prosecutor = prosecutor
            audit(session, "scan.resubmit", who, target=scan.id, detail={"via": "web"})
            session.commit()
    finally:
        if tmp.exists():
            storage.discard(tmp)
    return secure_headers(RedirectResponse(f"/selfcheck/{quote(scan.id)}", status_code=303))


@router.get("/selfcheck/{scan_id}", response_class=HTMLResponse)
def selfcheck_progress(request: Request, scan_id: str, user: UserDep, session: SessionDep) -> Response:
    scan = scan_for(session, user, scan_id)
    if scan.status == "done":
        return secure_headers(RedirectResponse(f"/cases/{quote(scan.id)}", status_code=303))
    return render(request, "progress.html", scan=scan, p=progress_of(scan), nav="selfcheck")


#: The unit of each progress stage's count (:mod:`extractors.case`): files while reading files, else pages.
STAGE_UNITS = {"读取文件": "个文件"}


def progress_of(scan: Scan) -> dict[str, Any]:
    """The scan's progress as the progress page shows it: stage, count with its unit, elapsed seconds."""
    elapsed = None
    if scan.started_at is not None:
        end = scan.finished_at or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        elapsed = max(0, int((end - scan.started_at).total_seconds()))
    return {"status": scan.status, "label": index.SCAN_STATUS_LABELS.get(scan.status, scan.status),
            "stage": scan.stage or "", "done": scan.done or 0, "total": scan.total or 0,
            "unit": STAGE_UNITS.get(scan.stage or "", "页"), "elapsed_s": elapsed,
            "error": scan.error_message or "", "url": f"/cases/{scan.id}"}


@router.get("/selfcheck/{scan_id}/status")
def selfcheck_status(request: Request, scan_id: str, user: UserDep, session: SessionDep) -> Response:
    """The progress as JSON for the progress page's script; a browser opening it is sent to that page."""
    scan = scan_for(session, user, scan_id)
    if is_browser(request) and "text/html" in request.headers.get("accept", ""):
        return secure_headers(RedirectResponse(f"/selfcheck/{quote(scan.id)}", status_code=303))
    return secure_headers(JSONResponse(progress_of(scan)))
