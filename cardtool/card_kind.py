"""The kinds of card cardtool tells apart, each declared once with its capabilities: which
applications its chip has, where each of its dates comes from, whether a date must be typed
(or read from the front image) because the chip does not hold it, which card-expiry rules
apply, and its names in both languages. Detection, the expiry rules, the card-facts service,
the office report, the register and the desk consult ``kind_profile`` instead of comparing
kind strings.

A ``StrEnum``: a kind compares equal to its string ("mynumber"), which is also how it is
written in JSON, CSV and traces.

Adding a kind: a member of ``CardKind``, a ``case`` in ``_declared`` (mypy's
``assert_never`` names it, and every other exhaustive match over a kind or a capability),
then how it is recognised (``cards/detect.py``) and read into the expiry facts
(``services/card_facts.py``). A profile may also be registered at run time in ``PROFILES``
(tests do so with a kind of their own).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import assert_never

from cardtool.i18n import Text, pick


class CardKind(StrEnum):
    MYNUMBER = "mynumber"
    SPECIFIED = "specified"  # 特定在留カード: a My Number card chip with the residence AP
    RESIDENCE_FIRST = "residence-first"
    RESIDENCE_SECOND = "residence-second"
    JPKI_SMARTPHONE = "jpki-smartphone"  # JPKI on Android/iPhone: no card applications
    JUKI_CARD = "juki-card"  # old 住民基本台帳カード


class Application(Enum):
    """The chip applications cardtool reads."""

    JPKI = "jpki"  # 公的個人認証 (the certificates)
    CARD_FACE = "card-face"  # 券面事項入力補助AP and 券面AP (the My Number card's text)
    RESIDENCE = "residence"  # 在留カード等読取AP (在留AP)


class DateSource(Enum):
    """Where a date of a card comes from."""

    CHIP = "chip"  # a data object the chip returns
    CERTIFICATE = "certificate"  # the JPKI authentication certificate's notAfter
    #: Printed on the card only: typed by staff, or read from the front image and then
    #: confirmed by staff (never a deadline before that).
    FACE = "face"


class CardExpiryRules(Enum):
    """Which expiry findings the card's own validity gives (``cardtool.expiry.rules``)."""

    #: A My Number card: its validity is compared with the client's period of stay (a
    #: resident's card ends with the stay and needs 有効期間変更 after a renewal).
    MYNUMBER_CARD = "mynumber-card"
    #: A residence card: its own validity, when it differs from the period of stay.
    RESIDENCE_CARD = "residence-card"
    #: One card with both sides (特定在留カード): the sides move together and are never
    #: compared with each other; findings name the card as one.
    SPECIFIED_CARD = "specified-card"


@dataclass(frozen=True)
class KindLabel:
    name: Text  # in a card's report
    short: Text  # in a narrow column (office tables and reports)


@dataclass(frozen=True)
class KindProfile:
    """What a kind of card can tell, declared once."""

    kind: str
    label: KindLabel
    applications: frozenset[Application]
    #: Where the period of stay (在留期間満了日) comes from; None: the card has none.
    residence_expiry: DateSource | None
    #: Where the card's own validity comes from; None: not known for this kind.
    card_expiry: DateSource | None
    #: Where the certificates' expiry comes from; None: no JPKI.
    certificate_expiry: DateSource | None
    #: The chip holds the 申請中 (renewal pending) flag.
    renewal_flag: bool
    #: The card-expiry rules; None: the expiry rules do not check this kind.
    card_expiry_rules: CardExpiryRules | None

    @property
    def has_mynumber(self) -> bool:
        """The My Number card's applications (JPKI and the card-face text)."""
        return {Application.JPKI, Application.CARD_FACE} <= self.applications

    @property
    def is_residence(self) -> bool:
        """The residence card application (在留AP)."""
        return Application.RESIDENCE in self.applications

    @property
    def separate_mynumber_card(self) -> bool:
        """A My Number card on its own (no residence side): the desk offers its card-face
        check (照合番号B)."""
        return self.has_mynumber and not self.is_residence

    @property
    def expiry_checked(self) -> bool:
        return self.card_expiry_rules is not None

    @property
    def dates_typed(self) -> bool:
        """Its period of stay is printed only (typed, or read from the front image)."""
        return self.residence_expiry is DateSource.FACE


