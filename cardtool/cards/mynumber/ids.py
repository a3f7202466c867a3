"""Identifiers of the My Number card: AIDs, EF ids, TLV tags, GET DATA tags.

Facts and their sources: ``shared/spec/mynumber-card.md``. Values marked (unverified)
there are marked here too; each is defined once, so a correction is a one-line change.
"""

from __future__ import annotations

from enum import IntEnum

from apdu.ins import INS

# --- applications (SELECT by DF name, P2=0C) ------------------------------------------
JPKI_AID = bytes.fromhex("D392F000260100000001")  # 公的個人認証AP
TEXT_AID = bytes.fromhex("D3921000310001010408")  # 券面事項入力補助AP
VISUAL_AID = bytes.fromhex("D3921000310001010402")  # 券面事項確認AP (券面AP)
JUKI_AID = bytes.fromhex("D3921000310001010401")  # 住基AP
COMMON_AID = bytes.fromhex("D3921000310001010100")  # 共通 DF (naming conflicts: spec §1)

APPLICATION_NAMES: dict[bytes, str] = {
    JPKI_AID: "jpki",
    TEXT_AID: "text",
    VISUAL_AID: "visual",
    JUKI_AID: "juki",
    COMMON_AID: "common",
}


class JpkiEF(IntEnum):
    SIGN_CERT = 0x0001  # 署名用証明書: readable only after the signing password
    SIGN_CA_CERT = 0x0002
    TOKEN_INFO = 0x0006  # first 32 bytes: space-padded label
    CERT_FLAGS = 0x0008  # 3 bytes; 8F 8F 00 = both certificates present (meaning unverified)
    AUTH_CERT = 0x000A  # 利用者証明用証明書: no PIN
    AUTH_CA_CERT = 0x000B
    AUTH_KEY = 0x0017
    AUTH_PIN = 0x0018
    SIGN_KEY = 0x001A
    SIGN_PIN = 0x001B


TOKEN_MYNUMBER_CARD = "JPKIAPICCTOKEN2"
TOKEN_JUKI_CARD = "JPKIAPICCTOKEN"
TOKEN_ANDROID = "JPKIAPGPSETOKEN"
TOKEN_IPHONE = "JPKIAPIOSTOKEN"  # (unverified)
TOKEN_LABEL_LENGTH = 32
CERT_FLAG_PRESENT = 0x8F


class TextEF(IntEnum):
    MY_NUMBER = 0x0001  # FF 10 0C + 12 digits (+ FF FF)
    ATTRIBUTES = 0x0002  # 基本4情報 FF 20 {DF21..DF25}
    INTEGRITY = 0x0003  # FF30 {DF31, DF32, DF33}: see records.py
    CV_CERT = 0x0004  # 7F21 card-verifiable certificate
    AP_INFO = 0x0005  # FF40 {DF41, DF42, DF43}, read as 256 bytes
    SIGNED_KEY = 0x0007  # FF50 {DF51 card key, DF52 signature}
    PIN = 0x0011
    KEY_A = 0x0014  # 照合番号A = the My Number
    KEY_B = 0x0015  # 照合番号B


class VisualEF(IntEnum):
    AGE = 0x0001
    FACE = 0x0002  # card face FF 20 {DF21..DF2A}
    AP_INFO = 0x0003  # municipality code, no PIN
    CV_CERT = 0x0004
    NUMBER_IMAGE = 0x0005
    BIRTH_KEY = 0x0011  # 生年月日 (6 digits, unverified)
    KEY_B = 0x0012
    KEY_A = 0x0013


class CommonEF(IntEnum):
    CARD_INFO = 0x0001  # record 1: 01 1C + 15 serial + 5 municipality + 8 expiry (unverified)
    PIN = 0x001C


class JukiEF(IntEnum):
    RECORD = 0x0002
    PIN = 0x001C


class TextTag(IntEnum):
    MY_NUMBER = 0xFF10
    ATTRIBUTES = 0xFF20
    OFFSETS = 0xDF21
    NAME = 0xDF22
    ADDRESS = 0xDF23
    BIRTH_DATE = 0xDF24
    SEX = 0xDF25


class VisualTag(IntEnum):
    FACE = 0xFF20
    HEADER = 0xDF21  # offset table: one 16-bit offset per object after it (MC)
    BIRTH_DATE = 0xDF22
    SEX = 0xDF23
    PUBLIC_KEY = 0xDF24
    NAME_IMAGE = 0xDF25
    ADDRESS_IMAGE = 0xDF26
    PHOTO = 0xDF27
    SIGNATURE = 0xDF28
    CARD_EXPIRY = 0xDF29
    SECURITY_CODE_IMAGE = 0xDF2A


class VisualApInfoTag(IntEnum):
    CONTAINER = 0xFF30
    MUNICIPALITY = 0xDF34


#: Common-DF card-info record: tag and the split of its 28 ASCII digits (unverified, MC).
COMMON_RECORD_TAG = 0x01
COMMON_RECORD_SERIAL = slice(0, 15)
COMMON_RECORD_MUNICIPALITY = slice(15, 20)
COMMON_RECORD_EXPIRY = slice(20, 28)

#: MF-level GET DATA right after reset: 00 CA 00 F2 -> expiry YYYYMMDD (unverified).
GET_DATA_EXPIRY = 0x00F2
GET_DATA_MUNICIPALITY = 0x00F0

#: COMPUTE DIGITAL SIGNATURE: 80 2A 00 80 Lc <DigestInfo> 00.
SIGN_CLA = 0x80
SIGN_INS = INS.PERFORM_SECURITY_OPERATION
SIGN_P1 = 0x00
SIGN_P2 = 0x80

#: Files whose content is personal data: (application AID, EF id). Traces redact them.
PERSONAL_FILES: frozenset[tuple[bytes, int]] = frozenset({
    (JPKI_AID, JpkiEF.SIGN_CERT),
    (TEXT_AID, TextEF.MY_NUMBER),
    (TEXT_AID, TextEF.ATTRIBUTES),
    (TEXT_AID, TextEF.INTEGRITY),
    (VISUAL_AID, VisualEF.AGE),
    (VISUAL_AID, VisualEF.FACE),
    (VISUAL_AID, VisualEF.NUMBER_IMAGE),
})
