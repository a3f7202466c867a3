"""Every CSV the product writes is spreadsheet-safe (``cardtool.excel_csv``): typed text that
looks like a formula is written as text, in the office log and in both register exports.
A property over the whole file: no cell a spreadsheet would run, whatever staff typed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardtool.card_kind import CardKind
from cardtool.excel_csv import BOM, FORMULA_STARTS, csv_document, read_csv_rows
from cardtool.expiry import CardFacts, ClientRecord, Level, assess
from cardtool.register.exports import deadlines_csv, history_csv
from cardtool.register.model import Check, DeadlineRow
from cardtool.services.office_files import CsvLog
from cardtool.services.office_report import row_from_assessment
from cardtool.typed_text import TypedTextRejected, clean_reference

AT = dt.datetime(2027, 3, 10, 8, 30, tzinfo=dt.UTC)
TODAY = dt.date(2027, 3, 10)
_NUMBER = re.compile(r"-?\d+")

#: Text a person could type that a spreadsheet would run: a formula start, then anything.
formula_like = st.builds(lambda start, rest: start + rest, st.sampled_from(FORMULA_STARTS),
                         st.text(st.characters(blacklist_categories=("Cs",)), max_size=30))
#: ... and the classic payloads.
payloads = st.sampled_from(['=HYPERLINK("http://x","A")', "=1+2", "+cmd|' /C calc'!A0",
                            "-2+3", "@SUM(A1:A2)", "=cmd|' /C notepad'!'A1'"])
typed = formula_like | payloads


def assert_safe(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(BOM)
    rows = read_csv_rows(data)
    for row in rows:
        for cell in row.values():
            # A cell starting with a formula character is a number the product wrote (a
            # negative day count), never text.
            assert not cell.startswith(FORMULA_STARTS) or _NUMBER.fullmatch(cell), cell
    return rows


@settings(max_examples=60, deadline=None)
@given(typed, typed)
def test_register_deadlines_csv_never_holds_a_formula(reference: str, name: str) -> None:
    row = DeadlineRow(1, reference, name, CardKind.MYNUMBER, "card-expiry", TODAY, -3,
                      Level.EXPIRED, ("mynumber-card-expired",), "ja", "en", None, "invalid", 1,
                      AT)
    (cells,) = assert_safe(deadlines_csv([row]))
    assert cells["reference"] in (reference, "'" + reference)
    assert cells["days_left"] == "-3"  # a number stays a number


@settings(max_examples=60, deadline=None)
@given(typed)
def test_register_history_csv_never_holds_a_formula(desk: str) -> None:
    check = Check(7, 1, AT, desk, "residence-second", TODAY, TODAY, "chip", False, None, True,
                  "chip", ("residence-expiring",), "genuine", "AB********CD")
    (cells,) = assert_safe(history_csv([check]))
    assert cells["desk"].lstrip("'") == desk


@settings(max_examples=40, deadline=None)
@given(typed)
def test_office_csv_never_holds_a_formula(tmp_path_factory: pytest.TempPathFactory,
                                        reference: str) -> None:
    try:
        cleaned = clean_reference(reference)
    except TypedTextRejected:
        return  # refused before any file (a number's shape, or too long)
    assessment = assess(ClientRecord(reference, (CardFacts(
        CardKind.MYNUMBER, card_expiry=TODAY - dt.timedelta(days=3)),)), TODAY)
    path = tmp_path_factory.mktemp("csv") / "office.csv"
    log = CsvLog(path)
    try:
        log.append(row_from_assessment(assessment, 1, AT))
    finally:
        log.close()
    (cells,) = assert_safe(path.read_bytes())
    # Cleaning can drop the formula start (a tab) and leave text that begins with an
    # apostrophe of its own: the cell is the text, or the text written as text.
    assert cells["reference"] in (cleaned or "", "'" + (cleaned or ""))
    assert cells["mynumber_card_days_left"] == "-3"


@given(st.lists(st.lists(typed | st.integers(-10**6, 10**6), min_size=2, max_size=2),
                max_size=4))
def test_the_writer_itself_never_writes_a_formula(rows: list[list[object]]) -> None:
    assert_safe(csv_document(("a", "b"), rows))
