"""``/v1/scans``: submit dossiers, follow their scans, read reports, record dispositions.

Ownership (who may read a scan):

- ``evaluator`` and ``admin``: every scan;
- ``intake``: the scans it submitted (a re-submission of the same content by another key
  grants that key access too — submission is idempotent on the content hash);
- ``prosecutor``: the scans it submitted, and those submitted with ``prosecutor`` equal to
  the key's name (the prosecutor's own cases).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import or_, select
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.db import ApiKey, Scan, ScanAccess, audit
from api.deps import CfgDep, EvaluatorDep, KeyDep, SessionDep, StorageDep, SubmitterDep
from api.errors import ApiError
from api.schemas import (DispositionIn, DispositionOut, ErrorOut, Progress, RejectedFile, ScanError, ScanList, ScanOut,
                         ScanPathIn)
from api.settings import ServiceSettings
from api.storage import Storage
from api.services import scans as service
from api.services.intake import copy_from_intake, receive_files, stored_files
from assistant.service import UploadProblem, apply_dispositions, content_hash, safe_name, validate_dossier

router = APIRouter(prefix="/v1/scans", tags=["scans"])
log = logging.getLogger(__name__)

ERRORS = {s: {"model": ErrorOut} for s in (400, 401, 403, 404, 409, 413, 415, 422)}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": {
                "type": "object",
                "anyOf": [{"required": ["file"]}, {"required": ["path"]}],
                "properties": {
                    "file": {"type": "array", "items": {"type": "string", "format": "binary"}, "minItems": 1,
                             "description": "卷宗文件（可重复）：PDF、DOCX、图片、TXT，或一个 ZIP 压缩包"},
                    "path": {"type": "string", "minLength": 1, "maxLength": 1000, "description": "受理根目录下的卷宗路径（与 file 二选一）"},
                    "prosecutor": {"type": "string", "maxLength": 100, "description": "承办检察官（检察官密钥名称）"},
                    "name": {"type": "string", "maxLength": 200, "description": "卷宗名称（可选）"},
                },
            }},
            "application/json": {"schema": ScanPathIn.model_json_schema()},
        },
    }
}


def _links(scan_id: str) -> dict[str, str]:
    base = f"/v1/scans/{scan_id}"
    return {"self": base, "report": f"{base}/report", "html": f"{base}/report.html", "notice": f"{base}/notice.docx"}


def scan_out(scan: Scan, duplicate: bool = False, rejected: list[dict[str, str]] | None = None) -> ScanOut:
    return ScanOut(
        id=scan.id, status=scan.status, name=scan.name, files=scan.files, pages=scan.pages, prosecutor=scan.prosecutor,
        progress=Progress(stage=scan.stage, done=scan.done or 0, total=scan.total or 0),
        error=ScanError(code=scan.error_code, message=scan.error_message or "") if scan.error_code else None,
        attempts=scan.attempts or 0, created_at=scan.created_at, started_at=scan.started_at,
        finished_at=scan.finished_at, duplicate=duplicate, links=_links(scan.id),
        rejected_files=[RejectedFile(**r) for r in rejected] if rejected is not None else None,
    )


def can_read(session, key: ApiKey, scan: Scan) -> bool:
    if key.role in ("evaluator", "admin"):
        return True
    if session.get(ScanAccess, (scan.id, key.id)) is not None:
        return True
    return key.role == "prosecutor" and scan.prosecutor is not None and scan.prosecutor == key.name


def load_scan(session, key: ApiKey, scan_id: str) -> Scan:
    scan = session.get(Scan, scan_id)
    if scan is not None and not can_read(session, key, scan):
        audit(session, "scan.read.denied", key, target=scan.id)  # an attempt on another key's scan is kept
        session.commit()
    if scan is None or not can_read(session, key, scan):
        raise ApiError(404, "scan_not_found", f"找不到扫描任务：{scan_id}（或无权查看）。")
    return scan


# --- receiving a submission ---------------------------------------------------------------------------

#: Longest multipart text fields, the same as the JSON body's (:class:`api.schemas.ScanPathIn`)
#: and the database columns (``scans.prosecutor`` holds 100 characters).
FIELD_LIMITS = {"path": 1000, "prosecutor": 100, "name": 200}


async def _read_submission(request: Request, cfg: ServiceSettings) -> tuple[list[UploadFile], dict[str, str]]:
    ctype = request.headers.get("content-type", "").lower()
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > cfg.upload_max_bytes:
        raise ApiError(413, "upload_too_large", f"上传内容过大（{int(length) / 2**20:.0f} MB，上限 {cfg.upload_max_bytes / 2**20:.0f} MB）。")
    if ctype.startswith("application/json"):
        raw = await request.body()
        if len(raw) > 64 * 1024:
            raise ApiError(413, "upload_too_large", "JSON 请求体过大。")
        try:
            data = json.loads(raw or b"null")
        except (ValueError, UnicodeDecodeError):
            raise ApiError(422, "invalid_json", "请求体不是合法的 JSON。")
        if not isinstance(data, dict):
            raise ApiError(422, "invalid_request", "请求体应为 JSON 对象，如 {\"path\": \"卷宗目录\"}。")
        from pydantic import ValidationError

        try:
            body = ScanPathIn.model_validate(data)
        except ValidationError as exc:
            fields = "、".join(".".join(str(p) for p in e["loc"]) or "请求体" for e in exc.errors())
            raise ApiError(422, "invalid_request", f"请求参数不合法：{fields}。")
        return [], {k: v for k, v in body.model_dump().items() if v is not None}
    if ctype.startswith("multipart/form-data") or ctype.startswith("application/x-www-form-urlencoded"):
        try:
            form = await request.form(max_files=cfg.upload_max_files, max_fields=20)
        except StarletteHTTPException as exc:
            detail = str(exc.detail)
            if "Too many files" in detail:
                raise ApiError(413, "too_many_files", f"文件数过多（上限 {cfg.upload_max_files} 个）。")
            raise ApiError(400, "bad_multipart", "表单格式错误，无法解析上传内容。")
        files: list[UploadFile] = []
        fields: dict[str, str] = {}
        for k, v in form.multi_items():
            if k == "file":
                if not isinstance(v, UploadFile):
                    raise ApiError(422, "invalid_request", "表单字段 file 应为上传的文件。")
                files.append(v)
            elif k in ("path", "prosecutor", "name") and isinstance(v, str):
                limit = FIELD_LIMITS[k]
                if len(v) > limit:
                    raise ApiError(422, "invalid_request", f"表单字段 {k} 过长（上限 {limit} 字）。")
                if v.strip():
                    fields[k] = v.strip()
        return files, fields
    raise ApiError(415, "unsupported_media_type",
                   "请以 multipart/form-data 上传卷宗文件（字段 file），或以 JSON 提交 {\"path\": …}。")


@router.post(
    "", operation_id="create_scan", status_code=202, response_model=ScanOut, openapi_extra=UPLOAD_BODY,
    responses={**ERRORS, 200: {"description": "wait=true 且扫描完成：直接返回报告 JSON", "content": {"application/json": {}}}},
    summary="提交卷宗扫描",
)
async def create_scan(
    request: Request, key: SubmitterDep, session: SessionDep, storage: StorageDep, cfg: CfgDep,
    wait: Annotated[bool, Query(description="true：等待扫描完成并直接返回报告")] = False,
    strict: Annotated[bool, Query(description="true：任一文件无法读取即拒绝整个提交（不接收部分文件）")] = False,
) -> Any:
    """上传卷宗文件（或提交受理根目录下的路径），排队扫描；同一内容重复提交返回已有任务。

    个别文件无法读取（PDF 损坏、加密或无页面，图片、DOCX 损坏，空文件，不支持的格式，压缩包内无法解压的文件）时，
    与命令行一致：其余文件照常扫描，无法读取的文件列在响应的 rejected_files 以及报告的 file_errors、warnings 中；
    全部文件都无法读取时拒绝提交（422 等，附逐个文件的问题清单）。strict=true 时任一文件无法读取即拒绝整个提交。
    路径越出解压目录或符号链接（zip_slip）、压缩炸弹（zip_bomb）、压缩包文件数过多、上传或单个文件过大、
    页数过多、图片像素过多等攻击或超限情形，一律拒绝整个提交。
    """
    files, fields = await _read_submission(request, cfg)
    if files and fields.get("path"):
        raise ApiError(422, "invalid_request", "file 与 path 只能二选一。")
    tmp = storage.new_tmp()
    skipped: list[dict[str, str]] = []
    try:
        if files:
            await receive_files(files, tmp, storage, cfg)
            default_name = Path(safe_name(files[0].filename or "卷宗")).stem if len(files) == 1 else ""
        elif fields.get("path"):
            default_name, skipped = await run_in_threadpool(copy_from_intake, fields["path"], tmp, cfg, storage)
        else:
            raise ApiError(422, "no_files", "没有收到卷宗文件：请用表单字段 file 上传文件，或提供 path。")
        stored = stored_files(tmp)
        try:
            summary = await run_in_threadpool(validate_dossier, stored, cfg.core, strict)
        except UploadProblem as exc:
            raise ApiError(exc.status, exc.code, exc.message, files=exc.files + skipped)
        except Exception:  # a reader library choking on hostile bytes is still bad input, not a 500
            log.exception("upload check failed")
            raise ApiError(422, "unreadable_upload", "无法检查上传的文件（格式异常或已损坏），请确认文件可以正常打开后重新上传。")
        summary.rejected = skipped + summary.rejected
        digest = await run_in_threadpool(content_hash, stored)
        prosecutor = fields.get("prosecutor")
        scan, duplicate = await service.submit(session, storage, tmp, digest, summary, key, prosecutor,
                                                lambda sid: fields.get("name") or default_name or f"卷宗-{sid[:6]}")
        if duplicate:
            storage.discard(tmp)
            service.grant(session, scan, key, prosecutor)
            if prosecutor and not scan.prosecutor:
                scan.prosecutor = prosecutor
            service.requeue_if_failed(scan)
            audit(session, "scan.resubmit", key, target=scan.id)
            session.commit()
    finally:
        if tmp.exists():
            storage.discard(tmp)
    if wait:
        scan = await _wait(request, scan.id, cfg.wait_timeout_s)
        if scan.status == "done":
            report = _report(session, storage, scan, key, "report.read", cfg)
            return JSONResponse(report, status_code=200)
        if scan.status == "failed":
            raise ApiError(422, scan.error_code or "scan_failed", scan.error_message or "扫描失败。")
    return JSONResponse(scan_out(scan, duplicate, summary.rejected).model_dump(mode="json"), status_code=202,
                        headers={"Location": f"/v1/scans/{scan.id}"})


async def _wait(request: Request, scan_id: str, timeout: float) -> Scan:
    deadline = time.monotonic() + timeout
    sessions = request.app.state.sessions
    while True:
        with sessions() as s:
            scan = s.get(Scan, scan_id)
        if scan.status in ("done", "failed") or time.monotonic() > deadline:
            return scan
        await asyncio.sleep(0.2)


# --- reading --------------------------------------------------------------------------------------------

@router.get("", operation_id="list_scans", response_model=ScanList, responses=ERRORS, summary="扫描任务列表")
def list_scans(
    key: KeyDep, session: SessionDep,
    status: Annotated[str | None, Query(pattern="^(queued|running|done|failed)$", description="按状态筛选")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ScanList:
    """列出当前密钥可查看的扫描任务（最新在前）。"""
    q = select(Scan).order_by(Scan.created_at.desc()).limit(limit)
    if status:
        q = q.where(Scan.status == status)
    if key.role not in ("evaluator", "admin"):
        own = select(ScanAccess.scan_id).where(ScanAccess.key_id == key.id)
        cond = Scan.id.in_(own)
        if key.role == "prosecutor":
            cond = or_(cond, Scan.prosecutor == key.name)
        q = q.where(cond)
    items = [scan_out(s) for s in session.scalars(q)]
    return ScanList(items=items, count=len(items))


@router.get("/{scan_id}", operation_id="get_scan", response_model=ScanOut, responses=ERRORS, summary="扫描任务状态")
def get_scan(scan_id: str, key: KeyDep, session: SessionDep) -> ScanOut:
    """任务状态（queued/running/done/failed）、按页进度和错误信息。"""
    return scan_out(load_scan(session, key, scan_id))


def _report(session, storage: Storage, scan: Scan, key: ApiKey, action: str, cfg: ServiceSettings) -> dict[str, Any]:
    if scan.status != "done" or not scan.report_path:
        if scan.status == "failed":
            raise ApiError(409, "scan_failed", f"扫描失败，没有报告：{scan.error_message or ''}")
        raise ApiError(409, "report_not_ready", f"报告尚未生成（当前状态：{scan.status}），请稍后再试。")
    try:
        report = service.report_with_dispositions(storage, scan, cfg)
    except (OSError, ValueError):
        raise ApiError(409, "report_missing", "报告文件缺失或损坏，请重新提交卷宗。")
    audit(session, action, key, target=scan.id)
    session.commit()
    return report


@router.get("/{scan_id}/report", operation_id="get_scan_report", responses={**ERRORS, 200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
            summary="报告（JSON，契约格式）")
def get_report(scan_id: str, key: KeyDep, session: SessionDep, storage: StorageDep, cfg: CfgDep) -> JSONResponse:
    """契约格式的报告 JSON（含评查员处置）。"""
    scan = load_scan(session, key, scan_id)
    return JSONResponse(_report(session, storage, scan, key, "report.read", cfg))


@router.get("/{scan_id}/report.html", operation_id="get_scan_report_html", response_class=Response,
            responses={**ERRORS, 200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
            summary="报告（HTML）")
def get_report_html(scan_id: str, key: KeyDep, session: SessionDep, storage: StorageDep, cfg: CfgDep) -> HTMLResponse:
    """可打印的 HTML 报告。"""
    from assistant.render import render_html

    scan = load_scan(session, key, scan_id)
    return HTMLResponse(render_html(_report(session, storage, scan, key, "report.html.read", cfg)))


DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@router.get("/{scan_id}/notice.docx", operation_id="get_scan_notice", responses={**ERRORS, 200: {"content": {DOCX_MIME: {"schema": {"type": "string", "format": "binary"}}}}},
            response_class=Response, summary="案件质量评查结果通知书（DOCX）")
def get_notice(
    scan_id: str, key: KeyDep, session: SessionDep, storage: StorageDep, cfg: CfgDep,
    procuratorate: Annotated[str | None, Query(max_length=60, description="发文人民检察院名称（不含“人民检察院”）")] = None,
    organizer: Annotated[str | None, Query(max_length=60, description="评查组织部门")] = None,
    addressee: Annotated[str | None, Query(max_length=60, description="收文部门或人民检察院")] = None,
    handler: Annotated[str | None, Query(max_length=60, description="办案检察官或办案组")] = None,
    doc_number: Annotated[str | None, Query(max_length=60, description="通知书文号")] = None,
) -> Response:
    """按 2017 年《人民检察院案件质量评查工作规定（试行）》格式生成的评查结果通知书，附问题清单；等次、日期留空待签发。"""
    from assistant.render import render_notice_docx

    scan = load_scan(session, key, scan_id)
    report = _report(session, storage, scan, key, "notice.read", cfg)
    blanks = {k: v for k, v in dict(procuratorate=procuratorate, organizer=organizer, addressee=addressee,
                                    handler=handler, doc_number=doc_number).items() if v}
    buf = io.BytesIO()
    render_notice_docx(report, buf, **blanks)
    fname = quote(f"{scan.name}-评查结果通知书.docx")
    return Response(buf.getvalue(), media_type=DOCX_MIME,
                    headers={"Content-Disposition": f"attachment; filename=notice.docx; filename*=UTF-8''{fname}"})


# --- dispositions --------------------------------------------------------------------------------------

@router.post("/{scan_id}/findings/{finding_id}/disposition", operation_id="set_finding_disposition",
             response_model=DispositionOut, responses=ERRORS, summary="记录评查员处置")
def set_disposition(scan_id: str, finding_id: str, body: DispositionIn, key: EvaluatorDep, session: SessionDep,
                    storage: StorageDep, cfg: CfgDep) -> DispositionOut:
    """评查员对一项问题的处置：确认 / 误报 / 不适用（附理由）；误报、不适用不计分，重新评定建议等次。"""
    scan = load_scan(session, key, scan_id)
    if scan.status != "done" or not scan.report_path:
        raise ApiError(409, "report_not_ready", f"报告尚未生成（当前状态：{scan.status}），不能处置。")
    try:
        report = storage.read_report(scan.report_path)
    except (OSError, ValueError):
        raise ApiError(409, "report_missing", "报告文件缺失或损坏，请重新提交卷宗。")
    finding = service.find_finding(report, finding_id)
    if finding is None:
        raise ApiError(404, "finding_not_found", f"报告中没有编号为 {finding_id} 的问题。")
    reason = body.reason.strip()
    if body.status in ("误报", "不适用") and not reason:
        raise ApiError(422, "reason_required", f"处置为“{body.status}”时必须填写理由。")
    try:
        from assistant import dispositions as dmod
    except ImportError:
        raise ApiError(503, "dispositions_unavailable", "处置记录功能暂不可用。")
    by = key.name or key.id
    try:
        service.record_disposition(session, scan, finding, body.status, reason, by, key, cfg)
    except dmod.DispositionError as exc:
        raise ApiError(422, "invalid_disposition", str(exc))
    updated = apply_dispositions(report, service.dispositions_of(scan, cfg), cfg.core)
    return DispositionOut(scan_id=scan.id, finding_id=finding_id, rule_id=finding.get("rule_id"), status=body.status,
                          reason=reason, by=by, points=updated["points"], grade=updated["grade"])
