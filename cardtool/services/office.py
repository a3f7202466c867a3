"""The office session: which client each card belongs to, and the client's row.

A card joins a client when staff give the same reference as an earlier card of this session,
or, without a reference, when they confirm "same client as the previous card". The CLI asks;
this module decides and writes the report (``OfficeReport``) after every card.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apdu.transport import Transport
from cardtool.errors import UsageError
from cardtool.expiry import CardFacts, ClientRecord, Thresholds, assess
from cardtool.jst import today_jst
from cardtool.services.office_report import OfficeReport, clean_reference

#: Reads what the rules need from the card in ``transport``; calls the second argument (it
#: returns the residence card number typed by staff) only for a residence card. Never asks
#: for a My Number card PIN.
ReadCardFacts = Callable[[Transport, Callable[[], str]], CardFacts]


@dataclass
class _Client:
    number: int
    record: ClientRecord


@dataclass
class OfficeSession:
    report: OfficeReport
    thresholds: Thresholds = field(default_factory=Thresholds)
    today: Callable[[], dt.date] = today_jst
    clients: list[_Client] = field(default_factory=list)
    cards_read: int = 0
    _last: _Client | None = field(default=None, init=False, repr=False)

    @property
    def previous(self) -> _Client | None:
        """The client the last card went to."""
        return self._last

    def suggest_same_client(self, card: CardFacts) -> bool | None:
        """The default answer to "same client as the previous card?": yes when the previous
        client has one card and this one complements it (a residence card and a separate My
        Number card); no otherwise; None when there is no previous card to pair with."""
        previous = self.previous
        if previous is None:
            return None
        cards = previous.record.cards
        if len(cards) != 1:
            return False
        (only,) = cards
        return (only.kind == "mynumber") != (card.kind == "mynumber") and "specified" not in (
            only.kind, card.kind)

    def reference_client(self, reference: str) -> _Client | None:
        for client in reversed(self.clients):
            if client.record.reference == reference:
                return client
        return None

    def record(self, card: CardFacts, reference: str | None, same_as_previous: bool
               ) -> dict[str, Any]:
        """Add the card to its client and write the client's row; returns the row."""
        reference = clean_reference(reference)
        target: _Client | None = None
        if reference is not None:
            target = self.reference_client(reference)
        elif same_as_previous:
            target = self.previous
        today = self.today()
        self.cards_read += 1
        if target is None:
            record = ClientRecord(reference, (card,))
            row = self.report.add(assess(record, today, self.thresholds))
            target = _Client(int(row["no"]), record)
            self.clients.append(target)
        else:
            target.record = target.record.with_card(card)
            row = self.report.replace(target.number, assess(target.record, today,
                                                            self.thresholds))
        self._last = target
        return row


class BadTypedDate(UsageError):
    pass


_TYPED_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_typed_date(text: str) -> dt.date | None:
    """A date typed from a card face: 2027-03-31, 2027/3/31, 2027.03.31, 20270331 or
    2027年3月31日 (full-width digits too). Empty means "not typed" (None)."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not cleaned:
        return None
    m = _TYPED_DATE.match(cleaned)
    parts = m.groups() if m else ((cleaned[:4], cleaned[4:6], cleaned[6:])
                                  if len(cleaned) == 8 and cleaned.isdigit() else None)
    if parts is not None:
        try:
            day = dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            day = None
        if day is not None and 2000 <= day.year <= 2100:
            return day
    raise BadTypedDate(
        f"'{cleaned}' is not a date like 2027-03-31.",
        f"「{cleaned}」は日付として読めません(例: 2027-03-31)。",
    )


__all__ = ["BadTypedDate", "OfficeSession", "ReadCardFacts", "parse_typed_date"]
