"""Identifiers of the residence cards: DF names, short EF ids (read with P1 = 80|SFI),
TLV tags, card-type values, authentication constants.

Facts and sources: ``shared/spec/residence-card.md``. Second-generation and 特定 values
rest on one transcription of the ISA specs (unverified there); each is defined once here.
"""

from __future__ import annotations

from enum import Enum, IntEnum

from apdu.ins import INS

# 在留AP inside a 特定在留カード (unverified): kept outside this package so that detection
# can probe for it without importing the residence reader.
from cardtool.cards.residence_ap import RESIDENCE_AP_AID as RESIDENCE_AP_AID
from cardtool.images import (
    RESIDENCE_ADDRESS_BYTES,
    RESIDENCE_FRONT_BYTES,
    RESIDENCE_NAME_BYTES,
    RESIDENCE_PHOTO_BYTES,
)


def _df(n: int) -> bytes:
    return bytes.fromhex(f"D392F0004F{n:02X}") + bytes(10)

DF1_AID = _df(0x02)  # images (1st gen) / number, entries, images (2nd gen)
DF2_AID = _df(0x03)  # back-side fields
DF3_AID = _df(0x04)  # signature

MF_FID = bytes.fromhex("3F00")  # SELECT by file id (P1 00), used when a read at MF fails

# MF public EFs (no authentication). On a 特定在留カード the MF is the My Number card's, so
# these are read inside the 在留AP after selecting it (unverified: spec §9 says only that the
# 在留AP is selected before DF1-DF3).
SFI_COMMON = 0x0B  # C0: spec version
SFI_CARD_TYPE = 0x0A  # C1: card type ('1'/'2' first gen, "05"-"08" later)
#: Bytes to read first from the card-type EF: tag + one-byte length. The value is 1 byte on
#: first-generation cards and 2 on later ones, so its length is read, never assumed.
CARD_TYPE_HEADER_BYTES = 2
CARD_TYPE_MAX_FILE = 4


class CardType(Enum):
    RESIDENCE_1 = "1"  # 在留カード
    SPECIAL_PERMANENT_1 = "2"  # 特別永住者証明書
    RESIDENCE_2 = "05"  # 第２世代在留カード
    SPECIAL_PERMANENT_2 = "06"  # 第２世代特別永住者証明書
    SPECIFIED_RESIDENCE = "07"  # 特定在留カード
    SPECIFIED_SPECIAL_PERMANENT = "08"  # 特定特別永住者証明書


CARD_TYPE_NAMES: dict[CardType, tuple[str, str]] = {
    CardType.RESIDENCE_1: ("residence card", "在留カード"),
    CardType.SPECIAL_PERMANENT_1: ("special permanent resident certificate", "特別永住者証明書"),
    CardType.RESIDENCE_2: ("residence card (second generation)", "第２世代在留カード"),
    CardType.SPECIAL_PERMANENT_2: ("special permanent resident certificate (second generation)",
                                   "第２世代特別永住者証明書"),
    CardType.SPECIFIED_RESIDENCE: ("specified residence card (with My Number card functions)",
                                   "特定在留カード"),
    CardType.SPECIFIED_SPECIAL_PERMANENT: (
        "specified special permanent resident certificate (with My Number card functions)",
        "特定特別永住者証明書"),
}


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
    COMMISSIONER = 0x03  # DF2 (type 05)
    SIGNATURE = 0x02  # DF3


#: Short EF id of DF2's only EF (D9/DE) on a type 06 (and 08) card: the 2nd-gen table of
#: spec §2 reads it with P1 83 ("DF2/EF03 (type 06: DF2/EF01) | 83"): the logical name is
#: EF01, the short id stays 03. The virtual card serves it there.
SPECIAL_PERMANENT_2_OTHER_SFI = 0x03
#: A card that puts the file at short id 01 (its logical name) instead.
SPECIAL_PERMANENT_2_OTHER_SFI_ALTERNATIVE = 0x01
#: The short ids the reader tries for that file, in order: a refusal of the first (file not
#: found, wrong P1, command not allowed) moves on to the next (unverified, spec §2).
SPECIAL_PERMANENT_2_OTHER_SFIS = (SPECIAL_PERMANENT_2_OTHER_SFI,
                                  SPECIAL_PERMANENT_2_OTHER_SFI_ALTERNATIVE)

