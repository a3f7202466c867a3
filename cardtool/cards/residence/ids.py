"""Identifiers of the residence cards: DF names, short EF ids (read with P1 = 80|SFI),
TLV tags, card-type values, authentication constants.

Facts and sources: ``shared/spec/residence-card.md``. Second-generation and 特定 values
rest on one transcription of the ISA specs (unverified there); each is defined once here.
"""

from __future__ import annotations

from enum import Enum, IntEnum


def _df(n: int) -> bytes:
    return bytes.fromhex(f"D392F0004F{n:02X}") + bytes(10)


RESIDENCE_AP_AID = _df(0x01)  # 在留AP inside a 特定在留カード (unverified)
DF1_AID = _df(0x02)  # images (1st gen) / number, entries, images (2nd gen)
DF2_AID = _df(0x03)  # back-side fields
DF3_AID = _df(0x04)  # signature

# MF public EFs (no authentication)
SFI_COMMON = 0x0B  # C0: spec version
SFI_CARD_TYPE = 0x0A  # C1: card type ('1'/'2' first gen, "05"-"08" later)


class CardType(Enum):
    RESIDENCE_1 = "1"  # 在留カード
    SPECIAL_PERMANENT_1 = "2"  # 特別永住者証明書
    RESIDENCE_2 = "05"  # 第２世代在留カード
    SPECIAL_PERMANENT_2 = "06"  # 第２世代特別永住者証明書
    SPECIFIED_RESIDENCE = "07"  # 特定在留カード
    SPECIFIED_SPECIAL_PERMANENT = "08"  # 特定特別永住者証明書


class Generation(Enum):
    FIRST = "first"
    SECOND = "second"
    SPECIFIED = "specified"


GENERATION_OF: dict[CardType, Generation] = {
    CardType.RESIDENCE_1: Generation.FIRST,
    CardType.SPECIAL_PERMANENT_1: Generation.FIRST,
    CardType.RESIDENCE_2: Generation.SECOND,
    CardType.SPECIAL_PERMANENT_2: Generation.SECOND,
    CardType.SPECIFIED_RESIDENCE: Generation.SPECIFIED,
    CardType.SPECIFIED_SPECIAL_PERMANENT: Generation.SPECIFIED,
}

SPECIAL_PERMANENT_TYPES = frozenset({
    CardType.SPECIAL_PERMANENT_1, CardType.SPECIAL_PERMANENT_2,
    CardType.SPECIFIED_SPECIAL_PERMANENT,
})


class Tag(IntEnum):
    SPEC_VERSION = 0xC0
    CARD_TYPE = 0xC1
    # second generation / 特定, DF1
    CARD_NUMBER = 0xC2
    CARD_EXPIRY = 0xC5
    BIRTH_DATE = 0xC6
    SEX = 0xC7
    NATIONALITY = 0xC8
    STATUS = 0xC9
    PERMISSION_TYPE = 0xCA
    PERMISSION_DATE = 0xCB
    WORK_RESTRICTION = 0xCC
    RESIDENCE_EXPIRY = 0xCD
    PERIOD_OF_STAY = 0xCE
    # images (both generations use D0/D1; meanings differ, see the files below)
    FRONT_OR_NAME_IMAGE = 0xD0  # 1st gen: front image (TIFF G4); 2nd gen: name image
    PHOTO = 0xD1  # JPEG 2000
    ADDRESS_IMAGE = 0xDFD1  # 2nd gen, a two-byte tag whose 2nd byte has bit 8 set
    # first generation DF2
    ADDRESS_DATE = 0xD2
    ADDRESS_MUNICIPALITY = 0xD3
    ADDRESS = 0xD4
    COMPREHENSIVE_PERMISSION_1 = 0xD5
    INDIVIDUAL_PERMISSION_1 = 0xD6
    RENEWAL_PENDING_1 = 0xD7
    # first generation DF3
    CHECK_CODE = 0xDA
    CERTIFICATE_1 = 0xDB
    # second generation DF2/DF3
    COMPREHENSIVE_PERMISSION_2 = 0xD5
    COMPREHENSIVE_PERMISSION_EXPIRY_2 = 0xD6
    INDIVIDUAL_PERMISSION_2 = 0xD7
    RENEWAL_PENDING_2 = 0xD8
    COMMISSIONER_ENTRY = 0xD9
    RESERVED_TEXT = 0xDE
    SIGNATURE_2 = 0xDC
    CERTIFICATE_2 = 0xDD


class FirstGenSFI(IntEnum):
    FRONT_IMAGE = 0x05  # DF1, SM
    PHOTO = 0x06  # DF1, SM
    ADDRESS = 0x01  # DF2
    COMPREHENSIVE_PERMISSION = 0x02  # DF2, residence card only
    INDIVIDUAL_PERMISSION = 0x03  # DF2, residence card only
    RENEWAL = 0x04  # DF2, residence card only
    SIGNATURE = 0x02  # DF3


class SecondGenSFI(IntEnum):
    CARD_NUMBER = 0x01  # DF1, SM
    ENTRIES = 0x03  # DF1, SM
    NAME_AND_PHOTO = 0x04  # DF1, SM
    ADDRESS_IMAGE = 0x06  # DF1, SM
    PERMISSIONS = 0x01  # DF2 (type 05)
    RENEWAL = 0x02  # DF2 (type 05)
    COMMISSIONER = 0x03  # DF2 (type 06: its only EF, SFI 01 there per spec; see reader)
    SIGNATURE = 0x02  # DF3


# Maximum sizes from the spec tables (values are zero-padded to these in signed data).
FIRST_GEN_FRONT_IMAGE_MAX = 7000
FIRST_GEN_PHOTO_MAX = 3000
SECOND_GEN_NAME_IMAGE_MAX = 2500
SECOND_GEN_PHOTO_MAX = 3000
SECOND_GEN_ADDRESS_IMAGE_MAX = 2500
SECOND_GEN_ENTRIES_SIGNED_LENGTH = 53  # printed entries concatenated, NUL-padded to 53

# Authentication
CHALLENGE_LENGTH = 8
KEY_LENGTH = 16
CARD_NUMBER_KEY_REFERENCE = 0x86  # VERIFY P2
SM_CLA = 0x08
SET_SESSION_KEY_CLA = 0x80  # 特定在留カード key delivery (unverified)
SET_SESSION_KEY_INS = 0xAE

#: DFs whose plain reads carry personal data (redacted in traces); DF1 reads are
#: SM-encrypted and carry ciphertext only.
PERSONAL_DFS: frozenset[bytes] = frozenset({DF2_AID})
