"""Dates as the cards and offices see them: Japan Standard Time (UTC+9, no DST)."""

from __future__ import annotations

import datetime as dt

JST = dt.timezone(dt.timedelta(hours=9), "JST")


def now_jst() -> dt.datetime:
    return dt.datetime.now(JST)


def today_jst(now: dt.datetime | None = None) -> dt.date:
    """Today's date in Japan. ``now`` (aware) makes it testable; naive means UTC."""
    moment = now or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(JST).date()


def to_jst(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(JST)


def parse_yyyymmdd(raw: bytes | str) -> dt.date | None:
    """A card date (8 ASCII digits, Gregorian) or None if it is not one (e.g. redacted)."""
    text = raw.decode("ascii", "replace") if isinstance(raw, bytes) else raw
    text = text.strip().rstrip("\x00")
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def days_left(day: dt.date, today: dt.date) -> int:
    """Days from ``today`` to ``day``: 0 on the day itself, negative once past."""
    return (day - today).days