# First-generation EF sizes (spec §2 table) and value limits.
FIRST_GEN_ADDRESS_FILE = 342
FIRST_GEN_ADDRESS_MAX = 320
FIRST_GEN_PERMISSION_FILE = 122
FIRST_GEN_PERMISSION_MAX = 120
FIRST_GEN_RENEWAL_FILE = 3
FIRST_GEN_SIGNATURE_FILE = 1464
FIRST_GEN_CHECK_CODE_LENGTH = 256  # RSA-2048
FIRST_GEN_CERTIFICATE_MAX = 1200

# Second-generation EF sizes (spec §2 table).
SECOND_GEN_CARD_NUMBER_FILE = 14
SECOND_GEN_ENTRIES_FILE = 73  # type 06: 46
SECOND_GEN_ENTRIES_FILE_SPECIAL = 46
SECOND_GEN_IMAGES_FILE = 5508
SECOND_GEN_ADDRESS_FILE = 2505
SECOND_GEN_PERMISSIONS_FILE = 22
SECOND_GEN_RENEWAL_FILE = 3
SECOND_GEN_OTHER_FILE = 207
SECOND_GEN_RESERVED_TEXT_MAX = 200
SECOND_GEN_SIGNATURE_FILE = 704
SECOND_GEN_SIGNATURE_LENGTH = 96  # P-384 r||s (or DER, spec §13)
SECOND_GEN_CERTIFICATE_MAX = 602

#: DF1/EF02 printed entries: tag -> value width, in file order. The signature covers these
#: values concatenated (each NUL-padded to its width), NUL-padded to 53 bytes; type 06 cards
#: carry only the first six (34 bytes). Order and widths: spec §2/§5 (single source A).
SECOND_GEN_ENTRY_WIDTHS: dict[int, int] = {
    Tag.CARD_EXPIRY: 8,
    Tag.BIRTH_DATE: 8,
    Tag.SEX: 1,
    Tag.NATIONALITY: 3,
    Tag.STATUS: 10,
    Tag.PERIOD_OF_STAY: 4,
    Tag.PERMISSION_TYPE: 2,
    Tag.PERMISSION_DATE: 8,
    Tag.WORK_RESTRICTION: 1,
    Tag.RESIDENCE_EXPIRY: 8,
}
SPECIAL_PERMANENT_ENTRY_TAGS = (Tag.CARD_EXPIRY, Tag.BIRTH_DATE, Tag.SEX, Tag.NATIONALITY,
                                Tag.STATUS, Tag.PERIOD_OF_STAY)

# Code values (spec §2; E's viewer tables agree).
SEX_CODES: dict[str, tuple[str, str, str]] = {  # code -> (key, en, ja)
    "1": ("male", "male", "男"),
    "2": ("female", "female", "女"),
    "3": ("unknown", "not stated", "不詳"),
}
WORK_RESTRICTION_CODES: dict[str, tuple[str, str]] = {
    "1": ("no work restriction", "就労制限なし"),
    "2": ("work only within the status of residence", "在留資格に基づく就労活動のみ可"),
    "4": ("work only as designated", "指定書記載機関での在留資格に基づく就労活動のみ可"),
    "9": ("work not permitted", "就労不可"),
}
COMPREHENSIVE_PERMISSION_CODES: dict[str, tuple[str, str]] = {
    "0": ("none", "なし"),
    "1": ("permitted: up to 28 hours a week, not in adult entertainment",
          "許可(原則週28時間以内・風俗営業等の従事を除く)"),
    "2": ("permitted: up to 28 hours a week (education etc.)",
          "許可(原則週28時間以内・教育機関の長期休業期間等)"),
}
YES_NO_CODES: dict[str, bool] = {"0": False, "1": True}
PERIOD_INDEFINITE = "0000"


