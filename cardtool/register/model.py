"""What the register hands out: clients, checks and deadline rows (frozen dataclasses).

A ``Check`` is what was stored of one card at one visit; ``Check.facts()`` rebuilds the
expiry rules' ``CardFacts`` from it, so the deadlines are judged by the same rules
(``cardtool.expiry.assess``) as a card on the reader, on whatever day they are asked for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cardtool.card_kind import UnknownKind, kind_profile, known_kind
from cardtool.expiry import CardFacts, Kind, Level
from cardtool.i18n import pick


@dataclass(frozen=True)
class Client:
    id: int
    reference: str | None
    display_name: str | None
    created_at: dt.datetime  # aware, UTC

    @property
    def label(self) -> str:
        """How a list names the client: the reference, else the id."""
        return self.reference or f"#{self.id}"


@dataclass(frozen=True)
class Check:
    id: int
    client_id: int
    checked_at: dt.datetime  # aware, UTC
    desk: str
    card_kind: Kind
    card_expiry: dt.date | None
    residence_expiry: dt.date | None
    #: "chip", "typed", "ocr" or "confirmed": where residence_expiry came from.
    residence_expiry_source: str | None
    #: First generation: no period of stay on the face (永住者, 特別永住者証明書).
    no_period: bool
    certificate_expiry: dt.date | None
    renewal_pending: bool | None
    expiry_source: str | None
    #: The finding codes on the day of the check (cardtool.expiry.FINDING_CODES).
    findings: tuple[str, ...]
    #: cardtool.authenticity.Status value, None when the card service gave no verdict.
    authenticity: str | None
    #: Residence cards, when the number was given: AB********CD.
    card_number_masked: str | None

    def facts(self) -> CardFacts:
        """The card as the expiry rules take it (no authenticity: the status alone is kept)."""
        if kind_profile(self.card_kind).dates_typed:
            # What staff typed (or confirmed from the image) is kept as the residence expiry.
            return CardFacts(
                self.card_kind, card_expiry=self.card_expiry,
                typed_residence_expiry=self.residence_expiry,
                renewal_pending=self.renewal_pending, expiry_source=self.expiry_source,
                face_source=self.residence_expiry_source if self.residence_expiry else None,
                no_period=self.no_period)
        return CardFacts(self.card_kind, card_expiry=self.card_expiry,
                         certificate_expiry=self.certificate_expiry,
                         residence_expiry=self.residence_expiry,
                         renewal_pending=self.renewal_pending, expiry_source=self.expiry_source)


def as_kind(value: str) -> Kind:
    """A stored kind as the expiry rules take it; ValueError for a kind they do not check."""
    try:
        checked = kind_profile(value).expiry_checked
    except UnknownKind:
        checked = False
    if not checked:
        raise ValueError(f"unknown card kind {value!r} in the register")
    return known_kind(value)  # type: ignore[return-value]


@dataclass(frozen=True)
class DeadlineRow:
    """One date of one client's card, or one thing to check by eye, with what to do."""

    client_id: int
    reference: str | None
    display_name: str | None
    card_kind: Kind
    #: "residence-expiry", "card-expiry", "certificate-expiry" (cardtool.expiry.DateField), or
    #: None for a finding without a date (e.g. a first-generation card: check by eye).
    date_kind: str | None
    date: dt.date | None
    days_left: int | None
    level: Level
    #: The assessment's finding codes for this date (empty when nothing is due).
    findings: tuple[str, ...]
    action_ja: str
    action_en: str
    #: Any of the client's residence cards said 申請中 (None: not read).
    renewal_pending: bool | None
    authenticity: str | None
    #: The visit the date comes from.
    check_id: int
    checked_at: dt.datetime

    def action(self, lang: str) -> str:
        return pick((self.action_en, self.action_ja), lang)


__all__ = ["Check", "Client", "DeadlineRow", "as_kind"]
