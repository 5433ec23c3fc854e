"""The period engine (DL-018): the worked examples of ../shared/rules/README.md §2.1 and edge cases."""

from __future__ import annotations

import datetime as dt

import pytest

from checks.calendar import (
    add_months, age_on, days_between, hours_end, is_holiday, next_working_day, period_end, policy_for, sentence_end,
)

D = dt.date.fromisoformat


def test_hours_start_hour_not_counted():
    limit = hours_end(dt.datetime(2024, 3, 1, 14, 20), 24)
    assert limit.deadline == dt.datetime(2024, 3, 2, 15, 0)
    assert limit.warn_after == dt.datetime(2024, 3, 2, 14, 20)
    assert limit.judge(dt.datetime(2024, 3, 2, 14, 0)) == "ok"
    assert limit.judge(dt.datetime(2024, 3, 2, 14, 40)) == "ambiguous"
    assert limit.judge(dt.datetime(2024, 3, 2, 15, 0)) == "ambiguous"
    assert limit.judge(dt.datetime(2024, 3, 2, 15, 1)) == "late"


def test_hours_on_the_hour_runs_from_next_hour():
    assert hours_end(dt.datetime(2024, 3, 1, 14, 0), 24).deadline == dt.datetime(2024, 3, 2, 15, 0)


def test_days_start_day_not_counted():
    assert period_end(D("2024-03-01"), days=3, custody=True).deadline == D("2024-03-04")
    assert days_between(D("2024-03-01"), D("2024-03-04")) == 3


@pytest.mark.parametrize("start,months,end", [
    ("2024-01-31", 1, "2024-02-29"),   # month-end start → last day of next month
    ("2023-01-31", 1, "2023-02-28"),
    ("2024-03-15", 1, "2024-04-15"),
    ("2024-04-30", 1, "2024-05-31"),   # last day of April → last day of May
    ("2024-03-30", 1, "2024-04-30"),   # 30 April exists
    ("2024-03-31", 1, "2024-04-30"),
    ("2024-11-15", 2, "2025-01-15"),
    ("2024-12-31", 2, "2025-02-28"),
])
def test_months(start, months, end):
    assert add_months(D(start), months) == D(end)


def test_month_plus_half_month_is_fifteen_days():
    assert period_end(D("2024-03-15"), months=1, days=15, custody=True).deadline == D("2024-04-30")


def test_sentence_term_ends_the_day_before():
    assert sentence_end(D("2024-03-01"), months=12) == D("2025-02-28")
    assert sentence_end(D("2024-03-15"), months=6) == D("2024-09-14")
    assert sentence_end(D("2023-03-01"), years=1) == D("2024-02-29")
    assert sentence_end(D("2024-01-31"), months=1) == D("2024-02-29")


def test_holidays_from_official_table():
    assert is_holiday(D("2024-10-01"))
    assert is_holiday(D("2024-05-04"))  # Saturday inside the May Day break
    assert not is_holiday(D("2024-10-12"))  # Saturday made a working day (调休)
    assert not is_holiday(D("2024-09-29"))  # Sunday made a working day
    assert next_working_day(D("2024-05-01")) == D("2024-05-06")


def test_holiday_extension_only_out_of_custody():
    free = period_end(D("2024-04-01"), months=1, custody=False)
    held = period_end(D("2024-04-01"), months=1, custody=True)
    unknown = period_end(D("2024-04-01"), months=1, custody=None)
    assert free.plain == held.plain == D("2024-05-01")
    assert free.deadline == D("2024-05-06")
    assert held.deadline == D("2024-05-01")
    assert free.judge(D("2024-05-06")) == "ok"
    assert held.judge(D("2024-05-06")) == "late"
    assert unknown.judge(D("2024-05-06")) == "ambiguous"
    assert unknown.judge(D("2024-05-07")) == "late"
    assert unknown.judge(D("2024-04-30")) == "ok"


def test_policy_for():
    assert policy_for(True) == "custody" and policy_for(False) == "free" and policy_for(None) == "unclear"


@pytest.mark.parametrize("birth,day,age", [
    ("2008-05-10", "2022-05-10", 13),  # birthday itself not yet counted
    ("2008-05-10", "2022-05-11", 14),
    ("2008-02-29", "2022-02-28", 13),
    ("2008-02-29", "2022-03-01", 13),
    ("2008-02-29", "2022-03-02", 14),
])
def test_age_counts_from_the_day_after_the_birthday(birth, day, age):
    assert age_on(D(birth), D(day)) == age
