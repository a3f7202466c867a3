"""The urgency of each deadline row on any day, as stored columns, so the deadlines list is
ordered "most urgent first", filtered and paged in SQL.

A row's level on a day is what ``cardtool.expiry.assess`` says on that day (through
``deadlines.slots``), and it never falls as days pass: a date only comes closer. So a row's
level on every day is fixed by three days, the first day it is at least *soon*, *urgent*
and *expired*, and by its level before them (ok, or "check by eye" for a row without a
date). Those days are found here by evaluating the rules on chosen days (the dates of the
cards, shifted by the thresholds, are tried first; a binary search settles the rest), never
by a copy of the rules. SQL then only compares today with them (``level_on``).

The keys are computed with the default thresholds (``Thresholds()``), which the desk's and the
exports' lists use. A test orders random registers both ways (SQL, and ``urgency`` over the
assessed rows) and fails if they disagree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import ColumnElement, Date, case, literal

from cardtool.authenticity import Status
from cardtool.card_kind import CardKind
from cardtool.expiry import (
    CardFacts,
    ClientRecord,
    Level,
    Thresholds,
    assess,
    special_period_end,
    urgency_order,
)
from cardtool.register.deadlines import slots
from cardtool.register.schema import deadline_keys

#: The level each stored day stands for, in the order a day is compared.
RISES: tuple[Level, ...] = (Level.SOON, Level.URGENT, Level.EXPIRED)
#: "Since ever": the row was at this level on the earliest day looked at.
FAR_PAST = dt.date(1, 1, 1)
#: How far around a client's dates the rises are looked for: a rise further away than the
#: largest threshold, plus the 特例期間 and the 2-month extension, cannot happen.
_MARGIN = dt.timedelta(days=800)
#: Any day, for a client whose cards hold no date (every level then is the same on all days).
_ANY_DAY = dt.date(2000, 1, 1)

Identity = tuple[int, str | None, dt.date | None, str | None]


@dataclass(frozen=True)
class RowKey:
    """The stored urgency of one row (``schema.deadline_keys``)."""

    card_index: int
    date_kind: str | None
    date: dt.date | None
    finding_code: str | None
    level_floor: Level
    soon_from: dt.date | None
    urgent_from: dt.date | None
    expired_from: dt.date | None
    renewal_pending: bool | None

    def level_on(self, day: dt.date) -> Level:
        """The level on ``day``, as the SQL expression ``level_on`` computes it."""
        for rise, since in reversed(list(zip(RISES, self.rises, strict=True))):
            if since is not None and since <= day:
                return rise
        return self.level_floor

    @property
    def rises(self) -> tuple[dt.date | None, ...]:
        return (self.soon_from, self.urgent_from, self.expired_from)


def _dates(cards: Sequence[CardFacts]) -> list[dt.date]:
    found: list[dt.date] = []
    for card in cards:
        for day in (card.card_expiry, card.certificate_expiry, card.known_residence_expiry):
            if day is not None:
                found.append(day)
        if card.is_residence and card.known_residence_expiry is not None:
            found.append(special_period_end(card.known_residence_expiry))
    return found


def row_keys(cards: Sequence[CardFacts], thresholds: Thresholds | None = None) -> list[RowKey]:
    """The rows of a client with these latest cards (in ``slots`` order) and the days their
    level rises."""
    thresholds = thresholds or Thresholds()
    record = ClientRecord(None, tuple(cards))
    memo: dict[dt.date, dict[Identity, Level]] = {}
    pending: list[bool | None] = []

    def levels(day: dt.date) -> dict[Identity, Level]:
        found = memo.get(day)
        if found is None:
            assessment = assess(record, day, thresholds)
            if not pending:
                pending.append(assessment.renewal_pending)
            found = {slot.identity: slot.level for slot in slots(assessment)}
            memo[day] = found
        return found

    dates = _dates(cards)
    low = (min(dates) - _MARGIN) if dates else _ANY_DAY
    high = (max(dates) + _MARGIN) if dates else _ANY_DAY
    hints = sorted({day + dt.timedelta(days=offset) for day in dates
                    for offset in (-thresholds.soon_days, -thresholds.urgent_days, 1)})

    def first_day(identity: Identity, rise: Level) -> dt.date | None:
        def at(day: dt.date) -> Level:
            return levels(day).get(identity, Level.OK)

        if at(low) >= rise:
            return FAR_PAST
        if at(high) < rise:
            return None
        for hint in hints:
            if low < hint <= high and at(hint) >= rise > at(hint - dt.timedelta(days=1)):
                return hint
        below, above = low, high  # at(below) < rise <= at(above)
        while (above - below).days > 1:
            middle = below + (above - below) // 2
            if at(middle) >= rise:
                above = middle
            else:
                below = middle
        return above

    keys: list[RowKey] = []
    for identity, floor in levels(low).items():
        card_index, date_kind, date, code = identity
        rises = [first_day(identity, rise) for rise in RISES]
        keys.append(RowKey(card_index, date_kind, date, code, min(floor, Level.CHECK),
                           rises[0], rises[1], rises[2], pending[0]))
    return keys


def authenticity_rank(authenticity: str | None) -> int:
    """The first part of the order for a row of a check with this authenticity status
    (``cardtool.expiry.urgency_order``'s own, so the order has one home)."""
    return urgency_order(Level.OK, None, authenticity)[0]


#: Every rank a row can have, first first.
AUTHENTICITY_RANKS: tuple[int, ...] = tuple(sorted(
    {authenticity_rank(None)} | {authenticity_rank(status.value) for status in Status}))


def level_on(today: dt.date) -> ColumnElement[int]:
    """SQL: a stored row's level on ``today`` (``RowKey.level_on``)."""
    day = literal(today, Date())
    return case((deadline_keys.c.expired_from <= day, int(Level.EXPIRED)),
                (deadline_keys.c.urgent_from <= day, int(Level.URGENT)),
                (deadline_keys.c.soon_from <= day, int(Level.SOON)),
                else_=deadline_keys.c.level_floor)


#: Cards whose keys make the fingerprint: each rule's branch (pending or not, a My Number
#: card against the stay, first generation, 特定) at least once.
_PROBE_DAY = dt.date(2026, 6, 1)


def _probe(days: int) -> dt.date:
    return _PROBE_DAY + dt.timedelta(days=days)


_PROBES: tuple[tuple[CardFacts, ...], ...] = (
    (CardFacts(CardKind.RESIDENCE_SECOND, residence_expiry=_probe(100), card_expiry=_probe(100),
               renewal_pending=False),),
    (CardFacts(CardKind.RESIDENCE_SECOND, residence_expiry=_probe(10), card_expiry=_probe(400),
               renewal_pending=True),
     CardFacts(CardKind.MYNUMBER, card_expiry=_probe(20), certificate_expiry=_probe(15))),
    (CardFacts(CardKind.RESIDENCE_FIRST, typed_residence_expiry=_probe(50), face_source="typed"),
     CardFacts(CardKind.MYNUMBER, card_expiry=_probe(50), certificate_expiry=_probe(900))),
    (CardFacts(CardKind.RESIDENCE_FIRST, renewal_pending=True),),
    (CardFacts(CardKind.RESIDENCE_FIRST, no_period=True, card_expiry=_probe(-5)),),
    (CardFacts(CardKind.SPECIFIED, residence_expiry=_probe(70), card_expiry=_probe(70),
               certificate_expiry=_probe(60), renewal_pending=True),),
    (CardFacts(CardKind.MYNUMBER),),
)
#: Bump when what is derived changes shape (not when a rule changes: the probes see that).
_DERIVED_FORMAT = "deadline-keys-2 search-key-nfkc-casefold-1"


@lru_cache(maxsize=1)
def rules_fingerprint() -> str:
    """A digest of the keys the rules give the probe cards: it changes when a rule that moves
    a level changes, and then the stored keys are computed again (``Register.open``)."""
    digest = hashlib.sha256(_DERIVED_FORMAT.encode())
    for cards in _PROBES:
        digest.update(repr(row_keys(cards)).encode())
    return digest.hexdigest()[:32]


__all__ = ["AUTHENTICITY_RANKS", "FAR_PAST", "RISES", "RowKey", "authenticity_rank", "level_on", "row_keys",
           "rules_fingerprint"]
