"""The kinds of card cardtool tells apart, and their names in both languages: one type and
one label table for the reader, the expiry rules, the reports and both faces.

A ``StrEnum``: a kind compares equal to its string ("mynumber"), which is also how it is
written in JSON, CSV and traces.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cardtool.i18n import Text, pick


class CardKind(StrEnum):
    MYNUMBER = "mynumber"
    SPECIFIED = "specified"  # 特定在留カード: a My Number card chip with the residence AP
    RESIDENCE_FIRST = "residence-first"
    RESIDENCE_SECOND = "residence-second"
    JPKI_SMARTPHONE = "jpki-smartphone"  # JPKI on Android/iPhone: no card applications
    JUKI_CARD = "juki-card"  # old 住民基本台帳カード


#: The kinds with dates the expiry rules check.
EXPIRY_KINDS: tuple[CardKind, ...] = (CardKind.MYNUMBER, CardKind.RESIDENCE_FIRST,
                                      CardKind.RESIDENCE_SECOND, CardKind.SPECIFIED)
#: Kinds with the My Number card's applications (JPKI, 券面事項).
MYNUMBER_KINDS: frozenset[CardKind] = frozenset({CardKind.MYNUMBER, CardKind.SPECIFIED})
#: Kinds with the residence card application (在留AP).
RESIDENCE_KINDS: frozenset[CardKind] = frozenset({CardKind.RESIDENCE_FIRST,
                                                  CardKind.RESIDENCE_SECOND,
                                                  CardKind.SPECIFIED})


@dataclass(frozen=True)
class KindLabel:
    name: Text  # in a card's report
    short: Text  # in a narrow column (office tables and reports)


KIND_LABELS: dict[CardKind, KindLabel] = {
    CardKind.MYNUMBER: KindLabel(("My Number card", "マイナンバーカード"),
                                 ("My Number", "マイナンバー")),
    CardKind.SPECIFIED: KindLabel(
        ("特定在留カード (residence card with My Number card functions)", "特定在留カード"),
        ("特定在留カード", "特定在留カード")),
    CardKind.RESIDENCE_FIRST: KindLabel(
        ("residence card, first generation", "在留カード(第1世代)"),
        ("Residence, 1st gen.", "在留・第1世代")),
    CardKind.RESIDENCE_SECOND: KindLabel(
        ("residence card, second generation", "在留カード(第2世代)"),
        ("Residence, 2nd gen.", "在留・第2世代")),
    CardKind.JPKI_SMARTPHONE: KindLabel(
        ("smartphone JPKI (not a card)", "スマートフォン用電子証明書"),
        ("smartphone JPKI", "スマホ用電子証明書")),
    CardKind.JUKI_CARD: KindLabel(("住民基本台帳カード (old resident card)", "住民基本台帳カード"),
                                  ("住基カード", "住基カード")),
}


def kind_label(kind: str, lang: str, *, short: bool = False) -> str:
    """The kind's name in ``lang`` (``short`` for a narrow column); an unknown kind (a
    report from a newer version) is shown as written."""
    try:
        label = KIND_LABELS[CardKind(kind)]
    except ValueError:
        return kind
    return pick(label.short if short else label.name, lang)


__all__ = ["EXPIRY_KINDS", "KIND_LABELS", "MYNUMBER_KINDS", "RESIDENCE_KINDS", "CardKind",
           "KindLabel", "kind_label"]
