"""The register's exports fuzzed (issue 17): deadlines as CSV and iCalendar, a client's
history as CSV, with any typed text (formula starts, control characters, any script) and
dates; each parses back to what was exported, at the fuzz budget. The properties are those
of tests/register/test_exports.py, run here at FUZZ_EXAMPLES."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardtool.register import Check, DeadlineRow
from cardtool.register.exports import HISTORY_COLUMNS, history_csv
from tests.fuzz.conftest import FUZZ_EXAMPLES
from tests.register import test_exports as exports
from tests.register.facts import days

fuzz = settings(max_examples=FUZZ_EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@fuzz
@given(st.lists(exports._rows(), max_size=5))
def test_fuzz_deadlines_csv_round_trip(rows: list[DeadlineRow]) -> None:
    exports.test_deadlines_csv_round_trip.hypothesis.inner_test(rows)  # type: ignore[attr-defined]


@fuzz
@given(st.lists(exports._rows(), max_size=6))
def test_fuzz_deadlines_ics_round_trip(rows: list[DeadlineRow]) -> None:
    exports.test_deadlines_ics_round_trip.hypothesis.inner_test(rows)  # type: ignore[attr-defined]


_date = st.none() | st.integers(-4000, 4000).map(days)


@st.composite
def _checks(draw: st.DrawFn) -> Check:
    return Check(
        draw(st.integers(1, 10**9)), draw(st.integers(1, 10**9)),
        draw(st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1),
                          timezones=st.just(dt.UTC))),
        draw(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)),
        draw(st.sampled_from(["mynumber", "residence-first", "residence-second", "specified"])),
        draw(_date), draw(_date),
        draw(st.none() | st.sampled_from(["chip", "typed", "ocr", "confirmed"])),
        draw(st.booleans()), draw(_date), draw(st.none() | st.booleans()),
        draw(st.none() | st.text(max_size=20)),
        tuple(draw(st.lists(st.sampled_from(["residence-expiring", "mynumber-card-expiring",
                                             "certificate-expired"]), max_size=3))),
        draw(st.none() | st.sampled_from(["genuine", "data-genuine", "invalid", "unanchored"])),
        draw(st.none() | st.just("AB********CD")))


@fuzz
@given(st.lists(_checks(), max_size=5))
def test_fuzz_history_csv_round_trip(checks: list[Check]) -> None:
    parsed = exports.parse_csv(history_csv(checks))
    assert len(parsed) == len(checks)
    for check, cells in zip(checks, parsed, strict=True):
        assert tuple(cells) == HISTORY_COLUMNS
        assert cells["check_id"] == str(check.id)
        assert cells["desk"] == exports.excel_text(check.desk)
        assert cells["card_kind"] == check.card_kind
        assert cells["card_expiry"] == (check.card_expiry.isoformat()
                                        if check.card_expiry else "")
        assert cells["no_period"] == ("true" if check.no_period else "false")
        assert cells["findings"].split() == list(check.findings)
        assert cells["authenticity"] == (check.authenticity or "")
