"""分析研判: findings by rule and category; cases by department, prosecutor and month (findings,
grade distribution, key-review share); per-rule 误报 rate from the dispositions. Each table is
a list of dicts with Chinese column names, so the page, the SVG charts and the XLSX export
read the same data."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from api.web.index import visible_cases
from api.web.models import CaseRow, FindingRow, User

GRADES = ("优质", "合格", "瑕疵", "基本合格", "不合格")
TABLES = {
    "rule": "按规则",
    "category": "按问题类别",
    "department": "按部门",
    "prosecutor": "按承办检察官",
    "month": "按月份",
    "grade": "等次分布",
}


def _scope(user: User):
    vis = visible_cases(user)
    done = CaseRow.scan_status == "done"
    return done if vis is None else (done & vis)


def _finding_scope(user: User):
    vis = visible_cases(user)
    if vis is None:
        return None
    return FindingRow.scan_id.in_(select(CaseRow.scan_id).where(vis))


def _pct(n: float, d: float) -> float | None:
    return round(100.0 * n / d, 1) if d else None


def by_rule(session: Session, user: User) -> list[dict[str, Any]]:
    disp = FindingRow.disposition
    q = (select(FindingRow.rule_id, func.max(FindingRow.title), func.count(), func.count(FindingRow.scan_id.distinct()),
                func.sum(case((disp == "确认", 1), else_=0)), func.sum(case((disp == "误报", 1), else_=0)),
                func.sum(case((disp == "不适用", 1), else_=0)))
         .group_by(FindingRow.rule_id).order_by(func.count().desc(), FindingRow.rule_id))
    if (scope := _finding_scope(user)) is not None:
        q = q.where(scope)
    out = []
    for rule, title, n, cases, ok, fp, na in session.execute(q):
        out.append({"规则": rule, "规则名称": title or "", "问题数": n, "涉及案件": cases, "确认": ok or 0, "误报": fp or 0,
                    "不适用": na or 0, "误报率(%)": _pct(fp or 0, (ok or 0) + (fp or 0))})
    return out


def by_category(session: Session, user: User) -> list[dict[str, Any]]:
    dismissed = FindingRow.disposition.in_(("误报", "不适用"))
    q = (select(FindingRow.category, func.count(), func.sum(case((dismissed, 0), else_=FindingRow.points)),
                func.count(FindingRow.scan_id.distinct()), func.sum(case((dismissed, 1), else_=0)))
         .group_by(FindingRow.category).order_by(func.count().desc()))
    if (scope := _finding_scope(user)) is not None:
        q = q.where(scope)
    return [{"问题类别": c or "未分类", "问题数": n, "扣分合计": int(p or 0), "涉及案件": cases, "误报或不适用": int(d or 0)}
            for c, n, p, cases, d in session.execute(q)]


def by_group(session: Session, user: User, column: str) -> list[dict[str, Any]]:
    col = {"department": CaseRow.department, "prosecutor": CaseRow.prosecutor, "month": CaseRow.month}[column]
    head = {"department": "部门", "prosecutor": "承办检察官", "month": "月份"}[column]
    grade_cols = [func.sum(case((CaseRow.grade == g, 1), else_=0)) for g in GRADES]
    q = (select(col, func.count(), func.sum(CaseRow.findings), func.avg(CaseRow.points),
                func.sum(case((CaseRow.key_review.is_(True), 1), else_=0)), *grade_cols)
         .where(_scope(user)).group_by(col))
    q = q.order_by(col.desc()) if column == "month" else q.order_by(func.count().desc(), col)
    out = []
    for row in session.execute(q):
        name, n, findings, avg, key = row[:5]
        grades = dict(zip(GRADES, row[5:]))
        item = {head: name or "（未填写）", "案件数": n, "问题数": int(findings or 0), "平均扣分": round(float(avg or 0), 1),
                "重点评查": int(key or 0), "重点评查占比(%)": _pct(key or 0, n)}
        item.update({g: int(grades[g] or 0) for g in GRADES if g not in ("基本合格",) or grades[g]})
        out.append(item)
    return out


def grade_distribution(session: Session, user: User) -> list[dict[str, Any]]:
    q = (select(CaseRow.grade, func.count(), func.sum(case((CaseRow.key_review.is_(True), 1), else_=0)))
         .where(_scope(user)).group_by(CaseRow.grade))
    rows = {g or "—": (n, k) for g, n, k in session.execute(q)}
    total = sum(n for n, _ in rows.values())
    order = [g for g in GRADES if g in rows] + [g for g in rows if g not in GRADES]
    return [{"等次": g, "案件数": rows[g][0], "占比(%)": _pct(rows[g][0], total), "重点评查": int(rows[g][1] or 0)}
            for g in order]


def table(session: Session, user: User, name: str) -> list[dict[str, Any]]:
    if name == "rule":
        return by_rule(session, user)
    if name == "category":
        return by_category(session, user)
    if name == "grade":
        return grade_distribution(session, user)
    return by_group(session, user, name)


def totals(session: Session, user: User) -> dict[str, Any]:
    n, findings, key = session.execute(
        select(func.count(), func.sum(CaseRow.findings), func.sum(case((CaseRow.key_review.is_(True), 1), else_=0)))
        .where(_scope(user))).one()
    return {"cases": n or 0, "findings": int(findings or 0), "key": int(key or 0), "key_share": _pct(key or 0, n or 0)}


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
        ws.append([_cell(r.get(h)) for h in heads])
    for i, h in enumerate(heads, 1):
        width = max([len(str(h))] + [len(str(r.get(h) or "")) for r in rows[:200]]) * 2 + 2
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(60, width)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def bars(rows: list[dict[str, Any]], label: str, value: str, limit: int = 12) -> list[dict[str, Any]]:
    """Data for an SVG bar chart: label, value and bar width in percent of the largest."""
    data = [(str(r.get(label) or ""), float(r.get(value) or 0)) for r in rows[:limit]]
    top = max((v for _, v in data), default=0) or 1.0
    return [{"label": lab, "value": (int(v) if v == int(v) else v), "pct": round(100.0 * v / top, 1)} for lab, v in data]
