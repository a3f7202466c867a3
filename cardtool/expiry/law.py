"""How Japanese law counts the periods the expiry rules use.

Two months (民法 140条 and 143条, how Japanese law counts periods in months): the period
starts the day after the given date; it ends the day before the same day-of-month two months
later, or, when that month has no such day, on the last day of that month. So 3/31 ends
5/31, 1/31 ends 3/31, 12/30 and 12/31 end on the last day of February (28th or 29th), and a
month-end date ends on the month-end two months later (2/28/2027 ends 4/30/2027, 6/30 ends
8/31). No extension for weekends or holidays is applied: the 特例期間 is a period of lawful
stay, not a filing deadline. ``months_period_end`` is the one place to change this.
"""

from __future__ import annotations

import calendar
import datetime as dt

#: The 特例期間 and the My Number card extension both last two months.
SPECIAL_PERIOD_MONTHS = 2


def months_period_end(day: dt.date, months: int) -> dt.date:
    """The last day of a period of ``months`` months counted from the day after ``day``
    (民法 140条: the first day is not counted; 143条: by the calendar, ending the day before
    the corresponding day, or on the month's last day when there is none)."""
    if months < 1:
        raise ValueError("months must be at least 1")
    start = day + dt.timedelta(days=1)
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    if start.day > last:
        return dt.date(year, month, last)
    return dt.date(year, month, start.day) - dt.timedelta(days=1)


def special_period_end(residence_expiry: dt.date) -> dt.date:
    """The latest day of lawful stay while a renewal filed before ``residence_expiry`` is
    pending (特例期間)."""
    return months_period_end(residence_expiry, SPECIAL_PERIOD_MONTHS)


__all__ = ["SPECIAL_PERIOD_MONTHS", "months_period_end", "special_period_end"]
