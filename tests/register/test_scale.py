"""Lists that scale: the stored deadline keys give the rules' level on every day, the SQL
order is the Python order (``deadlines.urgency`` over the assessed rows) on random
registers, pages and filters agree with the whole list, and bad input (a page out of range,
SQL wildcards, a 10,000-character search, a very long history) gets a correct answer."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bench.register_scale import plan, populate
from cardtool.expiry import CardFacts, ClientRecord, Thresholds, assess
from cardtool.register import DeadlineRow, Register, listing
from cardtool.register.deadline_keys import AUTHENTICITY_RANKS, authenticity_rank, row_keys
from cardtool.register.deadlines import (
    DeadlineFilter,
    client_deadlines,
    select_and_sort,
    slots,
    urgency,
)
from cardtool.register.listing import SEARCH_LENGTH
from cardtool.register.model import Check
from cardtool.register.schema import checks
from tests.register.facts import TODAY, card_facts, mynumber, residence

_days = st.integers(min_value=-900, max_value=1500).map(lambda n: TODAY + dt.timedelta(days=n))


@st.composite
def latest_cards(draw: st.DrawFn) -> list[CardFacts]:
    """A client's latest cards: at most one of each kind, as the register keeps them."""
    cards = draw(st.lists(card_facts(), min_size=1, max_size=4))
    by_kind = {card.kind: card for card in cards}
    return list(by_kind.values())


@settings(max_examples=300, deadline=None)
@given(latest_cards(), st.lists(_days, min_size=1, max_size=8))
def test_the_stored_keys_give_the_rules_level_on_every_day(cards: list[CardFacts],
                                                           days: list[dt.date]) -> None:
    keys = {(k.card_index, k.date_kind, k.date, k.finding_code): k for k in row_keys(cards)}
    for day in days:
        assessed = slots(assess(ClientRecord(None, tuple(cards)), day, Thresholds()))
        assert {slot.identity for slot in assessed} == set(keys)
        for slot in assessed:
            assert keys[slot.identity].level_on(day) == slot.level, (day, slot)


def _python_order(register: Register, today: dt.date, keep: DeadlineFilter) -> list[DeadlineRow]:
    """The deadlines without the stored keys: every client's latest check of each kind
    picked from its whole history in Python, assessed, filtered and sorted by urgency."""
    rows: list[DeadlineRow] = []
    for client in register.find_clients("", limit=10_000):
        latest: dict[str, Check] = {}
        for check in sorted(register.history(client.id), key=lambda c: (c.checked_at, c.id)):
            latest[check.card_kind] = check
        ordered = sorted(latest.values(), key=lambda c: (c.checked_at, c.id))
        rows.extend(client_deadlines(client, ordered, today, Thresholds()))
    return select_and_sort(rows, keep)


def _shown(row: DeadlineRow) -> tuple[object, ...]:
    return (row.client_id, row.check_id, row.date_kind, row.date, row.level, row.findings,
            row.days_left, row.action_en)


_filters = st.sampled_from([DeadlineFilter(), DeadlineFilter(within_days=30),
                            DeadlineFilter(within_days=0), DeadlineFilter(overdue_only=True),
                            DeadlineFilter(pending_only=True)])
_visits = st.lists(st.tuples(card_facts(with_authenticity=True),
                             st.integers(min_value=0, max_value=2000)),
                   min_size=1, max_size=4)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["A-1", "A-2", "B-1", "b-1", None]), _visits),
                min_size=1, max_size=4),
       _days, _filters, st.integers(min_value=1, max_value=4))
def test_the_sql_order_is_the_python_order(
        register: Register, clients: list[tuple[str | None, list[tuple[CardFacts, int]]]],
        today: dt.date, keep: DeadlineFilter, size: int) -> None:
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    for reference, visits in clients:
        taken = reference is not None and register.client_by_reference(reference) is not None
        client = register.create_client(None if taken else reference, None, desk="desk-1")
        for facts, minutes in visits:
            register.save_check(client.id, facts, desk="desk-1",
                                at=start + dt.timedelta(minutes=minutes))
    expected = _python_order(register, today, keep)
    shown = register.deadlines(today, within_days=keep.within_days,
                               overdue_only=keep.overdue_only, pending_only=keep.pending_only)
    # Same rows, in an order with the same urgency at each place (rows of equal urgency are
    # one client's rows of one day, listed as the rules list them).
    assert sorted(map(_shown, shown), key=repr) == sorted(map(_shown, expected), key=repr)
    assert [urgency(r) for r in shown] == [urgency(r) for r in expected]
    # The pages, one after the other, are the whole list.
    first = register.deadline_page(today, keep, 1, size)
    paged = list(itertools.chain.from_iterable(
        register.deadline_page(today, keep, number, size).items
        for number in range(1, first.pages + 1)))
    assert [_shown(r) for r in paged] == [_shown(r) for r in shown]
    assert first.total == len(shown)


