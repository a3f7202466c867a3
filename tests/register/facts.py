"""Synthetic cards for the register tests (no real person's data)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import strategies as st

from cardtool.authenticity import Authenticity, Status
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


# --- any card, for property tests ------------------------------------------------------------

_offsets = st.integers(min_value=-400, max_value=800)
_dates = _offsets.map(days)


@st.composite
def card_facts(draw: st.DrawFn, with_authenticity: bool = False) -> CardFacts:
    """Any consistent card, as a read service could report it."""
    kind = draw(st.sampled_from(["mynumber", "residence-second", "residence-first",
                                 "specified"]))
    authenticity = (Authenticity(draw(st.sampled_from(list(Status))), ())
                    if with_authenticity and kind != "mynumber" and draw(st.booleans())
                    else None)
    if kind == "mynumber":
        return CardFacts("mynumber", card_expiry=draw(st.none() | _dates),
                         certificate_expiry=draw(st.none() | _dates),
                         expiry_source=draw(st.sampled_from([None, "get-data-f2", "common-df"])))
    if kind == "residence-first":
        typed = draw(st.none() | _dates)
        card = draw(st.none() | _dates)
        return CardFacts("residence-first", typed_residence_expiry=typed,
                         card_expiry=card,
                         face_source=draw(st.sampled_from(["ocr", "typed", "ocr-confirmed"]))
                         if typed else None,
                         expiry_source=draw(st.sampled_from([None, "ocr", "typed",
                                                             "ocr-confirmed"]))
                         if card else None,
                         no_period=typed is None and draw(st.booleans()),
                         renewal_pending=draw(st.none() | st.booleans()),
                         authenticity=authenticity)
    return CardFacts(kind, card_expiry=draw(st.none() | _dates),
                     residence_expiry=draw(st.none() | _dates),
                     renewal_pending=draw(st.none() | st.booleans()),
                     certificate_expiry=draw(st.none() | _dates) if kind == "specified" else None,
                     expiry_source=draw(st.sampled_from([None, "chip", "residence-c5"])),
                     authenticity=authenticity)


def as_kept(facts: CardFacts) -> CardFacts:
    """What the register gives back of ``facts``: no verdict, and on a first-generation
    card only the face dates typed or confirmed by staff (an OCR'd date saved without an
    answer is kept as "ocr", which ``Check.facts`` leaves out)."""
    facts = dataclasses.replace(facts, authenticity=None)
    if facts.kind != "residence-first":
        return facts
    stay = facts.face_source or ("typed" if facts.typed_residence_expiry else None)
    card = facts.expiry_source or ("ocr" if facts.card_expiry else None)
    stay_ok, card_ok = stay in ("typed", "ocr-confirmed"), card in ("typed", "ocr-confirmed")
    return dataclasses.replace(
        facts, typed_residence_expiry=facts.typed_residence_expiry if stay_ok else None,
        face_source=stay if stay_ok else None, card_expiry=facts.card_expiry if card_ok else None,
        expiry_source=card, no_period=facts.no_period and stay != "ocr")
