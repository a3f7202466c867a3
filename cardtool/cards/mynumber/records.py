"""The byte layout of the My Number card's signed records (shared/spec/mynumber-card.md §2.5).

Card facts only: tags, lengths, the key-id layout, the DigestInfo prefixes and the chip
challenge's command header. The virtual card builds its records from these and a verifier
checks real cards against the same numbers, so a wrong constant shows up on both sides at
once instead of two copies drifting apart. No code paths of a reader live here.

Sources (spec §0): MC (``soltia48/myna-card``, checked against files of a real JPKI test
card), PYM and AOKI for the text AP. Where only MC knows a value it says so.
"""

from __future__ import annotations

from enum import IntEnum

from cardtool.cards.mynumber.ids import SIGN_CLA, SIGN_INS, TEXT_AID, VISUAL_AID, TextTag, VisualTag

# --- RSA keys and signatures as the card writes them ------------------------------------
RSA_EXPONENT_TAG = 0x90
RSA_MODULUS_TAG = 0x91
RSA_MODULUS_LENGTH = 256  # RSA-2048
RSA_SIGNATURE_LENGTH = 256
#: ``90 03 010001 91 82 0100 <modulus>``: the card's own public-key encoding (not DER).
CARD_PUBLIC_KEY_LENGTH = 265

# --- key identifiers (証明者鍵ID / 被証明者鍵ID) ------------------------------------------
#: 7 ASCII digits, ``08 05``, 3 ASCII digits, 3 zero bytes, one last byte (``A8`` on MF-level
#: keys, else ``00``). Compare all 16 bytes.
KEY_ID_LENGTH = 16
KEY_ID_NUMBER = slice(0, 7)
KEY_ID_SEPARATOR = b"\x08\x05"
KEY_ID_SEPARATOR_AT = slice(7, 9)
KEY_ID_GROUP = slice(9, 12)
KEY_ID_ZEROS = slice(12, 15)
KEY_ID_LAST_BYTE_AT = 15
KEY_ID_MF_LAST_BYTE = 0xA8
KEY_ID_PRODUCTION_PREFIX = "5"
KEY_ID_TEST_PREFIX = "6"  # the JPKI test-card hierarchy


def key_id(number: str, group: str, last_byte: int = 0x00) -> bytes:
    """The 16-byte key id ``number/group`` (e.g. ``"1322121", "000"``)."""
    if len(number) != 7 or not number.isdigit() or len(group) != 3 or not group.isdigit():
        raise ValueError(f"not a key id: {number!r}/{group!r}")
    return number.encode() + KEY_ID_SEPARATOR + group.encode() + bytes(3) + bytes((last_byte,))


def key_id_text(raw: bytes) -> str:
    """``number/group`` as MC prints it (``6000023/001``); the padding is not shown."""
    return (raw[KEY_ID_NUMBER].decode("ascii", "replace") + "/"
            + raw[KEY_ID_GROUP].decode("ascii", "replace"))


# --- card-verifiable certificate (text AP EF 0004, visual AP EF 0004) -------------------
class CvTag(IntEnum):
    CERTIFICATE = 0x7F21
    BODY = 0x5F4E  # not 7F4E
    SIGNATURE = 0x5F37


#: Body = issuer key id (16) ‖ subject key id (16) ‖ card-encoded public key (265).
CV_BODY_LENGTH = 2 * KEY_ID_LENGTH + CARD_PUBLIC_KEY_LENGTH  # 297
CV_CERTIFICATE_LENGTH = 568  # 7F21 82 0233 { 5F4E 82 0129 <297>, 5F37 82 0100 <256> }

# --- text AP (券面事項入力補助AP) ----------------------------------------------------------
#: EF 0001 as stored: ``FF 10 0C`` + 12 digits, then two FF bytes of filler. The integrity
#: record hashes all 17 bytes (hashing the 15-byte TLV does not match a real card).
MY_NUMBER_FILLER = b"\xff\xff"
MY_NUMBER_EF_LENGTH = 17
#: EF 0002's DF21: one 16-bit big-endian offset per field (DF22..DF25), from the file start.
ATTRIBUTE_FIELDS = (TextTag.NAME, TextTag.ADDRESS, TextTag.BIRTH_DATE, TextTag.SEX)
OFFSET_SIZE = 2


class IntegrityTag(IntEnum):
    """Text AP EF 0003: ``FF30 82 014B { DF31 20, DF32 20, DF33 82 0100 }``."""

    CONTAINER = 0xFF30
    MY_NUMBER_DIGEST = 0xDF31  # SHA-256 of EF 0001's physical bytes
    ATTRIBUTES_DIGEST = 0xDF32  # SHA-256 of the FF20 value after the DF21 TLV
    SIGNATURE = 0xDF33  # PKCS#1 v1.5 SHA-256 over DF31 TLV ‖ DF32 TLV, by the EF 0004 key


INTEGRITY_EF_LENGTH = 336
INTEGRITY_SIGNED_LENGTH = 70  # DF31 TLV (35) ‖ DF32 TLV (35)


class TextApInfoTag(IntEnum):
    """Text AP EF 0005: ``FF40 { DF41 04, DF42 10, DF43 80 }``; nothing in it is signed."""

    CONTAINER = 0xFF40
    IDENTIFICATION = 0xDF41  # spec version, extended Lc/Le, vendor, vendor byte
    KEY_ID = 0xDF42  # a key id, not the one EF 0004 certifies (MC)
    OPAQUE = 0xDF43  # 128 bytes: 32 bytes then 96 FF on the cards MC saw