_MYNUMBER_APPS = frozenset({Application.JPKI, Application.CARD_FACE})


def _residence_card(kind: CardKind, label: KindLabel, dates: DateSource) -> KindProfile:
    """A residence card without My Number functions: both its dates come from ``dates``."""
    return KindProfile(kind, label, frozenset({Application.RESIDENCE}), residence_expiry=dates,
                       card_expiry=dates, certificate_expiry=None, renewal_flag=True,
                       card_expiry_rules=CardExpiryRules.RESIDENCE_CARD)


def _declared(kind: CardKind) -> KindProfile:
    """Each kind's profile: the one place a kind's capabilities are written."""
    match kind:
        case CardKind.MYNUMBER:
            return KindProfile(
                kind, KindLabel(("My Number card", "マイナンバーカード"),
                                ("My Number", "マイナンバー")),
                _MYNUMBER_APPS, residence_expiry=None, card_expiry=DateSource.CHIP,
                certificate_expiry=DateSource.CERTIFICATE, renewal_flag=False,
                card_expiry_rules=CardExpiryRules.MYNUMBER_CARD)
        case CardKind.SPECIFIED:
            return KindProfile(
                kind, KindLabel(
                    ("特定在留カード (residence card with My Number card functions)",
                     "特定在留カード"),
                    ("特定在留カード", "特定在留カード")),
                _MYNUMBER_APPS | {Application.RESIDENCE}, residence_expiry=DateSource.CHIP,
                card_expiry=DateSource.CHIP, certificate_expiry=DateSource.CERTIFICATE,
                renewal_flag=True, card_expiry_rules=CardExpiryRules.SPECIFIED_CARD)
        case CardKind.RESIDENCE_FIRST:
            # Its dates are printed only (the chip holds the front image).
            return _residence_card(kind, KindLabel(
                ("residence card, first generation", "在留カード(第1世代)"),
                ("Residence, 1st gen.", "在留・第1世代")), DateSource.FACE)
        case CardKind.RESIDENCE_SECOND:
            return _residence_card(kind, KindLabel(
                ("residence card, second generation", "在留カード(第2世代)"),
                ("Residence, 2nd gen.", "在留・第2世代")), DateSource.CHIP)
        case CardKind.JPKI_SMARTPHONE:
            return KindProfile(
                kind, KindLabel(("smartphone JPKI (not a card)", "スマートフォン用電子証明書"),
                                ("smartphone JPKI", "スマホ用電子証明書")),
                frozenset({Application.JPKI}), residence_expiry=None, card_expiry=None,
                certificate_expiry=DateSource.CERTIFICATE, renewal_flag=False,
                card_expiry_rules=None)
        case CardKind.JUKI_CARD:
            return KindProfile(
                kind, KindLabel(("住民基本台帳カード (old resident card)", "住民基本台帳カード"),
                                ("住基カード", "住基カード")),
                frozenset(), residence_expiry=None, card_expiry=None, certificate_expiry=None,
                renewal_flag=False, card_expiry_rules=None)
        case _:
            assert_never(kind)


#: Every kind's profile, by its string. A test may register a kind of its own here.
PROFILES: dict[str, KindProfile] = {kind.value: _declared(kind) for kind in CardKind}


class UnknownKind(KeyError):
    pass


def kind_profile(kind: str) -> KindProfile:
    """The profile of ``kind`` (a ``CardKind`` or its string); ``UnknownKind`` for none."""
    try:
        return PROFILES[str(kind)]
    except KeyError:
        raise UnknownKind(kind) from None


def known_kind(kind: str) -> str:
    """``kind`` as kept: the ``CardKind`` member for a declared kind, the string for a
    profile registered at run time; ``UnknownKind`` for none."""
    kind_profile(kind)
    try:
        return CardKind(kind)
    except ValueError:
        return str(kind)


def kind_label(kind: str, lang: str, *, short: bool = False) -> str:
    """The kind's name in ``lang`` (``short`` for a narrow column); an unknown kind (a
    report from a newer version) is shown as written."""
    profile = PROFILES.get(str(kind))
    if profile is None:
        return str(kind)
    return pick(profile.label.short if short else profile.label.name, lang)


__all__ = ["PROFILES", "Application", "CardExpiryRules", "CardKind", "DateSource",
           "KindLabel", "KindProfile", "UnknownKind", "kind_label", "kind_profile",
           "known_kind"]
