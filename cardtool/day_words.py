"""Dates and day counts in words, in English and Japanese: the one home of the "N days left /
N days ago" wording, for a finding's sentence ("…(3日前)に満了しています"), a table column
("残り20日") and ``cardtool read``'s dates alike. A leaf: a plain read uses it without the
expiry rules.
"""

from __future__ import annotations

import datetime as dt

from cardtool.i18n import Messages

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
              "Dec")


_DATES = Messages({
    "date": ("{day} {month_en} {year}", "{year}年{month}月{day}日"),
    "today": ("today", "本日"),
    "tomorrow": ("tomorrow", "明日"),
    "yesterday": ("yesterday", "昨日"),
    "in_days": ("in {n} days", "あと{n}日"),
    # One wording of a day count, in a sentence and in a column.
    "days_ago": ("{n} days ago", "{n}日前"),
    "days_left": ("{n} days left", "残り{n}日"),
    "last_day": ("last day today", "本日まで"),
})


def format_date(day: dt.date, lang: str) -> str:
    return _DATES("date", lang, year=day.year, month=day.month, day=day.day,
                  month_en=_MONTHS_EN[day.month - 1])


def relative_days(days: int, lang: str) -> str:
    if days == 0:
        return _DATES("today", lang)
    if days == 1:
        return _DATES("tomorrow", lang)
    if days == -1:
        return _DATES("yesterday", lang)
    return _DATES("in_days", lang, n=days) if days > 0 else _DATES("days_ago", lang, n=-days)


def days_text(days: int, lang: str) -> str:
    """A day count in a column: "20 days left", "last day today", "3 days ago"."""
    if days < 0:
        return _DATES("days_ago", lang, n=-days)
    if days == 0:
        return _DATES("last_day", lang)
    return _DATES("days_left", lang, n=days)


__all__ = ["days_text", "format_date", "relative_days"]