TEXT_AP_IDENTIFICATION = bytes.fromhex("01030E01")  # on the cards seen (MC)
TEXT_AP_OPAQUE_LENGTH = 128
TEXT_AP_INFO_EF_LENGTH = 256  # the file is read as 256 bytes


class SignedKeyTag(IntEnum):
    """Text AP EF 0007: ``FF50 82 0213 { DF51 82 0109 <card key>, DF52 82 0100 <sig> }``."""

    CONTAINER = 0xFF50
    PUBLIC_KEY = 0xDF51
    SIGNATURE = 0xDF52  # over the DF51 TLV, by the EF 0004 key


SIGNED_KEY_EF_LENGTH = 536

# --- visual AP (券面事項確認AP) ------------------------------------------------------------
class AgeTag(IntEnum):
    """Visual AP EF 0001: ``FF10 { DF11 birth, DF12 card key, DF13 sig over DF11‖DF12 }``."""

    CONTAINER = 0xFF10
    BIRTH_DATE = 0xDF11
    PUBLIC_KEY = 0xDF12
    SIGNATURE = 0xDF13


class NumberImageTag(IntEnum):
    """Visual AP EF 0005: ``FF40 { DF41 PNG, DF42 card key, DF43 sig over DF41‖DF42 }``."""

    CONTAINER = 0xFF40
    IMAGE = 0xDF41
    PUBLIC_KEY = 0xDF42
    SIGNATURE = 0xDF43


class VisualApInfoField(IntEnum):
    """Visual AP EF 0003: ``FF30 { DF31 4 B, DF32 key id, DF33 version, DF34 code, DF35 }``."""

    CONTAINER = 0xFF30
    IDENTIFICATION = 0xDF31
    KEY_ID = 0xDF32  # a key id, not the one EF 0004 certifies (MC)
    VERSION = 0xDF33
    MUNICIPALITY = 0xDF34  # 5-digit 全国地方公共団体コード
    OPAQUE = 0xDF35  # a 16-byte key id, then 256 opaque bytes (MC)


VISUAL_AP_IDENTIFICATION = bytes.fromhex("06030E01")  # on the cards seen (MC)
VISUAL_AP_VERSION = b"\x00"  # on the test card (MC)
VISUAL_AP_OPAQUE_LENGTH = KEY_ID_LENGTH + 256

#: The card face's DF21 holds one 16-bit offset (from the file start) per object after it,
#: DF22..DF2A (MC checks the table against where the objects start).
FACE_FIELDS = (VisualTag.BIRTH_DATE, VisualTag.SEX, VisualTag.PUBLIC_KEY, VisualTag.NAME_IMAGE,
               VisualTag.ADDRESS_IMAGE, VisualTag.PHOTO, VisualTag.SIGNATURE,
               VisualTag.CARD_EXPIRY, VisualTag.SECURITY_CODE_IMAGE)
#: DF28 covers three groups of whole TLVs, each hashed on its own; DF29 (card expiry) and
#: DF2A (security code) come after DF28 and are not signed.
FACE_SIGNED_GROUPS: tuple[tuple[VisualTag, ...], ...] = (
    (VisualTag.BIRTH_DATE, VisualTag.SEX, VisualTag.PUBLIC_KEY),
    (VisualTag.NAME_IMAGE, VisualTag.ADDRESS_IMAGE),
    (VisualTag.PHOTO,),
)
FACE_UNSIGNED_FIELDS = (VisualTag.CARD_EXPIRY, VisualTag.SECURITY_CODE_IMAGE)

# --- DigestInfo prefixes ------------------------------------------------------------------
#: DER DigestInfo of one SHA-256 digest: ``30 31 30 0D 06 09 <sha256 OID> 05 00 04 20``.
SHA256_DIGEST_INFO_PREFIX = bytes.fromhex("3031300D060960864801650304020105000420")
#: The card face's non-standard DigestInfo: the SHA-256 AlgorithmIdentifier with a 96-byte
#: OCTET STRING (three digests). DF28 is raw PKCS#1 v1.5 over ``prefix ‖ 96 bytes``.
FACE_DIGEST_INFO_PREFIX = bytes.fromhex("3071300D060960864801650304020105000460")
FACE_DIGEST_LENGTH = 96

# --- chip challenge (anti-cloning) --------------------------------------------------------
#: ``80 2A 00 00 Lc <DigestInfo> 00`` -> 256-byte PKCS#1 v1.5 signature with the card key
#: (the key in DF12/DF24/DF42/DF51), no PIN. P2 = 00 selects the application's default key.
#: Answered in the text AP and the visual AP: MC ``src/ap/text.rs`` ``TextAp::sign`` and
#: ``src/ap/surface.rs`` ``SurfaceAp::sign`` (both "this application's own key ... which
#: needs no credential"); MC ``src/card.rs`` notes the two 券面 keys refuse INTERNAL
#: AUTHENTICATE "which sign through COMPUTE_SIGNATURE instead". JPKI's COMPUTE DIGITAL
#: SIGNATURE is P2 = 80 (or 80|SFI) behind a PIN and is a different command.
CHIP_CHALLENGE_CLA = SIGN_CLA  # 80, the same instruction as JPKI's
CHIP_CHALLENGE_INS = SIGN_INS  # 2A
CHIP_CHALLENGE_P1 = 0x00
CHIP_CHALLENGE_P2 = 0x00
CHIP_CHALLENGE_APPLICATIONS: frozenset[bytes] = frozenset({TEXT_AID, VISUAL_AID})
