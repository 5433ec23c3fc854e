"""Tables of the web pages, beside the service's own (:mod:`api.db`) in the same database.

- ``web_users`` — accounts (argon2 password hashes), roles as the API's (no ``intake``);
- ``web_sessions`` — sign-in sessions: the cookie carries a random token, the table only its
  sha256, with the session's CSRF token;
- ``web_cases`` / ``web_findings`` / ``web_deadlines`` — a denormalised index of finished
  reports (one row per scan, per finding, per deadline) so that the 案件列表, the dashboards
  and the 期限预警 page are single indexed queries; rebuilt from ``report.json`` and the
  dispositions whenever a scan or its dispositions change (:mod:`api.web.index`);
- ``web_conclusions`` — the evaluator's 评查结论 (grade and opinion) that fills the notice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from api.db import utcnow
from assistant.database import Base, SafeString, SafeText, make_engine

WEB_ROLES = ("prosecutor", "evaluator", "admin")


class User(Base):
    """A web account: username, display name, role, department and argon2 password hash."""

    __tablename__ = "web_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(SafeString(100), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(SafeString(100), default="")
    role: Mapped[str] = mapped_column(SafeString(16))
    department: Mapped[str] = mapped_column(SafeString(100), default="")
    password_hash: Mapped[str] = mapped_column(SafeString(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    @property
    def label(self) -> str:
        return self.display_name or self.username


class WebSession(Base):
    """A sign-in session: the sha256 of its cookie token, its CSRF token and expiry."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(SafeString(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    csrf_token: Mapped[str] = mapped_column(SafeString(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class CaseRow(Base):
    """One scan in the case index (案件列表, dashboards, 期限预警), rebuilt from its report and dispositions."""

    __tablename__ = "web_cases"

    scan_id: Mapped[str] = mapped_column(SafeString(32), primary_key=True)
    dossier_key: Mapped[str] = mapped_column(SafeString(200), index=True, default="")
    scan_status: Mapped[str] = mapped_column(SafeString(16), default="queued")
    name: Mapped[str] = mapped_column(SafeString(255), default="")
    case_no: Mapped[str] = mapped_column(SafeString(200), default="")
    charges: Mapped[str] = mapped_column(SafeString(500), default="")
    defendants: Mapped[str] = mapped_column(SafeString(500), default="")
    prosecutor: Mapped[str] = mapped_column(SafeString(100), default="", index=True)
    department: Mapped[str] = mapped_column(SafeString(100), default="", index=True)
    scanned_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    month: Mapped[str] = mapped_column(SafeString(7), default="", index=True)
    grade: Mapped[str] = mapped_column(SafeString(16), default="", index=True)
    points: Mapped[int] = mapped_column(Integer, default=0)
    key_review: Mapped[bool] = mapped_column(Boolean, default=False)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    review_status: Mapped[str] = mapped_column(SafeString(16), default="待评查", index=True)
    in_progress: Mapped[bool] = mapped_column(Boolean, default=False)
    search: Mapped[str] = mapped_column(SafeText, default="")
    disp_count: Mapped[int] = mapped_column(Integer, default=0)
    disp_at: Mapped[str] = mapped_column(SafeString(40), default="")
    indexed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # --- added by migration 0002 (issue 22): cases grouped by 案号, the final grade, 办结日期 ---
    #: the case a scan belongs to: its normalised 案号, else ``scan:<id>`` (a rescan of the same case shares it)
    group_key: Mapped[str] = mapped_column(SafeString(200), default="", index=True)
    #: the newest scan of its group: the list, the dashboards and 期限预警 count only these
    latest: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    group_scans: Mapped[int] = mapped_column(Integer, default=1)
    final_grade: Mapped[str] = mapped_column(SafeString(16), default="", index=True)
    closed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    closed_month: Mapped[str] = mapped_column(SafeString(7), default="", index=True)


Index("ix_web_cases_status_scanned", CaseRow.scan_status, CaseRow.scanned_at)
# covers the dashboards' group-bys, so they read this narrow index instead of the wide rows
Index("ix_web_cases_dashboard", CaseRow.scan_status, CaseRow.department, CaseRow.prosecutor, CaseRow.month, CaseRow.grade,
      CaseRow.points, CaseRow.findings, CaseRow.key_review)


