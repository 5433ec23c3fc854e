"""The period engine shared by every 期限 (DL) rule.

Implements 刑事诉讼法 第105条 and 最高法解释 第202条 as explained in
``../shared/rules/README.md`` §2.1 (catalog entry DL-018):

- **hours** — the starting hour is not counted: the period runs from the next full hour, so a
  24-hour period from 14:20 ends at 15:00 the next day; between 14:20 and 15:00 is a grey zone
  (:attr:`HourDeadline.warn_after`) that rules report as a warning, not a finding;
- **days** — the starting day is not counted: 3 days from 1 March end on 4 March (24:00);
- **months** — from a day of one month to the same day of the next; a start on a month's last day
  (or a day the target month lacks) ends on the target month's last day; half a month is 15 days;
- **sentence terms** — to the day *before* the same day (:func:`sentence_end`);
- **holidays** — a period whose last day is a statutory holiday (weekends included, official
  调休 working days excluded; from the ``chinese_calendar`` package) ends on the next working day,
  except while the person is in custody. When custody is unknown, or the exception's reach is
  unclear (appeal and protest periods), a result that depends on the holiday is *ambiguous* and
  rules hand it to a human as a warning.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from dataclasses import dataclass
from typing import Literal

import chinese_calendar

HolidayPolicy = Literal["custody", "free", "unclear"]
Verdict = Literal["ok", "late", "ambiguous"]


def policy_for(custody: bool | None) -> HolidayPolicy:
    """Holiday policy from the custody state: in custody never extend; unknown → unclear."""
    if custody is True:
        return "custody"
    if custody is False:
        return "free"
    return "unclear"


def is_holiday(day: dt.date) -> bool:
    """Statutory rest day (holiday or weekend that is not an official 调休 working day)."""
    try:
        return chinese_calendar.is_holiday(day)
    except NotImplementedError:  # year outside the package's table: weekends only
        return day.weekday() >= 5


def next_working_day(day: dt.date) -> dt.date:
    """``day`` itself when it is a working day, else the first working day after it."""
    while is_holiday(day):
        day += dt.timedelta(days=1)
    return day


def last_day_of_month(year: int, month: int) -> int:
    return _cal.monthrange(year, month)[1]


def add_months(start: dt.date, months: int) -> dt.date:
    """最高法解释第202条: 本月某日至下月同日; month-end start or missing day → last day of target month."""
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    last = last_day_of_month(year, month)
    if start.day == last_day_of_month(start.year, start.month) or start.day > last:
        return dt.date(year, month, last)
    return dt.date(year, month, start.day)


def sentence_end(start: dt.date, months: int = 0, years: int = 0) -> dt.date:
    """Last day of a term counted in months/years from ``start`` (至下月同日的前一日).

    Where the same day does not exist in the target month, the term ends on that month's
    last day. ``start`` is the first day served.
    """
    total = months + 12 * years
    y, m = divmod(start.month - 1 + total, 12)
    year, month = start.year + y, m + 1
    last = last_day_of_month(year, month)
    if start.day > last:
        return dt.date(year, month, last)
    return dt.date(year, month, start.day) - dt.timedelta(days=1)


@dataclass(frozen=True)
class DayDeadline:
    """The last day of a period counted in days/months, before and after holiday extension."""

    start: dt.date
    plain: dt.date
    extended: dt.date
    policy: HolidayPolicy

    @property
    def deadline(self) -> dt.date:
        """The deadline that binds under the policy (unclear → the stricter one)."""
        return self.extended if self.policy == "free" else self.plain

    def judge(self, actual: dt.date) -> Verdict:
        """``late`` past the binding deadline; ``ambiguous`` when only a holiday extension saves it."""
        if actual <= self.plain:
            return "ok"
        if actual <= self.extended:
            return "ok" if self.policy == "free" else ("late" if self.policy == "custody" else "ambiguous")
        return "late"

    def describe(self) -> str:
        if self.extended != self.plain and self.policy != "custody":
            return f"{self.plain.isoformat()}（逢节假日顺延至{self.extended.isoformat()}）"
        return self.plain.isoformat()


def period_end(start: dt.date, *, months: int = 0, days: int = 0, custody: bool | None = None,
               policy: HolidayPolicy | None = None) -> DayDeadline:
    """Deadline of a period of ``months`` then ``days`` from ``start`` (start day not counted)."""
    plain = add_months(start, months) if months else start
    plain = plain + dt.timedelta(days=days)
    pol = policy or policy_for(custody)
    return DayDeadline(start=start, plain=plain, extended=next_working_day(plain), policy=pol)


@dataclass(frozen=True)
class HourDeadline:
    """A period counted in hours: ``deadline`` per the statute, ``warn_after`` the cautious line."""

    start: dt.datetime
    hours: int
    deadline: dt.datetime
    warn_after: dt.datetime

    def judge(self, actual: dt.datetime) -> Verdict:
        if actual > self.deadline:
            return "late"
        if actual > self.warn_after:
            return "ambiguous"
        return "ok"


def hours_end(start: dt.datetime, hours: int) -> HourDeadline:
    """The starting hour is not counted: run from the next full hour (14:20 → 15:00)."""
    next_hour = start.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    return HourDeadline(start=start, hours=hours, deadline=next_hour + dt.timedelta(hours=hours),
                        warn_after=start + dt.timedelta(hours=hours))


def days_between(start: dt.date, end: dt.date) -> int:
    """Days counted from ``start`` (not counted) to ``end``: 3月1日 → 3月4日 is 3."""
    return (end - start).days


def age_on(birth: dt.date, day: dt.date) -> int:
    """Age in 周岁 on ``day``: a birthday counts from the next day (2006年未成年人解释 第2条)."""
    years = day.year - birth.year
    try:
        birthday = birth.replace(year=day.year)
    except ValueError:  # 29 February in a common year
        birthday = dt.date(day.year, 3, 1)
    if day <= birthday:
        years -= 1
    return years


def fmt_dt(value: dt.datetime | dt.date) -> str:
    """``2024-05-01 14:20`` or ``2024-05-01`` for messages."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()
