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
from dataclasses import replace
from typing import assert_never

from apdu.transport import Transport
from cardtool.authenticity import Authenticity
from cardtool.card_kind import CardKind
from cardtool.cards.residence.auth import CardNumberMismatch
from cardtool.cards.residence.parse import CardDate
from cardtool.era import collation_number_b_from_parts
from cardtool.errors import CardtoolError, UnsupportedCard
from cardtool.expiry import CardFacts
from cardtool.front_dates import FaceDates, Status
from cardtool.jst import date_in_jst
from cardtool.secret_format import RESIDENCE_CARD_NUMBER, PinFormatError, Secret, encode_secret
from cardtool.services.read import AskSecret, ReadOptions, read_card
from cardtool.trust.options import ResidenceOptions

#: Where a 特定在留カード's card expiry came from when its residence side gave it (C5).
RESIDENCE_C5_SOURCE = "residence-c5"


class NoSecretInExpiryCheck(CardtoolError):
    en = "The expiry check never asks for a My Number card PIN ({secret})."
    ja = "有効期限チェックではマイナンバーカードの暗証番号({secret})を求めません。"


def refuse_secrets(secret: Secret) -> str:
    """The expiry check's answer to a request for a secret: none is given (read_mynumber
    asks only for what ReadOptions requests; the defaults request nothing)."""
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


def check_card_number_format(number: str) -> None:
    """A residence card number's format (2 letters, 8 digits, 2 letters), checked before the
    card is opened so a typo costs no APDU; raises PinFormatError (never echoes it)."""
    encode_secret(RESIDENCE_CARD_NUMBER, number)


def number_b_from_printed(secret: Secret, birth: str, expiry_year: str, code: str) -> str:
    """照合番号B's 14 digits from what is printed on a My Number card: the birth date
    (YYYY-MM-DD), the expiry's year and the security code. A value that cannot be one is a
    format error (``PinFormatError``), before anything is sent."""
    try:
        born = dt.date.fromisoformat(birth.strip())
        year = int(expiry_year.strip())
    except ValueError:
        raise PinFormatError(secret) from None
    digits = code.strip()
    if not (len(expiry_year.strip()) == 4 and 2000 <= year <= 2200 and len(digits) == 4
            and digits.isdigit() and dt.date(1868, 10, 23) <= born <= dt.date.today()):
        raise PinFormatError(secret)
    return collation_number_b_from_parts(born, year, digits)


def printed_number_b_asker(birth: str, expiry_year: str, code: str) -> AskSecret:
    """Answers the card's request for 照合番号B with the 14 digits built from what is printed
    on a My Number card (birth date YYYY-MM-DD, the expiry's year, the security code), as
    ``cardtool read --number-b-parts`` asks them; any other secret is refused. A value that
    cannot be one is a format error before anything is sent."""

    def ask(secret: Secret) -> str:
        if secret.name != "number-b":
            return refuse_secrets(secret)
        return number_b_from_printed(secret, birth, expiry_year, code)

    return ask


#: What the expiry check reads by default: no PIN status, no My Number verdict.
EXPIRY_READ = ReadOptions(pin_status=False, verify=False, signing_flag=False)


def read_card_facts(transport: Transport, ask_card_number: Callable[[], str],
                    residence_options: ResidenceOptions | None = None, *,
                    read_options: ReadOptions = EXPIRY_READ,
                    ask_secret: AskSecret = refuse_secrets) -> CardFacts:
    """Detect the card and read what the expiry rules need from it (``read_card`` does the
    dispatch, as for ``cardtool read``; no PIN is requested). ``residence_options``: the
    trust anchors a residence card is checked against (None: none). ``read_options``: the
    desk also checks a My Number card's signed data (``verify=True``, a verdict) and its
    face (``face=True``: 照合番号B through ``ask_secret``); the default reads as little as
    the expiry check needs."""
    # No PIN tries and no signing-certificate flag: the expiry rules use neither.
    report = read_card(transport, replace(read_options, pin_status=False, signing_flag=False),
                       ask_secret, ask_card_number, residence_options or ResidenceOptions())
    kind = report.detection.kind
    residence = report.residence
    mynumber = report.mynumber
    unsupported = UnsupportedCard(atr=transport.atr.hex(" ").upper() + f" ({kind.value})")
    # Every kind is handled here (mypy names a new one through assert_never): how its
    # report becomes the facts its profile (cardtool.card_kind) says it has.
    match kind:
        case CardKind.RESIDENCE_FIRST:
            if residence is None:
                raise unsupported
            return first_generation_facts(residence.renewal_pending, residence.face,
                                          residence.authenticity)
        case CardKind.RESIDENCE_SECOND:
            if residence is None:
                raise unsupported
            return CardFacts(CardKind.RESIDENCE_SECOND, card_expiry=_date(residence.card_expiry),
                             residence_expiry=_date(residence.residence_expiry),
                             renewal_pending=residence.renewal_pending, expiry_source="chip",
                             authenticity=residence.authenticity)
        case CardKind.MYNUMBER | CardKind.SPECIFIED:
            if mynumber is None:
                raise unsupported
        case CardKind.JPKI_SMARTPHONE | CardKind.JUKI_CARD:
            raise unsupported
        case _:
            assert_never(kind)
    certificate = (date_in_jst(mynumber.auth_certificate.not_after)
                   if mynumber.auth_certificate else None)
    card_expiry = mynumber.card_expiry.date if mynumber.card_expiry else None
    source = mynumber.card_expiry.source.value if mynumber.card_expiry else None
    if kind is CardKind.MYNUMBER or residence is None:
        return CardFacts(CardKind.MYNUMBER, card_expiry=card_expiry, certificate_expiry=certificate,
                         expiry_source=source, authenticity=mynumber.authenticity)
    c5 = _date(residence.card_expiry)
    if c5 is not None:
        # One card: the residence side's printed-entry date (C5) is the card's validity.
        card_expiry, source = c5, RESIDENCE_C5_SOURCE
    return CardFacts(CardKind.SPECIFIED, card_expiry=card_expiry, certificate_expiry=certificate,
                     residence_expiry=_date(residence.residence_expiry),
                     renewal_pending=residence.renewal_pending, expiry_source=source,
                     authenticity=report.authenticity)

# CardNumberMismatch: the typed residence card number is not this card's (a face asks again).
__all__ = ["CardNumberMismatch", "check_card_number_format", "printed_number_b_asker",
           "read_card_facts", "refuse_secrets"]
