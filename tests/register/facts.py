"""Synthetic cards for the register tests (no real person's data)."""

from __future__ import annotations

import datetime as dt

from cardtool.expiry import CardFacts

TODAY = dt.date(2026, 11, 30)


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def residence(stay_days: int, card_days: int | None = None, pending: bool = False) -> CardFacts:
    """A second-generation card; the card itself valid as long as the stay by default."""
    stay = days(stay_days)
    return CardFacts("residence-second", residence_expiry=stay,
                     card_expiry=days(card_days) if card_days is not None else stay,
                     renewal_pending=pending, expiry_source="chip")


def mynumber(card_days: int, certificate_days: int | None = None) -> CardFacts:
    card = days(card_days)
    return CardFacts("mynumber", card_expiry=card,
                     certificate_expiry=days(certificate_days) if certificate_days else card,
                     expiry_source="get-data-f2")


def first_generation(pending: bool | None = None) -> CardFacts:
    return CardFacts("residence-first", renewal_pending=pending)
