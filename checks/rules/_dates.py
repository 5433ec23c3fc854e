"""What the period (DL) rules share: the judgments of a 24-hour or day-counted limit and the dates
the arrest periods start from.

:func:`hours_rule` judges a start and an end against an hour limit (late → finding, within the
hour's grey zone → warning); :func:`judge_days` a date against a :class:`checks.calendar.DayDeadline`
(late → finding; late only unless the holiday extension applies → warning). The accessors read the
case's own records: when the procuratorate received the 提请批准逮捕书 (:func:`arrest_received`), the
earliest day it can have (:func:`arrest_request_bound`), the first 讯问 after a moment.
"""

from __future__ import annotations

import datetime as dt

from models import CaseFile, Document, Evidence
from models import vocab as V

from checks.calendar import DayDeadline, hours_end
from checks.engine import Context
from checks.rules._common import date_of, ev, fmt, label, time_of


def hours_rule(ctx: Context, start_doc: Document, start: dt.datetime, end: dt.datetime | None, end_doc: Document | None,
               hours: int, what: str, start_what: str, missing: str) -> None:
    """Shared body of the 24-hour rules: late → finding, grey zone → warning."""
    limit = hours_end(start, hours)
    if end is None:
        ctx.warn(missing)
        return
    verdict = limit.judge(end)
    base = (f"{label(start_doc)}{start_what}{fmt(start)}，{label(end_doc) if end_doc else ''}{what}{fmt(end)}，"
            f"超过{hours}小时（届满{fmt(limit.deadline)}）")
    evidence = ev(start_doc, V.EXECUTION_TIME) + (ev(end_doc) if end_doc else [])
    if verdict == "late":
        ctx.report(base + "。", evidence=evidence, key=f"{start_doc.id}|{end_doc.id if end_doc else ''}")
    elif verdict == "ambiguous":
        ctx.warn(f"{label(start_doc)}{start_what}{fmt(start)}，{what}{fmt(end)}，已超过{fmt(limit.warn_after)}，"
                 f"但未超过按整点起算的届满时刻{fmt(limit.deadline)}，请人工确认。")


def notice_rule(case: CaseFile, ctx: Context, warrant_type: str, notice_type: str, start_what: str) -> None:
    """Shared body of the family-notice rules: the warrant's execution time to the notice's, within
    24 hours, unless the notice states why the family was not notified."""
    warrant = case.first(warrant_type)
    notice = case.first(notice_type)
    start = time_of(warrant, V.EXECUTION_TIME)
    if start is None:
        ctx.warn(f"{label(warrant)}未能读取执行时间（时分），无法核验。")
        return
    if notice.value(V.NOT_NOTIFIED_REASON):
        return
    end = time_of(notice, V.NOTIFY_TIME)
    hours_rule(ctx, warrant, start, end, notice, 24, "通知家属时间", start_what,
               f"{label(notice)}未能读取通知时间（时分），无法核验。")


def first_interrogation_after(case: CaseFile, start: dt.datetime) -> tuple[dt.datetime, Document] | None:
    """The earliest 讯问笔录 that began at or after ``start``, with its start time."""
    times = sorted((t, d) for d in case.of_type(V.INTERROGATION) if (t := time_of(d, V.START_TIME)) and t >= start)
    return times[0] if times else None


def arrest_received(case: CaseFile) -> tuple[dt.date, Document] | None:
    """The date the procuratorate received the 提请批准逮捕书 (exact records only)."""
    for doc in case.of_type(V.ARREST_APPROVAL, V.ARREST_DISAPPROVAL, V.ARREST_REQUEST):
        d = date_of(doc, V.RECEIVED_DATE)
        if d:
            return d, doc
    return None


#: The longest plausible time (days) between the date of a 提请批准逮捕书 and its receipt by the
#: procuratorate: the police of the same jurisdiction deliver it with the case file, at the latest
#: the next day. Where the receipt is not written, a decision later than the limit counted from
#: request + this margin is a finding; between that and the limit counted from the request, a hint.
MAX_TRANSIT_DAYS = 1


def arrest_request_bound(case: CaseFile) -> tuple[dt.date, Document] | None:
    """The earliest day the procuratorate can have received the request: the latest request date
    the dossier states (the 提请批准逮捕书's own date, the decision's 你局于…提请批准逮捕)."""
    found = [(d, doc) for doc in case.of_type(V.ARREST_REQUEST) if (d := date_of(doc, V.DATE))]
    found += [(d, doc) for doc in case.of_type(V.ARREST_APPROVAL, V.ARREST_DISAPPROVAL) if (d := date_of(doc, V.REQUEST_DATE))]
    return max(found, key=lambda p: p[0]) if found else None


def judge_days(ctx: Context, limit: DayDeadline, actual: dt.date, message: str, evidence: list[Evidence],
               key: str = "") -> None:
    """Shared body of the day-counted rules: late → finding with ``message``; late only unless the
    last day's holiday extension applies → warning that asks for a person's judgment."""
    verdict = limit.judge(actual)
    if verdict == "late":
        ctx.report(message, evidence, key=key)
    elif verdict == "ambiguous":
        ctx.warn(message.rstrip("。") + f"；但届满日{fmt(limit.plain)}为节假日，按节假日顺延则至{fmt(limit.extended)}，"
                 "是否顺延取决于是否在押等情况，请人工确认。")
