"""``/v1/batches``: a caseload (a folder of dossiers, or a CSV/XLSX manifest, under the intake
root) submitted at once; its progress; its summary (XLSX, CSV, HTML).

Each dossier is checked like a single submission (:func:`assistant.service.validate_dossier`)
and becomes an ordinary scan (idempotent on the content hash, queued for the service's
workers, read in place under the intake root), so ``/v1/scans`` shows it to the roles that
may see it: the submitting key, evaluators, admins, and the prosecutor named in the manifest
(or, once scanned, on the 起诉书/不起诉决定书). A dossier that cannot be taken is listed in the
batch with its Chinese reason; the rest go ahead.

Who may submit: ``intake``, ``evaluator`` (and ``admin``); a batch is visible to its
submitter, evaluators and admins.

A manifest may also be uploaded (``POST /v1/batches/manifest``, multipart field ``file``): its
dossier paths are then read relative to the intake root, and a row that leaves the root is
listed as a problem, like a dossier that cannot be found.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from api.batch import Batch, BatchItem, batch_sessions
from api.db import ApiKey, Scan, audit, scan_by_hash, utcnow
from api.deps import CfgDep, KeyDep, SessionDep, StorageDep, require
from api.errors import ApiError
from api.routes.scans import ERRORS
from api.schemas import UtcDatetime
from api.services.intake import inside, intake_root, resolve_in_intake
from api.services.scans import dossier_key, grant, report_with_dispositions, requeue_if_failed
from api.settings import ServiceSettings

router = APIRouter(prefix="/v1/batches", tags=["batches"])
log = logging.getLogger(__name__)

BatchSubmitterDep = Annotated[ApiKey, Depends(require("intake", "evaluator"))]
#: Largest manifest that may be uploaded (a CSV of 2,000 rows is ~200 KB).
MANIFEST_MAX_BYTES = 5 * 2**20
MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8"}


class BatchIn(BaseModel):
    """A batch submission: a folder or manifest under the intake root, and a name."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, max_length=1000,
                      description="受理根目录下的卷宗文件夹（其子文件夹和 zip 为各份卷宗），或 CSV/XLSX 清单文件（列：路径，可选 案号、承办检察官、部门、办结日期；路径相对受理根目录）")
    name: str | None = Field(default=None, max_length=200, description="批次名称（可选）")


class BatchCounts(BaseModel):
    """Dossiers of a batch by state."""

    queued: int = 0
    running: int = 0
    done: int = 0
    failed: int = 0


class BatchProblem(BaseModel):
    """A dossier of the batch that could not be scanned, and why (Chinese)."""

    name: str
    message: str
    scan_id: str | None = None


class BatchOut(BaseModel):
    """A batch's progress: counts, pages done, share finished and the problems."""

    id: str
    name: str
    status: Literal["running", "done"]
    total: int
    counts: BatchCounts
    pages: int = Field(description="已完成卷宗的页数合计")
    progress: float = Field(description="已结束（完成或失败）的卷宗比例，0–1")
    problems: list[BatchProblem] = Field(description="无法读取或扫描失败的卷宗及原因（最多 200 条）")
    created_at: UtcDatetime
    links: dict[str, str]


def _links(batch_id: str) -> dict[str, str]:
    base = f"/v1/batches/{batch_id}"
    return {"self": base, **{f"summary_{f}": f"{base}/summary.{f}" for f in ("xlsx", "csv", "html")}}


#: Why a batch is refused when the service has no intake root.
NO_INTAKE = "服务未配置受理根目录（ASSISTANT_INTAKE_ROOT），不能提交批量评查。"


def _discover(src: Path, root: Path, cfg: ServiceSettings, shown: str | None = None) -> list:
    from assistant.batch import SourceError, discover

    try:
        entries, _ = discover(src, root=root)
    except SourceError as exc:
        raise ApiError(422, "invalid_source", str(exc).replace(str(src), shown) if shown else str(exc))
    except (OSError, ValueError):
        raise ApiError(422, "invalid_source", "无法读取该路径下的卷宗或清单。")
    if not entries:
        raise ApiError(422, "no_dossiers", "该路径下没有卷宗（子文件夹或 zip 压缩包）。")
    if len(entries) > cfg.batch_max_dossiers:
        raise ApiError(413, "too_many_dossiers",
                       f"卷宗过多（{len(entries)} 份，上限 {cfg.batch_max_dossiers} 份），请分批提交。")
    return entries


