"""Exports parse back: CSV (as Excel opens it: UTF-8 with a BOM) and iCalendar."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from cardtool.expiry import Level, Thresholds
from cardtool.register import Check, DeadlineRow, Register
from cardtool.register.exports import (
    DEADLINE_COLUMNS,
    HISTORY_COLUMNS,
    deadlines_csv,
    deadlines_ics,
    history_csv,
)
from cardtool.typed_text import ReferenceRejected, clean_reference
from tests.register.facts import TODAY, days, first_generation, mynumber, residence

AT = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)
BOM = b"\xef\xbb\xbf"


def parse_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(BOM)
    text = data.decode("utf-8-sig")
    assert "\r\n" in text  # Excel's row separator
    return list(csv.DictReader(io.StringIO(text, newline="")))


def excel_text(value: str | None) -> str:
    """What the CSV cell of typed text must hold: Excel must never run it as a formula."""
    if not value:
        return ""
    return "'" + value if value[0] in "=+-@\t\r" else value


_text = st.none() | st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


def _stored(reference: str | None) -> str | None:
    if reference is None:
        return None
    try:
        return clean_reference(reference)
    except ReferenceRejected:
        return "A-1"


@st.composite
def _rows(draw: st.DrawFn) -> DeadlineRow:
    date = draw(st.none() | st.integers(-500, 500).map(days))
    return DeadlineRow(
        client_id=draw(st.integers(1, 10**6)), reference=draw(_text),
        display_name=draw(_text),
        card_kind=draw(st.sampled_from(["mynumber", "residence-second", "specified"])),
        date_kind=None if date is None else draw(st.sampled_from(
            ["residence-expiry", "card-expiry", "certificate-expiry"])),
        date=date, days_left=None if date is None else (date - TODAY).days,
        level=draw(st.sampled_from(list(Level))),
        findings=tuple(draw(st.lists(st.sampled_from(["residence-expiring",
                                                      "mynumber-card-expiring"]),
                                     max_size=2))),
        action_ja=draw(st.text(max_size=40)), action_en=draw(st.text(max_size=40)),
        renewal_pending=draw(st.none() | st.booleans()),
        authenticity=draw(st.none() | st.sampled_from(["data-genuine", "invalid"])),
        check_id=draw(st.integers(1, 10**6)), checked_at=AT)


@given(st.lists(_rows(), max_size=5))
def test_deadlines_csv_round_trip(rows: list[DeadlineRow]) -> None:
    parsed = parse_csv(deadlines_csv(rows))
    assert len(parsed) == len(rows)
    for row, cells in zip(rows, parsed, strict=True):
        assert tuple(cells) == DEADLINE_COLUMNS
        assert cells["client_id"] == str(row.client_id)
        assert cells["reference"] == excel_text(row.reference)
        assert cells["display_name"] == excel_text(row.display_name)
        assert cells["date"] == (row.date.isoformat() if row.date else "")
        assert cells["days_left"] == ("" if row.days_left is None else str(row.days_left))
        assert cells["level"] == row.level.code
        assert cells["findings"].split() == list(row.findings)
        assert cells["action_ja"] == row.action_ja
        assert cells["checked_at"] == "2026-11-01T12:00:00+09:00"  # JST


@settings(max_examples=30)
@given(st.lists(_rows(), max_size=6))
def test_deadlines_ics_round_trip(rows: list[DeadlineRow]) -> None:
    # Distinct events: one per (client, card, date kind, date), as a register makes them.
    unique = {(r.client_id, r.card_kind, r.date_kind, r.date): r for r in rows}
    # A display name the calendar must not carry (it leaves the office's computers).
    # References as the register holds them: through clean_reference (no control characters,
    # which a calendar line could not carry anyway).
    rows = [dataclasses.replace(r, display_name="SECRET-NAME", reference=_stored(r.reference))
            for r in unique.values()]
    thresholds = Thresholds(soon_days=90, urgent_days=30)
    calendar = icalendar.Calendar.from_ical(deadlines_ics(rows, thresholds, AT))
    events = list(calendar.walk("VEVENT"))
    dated = [r for r in rows if r.date is not None]
    assert len(events) == len(dated)
    for row, event in zip(dated, events, strict=True):
        assert event.decoded("dtstart") == row.date
        summary = str(event.get("summary"))
        assert summary.startswith(f"{row.reference or f'#{row.client_id}'}: ")
        assert "SECRET-NAME" not in event.to_ical().decode()
        triggers = sorted(alarm.decoded("trigger") for alarm in event.walk("VALARM"))
        assert triggers == [dt.timedelta(days=-90), dt.timedelta(days=-30),
                            dt.timedelta(days=-7)]
    assert len({str(e.get("uid")) for e in events}) == len(events)


def test_exports_from_a_register(register: Register) -> None:
    client = register.create_client("=A-0001", "Test Name", desk="d")
    register.save_check(client.id, residence(20), desk="desk-1", at=AT,
                        card_number="AB12345678CD")
    register.save_check(client.id, mynumber(200), desk="desk-2", at=AT + dt.timedelta(hours=1))
    other = register.create_client("A-0002", None, desk="d")
    register.save_check(other.id, first_generation(), desk="d", at=AT)

    rows = register.deadlines(TODAY)
    parsed = parse_csv(register.deadlines_csv(TODAY))
    assert [(c["reference"], c["date"], c["level"]) for c in parsed] == [
        (excel_text(r.reference), r.date.isoformat() if r.date else "", r.level.code)
        for r in rows]
    assert parsed[0]["reference"] == "'=A-0001"
    assert [c["level"] for c in parse_csv(register.deadlines_csv(TODAY, within_days=30))] == [
        "urgent"]

    history = parse_csv(register.history_csv(client.id))
    assert tuple(history[0]) == HISTORY_COLUMNS
    assert [(h["card_kind"], h["desk"]) for h in history] == [("mynumber", "desk-2"),
                                                              ("residence-second", "desk-1")]
    assert history[1]["card_number_masked"] == "AB********CD"
    assert history[1]["residence_expiry"] == days(20).isoformat()

    calendar = icalendar.Calendar.from_ical(register.deadlines_ics(TODAY))
    events = list(calendar.walk("VEVENT"))
    # The first-generation card has no date to put in a calendar.
    assert sorted(e.decoded("dtstart") for e in events) == [days(20), days(200)]
    assert all("Test Name" not in e.to_ical().decode() for e in events)


def test_history_csv_of_checks_round_trip() -> None:
    check = Check(7, 1, AT, "+desk", "residence-second", days(1), days(2), "chip", False,
                  None, True, "chip", ("residence-expiring",), "invalid", "AB********CD")
    (cells,) = parse_csv(history_csv([check]))
    assert cells["desk"] == "'+desk"
    assert (cells["renewal_pending"], cells["no_period"]) == ("true", "false")
    assert cells["certificate_expiry"] == "" and cells["authenticity"] == "invalid"


def test_ics_text_with_backslashes_parses_back() -> None:
    """A typed backslash-N is text, not a line break (icalendar's own escaping turns it into
    one; found by the register's ICS fuzz at 20,000 examples)."""
    row = DeadlineRow(client_id=1, reference="A\\N1;x,y\\", display_name=None,
                      card_kind="mynumber", date_kind="card-expiry", date=days(10), days_left=10,
                      level=Level.OK, findings=(), action_ja="対応\\N", action_en="act\\n",
                      renewal_pending=None, authenticity=None, check_id=1, checked_at=AT)
    calendar = icalendar.Calendar.from_ical(deadlines_ics([row], Thresholds(), AT))
    (event,) = calendar.walk("VEVENT")
    assert str(event.get("summary")).startswith("A\\N1;x,y\\: ")
    assert str(event.get("description")).endswith("対応\\N\n\nact\\n")
    assert all(str(a.get("description")) == str(event.get("summary"))
               for a in event.walk("VALARM"))
