"""Tell the supported cards apart by selecting applications and reading their identifying
files, never by ATR alone (contactless readers synthesize ATRs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from apdu.session import Session
from cardtool.card_kind import CardKind, kind_profile
from cardtool.cards.mynumber import ids as mn
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.cards.mynumber.card_expiry import CardExpiry, ExpirySource, get_data_expiry
from cardtool.cards.mynumber.jpki import TokenInfo, read_token_info
from cardtool.cards.residence_ap import RESIDENCE_AP_AID
from cardtool.errors import UnsupportedCard

if TYPE_CHECKING:
    # The residence package is imported only when a card turns out to be one (below), so
    # detecting and reading a My Number card never loads the residence reader.
    from cardtool.cards.residence.ids import CardType


@dataclass(frozen=True)
class Detection:
    kind: CardKind
    atr: bytes
    token: TokenInfo | None = None
    residence_type: CardType | None = None
    #: Card expiry when the first probe (GET DATA, valid only right after reset) gave it.
    early_expiry: CardExpiry | None = None

    @property
    def has_mynumber_applications(self) -> bool:
        return kind_profile(self.kind).has_mynumber

    @property
    def is_residence(self) -> bool:
        return kind_profile(self.kind).is_residence


_TOKEN_KINDS = {
    mn.TOKEN_MYNUMBER_CARD: CardKind.MYNUMBER,
    mn.TOKEN_ANDROID: CardKind.JPKI_SMARTPHONE,
    mn.TOKEN_IPHONE: CardKind.JPKI_SMARTPHONE,
    mn.TOKEN_JUKI_CARD: CardKind.JUKI_CARD,
}


def _residence_type(session: Session, *, select_mf: bool = True) -> CardType | None:
    """The residence card type from EF02 of the current DF (None: not a residence card)."""
    from cardtool.cards.residence.reader import read_card_type

    return read_card_type(session, select_mf=select_mf)


def probe_specified(card: MyNumberCard, detection: Detection) -> Detection:
    """A My Number card chip carrying the residence AP is a 特定在留カード. One SELECT;
    callers do it last, so no application is selected twice. The card type is read inside
    the AP (spec §9), which stays selected for the residence read (``residence_type`` None:
    not found there; the residence read then looks for it itself)."""
    if detection.kind is CardKind.MYNUMBER and card.has_application(RESIDENCE_AP_AID):
        return Detection(CardKind.SPECIFIED, detection.atr, detection.token,
                         _residence_type(card.session, select_mf=False), detection.early_expiry)
    return detection


def detect(card: MyNumberCard, atr: bytes, *, probe_residence: bool = True) -> Detection:
    """Identify the card. Costs: GET DATA (which also gives a My Number card's expiry),
    SELECT JPKI, one token read, and (unless ``probe_residence`` is False: the caller then
    calls ``probe_specified`` itself, later) one SELECT of the residence AP; residence
    cards: the card-type read."""
    session = card.session
    expiry_date = get_data_expiry(card)
    early = CardExpiry(expiry_date, ExpirySource.GET_DATA) if expiry_date else None
    if card.has_application(mn.JPKI_AID):
        token = read_token_info(card)
        kind = _TOKEN_KINDS.get(token.label)
        if kind is None:
            raise UnsupportedCard(atr=atr.hex(" ").upper() + f", JPKI token '{token.label}'")
        detection = Detection(kind, atr, token, None, early)
        return probe_specified(card, detection) if probe_residence else detection
    residence_type = _residence_type(session)
    if residence_type is not None:
        from cardtool.cards.residence import ids as rc

        generation = rc.GENERATION_OF[residence_type]
        kind = CardKind.RESIDENCE_FIRST if generation is rc.Generation.FIRST else (
            CardKind.RESIDENCE_SECOND if generation is rc.Generation.SECOND else CardKind.SPECIFIED)
        return Detection(kind, atr, None, residence_type, None)
    raise UnsupportedCard(atr=atr.hex(" ").upper() or "-")