def _prepare(body: BatchIn, key: ApiKey, cfg: ServiceSettings) -> str:
    """Create the batch, check every dossier and queue it as an ordinary scan; returns the batch id."""
    src, root = resolve_in_intake(body.path, cfg, NO_INTAKE, "只能提交受理根目录之内的路径。", allow_root=True)
    entries = _discover(src, root, cfg)
    return _queue_entries(entries, (body.name or src.stem or "批量评查"), str(src), root, key, cfg)


def _prepare_uploaded(manifest: Path, label: str, name: str, key: ApiKey, cfg: ServiceSettings) -> str:
    """The same for an uploaded manifest: its paths are relative to the intake root."""
    root = intake_root(cfg, NO_INTAKE)
    entries = _discover(manifest, root, cfg, shown=label)
    return _queue_entries(entries, name, f"上传的清单：{label}", root, key, cfg)


def _queue_entries(entries: list, name: str, source: str, root: Path, key: ApiKey, cfg: ServiceSettings) -> str:
    from assistant.batch import dossier_files
    from assistant.service import UploadProblem, content_hash, validate_dossier

    sessions = batch_sessions(cfg.db_url)
    batch_id = uuid.uuid4().hex[:16]
    with sessions() as s:
        s.add(Batch(id=batch_id, name=name[:255], source=source[:1000], origin="service",
                    submitted_by=key.id, total=len(entries), status="running"))
        s.commit()
    for pos, e in enumerate(entries):
        item = BatchItem(id=uuid.uuid4().hex[:24], batch_id=batch_id, position=pos, path=str(e.path), name=e.name,
                         meta=dict(e.meta), status="queued")
        prosecutor = e.meta.get("prosecutor") or None
        try:
            if e.problem:
                raise UploadProblem(422, "dossier_missing", e.problem)
            files = [(n, p) for n, p in dossier_files(e.path) if inside(root, p.resolve())]
            validate_dossier(files, cfg.core)
            digest = content_hash(files)
        except UploadProblem as exc:
            item.status, item.error_code, item.error_message = "failed", exc.code, exc.message
        except Exception:  # a reader choking on hostile bytes is that dossier's problem only
            log.exception("batch intake check failed for %s", e.path)
            item.status, item.error_code, item.error_message = "failed", "unreadable", "卷宗格式异常或已损坏，无法读取"
        with sessions() as s:
            if item.status != "failed":
                scan = scan_by_hash(s, digest)
                if scan is None:
                    scan = Scan(id=uuid.uuid4().hex[:16], content_hash=digest, dossier_key=dossier_key(e.path, digest),
                                name=e.name[:255], status="queued", input_path=str(e.path), files=len(files),
                                submitted_by=key.id, prosecutor=prosecutor, stage="排队中")
                    s.add(scan)
                else:
                    requeue_if_failed(scan)
                if prosecutor and not scan.prosecutor:
                    scan.prosecutor = prosecutor
                s.flush()
                grant(s, scan, key, prosecutor)
                item.scan_id, item.content_hash = scan.id, digest
            s.add(item)
            s.commit()
    with sessions() as s:
        audit(s, "batch.submit", key, target=batch_id, detail={"dossiers": len(entries), "source": source[:200]})
        s.commit()
    return batch_id


def _load(session, key: ApiKey, batch_id: str) -> Batch:
    b = session.get(Batch, batch_id)
    if b is None or (key.role not in ("evaluator", "admin") and b.submitted_by != key.id):
        raise ApiError(404, "batch_not_found", f"找不到批量评查：{batch_id}（或无权查看）。")
    return b


