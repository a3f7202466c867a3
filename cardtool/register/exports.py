"""The register's exports: CSV for Excel (``cardtool.excel_csv``, the writer the office
report uses too: BOM, CRLF rows, typed text never run as a formula) and an iCalendar file of deadlines with reminders, for Outlook or Google
Calendar.

A calendar leaves the office's computers (a phone, a cloud account): its events name the
client by reference only (the id when there is none), never by the display name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from icalendar import Alarm, Calendar, Event, vText

from cardtool.card_kind import kind_label
from cardtool.date_sources import SOURCE_NAMES
from cardtool.excel_csv import BOM, Verbatim, csv_document, csv_line
from cardtool.expiry import LEVEL_NAMES, Thresholds
from cardtool.register.model import Check, DeadlineRow

DEADLINE_COLUMNS: tuple[str, ...] = (
    "client_id", "reference", "display_name", "card_kind", "date_kind", "date", "days_left",
    "level", "renewal_pending", "findings", "action_ja", "action_en", "authenticity",
    "checked_at", "date_source",
)
HISTORY_COLUMNS: tuple[str, ...] = (
    "check_id", "checked_at", "desk", "card_kind", "card_expiry", "residence_expiry",
    "residence_expiry_source", "no_period", "certificate_expiry", "renewal_pending",
    "expiry_source", "findings", "authenticity", "card_number_masked", "card_expiry_source",
)
DATE_KIND_NAMES: dict[str, tuple[str, str]] = {
    "residence-expiry": ("Period of stay ends", "在留期間満了日"),
    "card-expiry": ("Card expires", "カード有効期限"),
    "certificate-expiry": ("Certificates expire", "電子証明書有効期限"),
}
PRODID = "-//cardtool//client register//JA"
#: Rows per chunk of a streamed CSV.
CHUNK_ROWS = 200
_CALENDAR_END = b"END:VCALENDAR\r\n"


def _deadline_values(r: DeadlineRow) -> list[object]:
    return [r.client_id, r.reference, r.display_name, Verbatim(r.card_kind), r.date_kind,
            r.date, r.days_left, r.level.code, r.renewal_pending, Verbatim(" ".join(r.findings)),
            Verbatim(r.action_ja), Verbatim(r.action_en), r.authenticity, r.checked_at, r.source]


def deadlines_csv(rows: Iterable[DeadlineRow]) -> bytes:
    return csv_document(DEADLINE_COLUMNS, (_deadline_values(r) for r in rows))


def deadlines_csv_chunks(rows: Iterable[DeadlineRow], batch: int = CHUNK_ROWS) -> Iterator[bytes]:
    """The same file as ``deadlines_csv``, ``batch`` rows at a time (an export streamed to a
    browser or a file: memory does not grow with the register)."""
    yield BOM + csv_line(DEADLINE_COLUMNS)
    lines: list[bytes] = []
    for row in rows:
        lines.append(csv_line(_deadline_values(row)))
        if len(lines) == batch:
            yield b"".join(lines)
            lines.clear()
    if lines:
        yield b"".join(lines)


def history_csv(checks: Iterable[Check]) -> bytes:
    return csv_document(HISTORY_COLUMNS, (
        [c.id, c.checked_at, c.desk, Verbatim(c.card_kind), c.card_expiry, c.residence_expiry,
         c.residence_expiry_source, c.no_period, c.certificate_expiry, c.renewal_pending,
         c.expiry_source, Verbatim(" ".join(c.findings)), c.authenticity,
         c.card_number_masked, c.card_expiry_source]
        for c in checks))


def reminder_days(thresholds: Thresholds) -> tuple[int, ...]:
    """Days before a deadline that its reminders go off: when it becomes soon, when it
    becomes urgent, and a week before."""
    return tuple(sorted({thresholds.soon_days, thresholds.urgent_days, 7} - {0},
                        reverse=True))


def event_uid(row: DeadlineRow) -> str:
    """Stable across exports, so a calendar that imports the file again updates the event."""
    return f"{row.client_id}-{row.card_kind}-{row.date_kind}-{row.date}@cardtool"


class _Text(vText):
    """TEXT escaped as RFC 5545 3.3.11 says. icalendar's own escaping first turns a typed
    backslash-N into a line break (a reference "A\\N1" would come back as "A", newline,
    "1"); here every backslash is escaped, so the text parses back as it was."""

    def to_ical(self) -> bytes:
        text = (str(self).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
                .replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n"))
        return text.encode("utf-8")


def deadlines_ics(rows: Iterable[DeadlineRow], thresholds: Thresholds,
                  stamp: dt.datetime) -> bytes:
    """One all-day event per dated row, with a display alarm at each reminder day."""
    return b"".join(deadlines_ics_chunks(rows, thresholds, stamp))


def deadlines_ics_chunks(rows: Iterable[DeadlineRow], thresholds: Thresholds,
                         stamp: dt.datetime) -> Iterator[bytes]:
    """The same file as ``deadlines_ics``, an event at a time: the calendar's own lines,
    each event as icalendar writes it, then the calendar's end."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "在留カード・マイナンバーカード期限 / Card deadlines")
    whole = bytes(calendar.to_ical())
    assert whole.endswith(_CALENDAR_END), "icalendar ends a calendar with END:VCALENDAR"
    yield whole[:-len(_CALENDAR_END)]
    for row in rows:
        event = _event(row, thresholds, stamp)
        if event is not None:
            yield bytes(event.to_ical())
    yield _CALENDAR_END


def _event(row: DeadlineRow, thresholds: Thresholds, stamp: dt.datetime) -> Event | None:
    """One all-day event with a display alarm at each reminder day; None for a row without
    a date."""
    reminders = reminder_days(thresholds)
    if row.date is None or row.date_kind is None:
        return None  # nothing to put on a calendar: a check by eye
    kind_en, kind_ja = (kind_label(row.card_kind, "en", short=True),
                        kind_label(row.card_kind, "ja", short=True))
    what_en, what_ja = DATE_KIND_NAMES[row.date_kind]
    level_en, level_ja = LEVEL_NAMES[row.level]
    summary = f"{row.reference or f'#{row.client_id}'}: {what_ja} / {what_en}"
    event = Event()
    event.add("uid", event_uid(row))
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("dtstart", row.date)
    # A DATE start without an end is one whole day (RFC 5545 3.6.1).
    event.add("summary", _Text(summary))
    source_en, source_ja = SOURCE_NAMES.get(row.source or "", ("-", "-"))
    event.add("description", _Text("\n".join((
        f"{kind_ja} / {kind_en}", f"{level_ja} / {level_en}",
        f"日付の出所: {source_ja} / Date from: {source_en}", "",
        row.action_ja, "", row.action_en))))
    event.add("categories", [level_en])
    event.add("transp", "TRANSPARENT")  # a reminder, not a busy slot
    for days in reminders:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", _Text(summary))
        alarm.add("trigger", dt.timedelta(days=-days))
        event.add_component(alarm)
    return event


__all__ = [
    "DATE_KIND_NAMES",
    "DEADLINE_COLUMNS",
    "HISTORY_COLUMNS",
    "deadlines_csv",
    "deadlines_csv_chunks",
    "deadlines_ics",
    "deadlines_ics_chunks",
    "event_uid",
    "history_csv",
    "reminder_days",
]
