"""Card quirks: ways real cards are stricter or older than ours, as persona options.

A quirk is named in a persona file's ``options`` list or appended to a persona spec with
``+`` (``--virtual mynumber:default+no-get-data+filler-before-tlv``), so any test can combine
them. Each models a refusal a real card may give to one of the shortcuts cardtool takes to
save round trips; the reader must fall back to the plain form and give the same answer.

The card OS applies the ones about commands (``card_os.CardOS.apply_quirks``); the card
modules apply those about their files (``no-common-df``, ``filler-before-tlv``).
"""

from __future__ import annotations

from enum import Enum


class Quirk(Enum):
    #: READ BINARY with a short EF id in P1 -> 69 86; READ RECORD with one in P2 -> 6A 86;
    #: VERIFY with a short id in P2 -> 6A 88; COMPUTE DIGITAL SIGNATURE with one -> 6A 86.
    NO_SHORT_EF_ID = "no-short-ef-id"
    #: Any extended-length APDU -> 67 00.
    NO_EXTENDED_LENGTH = "no-extended-length"
    #: MF-level GET DATA (00 CA) -> 6D 00.
    NO_GET_DATA = "no-get-data"
    #: The 共通 DF is absent: its SELECT -> 6A 82.
    NO_COMMON_DF = "no-common-df"
    #: Two filler bytes 00 00 before the FF10 / FF20 TLV of text AP EF 0001 / EF 0002.
    FILLER_BEFORE_TLV = "filler-before-tlv"
    #: Every answer with data comes as 61 xx; the data follows through GET RESPONSE.
    GET_RESPONSE_ALWAYS = "get-response-always"


QUIRK_NAMES: frozenset[str] = frozenset(q.value for q in Quirk)


class Forgery(Enum):
    """Forged and cloned My Number cards (persona options too), for tests and demos of the
    authenticity verdict; built by ``cardtool.virtual.mynumber``."""

    #: 基本4情報 changed after the integrity record was signed
    FORGED_TEXT = "forged-text"
    #: the card face's birth date changed after DF28 was signed
    FORGED_FACE = "forged-face"
    #: both CV certificates name a CA key id nobody knows
    UNKNOWN_CA = "unknown-ca"
    #: the CV certificates claim a production J-LIS CA but are signed by our TEST CA
    PRODUCTION_ID = "production-id"
    #: a genuine card's files on another chip: the challenge is answered with another key
    CLONED_CHIP = "cloned-chip"


#: Everything a persona spec may add after ``+``.
CARD_OPTION_NAMES: frozenset[str] = QUIRK_NAMES | frozenset(f.value for f in Forgery)


def quirks_in(options: frozenset[str]) -> frozenset[Quirk]:
    """The quirks among a persona's options (other options are not quirks)."""
    return frozenset(q for q in Quirk if q.value in options)
