"""The case index behind the 案件列表, the dashboards and the 期限预警 page.

Rows are rebuilt from a scan's ``report.json`` with its dispositions applied (points and grade
as the API shows them). :func:`sync` finds what changed with two cheap queries — scans whose
status differs from their row (new, finished, failed) and dossiers whose dispositions changed
(count or latest time), whoever recorded them (web, API or CLI) — and rebuilds only those.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Iterable

from sqlalchemy import case as sql_case, delete, func, inspect, or_, select
from sqlalchemy.orm import Session

from api.db import Scan, ScanAccess
from api.storage import Storage
from api.web import review
from api.web.models import CaseRow, Conclusion, DeadlineRow, FindingRow, User
from assistant.dispositions import DispositionRow, lookup_by_key
from assistant.grading import UNGRADABLE
from assistant.service import apply_dispositions

log = logging.getLogger(__name__)

DISMISSED = ("误报", "不适用")
SCAN_STATUS_LABELS = {"queued": "排队中", "running": "扫描中", "failed": "扫描失败", "done": "已完成"}
REVIEW_STATUSES = review.STATUSES
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


#: Events that close a case's handling (its 办结日期 when no manifest gives one): the latest of them.
CLOSING_EVENTS = ("起诉", "不起诉", "撤回起诉", "判决")


def review_status(has_conclusion: bool, dispositions: int) -> str:
    """The status of a case with no review step yet (see :func:`api.web.review.status_of`)."""
    if has_conclusion:
        return review.DONE
    return review.REVIEWING if dispositions else review.PENDING


def closed_on(report: dict[str, Any] | None, meta: dict[str, Any] | None) -> dt.date | None:
    """The case's 办结日期: the manifest's, else the latest closing event of the report (none while in progress)."""
    raw = str((meta or {}).get("closed") or "")
    if m := re.match(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", raw):
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    if not report or report.get("deadlines"):
        return None
    dates = (report.get("case") or {}).get("dates") or {}
    found = [d for d in (_date(str(dates.get(e) or "")) for e in CLOSING_EVENTS) if d]
    return max(found) if found else None


def _batch_meta(session: Session, scan_id: str) -> dict[str, Any]:
    """What a batch manifest said about this dossier (案号, 承办检察官, 部门, 办结日期), if it came from one."""
    from api.batch import BatchItem

    bind = session.get_bind()
    url = str(bind.url)
    if url not in _HAS_BATCHES:  # a database that never ran a batch has no batch tables
        _HAS_BATCHES[url] = inspect(bind).has_table(BatchItem.__tablename__)
    if not _HAS_BATCHES[url]:
        return {}
    meta = session.scalar(select(BatchItem.meta).where(BatchItem.scan_id == scan_id, BatchItem.meta.is_not(None)).limit(1))
    return dict(meta) if isinstance(meta, dict) else {}


_HAS_BATCHES: dict[str, bool] = {}


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
    meta = _batch_meta(session, scan.id)
    row.dossier_key = scan.dossier_key or ""
    row.scan_status = scan.status
    row.name = str(meta.get("case_number") or scan.name or "")[:255]
    row.prosecutor = prosecutor
    row.department = str(meta.get("department") or departments.get(prosecutor, ""))[:100]
    row.scanned_at = scan.created_at or dt.datetime.utcnow()
    row.month = row.scanned_at.strftime("%Y-%m")
    row.indexed_at = dt.datetime.utcnow()
    row.disp_count, row.disp_at = disp_stamp or (0, "")
    conclusion = session.get(Conclusion, scan.id)
    row.final_grade = conclusion.grade if conclusion is not None else ""
    report = None
    if scan.status == "done" and scan.report_path:
        try:
            report = storage.read_report(scan.report_path)
        except (OSError, ValueError):
            log.warning("report of scan %s unreadable", scan.id)
    if report is None:
        row.case_no = str(meta.get("case_number") or "")[:200]
        row.charges = row.defendants = row.grade = ""
        row.points, row.findings, row.key_review, row.in_progress = 0, 0, False, False
        row.review_status = SCAN_STATUS_LABELS.get(scan.status, scan.status) if scan.status != "done" else "报告缺失"
        row.search = " ".join([row.name, row.case_no, prosecutor]).lower()
        row.group_key = review.group_key(row.case_no, scan.id)
        row.closed_on = closed_on(None, meta)
        row.closed_month = row.closed_on.strftime("%Y-%m") if row.closed_on else ""
        return row
    disps = lookup_by_key(scan.dossier_key, cfg.core) if row.disp_count else {}
    report = apply_dispositions(report, disps, cfg.core)
    case = report.get("case") or {}
    row.case_no = str(meta.get("case_number") or _case_no(report))[:200]
    row.group_key = review.group_key(row.case_no, scan.id)
    row.closed_on = closed_on(report, meta)
    row.closed_month = row.closed_on.strftime("%Y-%m") if row.closed_on else ""
    row.charges = "、".join(c for c in case.get("charges") or [] if isinstance(c, str))
    row.defendants = "、".join(s.get("name") for s in case.get("suspects") or [] if isinstance(s, dict) and s.get("name"))
    row.grade = str(report.get("grade") or "")
    row.points = int(report.get("points") or 0)
    row.key_review = bool((report.get("key_review") or {}).get("required"))
    counted = [f for f in report.get("findings") or [] if (f.get("disposition") or {}).get("status") not in DISMISSED]
    row.findings = len(counted)
    row.review_status = review_status(conclusion is not None, len(disps))
    deadlines = report.get("deadlines") or []
    row.in_progress = bool(deadlines)
    row.search = " ".join([row.name, row.case_no, *case.get("doc_numbers", []), row.charges, row.defendants, prosecutor,
                           row.department]).lower()
    for f in report.get("findings") or []:
        session.add(FindingRow(scan_id=scan.id, finding_id=str(f.get("id") or ""), rule_id=str(f.get("rule_id") or ""),
                               title=str(f.get("title") or ""), category=str(f.get("category") or ""),
                               points=int(f.get("severity_points") or 0),
                               disposition=str((f.get("disposition") or {}).get("status") or ""),
                               department=row.department, prosecutor=prosecutor, month=row.closed_month))
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
    groups: set[str] = set(session.scalars(select(CaseRow.group_key).where(CaseRow.scan_id.in_(list(ids)))))
    for scan in session.scalars(select(Scan).where(Scan.id.in_(list(ids)))):
        groups.add(index_scan(session, storage, cfg, scan, departments, stamps.get(scan.dossier_key)).group_key)
    session.flush()
    refresh_groups(session, groups)
    session.commit()
    if only is None:
        _SEEN[url] = overall
    return len(ids)


def refresh_groups(session: Session, keys: Iterable[str]) -> None:
    """For each case (group of scans of one 案号): which scan is the newest, how many there are, and
    the case's review status on every row of it (not committed)."""
    for key in {k for k in keys if k}:
        rows = list(session.scalars(select(CaseRow).where(CaseRow.group_key == key)))
        if not rows:
            continue
        done = [r for r in rows if r.scan_status == "done"]
        newest = max(done or rows, key=lambda r: (r.scanned_at, r.scan_id))
        events = review.events_of(session, key)
        for r in rows:
            r.latest = r.scan_id == newest.scan_id
            r.group_scans = len(rows)
        if newest.scan_status == "done" and newest.review_status != "报告缺失":
            status = review.status_of(events, newest.scan_id, newest.scanned_at, bool(newest.final_grade),
                                      newest.disp_count)
            for r in rows:
                if r.scan_status == "done" and r.review_status != "报告缺失":
                    r.review_status = status


