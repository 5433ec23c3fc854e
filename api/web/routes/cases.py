"""The 案件列表 (``/``): filters, sorting and paging over the case index, and its XLSX/CSV export
(``/cases.xlsx``, ``/cases.csv``)."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.db import audit
from api.deps import SessionDep
from api.web import dashboard, index
from api.web.auth import actor
from api.web.common import (PER_PAGE, XLSX_MIME, PageError, UserDep, attachment, page_number, render, secure_headers, sync_index, when
)
from assistant.grading import UNGRADABLE

router = APIRouter(include_in_schema=False)


# --- 案件列表 ------------------------------------------------------------------------------------

def _list_args(request: Request) -> tuple[dict[str, str], str, str]:
    filters = {k: request.query_params.get(k, "").strip()[:100] for k in index.FILTERS}
    sort = request.query_params.get("sort", "")
    sort = sort if sort in index.SORTS else ""
    direction = "asc" if request.query_params.get("dir") == "asc" else "desc"
    return filters, sort, direction


#: Columns of the list's export: heading → value of a row.
LIST_EXPORT = {
    "案号": lambda r: r.case_no, "卷宗": lambda r: r.name, "罪名": lambda r: r.charges, "被告人": lambda r: r.defendants,
    "承办检察官": lambda r: r.prosecutor, "部门": lambda r: r.department, "扫描时间": lambda r: when(r.scanned_at),
    "办结日期": lambda r: r.closed_on.isoformat() if r.closed_on else "", "机器建议等次": lambda r: r.grade,
    "评查结论": lambda r: r.final_grade, "扣分": lambda r: r.points, "问题数": lambda r: r.findings,
    "重点评查": lambda r: "是" if r.key_review else "否", "状态": lambda r: r.review_status,
    "扫描次数": lambda r: r.group_scans, "编号": lambda r: r.scan_id,
}


@router.get("/", response_class=HTMLResponse)
def case_list(request: Request, user: UserDep, session: SessionDep) -> Response:
    sync_index(request, session)
    filters, sort, direction = _list_args(request)
    page = page_number(request.query_params.get("page"))
    rows, total = index.list_cases(session, user, filters, page, PER_PAGE, sort, direction)
    pages = max(1, math.ceil(total / PER_PAGE))
    kept = {k: v for k, v in filters.items() if v}
    order = {"sort": sort, "dir": direction} if sort else {}
    return render(request, "list.html", rows=rows, total=total, page=page, pages=pages, filters=filters,
                  options=index.filter_options(session, user), statuses=index.REVIEW_STATUSES, sort=sort, dir=direction,
                  sorts=index.SORTS, qs=lambda p: urlencode({**kept, **order, "page": p}),
                  sort_qs=lambda col: urlencode({**kept, "sort": col,
                                                 "dir": "asc" if sort == col and direction == "desc" else "desc"}),
                  export_qs=urlencode({**kept, **order}), nav="list", ungradable=UNGRADABLE)


@router.get("/cases.{fmt}")
def case_list_export(request: Request, fmt: str, user: UserDep, session: SessionDep) -> Response:
    """The list as XLSX or CSV, with the page's filters and order (every matching case, not one page)."""
    if fmt not in ("xlsx", "csv"):
        raise PageError(404, "格式不支持", "案件列表可导出为 XLSX 或 CSV。")
    sync_index(request, session)
    filters, sort, direction = _list_args(request)
    rows = [{h: get(r) for h, get in LIST_EXPORT.items()} for r in index.all_cases(session, user, filters, sort, direction)]
    audit(session, "web.export", actor(user), target=f"cases.{fmt}", detail={k: v for k, v in filters.items() if v} or None)
    session.commit()
    if fmt == "xlsx":
        body, mime = dashboard.xlsx(rows, "案件列表"), XLSX_MIME
    else:
        body, mime = dashboard.csv_bytes(rows, list(LIST_EXPORT)), "text/csv; charset=utf-8"
    return secure_headers(Response(body, media_type=mime, headers=attachment(f"cases.{fmt}", f"案件列表.{fmt}")))