# migration 0002: the list (one row per case, newest first) and the dashboards over the newest scans
Index("ix_web_cases_latest_scanned", CaseRow.latest, CaseRow.scanned_at)
Index("ix_web_cases_case_dashboard", CaseRow.latest, CaseRow.scan_status, CaseRow.department, CaseRow.prosecutor,
      CaseRow.closed_month, CaseRow.grade, CaseRow.final_grade, CaseRow.points, CaseRow.findings, CaseRow.key_review)


class FindingRow(Base):
    """One finding of an indexed scan, with its disposition status."""

    __tablename__ = "web_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = mapped_column(SafeString(32), index=True)
    finding_id: Mapped[str] = mapped_column(SafeString(64), default="")
    rule_id: Mapped[str] = mapped_column(SafeString(16), index=True)
    title: Mapped[str] = mapped_column(SafeString(200), default="")
    category: Mapped[str] = mapped_column(SafeString(50), default="", index=True)
    points: Mapped[int] = mapped_column(Integer, default=0)
    disposition: Mapped[str] = mapped_column(SafeString(8), default="")
    department: Mapped[str] = mapped_column(SafeString(100), default="")
    prosecutor: Mapped[str] = mapped_column(SafeString(100), default="")
    month: Mapped[str] = mapped_column(SafeString(7), default="")


Index("ix_web_findings_rule_cover", FindingRow.rule_id, FindingRow.disposition, FindingRow.scan_id, FindingRow.title)
Index("ix_web_findings_category_cover", FindingRow.category, FindingRow.disposition, FindingRow.points, FindingRow.scan_id)


class DeadlineRow(Base):
    """One statutory deadline of an indexed scan (期限预警)."""

    __tablename__ = "web_deadlines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = mapped_column(SafeString(32), index=True)
    event: Mapped[str] = mapped_column(SafeString(50))
    rule_id: Mapped[str] = mapped_column(SafeString(16), default="")
    basis: Mapped[str] = mapped_column(SafeText, default="")
    start_event: Mapped[str] = mapped_column(SafeString(50), default="")
    start: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    period: Mapped[str] = mapped_column(SafeString(100), default="")
    due_date: Mapped[dt.date] = mapped_column(Date, index=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    prosecutor: Mapped[str] = mapped_column(SafeString(100), default="")


class Conclusion(Base):
    """The evaluator's 评查结论 of a scan: grade and opinion, which fill the notice."""

    __tablename__ = "web_conclusions"

    scan_id: Mapped[str] = mapped_column(SafeString(32), primary_key=True)
    grade: Mapped[str] = mapped_column(SafeString(16))
    opinion: Mapped[str] = mapped_column(SafeText, default="")
    by: Mapped[str] = mapped_column(SafeString(100), default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # --- added by migration 0002 ---
    by_label: Mapped[str] = mapped_column(SafeString(100), default="")
    machine_grade: Mapped[str] = mapped_column(SafeString(16), default="")
    #: why the conclusion was saved while 重点评查 findings were undisposed (empty: none were)
    override_reason: Mapped[str] = mapped_column(SafeText, default="")


class ReviewEvent(Base):
    """One step of a case's review (table added by migration 0002): a conclusion, 退回整改, 提请复核 …
    The case's status is its latest step (:func:`api.web.review.status_of`)."""

    __tablename__ = "web_review_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_key: Mapped[str] = mapped_column(SafeString(200), index=True)
    scan_id: Mapped[str] = mapped_column(SafeString(32), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    by: Mapped[str] = mapped_column(SafeString(100), default="")
    by_label: Mapped[str] = mapped_column(SafeString(100), default="")
    role: Mapped[str] = mapped_column(SafeString(16), default="")
    action: Mapped[str] = mapped_column(SafeString(16))
    status: Mapped[str] = mapped_column(SafeString(16))
    grade: Mapped[str] = mapped_column(SafeString(16), default="")
    note: Mapped[str] = mapped_column(SafeText, default="")


def create_tables(url: str) -> None:
    """Create the web tables (and the dispositions table they join) once per process, then bring
    an existing database up to date with the Alembic migrations (:mod:`api.migrations`)."""
    import assistant.dispositions  # noqa: F401 - its table is declared on the same base
    from api.migrate import upgrade

    make_engine(url, Base.metadata)
    upgrade(url)
