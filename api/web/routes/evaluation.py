"""What an evaluator (and a prosecutor) does on a case: dispositions of findings, the 评查结论 (guarded
against undisposed 重点评查 findings), 退回整改 and 提请复核."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from api.db import Scan, audit
from api.deps import SessionDep
from api.services import scans as scan_service
from api.web import index, review
from api.web.auth import actor
from api.web.common import (CONCLUSION_GRADES, DISMISSED, PageError, UserDep, checked_form, finding_of, form_str, need, report_for,
                             scan_for, secure_headers, sync_index)
from api.web.models import CaseRow, Conclusion

router = APIRouter(include_in_schema=False)


@router.post("/cases/{scan_id}/findings/{finding_id}/disposition")
async def set_disposition(request: Request, scan_id: str, finding_id: str, user: UserDep, session: SessionDep) -> Response:
    form = await checked_form(request)
    need(user, "evaluator")
    scan = scan_for(session, user, scan_id)
    report = report_for(request, scan)
    finding = finding_of(report, finding_id)
    status, reason = form_str(form, "status", 8), form_str(form, "reason", 2000)
    back = f"/cases/{quote(scan.id)}"
    if status not in ("确认", "误报", "不适用"):
        raise PageError(400, "处置无效", "处置应为确认、误报或不适用。")
    if status in DISMISSED and not reason:
        return secure_headers(RedirectResponse(back + "?" + urlencode({"error": f"标记为“{status}”须填写理由。"})
                                               + f"#f-{quote(finding_id)}", status_code=303))
    from assistant.dispositions import DispositionError

    try:
        await run_in_threadpool(scan_service.record_disposition, session, scan, finding, status, reason, user.username,
                                actor(user), request.app.state.cfg, "web")
    except DispositionError as exc:
        raise PageError(422, "处置未保存", str(exc))
    sync_index(request, session, only=[scan.id])
    return secure_headers(RedirectResponse(f"{back}#f-{quote(finding_id)}", status_code=303))


def _back_to_case(scan: Scan, error: str = "", anchor: str = "conclusion") -> Response:
    query = "?" + urlencode({"error": error}) if error else ""
    return secure_headers(RedirectResponse(f"/cases/{quote(scan.id)}{query}#{anchor}", status_code=303))


def _group_of(request: Request, session, scan: Scan, report: dict[str, Any]) -> str:
    row = session.get(CaseRow, scan.id)
    if row is None or not row.group_key:
        sync_index(request, session, only=[scan.id])
        row = session.get(CaseRow, scan.id)
    return row.group_key if row is not None and row.group_key else review.group_key(index._case_no(report), scan.id)


@router.post("/cases/{scan_id}/conclusion")
async def set_conclusion(request: Request, scan_id: str, user: UserDep, session: SessionDep) -> Response:
    """Save the 评查结论. Refused while findings of the 重点评查 rules are undisposed, unless the evaluator
    overrides with a reason (kept with the conclusion, in the history and in the audit log)."""
    form = await checked_form(request)
    need(user, "evaluator")
    scan = scan_for(session, user, scan_id)
    report = report_for(request, scan)
    grade, opinion = form_str(form, "grade", 16), form_str(form, "opinion", 5000)
    override = form_str(form, "override", 4) == "1"
    reason = form_str(form, "override_reason", 2000)
    if grade not in CONCLUSION_GRADES:
        return _back_to_case(scan, f"请选择评查结果等次（{'、'.join(CONCLUSION_GRADES)}）。")
    undisposed = review.undisposed_key_findings(report)
    if undisposed and not (override and reason):
        names = "、".join(dict.fromkeys(f"{f.get('rule_id')}（{f.get('title')}）" for f in undisposed))
        return _back_to_case(scan, f"评查结论未保存：重点评查问题 {names} 尚未处置。请先对这些问题作出确认、误报或不适用处置；"
                                   "确需先行保存的，请勾选“未处置重点评查问题仍保存”并填写理由。")
    key = _group_of(request, session, scan, report)
    events = review.events_of(session, key)
    action = review.RECHECK if any(e.action in (review.RETURN, review.RESUBMIT) for e in events) else review.CONCLUDE
    row = session.get(Conclusion, scan.id) or Conclusion(scan_id=scan.id)
    row.grade, row.opinion, row.by, row.at = grade, opinion, user.username, dt.datetime.utcnow()
    row.by_label, row.machine_grade = user.label, str(report.get("grade") or "")
    row.override_reason = reason if undisposed else ""
    session.add(row)
    note = opinion[:500]
    if undisposed:
        note = (f"重点评查问题未处置即保存，理由：{reason}" + (f"；{note}" if note else ""))[:2000]
    review.record(session, key, scan.id, user, action, note=note, grade=grade)
    detail = {"grade": grade, "machine_grade": row.machine_grade}
    audit(session, "web.conclusion", actor(user), target=scan.id, detail=detail)
    if undisposed:
        audit(session, "web.conclusion_override", actor(user), target=scan.id,
              detail={"override_reason": reason, "undisposed": [f.get("id") for f in undisposed]})
    session.commit()
    index.reindex_group(session, request.app.state.storage, request.app.state.cfg, key)
    return _back_to_case(scan)


@router.post("/cases/{scan_id}/return")
async def return_case(request: Request, scan_id: str, user: UserDep, session: SessionDep) -> Response:
    """退回整改: the evaluator sends the case back to its prosecutor with what to rectify."""
    form = await checked_form(request)
    need(user, "evaluator")
    scan = scan_for(session, user, scan_id)
    report = report_for(request, scan)
    note = form_str(form, "note", 2000)
    if not note:
        return _back_to_case(scan, "退回整改须写明需要整改的内容。", "review")
    key = _group_of(request, session, scan, report)
    review.record(session, key, scan.id, user, review.RETURN, note=note)
    audit(session, "web.review.return", actor(user), target=scan.id, detail={"note": note[:500]})
    session.commit()
    index.reindex_group(session, request.app.state.storage, request.app.state.cfg, key)
    return _back_to_case(scan, anchor="review")


@router.post("/cases/{scan_id}/resubmit")
async def resubmit_case(request: Request, scan_id: str, user: UserDep, session: SessionDep) -> Response:
    """提请复核: the prosecutor reports the returned case rectified (or uploads a rescan, which does the same)."""
    form = await checked_form(request)
    scan = scan_for(session, user, scan_id)
    report = report_for(request, scan)
    key = _group_of(request, session, scan, report)
    row = session.get(CaseRow, scan.id)
    if row is None or row.review_status != review.RETURNED:
        return _back_to_case(scan, "只有“退回整改”的案件可以提请复核。", "review")
    note = form_str(form, "note", 2000)
    if not note:
        return _back_to_case(scan, "提请复核须说明整改情况。", "review")
    review.record(session, key, scan.id, user, review.RESUBMIT, note=note)
    audit(session, "web.review.resubmit", actor(user), target=scan.id, detail={"note": note[:500]})
    session.commit()
    index.reindex_group(session, request.app.state.storage, request.app.state.cfg, key)
    return _back_to_case(scan, anchor="review")
