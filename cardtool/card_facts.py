"""From an open card to the expiry rules' ``CardFacts``, through the read services.

Nothing secret is asked except a residence card's number (through ``ask_card_number``, only
once the card turned out to be a residence card or a 特定在留カード): a My Number card's
expiry and its authentication certificate are read without a PIN, and the tries left of its
PINs are read with the empty VERIFY (none is used).

Written by the office-workflow branch because no such producer was on main yet; the office
and ``cardtool expiry`` reach it through ``cardtool.cli.office_cmd.card_facts_reader`` only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from apdu.session import Session
from apdu.transport import Transport
from cardtool.cards.detect import CardKind, detect
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.cards.residence.ids import RESIDENCE_AP_AID
from cardtool.cards.residence.parse import CardDate
from cardtool.cards.residence.service import read_residence
from cardtool.errors import CardtoolError, UnsupportedCard
from cardtool.expiry import CardFacts, date_in_jst
from cardtool.policy.table import Secret
from cardtool.read import ReadOptions, read_mynumber

#: Where a 特定在留カード's card expiry came from when its residence side gave it (C5).
RESIDENCE_C5_SOURCE = "residence-c5"


class NoSecretInExpiryCheck(CardtoolError):
    en = "The expiry check never asks for a My Number card PIN ({secret})."
    ja = "有効期限チェックではマイナンバーカードの暗証番号({secret})を求めません。"


def _no_pin(secret: Secret) -> str:
    # read_mynumber asks only for what ReadOptions requests; the defaults request nothing.
    raise NoSecretInExpiryCheck(secret=secret.name)


def _date(value: CardDate | None) -> dt.date | None:
    return value.date if value is not None else None


def read_card_facts(transport: Transport, ask_card_number: Callable[[], str]) -> CardFacts:
    """Detect the card and read what the expiry rules need from it."""
    session = Session(transport)
    card = MyNumberCard(session)
    detection = detect(card, transport.atr, probe_residence=False)
    if detection.kind is CardKind.RESIDENCE_FIRST:
        result = read_residence(session, ask_card_number, card_type=detection.residence_type)
        return CardFacts("residence-first", renewal_pending=result.renewal_pending)
    if detection.kind is CardKind.RESIDENCE_SECOND:
        result = read_residence(session, ask_card_number, card_type=detection.residence_type)
        return CardFacts("residence-second", card_expiry=_date(result.card_expiry),
                         residence_expiry=_date(result.residence_expiry),
                         renewal_pending=result.renewal_pending, expiry_source="chip")
    if not detection.has_mynumber_applications:
        raise UnsupportedCard(atr=transport.atr.hex(" ").upper() + f" ({detection.kind.value})")
    report = read_mynumber(session, transport.atr, ReadOptions(), _no_pin, card=card,
                           detection=detection)
    detection = report.detection
    certificate = (date_in_jst(report.auth_certificate.not_after)
                   if report.auth_certificate else None)
    card_expiry = report.card_expiry.date if report.card_expiry else None
    source = report.card_expiry.source.value if report.card_expiry else None
    if detection.kind is not CardKind.SPECIFIED:
        return CardFacts("mynumber", card_expiry=card_expiry, certificate_expiry=certificate,
                         expiry_source=source)
    if detection.residence_type is None:
        session.select_df(RESIDENCE_AP_AID)
    result = read_residence(session, ask_card_number, card_type=detection.residence_type,
                            specified=True)
    c5 = _date(result.card_expiry)
    if c5 is not None:
        # One card: the residence side's printed-entry date (C5) is the card's validity.
        card_expiry, source = c5, RESIDENCE_C5_SOURCE
    return CardFacts("specified", card_expiry=card_expiry, certificate_expiry=certificate,
                     residence_expiry=_date(result.residence_expiry),
                     renewal_pending=result.renewal_pending, expiry_source=source)


__all__ = ["read_card_facts"]
