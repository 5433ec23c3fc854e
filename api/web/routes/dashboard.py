"""分析研判 (``/dashboard``): the tables and charts of :mod:`api.web.dashboard`, each exportable as XLSX."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.db import audit
from api.deps import SessionDep
from api.web import dashboard, index
from api.web.auth import actor
from api.web.common import XLSX_MIME, PageError, UserDep, attachment, render, secure_headers, sync_index

router = APIRouter(include_in_schema=False)


# --- 分析研判 ---------------------------------------------------------------------------------------

def _dash_filters(request: Request) -> dict[str, str]:
    return {k: request.query_params.get(k, "").strip()[:100] for k in dashboard.FILTERS}


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, user: UserDep, session: SessionDep) -> Response:
    sync_index(request, session)
    f = _dash_filters(request)
    tables = {name: dashboard.table(session, user, name, f) for name in dashboard.TABLES}
    grade_rows = [r for r in tables["grade"] if r["等次"] != dashboard.NOT_CONCLUDED]
    charts = {
        "rule": dashboard.bars(tables["rule"], "规则", "问题数"),
        "category": dashboard.bars(tables["category"], "问题类别", "问题数"),
        "department": dashboard.bars(tables["department"], "部门", "问题数"),
        "prosecutor": dashboard.bars(tables["prosecutor"], "承办检察官", "问题数"),
        "month": dashboard.bars(list(reversed(tables["month"][:12])), "办结月份", "案件数"),
        # no conclusion yet: no chart (the macro says 暂无数据) rather than a bar of zeros
        "grade": dashboard.bars([r for r in grade_rows if r["评查结论（件）"]], "等次", "评查结论（件）"),
        "machine": dashboard.bars(grade_rows, "等次", "机器建议（件）"),
        "fp": dashboard.bars([r for r in tables["rule"] if r["误报率(%)"] is not None], "规则", "误报率(%)"),
    }
    kept = urlencode({k: v for k, v in f.items() if v})
    return render(request, "dashboard.html", tables=tables, titles=dashboard.TABLES, charts=charts, filters=f,
                  export_qs=kept, departments=index.filter_options(session, user)["departments"],
                  totals=dashboard.totals(session, user, f), nav="dashboard")


@router.get("/dashboard/{name}.xlsx")
def dashboard_export(request: Request, name: str, user: UserDep, session: SessionDep) -> Response:
    if name not in dashboard.TABLES:
        raise PageError(404, "报表不存在", "没有这张报表。", back="/dashboard", back_label="返回分析研判")
    sync_index(request, session)
    f = _dash_filters(request)
    rows = dashboard.table(session, user, name, f)
    audit(session, "web.export", actor(user), target=name, detail={k: v for k, v in f.items() if v} or None)
    session.commit()
    title = dashboard.TABLES[name]
    return secure_headers(Response(dashboard.xlsx(rows, title), media_type=XLSX_MIME,
                                   headers=attachment(f"{name}.xlsx", f"分析研判-{title}.xlsx")))
