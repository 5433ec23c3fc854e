"""分析研判: findings by rule and category; cases by department, prosecutor and month of 办结日期
(findings, key-review share, the machine's suggested grade next to the evaluator's conclusion);
the grade distribution by conclusion and by suggestion; per-rule 误报 rate from the dispositions.

Every figure counts each case once (its newest scan, ``CaseRow.latest``) and, like the headline,
leaves 误报 and 不适用 findings out of 问题数. A period (办结日期 from/to) and a department narrow
every table. Each table is a list of dicts with Chinese column names, so the page, the SVG charts
and the XLSX export read the same data.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from api.web.index import _date, visible_cases
from api.web.models import CaseRow, FindingRow, User
from assistant.grading import UNGRADABLE

GRADES = ("优质", "合格", "瑕疵", "基本合格", "不合格", UNGRADABLE)
CONCLUDED = ("优质", "合格", "瑕疵", "不合格")
NOT_CONCLUDED = "未评查"
DISMISSED = ("误报", "不适用")
TABLES = {
    "rule": "按规则",
    "category": "按问题类别",
    "department": "按部门",
    "prosecutor": "按承办检察官",
    "month": "按办结月份",
    "grade": "等次分布",
}
FILTERS = ("closed_from", "closed_to", "department")


def _scope(user: User, f: dict[str, str] | None = None):
    """The cases counted: finished scans, each case once, visible to ``user``, within the filters."""
    cond = (CaseRow.scan_status == "done") & CaseRow.latest.is_(True)
    vis = visible_cases(user)
    if vis is not None:
        cond = cond & vis
    f = f or {}
    if d := _date(f.get("closed_from")):
        cond = cond & (CaseRow.closed_on >= d)
    if d := _date(f.get("closed_to")):
        cond = cond & (CaseRow.closed_on <= d)
    if f.get("department"):
        cond = cond & (CaseRow.department == f["department"])
    return cond


def _findings(user: User, f: dict[str, str] | None, *cols):
    """SELECT ``cols`` over the findings of the counted cases (a semi-join: SQLite builds the set of
    counted scans once, then reads the findings' covering indexes; a join was 1.5–2× slower at 10,000 cases)."""
    return select(*cols).where(FindingRow.scan_id.in_(select(CaseRow.scan_id).where(_scope(user, f))))


def _pct(n: float, d: float) -> float | None:
    return round(100.0 * n / d, 1) if d else None


def by_rule(session: Session, user: User, f: dict[str, str] | None = None) -> list[dict[str, Any]]:
    disp = FindingRow.disposition
    counted = case((disp.in_(DISMISSED), 0), else_=1)
    q = (_findings(user, f, FindingRow.rule_id, func.max(FindingRow.title), func.sum(counted),
                   func.count(FindingRow.scan_id.distinct()), func.sum(case((disp == "确认", 1), else_=0)),
                   func.sum(case((disp == "误报", 1), else_=0)), func.sum(case((disp == "不适用", 1), else_=0)),
                   func.sum(case((disp == "", 1), else_=0)))
         .group_by(FindingRow.rule_id).order_by(func.sum(counted).desc(), FindingRow.rule_id))
    out = []
    for rule, title, n, cases, ok, fp, na, open_ in session.execute(q):
        out.append({"规则": rule, "规则名称": title or "", "问题数": int(n or 0), "涉及案件": cases, "确认": int(ok or 0),
                    "未处置": int(open_ or 0), "误报": int(fp or 0), "不适用": int(na or 0),
                    "误报率(%)": _pct(fp or 0, (ok or 0) + (fp or 0))})
    return out


def by_category(session: Session, user: User, f: dict[str, str] | None = None) -> list[dict[str, Any]]:
    dismissed = FindingRow.disposition.in_(DISMISSED)
    counted = case((dismissed, 0), else_=1)
    q = (_findings(user, f, FindingRow.category, func.sum(counted), func.sum(case((dismissed, 0), else_=FindingRow.points)),
                   func.count(FindingRow.scan_id.distinct()), func.sum(case((dismissed, 1), else_=0)))
         .group_by(FindingRow.category).order_by(func.sum(counted).desc()))
    return [{"问题类别": c or "未分类", "问题数": int(n or 0), "扣分合计": int(p or 0), "涉及案件": cases,
             "误报或不适用": int(d or 0)} for c, n, p, cases, d in session.execute(q)]


def by_group(session: Session, user: User, column: str, f: dict[str, str] | None = None) -> list[dict[str, Any]]:
    col = {"department": CaseRow.department, "prosecutor": CaseRow.prosecutor, "month": CaseRow.closed_month}[column]
    head = {"department": "部门", "prosecutor": "承办检察官", "month": "办结月份"}[column]
    machine = [func.sum(case((CaseRow.grade == g, 1), else_=0)) for g in GRADES]
    final = [func.sum(case((CaseRow.final_grade == g, 1), else_=0)) for g in CONCLUDED]
    q = (select(col, func.count(), func.sum(CaseRow.findings), func.avg(CaseRow.points),
                func.sum(case((CaseRow.key_review.is_(True), 1), else_=0)),
                func.sum(case((CaseRow.final_grade != "", 1), else_=0)), *machine, *final)
         .where(_scope(user, f)).group_by(col))
    q = q.order_by(col.desc()) if column == "month" else q.order_by(func.count().desc(), col)
    out = []
    for row in session.execute(q):
        name, n, findings, avg, key, concluded = row[:6]
        m = dict(zip(GRADES, row[6:6 + len(GRADES)]))
        fin = dict(zip(CONCLUDED, row[6 + len(GRADES):]))
        blank = "（未办结或未填写）" if column == "month" else "（未填写）"
        item = {head: name or blank, "案件数": n, "问题数": int(findings or 0), "平均扣分": round(float(avg or 0), 1),
                "重点评查": int(key or 0), "重点评查占比(%)": _pct(key or 0, n), "已评查": int(concluded or 0)}
        for g in GRADES:
            if g in CONCLUDED or m[g]:
                item[f"建议{g}"] = int(m[g] or 0)
                if g in CONCLUDED:
                    item[f"结论{g}"] = int(fin[g] or 0)
        out.append(item)
    return out


def grade_distribution(session: Session, user: User, f: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Cases by the evaluator's conclusion, beside the machine's suggestion for the same cases."""
    scope = _scope(user, f)
    final = {g or NOT_CONCLUDED: (n, k) for g, n, k in session.execute(
        select(CaseRow.final_grade, func.count(), func.sum(case((CaseRow.key_review.is_(True), 1), else_=0)))
        .where(scope).group_by(CaseRow.final_grade))}
    machine = {g or "—": n for g, n in session.execute(
        select(CaseRow.grade, func.count()).where(scope).group_by(CaseRow.grade))}
    total = sum(n for n, _ in final.values())
    concluded = sum(n for g, (n, _) in final.items() if g != NOT_CONCLUDED)
    order = [g for g in (*GRADES, NOT_CONCLUDED) if g in final or g in machine]
    order += [g for g in list(final) + list(machine) if g not in order]
    rows = []
    for g in order:
        n, k = final.get(g, (0, 0))
        rows.append({"等次": g, "评查结论（件）": n,
                     "占已评查(%)": _pct(n, concluded) if g != NOT_CONCLUDED else None,
                     "机器建议（件）": machine.get(g, 0) if g != NOT_CONCLUDED else None,
                     "机器建议占比(%)": _pct(machine.get(g, 0), total) if g != NOT_CONCLUDED else None,
                     "其中重点评查": int(k or 0)})
    return rows


def table(session: Session, user: User, name: str, f: dict[str, str] | None = None) -> list[dict[str, Any]]:
    if name == "rule":
        return by_rule(session, user, f)
    if name == "category":
        return by_category(session, user, f)
    if name == "grade":
        return grade_distribution(session, user, f)
    return by_group(session, user, name, f)


def totals(session: Session, user: User, f: dict[str, str] | None = None) -> dict[str, Any]:
    n, findings, key, concluded = session.execute(
        select(func.count(), func.sum(CaseRow.findings), func.sum(case((CaseRow.key_review.is_(True), 1), else_=0)),
               func.sum(case((CaseRow.final_grade != "", 1), else_=0)))
        .where(_scope(user, f))).one()
    return {"cases": n or 0, "findings": int(findings or 0), "key": int(key or 0), "key_share": _pct(key or 0, n or 0),
            "concluded": int(concluded or 0)}


def _cell(value: Any) -> Any:
    """Spreadsheet-safe cell: text that a spreadsheet would run as a formula is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def xlsx(rows: list[dict[str, Any]], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    heads = list(rows[0].keys()) if rows else ["（无数据）"]
    ws.append(heads)
    for c in ws[1]:
        c.font = Font(bold=True)
    for r in rows:
        ws.append([_cell(r.get(h).isoformat() if isinstance(r.get(h), (dt.date, dt.datetime)) else r.get(h))
                   for h in heads])
    for i, h in enumerate(heads, 1):
        width = max([len(str(h))] + [len(str(r.get(h) or "")) for r in rows[:200]]) * 2 + 2
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(60, width)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows: list[dict[str, Any]], heads: list[str]) -> bytes:
    """The rows as CSV, UTF-8 with a BOM (spreadsheet programs then read the Chinese), formulas defused."""
    import csv

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(heads)
    for r in rows:
        w.writerow([_cell(r.get(h)) for h in heads])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def bars(rows: list[dict[str, Any]], label: str, value: str, limit: int = 12) -> list[dict[str, Any]]:
    """Data for an SVG bar chart: label, value and bar width in percent of the largest."""
    data = [(str(r.get(label) or ""), float(r.get(value) or 0)) for r in rows[:limit]]
    top = max((v for _, v in data), default=0) or 1.0
    return [{"label": lab, "value": (int(v) if v == int(v) else v), "pct": round(100.0 * v / top, 1)} for lab, v in data]