# Maximum sizes from the spec tables (values are zero-padded to these in signed data), kept
# with the image specs that check them.
FIRST_GEN_FRONT_IMAGE_MAX = RESIDENCE_FRONT_BYTES
FIRST_GEN_PHOTO_MAX = RESIDENCE_PHOTO_BYTES
SECOND_GEN_NAME_IMAGE_MAX = RESIDENCE_NAME_BYTES
SECOND_GEN_PHOTO_MAX = RESIDENCE_PHOTO_BYTES
SECOND_GEN_ADDRESS_IMAGE_MAX = RESIDENCE_ADDRESS_BYTES
SECOND_GEN_ENTRIES_SIGNED_LENGTH = 53  # printed entries concatenated, NUL-padded to 53

# Authentication
CHALLENGE_LENGTH = 8
KEY_LENGTH = 16
CARD_NUMBER_LENGTH = 12
CARD_NUMBER_KEY_REFERENCE = 0x86  # VERIFY P2
SM_CLA = 0x08
SESSION_KEY_COUNTER = bytes.fromhex("00000001")  # KSenc = SHA-1((K.IFD^K.ICC) || this)[:16]

# ---------------------------------------------------------------------------------------
# 特定在留カード: UNVERIFIED. Spec §9 gives the flow (SELECT 在留AP, SET SESSION KEY with an
# RSA-2048 ISA key and RSA-OAEP, VERIFY under SM, READ BINARY; AES-128-CBC + AES-CMAC "with a
# message counter / IV derivation") from one source, not the bytes. Every byte-level detail
# below is our guess, here and nowhere else; the reader (cards/residence/specified.py) and
# the virtual card (virtual/specified.py) both follow it.
#  1. The card-type and common-data EFs are read inside the 在留AP (SFI_CARD_TYPE,
#     SFI_COMMON after SELECT RESIDENCE_AP_AID); the My Number MF has no residence EFs.
#  2. SET SESSION KEY = 80 AE 00 00, the 256-byte OAEP cryptogram as extended-length data,
#     no Le; the card answers 90 00 without data.
SET_SESSION_KEY_CLA = 0x80
SET_SESSION_KEY_INS = INS.SET_SESSION_KEY
#  3. OAEP with SHA-256 and MGF1-SHA-256, empty label.
SPECIFIED_OAEP_HASH = "sha256"
#  4. The delivered plaintext is KSenc (16) || KSmac (16).
SPECIFIED_SESSION_KEY_MATERIAL = 32
#  5. SM commands use CLA 0C (ISO: SM with an authenticated header), not 2nd gen's 08.
SPECIFIED_SM_CLA = 0x0C
#  6. A 16-byte send-sequence counter, 0 after SET SESSION KEY, incremented before every
#     SM command and before every SM response.
SPECIFIED_COUNTER_LENGTH = 16
#  7. IV of each message = AES-ECB(KSenc, counter); data in DO 86 (indicator 01) and the
#     expected length in DO 96, as on second-generation cards.
#  8. DO 8E (last) = AES-CMAC(KSmac, counter || pad(CLA INS P1 P2) || data objects)[:8] on
#     commands, AES-CMAC(KSmac, counter || data objects)[:8] on responses; every successful
#     SM response carries one (VERIFY's too, so every SM command has an Le); error status
#     words come without.
SPECIFIED_TAG_MAC = 0x8E
#  9. The ISA delivery key (published as keys_smrsapub_001.bin, said to be the raw 256-byte
#     modulus with e = 65537) is not bundled; the reader takes it from the environment
#     variable CARDTOOL_SPECIFIED_DELIVERY_KEY, else uses the TEST key of the virtual card
#     (cardtool/virtual/pki/specified-delivery-TEST.*), which no real card accepts.
SPECIFIED_DELIVERY_EXPONENT = 65537
# ---------------------------------------------------------------------------------------

#: DFs whose plain reads carry personal data (redacted in traces); DF1 reads are
#: SM-encrypted and carry ciphertext only.
PERSONAL_DFS: frozenset[bytes] = frozenset({DF2_AID})
