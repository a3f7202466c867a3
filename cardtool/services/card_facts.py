"""From an open card to the expiry rules' ``CardFacts``, through the read service
(``cardtool.services.read.read_card``, the same dispatch as ``cardtool read``).

Nothing secret is asked except a residence card's number (through ``ask_card_number``, only
once the card turned out to be a residence card or a 特定在留カード): a My Number card's
expiry and its authentication certificate are read without a PIN, and the tries left of its
PINs are read with the empty VERIFY (none is used).

PIN tries are not read: the expiry check does not need them (every APDU costs time on NFC).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from apdu.transport import Transport
from cardtool.authenticity import Authenticity
from cardtool.card_kind import CardKind
from cardtool.cards.residence.parse import CardDate
from cardtool.errors import CardtoolError, UnsupportedCard
from cardtool.expiry import CardFacts, date_in_jst
from cardtool.front_dates import FaceDates, Status
from cardtool.secret_format import Secret
from cardtool.services.read import ReadOptions, read_card
from cardtool.trust.options import ResidenceOptions

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


def first_generation_facts(renewal_pending: bool | None, face: FaceDates | None,
                           authenticity: Authenticity | None = None) -> CardFacts:
    """A first-generation card: the dates read (confidently) from its front image, marked
    "ocr" until staff confirm them; uncertain ones are left out (typed or checked by eye)."""
    if face is None:
        return CardFacts(CardKind.RESIDENCE_FIRST, renewal_pending=renewal_pending,
                         authenticity=authenticity)
    period, card = face.residence_expiry, face.card_expiry
    period_date = period.date if period.status is Status.READ else None
    card_date = card.date if card.status is Status.READ else None
    return CardFacts(CardKind.RESIDENCE_FIRST, renewal_pending=renewal_pending,
                     typed_residence_expiry=period_date, card_expiry=card_date,
                     expiry_source="ocr" if card_date else None,
                     face_source="ocr" if period_date else None,
                     no_period=period.status in (Status.INDEFINITE, Status.ABSENT), face=face,
                     authenticity=authenticity)


def read_card_facts(transport: Transport, ask_card_number: Callable[[], str],
                    residence_options: ResidenceOptions | None = None) -> CardFacts:
    """Detect the card and read what the expiry rules need from it (``read_card`` does the
    dispatch, as for ``cardtool read``; no PIN is requested). ``residence_options``: the
    trust anchors a residence card is checked against (None: none)."""
    report = read_card(transport, ReadOptions(pin_status=False, verify=False), _no_pin,
                       ask_card_number, residence_options or ResidenceOptions())
    kind = report.detection.kind
    residence = report.residence
    if kind is CardKind.RESIDENCE_FIRST and residence is not None:
        return first_generation_facts(residence.renewal_pending, residence.face,
                                      residence.authenticity)
    if kind is CardKind.RESIDENCE_SECOND and residence is not None:
        return CardFacts(CardKind.RESIDENCE_SECOND, card_expiry=_date(residence.card_expiry),
                         residence_expiry=_date(residence.residence_expiry),
                         renewal_pending=residence.renewal_pending, expiry_source="chip",
                         authenticity=residence.authenticity)
    mynumber = report.mynumber
    if mynumber is None or kind not in (CardKind.MYNUMBER, CardKind.SPECIFIED):
        raise UnsupportedCard(atr=transport.atr.hex(" ").upper() + f" ({kind.value})")
    certificate = (date_in_jst(mynumber.auth_certificate.not_after)
                   if mynumber.auth_certificate else None)
    card_expiry = mynumber.card_expiry.date if mynumber.card_expiry else None
    source = mynumber.card_expiry.source.value if mynumber.card_expiry else None
    if kind is CardKind.MYNUMBER or residence is None:
        return CardFacts(CardKind.MYNUMBER, card_expiry=card_expiry, certificate_expiry=certificate,
                         expiry_source=source)
    c5 = _date(residence.card_expiry)
    if c5 is not None:
        # One card: the residence side's printed-entry date (C5) is the card's validity.
        card_expiry, source = c5, RESIDENCE_C5_SOURCE
    return CardFacts(CardKind.SPECIFIED, card_expiry=card_expiry, certificate_expiry=certificate,
                     residence_expiry=_date(residence.residence_expiry),
                     renewal_pending=residence.renewal_pending, expiry_source=source,
                     authenticity=residence.authenticity)


__all__ = ["read_card_facts"]
