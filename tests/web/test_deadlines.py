"""The ``deadlines`` block of the report (assistant.deadlines): statutory periods of a case in
progress, counted by the calendar engine of the 期限 rules."""

from __future__ import annotations

import datetime as dt

from models import CaseFile, Document, Field
from models import vocab as V

from assistant.deadlines import compute_deadlines, refresh


def doc(i: int, dtype: str, **fields) -> Document:
    return Document(id=f"d{i}", type=dtype, title=dtype, file="卷.pdf", pages=[i],
                    fields={k: Field(value=v) for k, v in fields.items()})


def by_event(items):
    return {i["event"]: i for i in items}


def test_finished_case_has_no_deadlines():
    case = CaseFile(name="c", documents=[doc(1, V.DETENTION_WARRANT, execution_time="2024-03-01T14:20"),
                                         doc(2, V.INDICTMENT, date="2024-05-01")])
    assert compute_deadlines(case, as_of=dt.date(2024, 3, 2)) == []
    judged = CaseFile(name="c", documents=[doc(1, V.JUDGMENT, date="2024-05-01")])
    assert compute_deadlines(judged) == []


def test_detention_then_arrest_request_then_custody():
    case = CaseFile(name="c", documents=[
        doc(1, V.DETENTION_WARRANT, execution_time="2024-03-01T14:20"),
        doc(2, V.ARREST_REQUEST, date="2024-03-04", received_date="2024-03-04"),
        doc(3, V.ARREST_APPROVAL, date="2024-03-08"),
        doc(4, V.ARREST_WARRANT, execution_time="2024-03-08T09:00"),
        doc(5, V.CUSTODY_EXTENSION, extension_months=1),
    ])
    items = by_event(compute_deadlines(case, as_of=dt.date(2024, 4, 1)))
    assert items["提请批准逮捕"]["due_date"] == "2024-03-04" and items["提请批准逮捕"]["status"] == "已办结"
    assert items["提请批准逮捕"]["done_date"] == "2024-03-04"
    # 已拘留: 7 days from receipt, in custody (no holiday extension)
    assert items["审查逮捕"]["due_date"] == "2024-03-11" and items["审查逮捕"]["status"] == "已办结"
    # 2 months + 1 month extension from 2024-03-08 → 2024-06-08 (a Saturday: custody, not extended)
    cust = items["侦查羁押"]
    assert cust["due_date"] == "2024-06-08" and cust["days_left"] == 68 and cust["status"] == "未到期"
    assert cust["period"] == "3个月（含延长）" and cust["basis"].startswith("《中华人民共和国刑事诉讼法》")
    # undone items come first, by due date
    assert compute_deadlines(case, as_of=dt.date(2024, 4, 1))[0]["event"] == "侦查羁押"


def test_detention_extension_for_gang_crime():
    case = CaseFile(name="c", documents=[doc(1, V.DETENTION_WARRANT, execution_time="2024-03-01T14:20"),
                                         doc(2, V.DETENTION_EXTENSION, extension_reason="结伙作案")])
    item = by_event(compute_deadlines(case, as_of=dt.date(2024, 3, 5)))["提请批准逮捕"]
    assert item["due_date"] == "2024-03-31" and item["days_left"] == 26 and "30日" in item["period"]


def test_review_and_notice_after_acceptance():
    case = CaseFile(name="c", documents=[
        doc(1, V.ARREST_WARRANT, execution_time="2024-03-08T09:00"),
        doc(2, V.PROSECUTION_OPINION, date="2024-04-30", transfer_date="2024-04-30"),
        doc(3, V.CASE_ACCEPTANCE, date="2024-04-30"),
    ])
    items = by_event(compute_deadlines(case, as_of=dt.date(2024, 5, 31)))
    review = items["审查起诉"]
    # one month from 30 April: the last day of May (month-end start); in custody: not extended
    assert review["due_date"] == "2024-05-31" and review["days_left"] == 0 and review["status"] == "即将届满"
    notice = items["告知（犯罪嫌疑人）"]
    assert notice["due_date"] == "2024-05-03" and notice["status"] == "已超期" and notice["days_left"] == -28
    assert items["侦查羁押"]["status"] == "已办结"


def test_notice_done_and_not_in_custody_holiday_extension():
    case = CaseFile(name="c", documents=[
        doc(1, V.BAIL_DECISION, date="2024-09-01", issuer="某市公安局"),
        doc(2, V.CASE_ACCEPTANCE, date="2024-09-27"),
        doc(3, V.RIGHTS_NOTICE, rights_notice_date="2024-09-28"),
    ])
    items = by_event(compute_deadlines(case, as_of=dt.date(2024, 10, 1)))
    assert items["告知（犯罪嫌疑人）"]["status"] == "已办结"
    # 2024-10-27 is a Sunday: not in custody → the next working day
    assert items["审查起诉"]["due_date"] == "2024-10-28"


def test_refresh_recomputes_days_left():
    case = CaseFile(name="c", documents=[doc(1, V.DETENTION_WARRANT, execution_time="2024-03-01T14:20")])
    items = compute_deadlines(case, as_of=dt.date(2024, 3, 2))
    assert items[0]["days_left"] == 2 and items[0]["status"] == "即将届满"
    later = refresh(items, as_of=dt.date(2024, 3, 10))
    assert later[0]["days_left"] == -6 and later[0]["status"] == "已超期"
