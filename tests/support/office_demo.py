"""Synthetic clients for the office report demo and tests: dates only, no person."""

from __future__ import annotations

import datetime as dt

from cardtool.expiry import CardFacts, ClientRecord, Thresholds, assess
from cardtool.jst import JST
from cardtool.services.office_report import row_from_assessment

DEMO_TODAY = dt.date(2027, 3, 10)
DEMO_NOW = dt.datetime(2027, 3, 10, 17, 30, tzinfo=JST)


def _in(days: int) -> dt.date:
    return DEMO_TODAY + dt.timedelta(days=days)


def demo_records() -> list[ClientRecord]:
    stay3y = _in(3 * 365)
    return [
        # Renewed visa, My Number card not updated.
        ClientRecord("A-101", (
            CardFacts("residence-second", card_expiry=stay3y, residence_expiry=stay3y,
                      renewal_pending=False),
            CardFacts("mynumber", card_expiry=_in(20), certificate_expiry=_in(20),
                      expiry_source="get-data-f2"))),
        # Renewal pending, My Number card ends with the old stay.
        ClientRecord("A-102", (
            CardFacts("residence-second", card_expiry=_in(25), residence_expiry=_in(25),
                      renewal_pending=True),
            CardFacts("mynumber", card_expiry=_in(25), certificate_expiry=_in(25),
                      expiry_source="get-data-f2"))),
        # Fine.
        ClientRecord("A-103", (
            CardFacts("residence-second", card_expiry=_in(700), residence_expiry=_in(700),
                      renewal_pending=False),
            CardFacts("mynumber", card_expiry=_in(700), certificate_expiry=_in(700),
                      expiry_source="get-data-f2"))),
        # 特定在留カード, stay ending in two months.
        ClientRecord("A-104", (
            CardFacts("specified", card_expiry=_in(60), certificate_expiry=_in(60),
                      residence_expiry=_in(60), renewal_pending=False),)),
        # First generation, nothing typed.
        ClientRecord("A-105", (CardFacts("residence-first", renewal_pending=False),)),
        # Stay over, no renewal applied for.
        ClientRecord("A-106", (
            CardFacts("residence-second", card_expiry=_in(-3), residence_expiry=_in(-3),
                      renewal_pending=False),)),
        # First generation with the typed date; certificates end before the card.
        ClientRecord("A-107", (
            CardFacts("residence-first", typed_residence_expiry=_in(400), renewal_pending=False),
            CardFacts("mynumber", card_expiry=_in(400), certificate_expiry=_in(45),
                      expiry_source="get-data-f2"))),
        # Permanent resident: no period of stay, the card itself expires.
        ClientRecord(None, (
            CardFacts("residence-second", card_expiry=_in(80), renewal_pending=False),)),
    ]


def demo_rows(thresholds: Thresholds | None = None) -> list[dict[str, object]]:
    return [row_from_assessment(assess(record, DEMO_TODAY, thresholds), i, DEMO_NOW)
            for i, record in enumerate(demo_records(), start=1)]
