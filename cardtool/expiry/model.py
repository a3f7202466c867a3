"""The expiry rules' types: what they take (``CardFacts`` per card, ``ClientRecord`` per
client), the levels and thresholds, and what they return (``Assessment`` with its
``DateCheck`` rows and ``Finding`` items).

The input model carries dates and flags only: no My Number, name, image, photo or card
number can enter it, so none can reach a report. (A first-generation card's OCR result
rides along for display: the text of its date fields only, never written to a report.)
What a kind of card can carry is its profile's (``cardtool.card_kind.kind_profile``).

Levels: a date ``n`` days away (0 = the date is today, still valid: a card is valid through
its expiry date) is *expired* when ``n < 0``, *urgent* when ``n <= urgent_days`` (30),
*soon* when ``n <= soon_days`` (90), else *ok*. *check* marks what the chip cannot tell.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any

from cardtool.authenticity import Authenticity, weakest
from cardtool.card_kind import (
    CardKind,
    DateSource,
    KindProfile,
    UnknownKind,
    kind_profile,
    known_kind,
)
from cardtool.errors import CardtoolError, UsageError
from cardtool.i18n import pick

#: A kind of card the rules check (``cardtool.card_kind``; a kind compares equal to its
#: string; a profile registered at run time keeps its string).
Kind = CardKind

DEFAULT_SOON_DAYS = 90
DEFAULT_URGENT_DAYS = 30


class Level(IntEnum):
    """Ordered by how much attention a row needs."""

    OK = 0
    CHECK = 1  # the chip does not hold the date (first-generation card): look at the card
    SOON = 2
    URGENT = 3
    EXPIRED = 4

    @property
    def code(self) -> str:
        return self.name.lower()


class BadThresholds(UsageError):
    pass


@dataclass(frozen=True)
class Thresholds:
    soon_days: int = DEFAULT_SOON_DAYS
    urgent_days: int = DEFAULT_URGENT_DAYS

    def __post_init__(self) -> None:
        if not 0 <= self.urgent_days <= self.soon_days:
            raise BadThresholds(
                f"Thresholds must satisfy 0 <= urgent ({self.urgent_days}) <= soon "
                f"({self.soon_days}).",
                f"しきい値は 0 ≦ 至急({self.urgent_days}) ≦ 期限間近({self.soon_days}) "
                "にしてください。",
            )


def level_for(days: int, thresholds: Thresholds) -> Level:
    if days < 0:
        return Level.EXPIRED
    if days <= thresholds.urgent_days:
        return Level.URGENT
    if days <= thresholds.soon_days:
        return Level.SOON
    return Level.OK


class BadCardFacts(CardtoolError):
    en = "Card facts are inconsistent: {detail}."
    ja = "カード情報に矛盾があります: {detail}。"


def _check_date(name: str, value: object) -> None:
    # A datetime is a date too, but its calendar day depends on a time zone: callers must
    # convert to the JST date first (date_in_jst).
    if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
        raise BadCardFacts(detail=f"{name} must be a JST calendar date, not {type(value).__name__}")


@dataclass(frozen=True)
class CardFacts:
    """What the expiry rules need from one card, and nothing else.

    kind                    a kind the rules check (its profile's ``card_expiry_rules``):
                            "mynumber" | "residence-first" | "residence-second" | "specified"
    card_expiry             the card's own expiry (My Number card: GET DATA / 共通 DF / DF29;
                            residence second gen / 特定: C5). None on a first-gen card.
    certificate_expiry      the JPKI authentication certificate's notAfter as a JST date
                            (My Number / 特定 only).
    residence_expiry        在留期間満了日 from the chip (CD; second gen / 特定 only);
                            None for permanent residents (no period) or when not read.
    renewal_pending         申請中 flag (D7 first gen, D8 second gen); None = not read.
    expiry_source           where card_expiry came from (e.g. "get-data-f2"), for the record.
    typed_residence_expiry  first gen only: the 在留期間満了日 staff typed from the card face.
    authenticity            the verdict on the chip's signed data (cardtool.authenticity);
                            None when the card service gave none.
    """

    kind: Kind
    card_expiry: dt.date | None = None
    certificate_expiry: dt.date | None = None
    residence_expiry: dt.date | None = None
    renewal_pending: bool | None = None
    expiry_source: str | None = None
    typed_residence_expiry: dt.date | None = None
    authenticity: Authenticity | None = None
    #: First generation: where the face dates (typed_residence_expiry, card_expiry) came
    #: from: "ocr" (read from the signed front image, not yet confirmed), "confirmed" (read
    #: and confirmed by staff) or "typed" (typed by staff).
    face_source: str | None = None
    #: First generation: the face shows no period of stay (永住者 無期限, 特別永住者証明書).
    no_period: bool = False
    #: First generation: the OCR result (``cardtool.front_dates.FaceDates``), for display;
    #: never written to a report.
    face: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        try:
            profile = kind_profile(self.kind)
        except UnknownKind:
            raise BadCardFacts(detail=f"unknown kind {self.kind!r}") from None
        if not profile.expiry_checked:
            raise BadCardFacts(detail=f"unknown kind {self.kind!r}")
        # Given as its string ("mynumber") or as the enum: a declared kind is kept as the enum.
        object.__setattr__(self, "kind", known_kind(self.kind))
        for name in ("card_expiry", "certificate_expiry", "residence_expiry",
                     "typed_residence_expiry"):
            _check_date(name, getattr(self, name))
        if self.certificate_expiry is not None and profile.certificate_expiry is None:
            raise BadCardFacts(detail=f"a {self.kind} card has no JPKI certificate")
        if self.residence_expiry is not None and profile.residence_expiry is not DateSource.CHIP:
            raise BadCardFacts(detail=f"a {self.kind} card has no residence expiry in its chip")
        if self.typed_residence_expiry is not None and not profile.dates_typed:
            raise BadCardFacts(detail="only a first-generation card needs a typed expiry")
        if self.renewal_pending is not None and not profile.renewal_flag:
            raise BadCardFacts(detail="a My Number card has no renewal-pending flag")

    @property
    def profile(self) -> KindProfile:
        """What this kind of card can tell (``cardtool.card_kind``)."""
        return kind_profile(self.kind)

    @property
    def has_mynumber(self) -> bool:
        return self.profile.has_mynumber

    @property
    def is_residence(self) -> bool:
        return self.profile.is_residence

    @property
    def known_residence_expiry(self) -> dt.date | None:
        """The 在留期間満了日 from the chip, or typed by staff (first generation)."""
        return self.residence_expiry or self.typed_residence_expiry


@dataclass(frozen=True)
class ClientRecord:
    """The cards one client brought. ``reference``: the office's file number (optional)."""

    reference: str | None
    cards: tuple[CardFacts, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cards", tuple(self.cards))

    def with_card(self, card: CardFacts) -> ClientRecord:
        return ClientRecord(self.reference, (*self.cards, card))


# --- output model ---------------------------------------------------------------------


class DateField(Enum):
    RESIDENCE = "residence-expiry"  # 在留期間満了日
    CARD = "card-expiry"  # the card's own validity
    CERTIFICATE = "certificate-expiry"  # JPKI certificates


@dataclass(frozen=True)
class DateCheck:
    card_index: int
    kind: Kind
    field: DateField
    date: dt.date
    days_left: int
    level: Level
    source: str | None = None  # "chip" | "typed" | the card service's expiry source


@dataclass(frozen=True)
class Finding:
    code: str
    level: Level
    date: dt.date | None
    message_en: str
    message_ja: str
    card_index: int | None = None

    def message(self, lang: str) -> str:
        return pick((self.message_en, self.message_ja), lang)


@dataclass(frozen=True)
class Assessment:
    reference: str | None
    kinds: tuple[Kind, ...]
    today: dt.date
    thresholds: Thresholds
    dates: tuple[DateCheck, ...]
    findings: tuple[Finding, ...]
    #: Any residence card says 申請中: True; all read say not: False; none read: None.
    renewal_pending: bool | None = None
    #: Each card's authenticity verdict (None: not given), in card order.
    authenticities: tuple[Authenticity | None, ...] = ()

    @property
    def authenticity(self) -> Authenticity | None:
        """The weakest verdict of the client's cards (``authenticity.weakest``, the one
        order; None: none was given)."""
        return weakest(self.authenticities)

    @property
    def not_genuine(self) -> bool:
        """A card's authenticity check failed (``cardtool expiry`` exits 7)."""
        return any(a is not None and a.is_invalid for a in self.authenticities)

    @property
    def level(self) -> Level:
        return max((f.level for f in self.findings), default=Level.OK)

    @property
    def min_days_left(self) -> int | None:
        return min((d.days_left for d in self.dates), default=None)

    @property
    def needs_attention(self) -> bool:
        """Soon, urgent or expired: what ``cardtool expiry`` signals with exit code 5."""
        return self.level >= Level.SOON
