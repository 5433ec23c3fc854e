"""期限预警 (``/deadlines``): the statutory deadlines of the cases still in progress, the most urgent first."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from api.deps import SessionDep
from api.web import index
from api.web.common import DEADLINES_SHOWN, UserDep, render, sync_index
from api.web.models import CaseRow, DeadlineRow
from assistant.deadlines import status_for

router = APIRouter(include_in_schema=False)


# --- 期限预警 ---------------------------------------------------------------------------------------

@router.get("/deadlines", response_class=HTMLResponse)
def deadlines_page(request: Request, user: UserDep, session: SessionDep) -> Response:
    sync_index(request, session)
    case_cols = (CaseRow.scan_id, CaseRow.case_no, CaseRow.name, CaseRow.prosecutor)
    q = (select(DeadlineRow, *case_cols).join(CaseRow, CaseRow.scan_id == DeadlineRow.scan_id)
         .where(DeadlineRow.done.is_(False), CaseRow.in_progress.is_(True), CaseRow.scan_status == "done",
                CaseRow.latest.is_(True)))  # a case rescanned shows once, with its newest scan
    if (vis := index.visible_cases(user)) is not None:
        q = q.where(vis)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    q = q.order_by(DeadlineRow.due_date, DeadlineRow.event).limit(DEADLINES_SHOWN)
    today = dt.date.today()
    items = []
    for d, *c in session.execute(q):
        c = dict(zip(("scan_id", "case_no", "name", "prosecutor"), c))
        days = (d.due_date - today).days
        items.append({"d": d, "c": c, "days_left": days, "status": status_for(days)})
    return render(request, "deadlines.html", items=items, total=total, today=today, nav="deadlines")