def _state(session, b: Batch) -> tuple[list[tuple[BatchItem, Scan | None]], BatchCounts, int]:
    items = session.scalars(select(BatchItem).where(BatchItem.batch_id == b.id).order_by(BatchItem.position)).all()
    ids = [i.scan_id for i in items if i.scan_id]
    scans = {s.id: s for s in session.scalars(select(Scan).where(Scan.id.in_(ids)))} if ids else {}
    counts = BatchCounts()
    pages = 0
    out = []
    for it in items:
        sc = scans.get(it.scan_id) if it.scan_id else None
        st = "failed" if it.status == "failed" or (it.scan_id and sc is None) else (sc.status if sc else it.status)
        st = st if st in ("queued", "running", "done", "failed") else "queued"
        setattr(counts, st, getattr(counts, st) + 1)
        if sc is not None and sc.status == "done":
            pages += sc.pages or 0
        out.append((it, sc))
    return out, counts, pages


@router.post("", operation_id="create_batch", status_code=202, response_model=BatchOut, responses=ERRORS,
             summary="提交批量评查")
async def create_batch(body: BatchIn, key: BatchSubmitterDep, session: SessionDep, cfg: CfgDep) -> JSONResponse:
    """提交受理根目录下的一批卷宗（文件夹或 CSV/XLSX 清单），每份卷宗作为普通扫描任务排队；无法读取的卷宗列在 problems 中，不影响其余卷宗。"""
    batch_id = await run_in_threadpool(_prepare, body, key, cfg)
    session.expire_all()
    out = _batch_out(session, _load(session, key, batch_id))
    return JSONResponse(out.model_dump(mode="json"), status_code=202, headers={"Location": f"/v1/batches/{batch_id}"})


MANIFEST_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "CSV 或 XLSX 清单（列：路径，可选 案号、承办检察官、部门、办结日期；路径相对受理根目录）"},
                   "name": {"type": "string", "maxLength": 200, "description": "批次名称（可选，默认为清单文件名）"}}}}}}}


@router.post("/manifest", operation_id="create_batch_from_manifest", status_code=202, response_model=BatchOut,
             responses=ERRORS, summary="上传清单提交批量评查", openapi_extra=MANIFEST_BODY)
async def create_batch_from_manifest(request: Request, key: BatchSubmitterDep, session: SessionDep, cfg: CfgDep,
                                     storage: StorageDep) -> JSONResponse:
    """上传 CSV/XLSX 清单（表单字段 file，可选 name）：清单中的卷宗路径相对受理根目录，每份卷宗作为普通扫描任务排队；找不到或超出受理根目录的行列在 problems 中。"""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MANIFEST_MAX_BYTES + 64 * 1024:
        raise ApiError(413, "upload_too_large", f"清单文件过大（上限 {MANIFEST_MAX_BYTES // 2**20} MB）。")
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise ApiError(415, "unsupported_media_type", "请以 multipart/form-data 上传清单文件（字段 file）。")
    try:
        form = await request.form(max_files=1, max_fields=5)
    except StarletteHTTPException:
        raise ApiError(400, "bad_multipart", "表单格式错误（只能上传一个清单文件），无法解析上传内容。")
    upload, name = form.get("file"), form.get("name")
    if not isinstance(upload, UploadFile):
        raise ApiError(422, "invalid_request", "请在表单字段 file 中上传 CSV 或 XLSX 清单文件。")
    label = Path(upload.filename or "清单").name[:200]
    suffix = Path(label).suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise ApiError(415, "unsupported_manifest", f"清单文件应为 CSV 或 XLSX（收到：{label}）。")
    if name is not None and (not isinstance(name, str) or len(name) > 200):
        raise ApiError(422, "invalid_request", "表单字段 name 过长（上限 200 字）。")
    data = await upload.read(MANIFEST_MAX_BYTES + 1)
    if len(data) > MANIFEST_MAX_BYTES:
        raise ApiError(413, "upload_too_large", f"清单文件过大（上限 {MANIFEST_MAX_BYTES // 2**20} MB）。")
    tmp = storage.new_tmp()
    try:
        path = tmp / f"manifest{suffix}"
        path.write_bytes(data)
        batch_id = await run_in_threadpool(_prepare_uploaded, path, label,
                                           (name or "").strip() or Path(label).stem or "批量评查", key, cfg)
    finally:
        storage.discard(tmp)
    session.expire_all()
    out = _batch_out(session, _load(session, key, batch_id))
    return JSONResponse(out.model_dump(mode="json"), status_code=202, headers={"Location": f"/v1/batches/{batch_id}"})


