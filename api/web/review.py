"""The review workflow of a case: conclusion, 退回整改 and 复核, with the status history.

A *case* is every scan of one 案号 (:func:`group_key`): a dossier rescanned after rectification
joins the case of its earlier scan. The case's status comes from its latest review step
(``web_review_events``) and its scans:

====================  ==============================================================
待评查 / 评查中         no step yet; 评查中 once a finding of the newest scan is disposed
已评查                 a conclusion (评查结论 or 复核结论) on the newest scan
退回整改               the evaluator returned the case to the prosecutor with what to rectify
待复核                 the prosecutor reported it rectified, or rescanned it after a return
                       or after the conclusion (a newer scan than the one concluded)
====================  ==============================================================

A conclusion is refused while findings of the 重点评查 rules (``key_review.reasons``) are
undisposed, unless the evaluator overrides with a reason (kept on the conclusion and in the audit
log); see :func:`undisposed_key_findings`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.web.models import Conclusion, ReviewEvent

CONCLUDE, RECHECK, RETURN, RESUBMIT = "评查结论", "复核结论", "退回整改", "提请复核"
PENDING, REVIEWING, DONE, RETURNED, RECHECKING = "待评查", "评查中", "已评查", "退回整改", "待复核"
STATUSES = (PENDING, REVIEWING, RETURNED, RECHECKING, DONE)
ACTION_STATUS = {CONCLUDE: DONE, RECHECK: DONE, RETURN: RETURNED, RESUBMIT: RECHECKING}
DISMISSED = ("误报", "不适用")
_BRACKETS = str.maketrans({"［": "〔", "[": "〔", "【": "〔", "〖": "〔", "（": "〔", "(": "〔", "］": "〕", "]": "〕",
                           "】": "〕", "〗": "〕", "）": "〕", ")": "〕"})


def group_key(case_no: str, scan_id: str) -> str:
    """The case a scan belongs to: its 案号 normalised (width, spaces, bracket forms), else the scan itself."""
    text = unicodedata.normalize("NFKC", case_no or "")
    text = re.sub(r"\s+", "", text).translate(_BRACKETS)
    return f"案号:{text}"[:200] if len(text) >= 4 else f"scan:{scan_id}"


def status_of(events: list[ReviewEvent], latest_scan: str, latest_at: dt.datetime | None, has_conclusion: bool,
              dispositions: int) -> str:
    """The case's status from its steps (oldest first), its newest scan and that scan's review state."""
    last = events[-1] if events else None
    if last is None:
        if has_conclusion:
            return DONE
        return REVIEWING if dispositions else PENDING
    if last.action == RETURN:
        return RECHECKING if latest_at is not None and last.scan_id != latest_scan and latest_at > last.at else RETURNED
    if last.action in (CONCLUDE, RECHECK) and last.scan_id != latest_scan:
        return RECHECKING  # a newer scan than the one concluded: look at it again
    return ACTION_STATUS.get(last.action, PENDING)


def events_of(session: Session, key: str) -> list[ReviewEvent]:
    return list(session.scalars(select(ReviewEvent).where(ReviewEvent.group_key == key)
                                .order_by(ReviewEvent.at, ReviewEvent.id)))


def record(session: Session, key: str, scan_id: str, user, action: str, note: str = "", grade: str = "") -> ReviewEvent:
    """Add a step (not committed)."""
    ev = ReviewEvent(group_key=key, scan_id=scan_id, at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
                     by=user.username, by_label=user.label, role=user.role, action=action, status=ACTION_STATUS[action],
                     grade=grade, note=note)
    session.add(ev)
    return ev


def undisposed_key_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Findings of the rules that made the case a 重点评查 case, not yet disposed by an evaluator."""
    reasons = set((report.get("key_review") or {}).get("reasons") or [])
    return [f for f in report.get("findings") or []
            if f.get("rule_id") in reasons and not (f.get("disposition") or {}).get("status")]


def grade_rank(grade: str) -> int:
    """Order of the grades from best to worst (unknown grades last)."""
    order = ("优质", "合格", "基本合格", "瑕疵", "不合格")
    return order.index(grade) if grade in order else len(order)


def history(events: Iterable[ReviewEvent], conclusions: dict[str, Conclusion]) -> list[dict[str, Any]]:
    """The steps as the case page lists them, newest first."""
    out = []
    for e in events:
        out.append({"at": e.at, "who": e.by_label or e.by, "role": e.role, "action": e.action, "status": e.status,
                    "grade": e.grade, "note": e.note, "scan_id": e.scan_id})
    return list(reversed(out))
