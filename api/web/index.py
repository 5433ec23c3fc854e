"""The case index behind the 案件列表, the dashboards and the 期限预警 page.

Rows are rebuilt from a scan's ``report.json`` with its dispositions applied (points and grade
as the API shows them). :func:`sync` finds what changed with two cheap queries — scans whose
status differs from their row (new, finished, failed) and dossiers whose dispositions changed
(count or latest time), whoever recorded them (web, API or CLI) — and rebuilds only those.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Iterable

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from api.db import Scan, ScanAccess
from api.storage import Storage
from api.web.models import CaseRow, Conclusion, DeadlineRow, FindingRow, User
from assistant.dispositions import DispositionRow, lookup_by_key
from assistant.service import apply_dispositions

log = logging.getLogger(__name__)

DISMISSED = ("误报", "不适用")
SCAN_STATUS_LABELS = {"queued": "排队中", "running": "扫描中", "failed": "扫描失败", "done": "已完成"}
REVIEW_STATUSES = ("待评查", "评查中", "已评查")
SYNC_BATCH = 2000


def _case_no(report: dict[str, Any]) -> str:
    numbers = [n for n in (report.get("case") or {}).get("doc_numbers") or [] if isinstance(n, str)]
    for doc in report.get("documents") or []:
        if doc.get("type") == "起诉书":
            num = ((doc.get("fields") or {}).get("doc_number") or {}).get("value")
            if isinstance(num, str) and num:
                return num
    for n in numbers:
        if "检" in n and "诉" in n:
            return n
    for n in numbers:
        if "检" in n:
            return n
    return numbers[0] if numbers else ""


def _departments(session: Session) -> dict[str, str]:
    out: dict[str, str] = {}
    for username, display, dept in session.execute(select(User.username, User.display_name, User.department)):
        if dept:
            out[username] = dept
            if display:
                out.setdefault(display, dept)
    return out


def review_status(has_conclusion: bool, dispositions: int) -> str:
    if has_conclusion:
        return "已评查"
    return "评查中" if dispositions else "待评查"


def index_scan(session: Session, storage: Storage, cfg, scan: Scan, departments: dict[str, str],
               disp_stamp: tuple[int, str] | None = None) -> CaseRow:
    """Rebuild the index rows of one scan (not committed)."""
    row = session.get(CaseRow, scan.id)
    if row is None:
        row = CaseRow(scan_id=scan.id)
        session.add(row)
    session.execute(delete(FindingRow).where(FindingRow.scan_id == scan.id))
    session.execute(delete(DeadlineRow).where(DeadlineRow.scan_id == scan.id))
    prosecutor = scan.prosecutor or ""
    row.dossier_key = scan.dossier_key or ""
    row.scan_status = scan.status
    row.name = scan.name or ""
    row.prosecutor = prosecutor
    row.department = departments.get(prosecutor, "")
    row.scanned_at = scan.created_at or dt.datetime.utcnow()
    row.month = row.scanned_at.strftime("%Y-%m")
    row.indexed_at = dt.datetime.utcnow()
    row.disp_count, row.disp_at = disp_stamp or (0, "")
    report = None
    if scan.status == "done" and scan.report_path:
        try:
            report = storage.read_report(scan.report_path)
        except (OSError, ValueError):
            log.warning("report of scan %s unreadable", scan.id)
    if report is None:
        row.case_no = row.charges = row.defendants = row.grade = ""
        row.points, row.findings, row.key_review, row.in_progress = 0, 0, False, False
        row.review_status = SCAN_STATUS_LABELS.get(scan.status, scan.status) if scan.status != "done" else "报告缺失"
        row.search = " ".join([row.name, prosecutor]).lower()
        return row
    disps = lookup_by_key(scan.dossier_key, cfg.core) if row.disp_count else {}
    report = apply_dispositions(report, disps, cfg.core)
    case = report.get("case") or {}
    row.case_no = _case_no(report)
    row.charges = "、".join(c for c in case.get("charges") or [] if isinstance(c, str))
    row.defendants = "、".join(s.get("name") for s in case.get("suspects") or [] if isinstance(s, dict) and s.get("name"))
    row.grade = str(report.get("grade") or "")
    row.points = int(report.get("points") or 0)
    row.key_review = bool((report.get("key_review") or {}).get("required"))
    counted = [f for f in report.get("findings") or [] if (f.get("disposition") or {}).get("status") not in DISMISSED]
    row.findings = len(counted)
    row.review_status = review_status(session.get(Conclusion, scan.id) is not None, len(disps))
    deadlines = report.get("deadlines") or []
    row.in_progress = bool(deadlines)
    row.search = " ".join([row.name, row.case_no, *case.get("doc_numbers", []), row.charges, row.defendants, prosecutor,
                           row.department]).lower()
    for f in report.get("findings") or []:
        session.add(FindingRow(scan_id=scan.id, finding_id=str(f.get("id") or ""), rule_id=str(f.get("rule_id") or ""),
                               title=str(f.get("title") or ""), category=str(f.get("category") or ""),
                               points=int(f.get("severity_points") or 0),
                               disposition=str((f.get("disposition") or {}).get("status") or ""),
                               department=row.department, prosecutor=prosecutor, month=row.month))
    for d in deadlines:
        try:
            due = dt.date.fromisoformat(str(d.get("due_date"))[:10])
        except ValueError:
            continue
        try:
            start = dt.date.fromisoformat(str(d.get("start"))[:10])
        except ValueError:
            start = None
        session.add(DeadlineRow(scan_id=scan.id, event=str(d.get("event") or ""), rule_id=str(d.get("rule_id") or ""),
                                basis=str(d.get("basis") or ""), start_event=str(d.get("start_event") or ""), start=start,
                                period=str(d.get("period") or ""), due_date=due, done=bool(d.get("done_date")),
                                prosecutor=prosecutor))
    return row


def _disp_stamps(session: Session) -> dict[str, tuple[int, str]]:
    t = DispositionRow
    return {k: (n, str(m)) for k, n, m in
            session.execute(select(t.dossier_key, func.count(), func.max(t.at)).group_by(t.dossier_key))}


_SEEN: dict[str, tuple] = {}  # database URL -> the dispositions table's (count, latest) at the last full check


def sync(session: Session, storage: Storage, cfg, only: Iterable[str] | None = None, force: bool = False) -> int:
    """Rebuild the rows of changed scans (or of ``only``); returns how many were rebuilt. Commits.

    Dispositions are compared per dossier only when the table as a whole changed (row count or
    latest time) since this process last looked: any insert, update (a new time) or delete
    changes one of them."""
    t = DispositionRow
    overall = tuple(session.execute(select(func.count(), func.max(t.at))).one())
    url = str(session.get_bind().url)
    disp_changed = force or only is not None or _SEEN.get(url) != overall
    stamps = _disp_stamps(session) if disp_changed else {}
    if only is not None:
        ids = set(only)
    else:
        ids = set(session.scalars(
            select(Scan.id).outerjoin(CaseRow, CaseRow.scan_id == Scan.id)
            .where(or_(CaseRow.scan_id.is_(None), CaseRow.scan_status != Scan.status)).limit(SYNC_BATCH)))
    if only is None and disp_changed:
        keys = select(t.dossier_key).distinct().subquery()
        cols = (CaseRow.scan_id, CaseRow.dossier_key, CaseRow.disp_count, CaseRow.disp_at)
        indexed = list(session.execute(select(*cols).join(keys, keys.c.dossier_key == CaseRow.dossier_key)))
        indexed += list(session.execute(select(*cols).where(CaseRow.disp_count > 0)))
        for scan_id, key, n, at in indexed:
            if stamps.get(key, (0, "")) != (n, at):
                ids.add(scan_id)
    if not ids:
        if only is None:
            _SEEN[url] = overall
        return 0
    if not stamps:
        stamps = _disp_stamps(session)
    departments = _departments(session)
    for scan in session.scalars(select(Scan).where(Scan.id.in_(list(ids)))):
        index_scan(session, storage, cfg, scan, departments, stamps.get(scan.dossier_key))
    session.commit()
    if only is None:
        _SEEN[url] = overall
    return len(ids)


# --- visibility -----------------------------------------------------------------------------------

def sees_all(user: User) -> bool:
    return user.role in ("evaluator", "admin")


def own_names(user: User) -> list[str]:
    return [n for n in dict.fromkeys([user.username, user.display_name]) if n]


def visible_cases(user: User):
    """A WHERE clause on :class:`CaseRow` for what ``user`` may see (None: everything)."""
    if sees_all(user):
        return None
    uploaded = select(ScanAccess.scan_id).where(ScanAccess.key_id == f"u:{user.id}")
    return or_(CaseRow.prosecutor.in_(own_names(user)), CaseRow.scan_id.in_(uploaded))


def can_view(session: Session, user: User, scan: Scan) -> bool:
    if sees_all(user):
        return True
    if scan.prosecutor and scan.prosecutor in own_names(user):
        return True
    return session.get(ScanAccess, (scan.id, f"u:{user.id}")) is not None


# --- the list ------------------------------------------------------------------------------------

FILTERS = ("q", "case_no", "charge", "defendant", "prosecutor", "department", "date_from", "date_to", "grade",
           "points_min", "points_max", "key_review", "status")


def _int(v: str | None) -> int | None:
    try:
        return int(str(v).strip())
    except (TypeError, ValueError):
        return None


def _date(v: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(v).strip()[:10])
    except (TypeError, ValueError):
        return None


def _like(text: str) -> str:
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def case_query(user: User, f: dict[str, str]):
    """The filtered SELECT of case rows (without ordering or paging)."""
    q = select(CaseRow)
    vis = visible_cases(user)
    if vis is not None:
        q = q.where(vis)
    if f.get("q"):
        q = q.where(CaseRow.search.like(_like(f["q"]), escape="\\"))
    for key, col in (("case_no", CaseRow.case_no), ("charge", CaseRow.charges), ("defendant", CaseRow.defendants),
                     ("prosecutor", CaseRow.prosecutor)):
        if f.get(key):
            q = q.where(func.lower(col).like(_like(f[key]), escape="\\"))
    if f.get("department"):
        q = q.where(CaseRow.department == f["department"].strip())
    if d := _date(f.get("date_from")):
        q = q.where(CaseRow.scanned_at >= dt.datetime.combine(d, dt.time()))
    if d := _date(f.get("date_to")):
        q = q.where(CaseRow.scanned_at < dt.datetime.combine(d + dt.timedelta(days=1), dt.time()))
    if f.get("grade"):
        q = q.where(CaseRow.grade == f["grade"])
    if (n := _int(f.get("points_min"))) is not None:
        q = q.where(CaseRow.points >= n)
    if (n := _int(f.get("points_max"))) is not None:
        q = q.where(CaseRow.points <= n)
    if f.get("key_review") in ("1", "0"):
        q = q.where(CaseRow.key_review.is_(f["key_review"] == "1"))
    if f.get("status"):
        q = q.where(CaseRow.review_status == f["status"])
    return q


def list_cases(session: Session, user: User, f: dict[str, str], page: int, per_page: int = 50) -> tuple[list[CaseRow], int]:
    q = case_query(user, f)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = list(session.scalars(q.order_by(CaseRow.scanned_at.desc(), CaseRow.scan_id)
                                .offset(max(0, page - 1) * per_page).limit(per_page)))
    return rows, total


def filter_options(session: Session, user: User) -> dict[str, list[str]]:
    vis = visible_cases(user)

    def distinct(col) -> list[str]:
        q = select(col).where(col != "").distinct().order_by(col)
        if vis is not None:
            q = q.where(vis)
        return list(session.scalars(q.limit(500)))

    return {"departments": distinct(CaseRow.department), "grades": distinct(CaseRow.grade)}
