"""A case's files: ``report.json``, ``report.html`` (inline, under its own strict CSP) and the
评查结果通知书 ``notice.docx`` filled from the 评查结论."""

from __future__ import annotations

import io
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.db import Scan, audit
from api.deps import SessionDep
from api.web.auth import actor
from api.web.common import DOCX_MIME, UserDep, attachment, report_for, scan_for, secure_headers
from api.web.models import CaseRow, Conclusion

router = APIRouter(include_in_schema=False)


def _read(request: Request, session, user, scan_id: str, action: str) -> tuple[Scan, dict[str, Any]]:
    """The case and its report for a download; the reading goes to the audit log."""
    scan = scan_for(session, user, scan_id)
    report = report_for(request, scan)
    audit(session, action, actor(user), target=scan.id, detail={"via": "web"})
    session.commit()
    return scan, report


@router.get("/cases/{scan_id}/report.json")
def download_json(request: Request, scan_id: str, user: UserDep, session: SessionDep) -> Response:
    scan, report = _read(request, session, user, scan_id, "report.read")
    body = json.dumps(report, ensure_ascii=False, indent=1).encode("utf-8")
    return secure_headers(Response(body, media_type="application/json", headers=attachment("report.json", f"{scan.name}-report.json")))


@router.get("/cases/{scan_id}/report.html")
def download_html(request: Request, scan_id: str, user: UserDep, session: SessionDep) -> Response:
    from assistant.render import render_html

    scan, report = _read(request, session, user, scan_id, "report.html.read")
    inline = request.query_params.get("download") != "1"  # opened in the browser; ?download=1 saves it
    disposition = attachment("report.html", f"{scan.name}-report.html")
    if inline:
        disposition = {"Content-Disposition": disposition["Content-Disposition"].replace("attachment", "inline", 1)}
    resp = secure_headers(Response(render_html(report), media_type="text/html; charset=utf-8", headers=disposition))
    # the report is one self-contained page with its own <style>: styles inline, nothing else (no scripts at all)
    resp.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return resp


@router.get("/cases/{scan_id}/notice.docx")
def download_notice(request: Request, scan_id: str, user: UserDep, session: SessionDep) -> Response:
    from assistant.render import render_notice_docx

    scan, report = _read(request, session, user, scan_id, "notice.read")
    blanks: dict[str, str] = {}
    if scan.prosecutor:
        blanks["handler"] = scan.prosecutor
    row = session.get(CaseRow, scan.id)
    if row is not None and row.department:
        blanks["addressee"] = row.department
    c = session.get(Conclusion, scan.id)
    if c is not None:
        blanks.update(grade=c.grade, year=str(c.at.year), month=str(c.at.month),
                      date=f"{c.at.year}年{c.at.month}月{c.at.day}日")
        if c.opinion:
            blanks["opinion"] = c.opinion
    buf = io.BytesIO()
    render_notice_docx(report, buf, **blanks)
    return secure_headers(Response(buf.getvalue(), media_type=DOCX_MIME,
                                   headers=attachment("notice.docx", f"{scan.name}-评查结果通知书.docx")))