def test_the_latest_check_of_each_kind_is_flagged_once(register: Register) -> None:
    client = register.create_client("L-1", None, desk="desk-1")
    at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    saved = [register.save_check(client.id, residence(100 + n), desk="desk-1",
                                 at=at + dt.timedelta(days=n)) for n in (0, 2, 1)]
    register.save_check(client.id, mynumber(300), desk="desk-1", at=at)
    with register.engine.connect() as connection:
        flagged = connection.execute(select(checks.c.id, checks.c.card_kind)
                                     .where(checks.c.latest)).all()
    # The check saved second is the newest residence card, though saved before the third.
    assert sorted(flagged) == sorted([(saved[1].id, "residence-second"),
                                      (saved[1].id + 2, "mynumber")])
    (row,) = [r for r in register.deadlines(TODAY) if r.card_kind == "residence-second"]
    assert row.check_id == saved[1].id and row.date == TODAY + dt.timedelta(days=102)


def test_a_page_out_of_range_is_the_nearest_page(register: Register) -> None:
    for n in range(5):
        client = register.create_client(f"P-{n}", None, desk="desk-1")
        register.save_check(client.id, residence(10 * n), desk="desk-1")
    last = register.deadline_page(TODAY, None, 99, 2)
    assert (last.number, last.pages, len(last.items)) == (3, 3, 1)
    assert last.has_previous and not last.has_next
    first = register.deadline_page(TODAY, None, -7, 2)
    assert first.number == 1 and [r.reference for r in first.items] == ["P-0", "P-1"]
    empty = register.deadline_page(TODAY, DeadlineFilter(overdue_only=True), 5, 2)
    assert (empty.number, empty.pages, empty.items, empty.total) == (1, 1, (), 0)
    _, clients_page = register.client_page("", 10**9, 2)
    assert clients_page.number == 3 and len(clients_page.items) == 1


def test_a_search_is_a_prefix_of_the_text_typed_never_a_pattern(register: Register) -> None:
    percent = register.create_client("50%-1", "Test 100% Sato", desk="desk-1")
    register.create_client("5012", None, desk="desk-1")
    underscore = register.create_client("A_1", None, desk="desk-1")
    register.create_client("AB1", "Ａｂｅ Test", desk="desk-1")
    assert [c.id for c in register.find_clients("50%")] == [percent.id]
    assert [c.id for c in register.find_clients("a_")] == [underscore.id]
    assert register.find_clients("%") == [] and register.find_clients("_") == []
    assert [c.id for c in register.find_clients("100%")] == [percent.id]  # a word of the name
    assert [c.reference for c in register.find_clients("ABE")] == ["AB1"]  # full-width name
    assert [c.reference for c in register.find_clients("test")] == ["AB1", "50%-1"]  # name order
    search, page = register.client_page("test 1")
    assert not search.cut and [c.id for c in page.items] == [percent.id]


def test_a_search_of_10000_characters_is_cut_and_said(register: Register) -> None:
    register.create_client("Q-1", None, desk="desk-1")
    search, page = register.client_page("Q" + "x" * 9_999)
    assert search.cut and len(search.text) == SEARCH_LENGTH
    assert page.items == () and page.total == 0
    search, page = register.client_page("q-" + " " * 9_998)
    assert not search.cut and [c.reference for c in page.items] == ["Q-1"]


def test_a_very_long_history_is_read_a_page_at_a_time(register: Register) -> None:
    client = register.create_client("H-1", None, desk="desk-1")
    other = register.create_client("H-2", None, desk="desk-1")
    register.save_check(other.id, mynumber(10), desk="desk-1")
    at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    for n in range(120):
        register.save_check(client.id, residence(n % 40), desk="desk-1",
                            at=at + dt.timedelta(hours=n))
    page = register.history_page(client.id, 3, 50)
    assert (page.number, page.pages, page.total, len(page.items)) == (3, 3, 120, 20)
    assert page.items[-1].checked_at == at  # newest first: the oldest ends the last page
    assert len(register.history(client.id)) == 120
    rows = [r for r in register.deadlines(TODAY) if r.client_id == client.id]
    assert [r.date for r in rows] == [TODAY + dt.timedelta(days=119 % 40)]


def test_the_first_page_walks_the_date_order_not_a_sort_of_the_whole_rank(
        tmp_path: Path) -> None:
    """The page-1 regression (issue 25): with ``authenticity_rank = 1`` in the condition,
    SQLite read the whole rank's expired rows by the rank's index and sorted them (O(register)
    per page). The usual rank is now "none of the others", and the expired part walks the
    date order of ``ix_deadline_keys_order`` and stops after a page (the plan, not a time)."""
    with Register.open(f"sqlite:///{tmp_path}/plan.sqlite3") as register:
        populate(register, plan(40, seed=9))
        parts = listing._kept_bands(TODAY, DeadlineFilter())
        usual = AUTHENTICITY_RANKS.index(authenticity_rank(None))
        per_rank = len(parts) // len(AUTHENTICITY_RANKS)
        condition, order = parts[usual * per_rank]  # the usual rank's expired dated rows
        statement = listing.part_rows(condition, order, 50, 0)
        compiled = statement.compile(register.engine,
                                     compile_kwargs={"render_postcompile": True})
        with register.engine.connect() as connection:
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            cursor.execute(f"EXPLAIN QUERY PLAN {compiled}",
                           [compiled.params[name] for name in compiled.positiontup or ()])
            steps = [row[3] for row in cursor.fetchall()]
    assert any("ix_deadline_keys_order" in step for step in steps), steps
    assert not any("ix_deadline_keys_authenticity_rank" in step for step in steps), steps
    assert "USE TEMP B-TREE FOR ORDER BY" not in steps, steps