def reindex_group(session: Session, storage: Storage, cfg, key: str) -> None:
    """Rebuild the rows of every scan of a case (after a review step). Commits."""
    ids = list(session.scalars(select(CaseRow.scan_id).where(CaseRow.group_key == key)))
    if ids:
        sync(session, storage, cfg, only=ids)


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
           "final_grade", "points_min", "points_max", "key_review", "status", "closed_from", "closed_to")
#: Sortable columns of the list: name → (column, label).
SORTS = {
    "case_no": (CaseRow.case_no, "案号"), "name": (CaseRow.name, "卷宗"), "charges": (CaseRow.charges, "罪名"),
    "prosecutor": (CaseRow.prosecutor, "承办检察官"), "department": (CaseRow.department, "部门"),
    "scanned": (CaseRow.scanned_at, "扫描时间"), "closed": (CaseRow.closed_on, "办结日期"), "grade": (CaseRow.grade, "建议等次"),
    "final_grade": (CaseRow.final_grade, "评查结论"), "points": (CaseRow.points, "扣分"), "findings": (CaseRow.findings, "问题"),
    "key_review": (CaseRow.key_review, "重点评查"), "status": (CaseRow.review_status, "状态"),
}


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
    q = select(CaseRow).where(CaseRow.latest.is_(True))  # one row per case: its newest scan
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
    if f.get("final_grade"):
        q = q.where(CaseRow.final_grade == ("" if f["final_grade"] == "未评查" else f["final_grade"]))
    if d := _date(f.get("closed_from")):
        q = q.where(CaseRow.closed_on >= d)
    if d := _date(f.get("closed_to")):
        q = q.where(CaseRow.closed_on <= d)
    if (n := _int(f.get("points_min"))) is not None:
        q = q.where(CaseRow.points >= n)
    if (n := _int(f.get("points_max"))) is not None:
        q = q.where(CaseRow.points <= n)
    if f.get("key_review") in ("1", "0"):
        q = q.where(CaseRow.key_review.is_(f["key_review"] == "1"))
    if f.get("status"):
        q = q.where(CaseRow.review_status == f["status"])
    return q


def ordering(sort: str = "", direction: str = "") -> list:
    """ORDER BY of the list: the chosen column (``SORTS``), else unreadable dossiers first (nobody may take
    them for reviewed) and the newest scans first."""
    if sort in SORTS:
        col = SORTS[sort][0]
        return [col.asc() if direction == "asc" else col.desc(), CaseRow.scanned_at.desc(), CaseRow.scan_id]
    unread_first = sql_case((CaseRow.grade == UNGRADABLE, 0), else_=1)
    return [unread_first, CaseRow.scanned_at.desc(), CaseRow.scan_id]


def list_cases(session: Session, user: User, f: dict[str, str], page: int, per_page: int = 50, sort: str = "",
               direction: str = "") -> tuple[list[CaseRow], int]:
    q = case_query(user, f)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = list(session.scalars(q.order_by(*ordering(sort, direction))
                                .offset(max(0, page - 1) * per_page).limit(per_page)))
    return rows, total


def all_cases(session: Session, user: User, f: dict[str, str], sort: str = "", direction: str = "",
              limit: int = 100_000) -> list[CaseRow]:
    """Every case the filters select (the list's export)."""
    return list(session.scalars(case_query(user, f).order_by(*ordering(sort, direction)).limit(limit)))


def filter_options(session: Session, user: User) -> dict[str, list[str]]:
    vis = visible_cases(user)

    def distinct(col) -> list[str]:
        q = select(col).where(col != "").distinct().order_by(col)
        if vis is not None:
            q = q.where(vis)
        return list(session.scalars(q.limit(500)))

    return {"departments": distinct(CaseRow.department), "grades": distinct(CaseRow.grade),
            "final_grades": distinct(CaseRow.final_grade)}
