"""The deadlines list: the expiry rules' judgement of each client's latest cards, most urgent
first, filtered as the desk asks."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from cardtool.expiry import CardFacts, ClientRecord, Level, Thresholds, assess
from cardtool.register import Check, Client, Register
from cardtool.register.deadlines import client_deadlines, urgency
from cardtool.register.rows import check_values
from tests.register.facts import (
    TODAY,
    as_kept,
    card_facts,
    days,
    first_generation,
    mynumber,
    residence,
)

AT = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _client(register: Register, reference: str, *cards: CardFacts) -> int:
    client = register.create_client(reference, None, desk="d")
    for card in cards:
        register.save_check(client.id, card, desk="d", at=AT)
    return client.id


def _by_reference(rows: list) -> list[tuple[str | None, str | None, int | None, str]]:
    return [(r.reference, r.date_kind, r.days_left, r.level.code) for r in rows]


def test_most_urgent_first_by_level_then_days_left(register: Register) -> None:
    _client(register, "A-ok", residence(400))
    _client(register, "A-soon", residence(60))
    _client(register, "A-urgent-20", residence(20))
    _client(register, "A-expired", residence(-3))
    _client(register, "A-urgent-5", mynumber(5))
    _client(register, "A-by-eye", first_generation())
    register.create_client("A-no-checks", None, desk="d")

    assert _by_reference(register.deadlines(TODAY)) == [
        ("A-expired", "residence-expiry", -3, "expired"),
        ("A-urgent-5", "card-expiry", 5, "urgent"),
        ("A-urgent-20", "residence-expiry", 20, "urgent"),
        ("A-soon", "residence-expiry", 60, "soon"),
        ("A-by-eye", None, None, "check"),
        ("A-ok", "residence-expiry", 400, "ok"),
    ]


def test_today_is_passed_in_not_read_from_a_clock(register: Register) -> None:
    _client(register, "A-0001", residence(60))
    assert register.deadlines(TODAY)[0].level is Level.SOON
    assert register.deadlines(days(59))[0].level is Level.URGENT
    assert register.deadlines(days(61))[0].level is Level.EXPIRED


def test_rows_carry_the_rules_findings_and_actions(register: Register) -> None:
    # The stay was renewed to 400 days, the My Number card still ends in 20: the rules say
    # "extend the My Number card" (mynumber-not-updated), judged across the two cards.
    client_id = _client(register, "A-0001", residence(400), mynumber(20))
    rows = register.deadlines(TODAY)
    expected = assess(ClientRecord("A-0001", (residence(400), mynumber(20))), TODAY)
    (not_updated,) = [f for f in expected.findings if f.code == "mynumber-not-updated"]
    card_row = rows[0]
    assert (card_row.client_id, card_row.card_kind, card_row.date_kind) == (
        client_id, "mynumber", "card-expiry")
    assert card_row.findings == ("mynumber-not-updated",)
    assert card_row.level is not_updated.level
    assert (card_row.action_ja, card_row.action_en) == (not_updated.message_ja,
                                                        not_updated.message_en)
    # Nothing due on the residence card: its row says what its level means.
    assert rows[-1].findings == () and "nothing to do" in rows[-1].action_en


def test_the_latest_check_of_each_card_kind_counts(register: Register) -> None:
    client = register.create_client("A-0001", None, desk="d")
    register.save_check(client.id, residence(10), desk="d", at=AT)
    renewed = register.save_check(client.id, residence(400), desk="d",
                                  at=AT + dt.timedelta(days=1))
    register.save_check(client.id, mynumber(200), desk="d", at=AT - dt.timedelta(days=9))
    rows = register.deadlines(TODAY)
    assert {(r.card_kind, r.days_left) for r in rows} == {("residence-second", 400),
                                                          ("mynumber", 200)}
    assert [r.check_id for r in rows if r.card_kind == "residence-second"] == [renewed.id]


def test_a_pending_renewal_is_not_overdue(register: Register) -> None:
    # Past the stay's end, but the application is pending: the 特例期間 runs two months.
    _client(register, "A-pending", residence(-10, card_days=300, pending=True))
    rows = register.deadlines(TODAY)
    row = next(r for r in rows if r.date_kind == "residence-expiry")
    # Judged by the 特例期間's end (about 50 days away), not by the passed date.
    assert row.days_left == -10 and row.level is Level.SOON
    assert row.findings == ("residence-renewal-pending",)
    assert row.renewal_pending is True
    assert register.deadlines(TODAY, overdue_only=True) == []


def test_filters(register: Register) -> None:
    _client(register, "A-expired", residence(-3))
    _client(register, "A-20", residence(20))
    _client(register, "A-31", residence(31))
    _client(register, "A-pending", residence(45, card_days=300, pending=True))
    _client(register, "A-by-eye", first_generation(pending=True))

    def refs(**filters: object) -> list[str | None]:
        return [r.reference for r in register.deadlines(TODAY, **filters)]  # type: ignore[arg-type]

    # Overdue dates are due too; an undated row is in no date window.
    assert refs(within_days=30) == ["A-expired", "A-20"]
    assert refs(within_days=31) == ["A-expired", "A-20", "A-31"]
    assert refs(overdue_only=True) == ["A-expired"]
    assert set(refs(pending_only=True)) == {"A-pending", "A-by-eye"}
    assert refs(pending_only=True, within_days=50) == ["A-pending"]
    assert len(refs()) == 7  # A-pending: stay and card; A-by-eye: two findings to check


def test_equal_dates_of_one_card_are_one_deadline(register: Register) -> None:
    _client(register, "A-0001", residence(60))  # card valid exactly as long as the stay
    rows = register.deadlines(TODAY)
    assert [(r.date_kind, r.findings) for r in rows] == [
        ("residence-expiry", ("residence-expiring",))]


# --- the mapping from an assessment to rows, for any cards ------------------------------------

def _stored(index: int, facts: CardFacts) -> Check:
    # As the register stores it (each date's source; facts() gives the card back, less a
    # first-generation date nobody confirmed).
    values = check_values(facts)
    return Check(index + 1, 1, AT, "d", facts.kind, facts.card_expiry,
                 facts.known_residence_expiry, values["residence_expiry_source"],
                 facts.no_period, facts.certificate_expiry, facts.renewal_pending,
                 facts.expiry_source, (), None, None,
                 card_expiry_source=values["card_expiry_source"])


@given(st.lists(card_facts(), min_size=1, max_size=4, unique_by=lambda c: c.kind))
def test_every_finding_lands_in_exactly_one_row(cards: list[CardFacts]) -> None:
    latest = [_stored(i, c) for i, c in enumerate(cards)]
    assert [c.facts() for c in latest] == [as_kept(c) for c in cards]
    client = Client(1, "A-0001", None, AT)
    rows = client_deadlines(client, latest, TODAY, Thresholds())
    expected = assess(ClientRecord("A-0001", tuple(c.facts() for c in latest)), TODAY)
    def card_of(index: int | None) -> int:
        return latest[index or 0].id

    assert sorted((r.check_id, code) for r in rows for code in r.findings) == sorted(
        (card_of(f.card_index), f.code) for f in expected.findings)
    # A row is never calmer than a finding about it, and every date is shown.
    for row in rows:
        assert row.level >= max((f.level for f in expected.findings
                                 if (card_of(f.card_index), f.code) in
                                 {(row.check_id, code) for code in row.findings}),
                                default=Level.OK)
    shown = {(r.check_id, r.date) for r in rows}
    assert {(latest[d.card_index].id, d.date) for d in expected.dates} <= shown
    assert sorted(rows, key=urgency) == sorted(sorted(rows, key=urgency), key=urgency)
