"""Dates as the cards and offices see them: Japan Standard Time (UTC+9, no DST)."""

from __future__ import annotations

import datetime as dt

JST = dt.timezone(dt.timedelta(hours=9), "JST")


def now_jst() -> dt.datetime:
    return dt.datetime.now(JST)


def to_jst(moment: dt.datetime) -> dt.datetime:
    """The instant in JST; naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(JST)


def date_in_jst(moment: dt.datetime) -> dt.date:
    """The JST calendar date of an instant, e.g. a certificate's notAfter: ``…14:59:59Z``
    is 23:59:59 JST of the same day, ``…15:00:00Z`` is already the next day. Naive = UTC.
    The one place an instant becomes a date."""
    return to_jst(moment).date()


def today_jst(now: dt.datetime | None = None) -> dt.date:
    """Today's date in Japan. ``now`` (aware) makes it testable; naive means UTC."""
    return date_in_jst(now or dt.datetime.now(dt.UTC))


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