def _batch_out(session, b: Batch) -> BatchOut:
    state, counts, pages = _state(session, b)
    finished = counts.done + counts.failed
    problems = [BatchProblem(name=it.name, scan_id=it.scan_id,
                             message=(it.error_message if it.status == "failed" else (sc.error_message if sc else "")) or "无法读取")
                for it, sc in state if it.status == "failed" or (sc is not None and sc.status == "failed")][:200]
    status = "done" if finished == len(state) else "running"
    if status == "done" and b.status != "done":
        b.status, b.finished_at = "done", utcnow()
        session.commit()
    return BatchOut(id=b.id, name=b.name, status=status, total=len(state), counts=counts, pages=pages,
                    progress=round(finished / len(state), 4) if state else 1.0, problems=problems,
                    created_at=b.created_at, links=_links(b.id))


@router.get("/{batch_id}", operation_id="get_batch", response_model=BatchOut, responses=ERRORS, summary="批量评查进度")
def get_batch(batch_id: str, key: KeyDep, session: SessionDep) -> BatchOut:
    """各状态卷宗数、已完成页数、进度比例和无法读取的卷宗。"""
    return _batch_out(session, _load(session, key, batch_id))


def _rows(session, storage, cfg: ServiceSettings, b: Batch) -> list[dict[str, Any]]:
    from assistant.summary import prosecutor_of, summary_row

    state, _, _ = _state(session, b)
    rows = []
    changed = False
    for it, sc in state:
        link = f"/v1/scans/{sc.id}/report.html" if sc is not None else ""
        if sc is not None and sc.status == "done" and sc.report_path:
            try:
                report = report_with_dispositions(storage, sc, cfg)
            except (OSError, ValueError):
                rows.append(summary_row(None, it.meta, name=it.name, status="error", message="报告文件缺失或损坏",
                                        scan_id=sc.id))
                continue
            if not sc.prosecutor:
                named = prosecutor_of(report).split("、")[0]
                if named:
                    sc.prosecutor, changed = named, True  # the prosecutor named on the documents sees the scan
            rows.append(summary_row(report, it.meta, name=it.name, link=link, scan_id=sc.id))
        elif it.status == "failed" or (sc is not None and sc.status == "failed"):
            msg = it.error_message if it.status == "failed" else (sc.error_message or "扫描失败")
            rows.append(summary_row(None, it.meta, name=it.name, status="failed", message=msg or "无法读取",
                                    scan_id=sc.id if sc else None))
        else:
            rows.append(summary_row(None, it.meta, name=it.name, status=sc.status if sc else "pending",
                                    scan_id=sc.id if sc else None))
    if changed:
        session.commit()
    return rows


@router.get("/{batch_id}/summary.{fmt}", operation_id="get_batch_summary", response_class=Response,
            responses={**ERRORS, 200: {"content": {m.split(";")[0]: {"schema": {"type": "string"}} for m in MEDIA.values()}}},
            summary="批量评查汇总（XLSX、CSV 或 HTML）")
def get_summary(batch_id: str, fmt: Literal["xlsx", "csv", "html"], key: KeyDep, session: SessionDep,
                storage: StorageDep, cfg: CfgDep) -> Response:
    """每份卷宗一行：案号、罪名、承办检察官、部门、建议等次、扣分、是否重点评查及原因、各类别问题数、问题编号、状态；HTML 另含等次分布和各规则、各类别问题统计。未完成的卷宗显示当前状态。"""
    from assistant.summary import render_summary_html, write_csv, write_xlsx

    b = _load(session, key, batch_id)
    rows = _rows(session, storage, cfg, b)
    audit(session, "batch.summary.read", key, target=b.id, detail={"format": fmt})
    session.commit()
    if fmt == "html":
        return Response(render_summary_html(rows, f"批量评查汇总：{b.name}"), media_type=MEDIA["html"])
    tmp = storage.new_tmp()
    try:
        path = tmp / f"summary.{fmt}"
        (write_xlsx if fmt == "xlsx" else write_csv)(rows, path)
        data = path.read_bytes()
    finally:
        storage.discard(tmp)
    from urllib.parse import quote

    fname = quote(f"{b.name}-评查汇总.{fmt}")
    return Response(data, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f"attachment; filename=summary.{fmt}; filename*=UTF-8''{fname}"})
