"""The virtual My Number card's 券面 records, byte by byte, against spec §2.5.

Everything is read with raw APDUs (after the VERIFY a real card needs) and checked with
literal bytes and lengths from shared/spec/mynumber-card.md, hashes recomputed here, and
every signature verified here with ``cryptography`` against keys taken from the card's own
certificates or from the TEST CA list. Nothing expected is taken from the card's builder, so
a wrong constant in cardtool/cards/mynumber/records.py fails here too.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from cardtool.cards.mynumber import records
from cardtool.cards.mynumber.text import parse_basic_info
from cardtool.era import collation_number_b, era_yymmdd
from cardtool.virtual import make_virtual_card
from cardtool.virtual.mynumber import MUNICIPALITY_CODE, VirtualMyNumberCard

TEXT_AID = "D3921000310001010408"
VISUAL_AID = "D3921000310001010402"
JPKI_AID = "D392F000260100000001"
CV_KEYS_FILE = Path(__file__).resolve().parents[2] / "cardtool" / "virtual" / "pki" / "mynumber-cv-TEST.json"
REAL_TEST_KEY_NUMBERS = {"6000020", "6000023", "6000033"}
SHA256_DIGEST_INFO = bytes.fromhex("3031300D060960864801650304020105000420")
FACE_DIGEST_INFO = bytes.fromhex("3071300D060960864801650304020105000460")


# -- raw APDU helpers -------------------------------------------------------------------

def send(card: VirtualMyNumberCard, hex_text: str) -> tuple[bytes, str]:
    answer = card.process_apdu(bytes.fromhex(hex_text.replace(" ", "")))
    return answer[:-2], answer[-2:].hex().upper()


def ok(card: VirtualMyNumberCard, hex_text: str) -> bytes:
    data, status = send(card, hex_text)
    assert status == "9000", f"{hex_text} -> {status}"
    return data


def select(card: VirtualMyNumberCard, aid: str) -> None:
    ok(card, f"00A4040C{len(aid) // 2:02X}{aid}")


def verify(card: VirtualMyNumberCard, key_fid: int, secret: str) -> None:
    ok(card, f"00A4020C02{key_fid:04X}")
    ok(card, f"00200080{len(secret):02X}{secret.encode().hex()}")


def read_ef(card: VirtualMyNumberCard, fid: int) -> bytes:
    """The whole EF as stored (extended Le = 65536: every byte up to the end of the file)."""
    ok(card, f"00A4020C02{fid:04X}")
    return ok(card, "00B00000000000")


def fresh(persona: str = "mynumber") -> VirtualMyNumberCard:
    card = make_virtual_card(persona)
    assert isinstance(card, VirtualMyNumberCard)
    card.power_on()
    return card


@pytest.fixture()
def card() -> VirtualMyNumberCard:
    return fresh()


def text_with_pin(card: VirtualMyNumberCard) -> None:
    select(card, TEXT_AID)
    verify(card, 0x0011, card.persona.pins["text"])


# -- independent decoding ---------------------------------------------------------------

def header(data: bytes, at: int) -> tuple[int, int, int]:
    """(tag, length, value offset) of the BER-TLV at ``at``: 1- or 2-byte tags, short, 81
    and 82 lengths, all this card uses."""
    tag = data[at]
    pos = at + 1
    if tag & 0x1F == 0x1F:
        tag = (tag << 8) | data[pos]
        pos += 1
    first = data[pos]
    if first < 0x80:
        return tag, first, pos + 1
    n = first - 0x80
    assert n in (1, 2), f"length form {first:02X}"
    return tag, int.from_bytes(data[pos + 1:pos + 1 + n], "big"), pos + 1 + n


def children(data: bytes, start: int, end: int) -> list[tuple[int, int, bytes]]:
    """(tag, offset of the tag, whole TLV bytes) of each object in data[start:end]."""
    out = []
    pos = start
    while pos < end:
        tag, length, value_at = header(data, pos)
        out.append((tag, pos, data[pos:value_at + length]))
        pos = value_at + length
    assert pos == end
    return out


def value_of(tlv_bytes: bytes) -> bytes:
    _tag, length, value_at = header(tlv_bytes, 0)
    return tlv_bytes[value_at:value_at + length]


def card_key(encoded: bytes) -> rsa.RSAPublicKey:
    """A key in the card's 90/91 encoding: exactly 90 03 <e> 91 82 0100 <256-byte n>."""
    assert len(encoded) == 265
    assert encoded[:2] == bytes.fromhex("9003") and encoded[5:9] == bytes.fromhex("91820100")
    return rsa.RSAPublicNumbers(int.from_bytes(encoded[2:5], "big"),
                                int.from_bytes(encoded[9:], "big")).public_key()


def verifies(key: rsa.RSAPublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


@cache
def our_ca(ap: str) -> tuple[bytes, rsa.RSAPublicKey]:
    """(key id, public key) of our TEST CA for ``ap`` from the one public list."""
    document = json.loads(CV_KEYS_FILE.read_text(encoding="utf-8"))
    (entry,) = [k for k in document["keys"] if k["role"] == "ca" and k["ap"] == ap]
    key = rsa.RSAPublicNumbers(entry["exponent"], int(entry["modulus_hex"], 16)).public_key()
    return bytes.fromhex(entry["key_id_hex"]), key


def check_key_id(raw: bytes) -> str:
    """The §2.5 layout: 7 digits, 08 05, 3 digits, 3 zero bytes, one byte. Returns n/g."""
    assert len(raw) == 16
    assert raw[:7].isdigit() and raw[7:9] == b"\x08\x05" and raw[9:12].isdigit()
    assert raw[12:15] == bytes(3)
    return f"{raw[:7].decode()}/{raw[9:12].decode()}"


def cv_subject_key(certificate: bytes) -> rsa.RSAPublicKey:
    return card_key(certificate[10 + 32:10 + 297])


# -- the text AP -----------------------------------------------------------------------

def test_text_my_number_ef_is_the_physical_17_bytes(card: VirtualMyNumberCard) -> None:
    text_with_pin(card)
    physical = read_ef(card, 0x0001)
    assert physical == b"\xff\x10\x0c" + card.persona.my_number.encode() + b"\xff\xff"
    assert len(physical) == 17


def test_text_attributes_offset_table_counts_from_the_file_start(
        card: VirtualMyNumberCard) -> None:
    text_with_pin(card)
    data = read_ef(card, 0x0002)
    tag, length, value_at = header(data, 0)
    assert tag == 0xFF20 and value_at + length == len(data)
    items = children(data, value_at, len(data))
    assert [t for t, _, _ in items] == [0xDF21, 0xDF22, 0xDF23, 0xDF24, 0xDF25]
    table = items[0][2]
    assert table[:3] == bytes.fromhex("DF2108")
    offsets = [int.from_bytes(table[3 + i:5 + i], "big") for i in range(0, 8, 2)]
    assert offsets == [at for _, at, _ in items[1:]]
    assert value_of(items[3][2]) == card.persona.birth_date.strftime("%Y%m%d").encode()


def test_text_integrity_record_is_exactly_spec_2_5(card: VirtualMyNumberCard) -> None:
    text_with_pin(card)
    physical = read_ef(card, 0x0001)
    attributes = read_ef(card, 0x0002)
    record = read_ef(card, 0x0003)
    assert len(record) == 336
    assert record[:5] == bytes.fromhex("FF3082014B")
    assert record[5:8] == bytes.fromhex("DF3120") and record[40:43] == bytes.fromhex("DF3220")
    assert record[75:80] == bytes.fromhex("DF33820100")
    # DF31: SHA-256 of the physical 17 bytes of EF 0001, not of the 15-byte TLV.
    assert record[8:40] == hashlib.sha256(physical).digest()
    assert record[8:40] != hashlib.sha256(physical[:15]).digest()
    # DF32: SHA-256 of the FF20 value after the DF21 TLV (the DF22..DF25 TLVs).
    _tag, length, value_at = header(attributes, 0)
    _t, table_length, table_value_at = header(attributes, value_at)
    after_table = attributes[table_value_at + table_length:value_at + length]
    assert after_table[:2] == b"\xdf\x22"
    assert record[43:75] == hashlib.sha256(after_table).digest()
    # DF33: PKCS#1 v1.5 SHA-256 over DF31 TLV || DF32 TLV (70 bytes), by the EF 0004 key.
    signed, signature = record[5:75], record[80:]
    assert len(signed) == 70 and len(signature) == 256
    certified = cv_subject_key(read_ef(card, 0x0004))
    assert verifies(certified, signature, signed)
    assert not verifies(certified, signature, record[5:40])
    assert not verifies(our_ca("text")[1], signature, signed)  # not a CA key


@pytest.mark.parametrize("aid, ap", [(TEXT_AID, "text"), (VISUAL_AID, "visual")])
def test_cv_certificate_is_568_bytes_signed_by_our_our_ca(
        card: VirtualMyNumberCard, aid: str, ap: str) -> None:
    select(card, aid)
    cert = read_ef(card, 0x0004)  # no PIN needed
    assert len(cert) == 568
    assert cert[:10] == bytes.fromhex("7F218202335F4E820129")
    body = cert[10:10 + 297]
    assert cert[307:312] == bytes.fromhex("5F37820100")
    signature = cert[312:]
    assert len(signature) == 256
    issuer, subject = body[:16], body[16:32]
    ca_id, ca_key = our_ca(ap)
    assert issuer == ca_id
    number, _group = check_key_id(issuer).split("/")
    assert number.startswith("6") and number not in REAL_TEST_KEY_NUMBERS
    assert issuer[15] == 0x00
    subject_text = check_key_id(subject)
    assert subject_text.startswith(MUNICIPALITY_CODE) and subject_text.endswith("/000")
    assert body[32:41] == bytes.fromhex("900301000191820100")
    assert verifies(ca_key, signature, body)
    other = our_ca("visual" if ap == "text" else "text")[1]
    assert not verifies(other, signature, body)
    tampered = body[:20] + bytes((body[20] ^ 1,)) + body[21:]
    assert not verifies(ca_key, signature, tampered)


def test_test_ca_list_matches_the_committed_keys_and_avoids_real_ids() -> None:
    from cryptography.hazmat.primitives import serialization

    document = json.loads(CV_KEYS_FILE.read_text(encoding="utf-8"))
    cas = [k for k in document["keys"] if k["role"] == "ca"]
    assert sorted(k["ap"] for k in cas) == ["text", "visual"]
    for entry in document["keys"]:
        key_id = bytes.fromhex(entry["key_id_hex"])
        assert check_key_id(key_id) == entry["name"]
        private = serialization.load_pem_private_key(
            (CV_KEYS_FILE.parent / entry["private_key_file"]).read_bytes(), password=None)
        assert isinstance(private, rsa.RSAPrivateKey)
        assert private.public_key().public_numbers().n == int(entry["modulus_hex"], 16)
        assert "TEST" in entry["private_key_file"]
    for entry in cas:
        assert entry["name"].startswith("6")
        assert entry["name"].split("/")[0] not in REAL_TEST_KEY_NUMBERS


def test_text_ap_info_is_read_as_256_bytes_without_pin(card: VirtualMyNumberCard) -> None:
    select(card, TEXT_AID)
    data = read_ef(card, 0x0005)
    assert len(data) == 256
    tag, length, value_at = header(data, 0)
    assert tag == 0xFF40
    items = children(data, value_at, value_at + length)
    assert [t for t, _, _ in items] == [0xDF41, 0xDF42, 0xDF43]
    assert items[0][2] == bytes.fromhex("DF410401030E01")
    assert items[1][2][:3] == bytes.fromhex("DF4210")
    check_key_id(value_of(items[1][2]))
    assert items[2][2][:4] == bytes.fromhex("DF438180") and len(value_of(items[2][2])) == 128
    assert set(data[value_at + length:]) <= {0x00, 0xFF}


def test_text_signed_card_key_ef_0007(card: VirtualMyNumberCard) -> None:
    select(card, TEXT_AID)
    ok(card, "00A4020C020007")
    assert send(card, "00B0000000")[1] == "6982"  # needs the PIN or a 照合番号
    verify(card, 0x0015, card.collation_b)  # 照合番号B opens it
    data = read_ef(card, 0x0007)
    assert data[:5] == bytes.fromhex("FF50820213") and len(data) == 536
    assert data[5:10] == bytes.fromhex("DF51820109")
    assert data[275:280] == bytes.fromhex("DF52820100")
    key_tlv, signature = data[5:275], data[280:]
    card_key(key_tlv[5:])
    assert verifies(cv_subject_key(read_ef(card, 0x0004)), signature, key_tlv)


def test_text_records_open_with_either_collation_number(card: VirtualMyNumberCard) -> None:
    select(card, TEXT_AID)
    ok(card, "00A4020C020003")
    assert send(card, "00B0000000")[1] == "6982"
    verify(card, 0x0014, card.persona.my_number)  # 照合番号A
    assert len(read_ef(card, 0x0003)) == 336
    assert len(read_ef(card, 0x0007)) == 536


# -- the chip challenge -----------------------------------------------------------------

def challenge(card: VirtualMyNumberCard, message: bytes) -> tuple[bytes, str]:
    digest_info = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    return send(card, f"802A0000{len(digest_info):02X}{digest_info.hex()}00")


def test_chip_challenge_in_text_and_visual_ap_without_pin(card: VirtualMyNumberCard) -> None:
    message = b"fresh random challenge 0123456789"
    keys = {}
    select(card, TEXT_AID)
    signature, status = challenge(card, message)
    assert status == "9000" and len(signature) == 256
    verify(card, 0x0011, card.persona.pins["text"])
    keys["DF51"] = read_ef(card, 0x0007)[10:275]
    text_key = card_key(keys["DF51"])
    text_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    text_key.verify(signature, hashlib.sha256(message).digest(), padding.PKCS1v15(),
                    Prehashed(hashes.SHA256()))

    card.reset()  # no PIN state at all
    select(card, VISUAL_AID)
    signature, status = challenge(card, message)
    assert status == "9000"
    verify(card, 0x0013, card.persona.my_number)
    face = read_ef(card, 0x0002)
    _tag, length, value_at = header(face, 0)
    fields = {t: value_of(raw) for t, _, raw in children(face, value_at, value_at + length)}
    keys["DF24"] = fields[0xDF24]
    card_key(keys["DF24"]).verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    keys["DF42"] = read_ef(card, 0x0005)[-256 - 5 - 265:-256 - 5]
    card.reset()
    select(card, VISUAL_AID)
    verify(card, 0x0011, era_yymmdd(card.persona.birth_date))
    age = read_ef(card, 0x0001)
    keys["DF12"] = age[5 + 11 + 5:5 + 11 + 5 + 265]
    assert len(set(keys.values())) == 1, "DF12/DF24/DF42/DF51 hold one card key"
    # A copy of the files cannot answer: a different message does not verify.
    with pytest.raises(InvalidSignature):
        text_key.verify(signature, message + b"!", padding.PKCS1v15(), hashes.SHA256())


def test_chip_challenge_refuses_bad_input(card: VirtualMyNumberCard) -> None:
    select(card, TEXT_AID)
    assert send(card, "802A0000")[1] == "6700"
    assert send(card, "802A0000F6" + "00" * 0xF6 + "00")[1] == "6A80"  # longer than k - 11


def test_jpki_compute_digital_signature_is_untouched(card: VirtualMyNumberCard) -> None:
    digest_info = (SHA256_DIGEST_INFO + bytes(32)).hex()
    select(card, JPKI_AID)
    assert send(card, f"802A000033{digest_info}00")[1] == "6A86"  # no chip challenge in JPKI
    ok(card, "00A4020C020017")
    assert send(card, f"802A008033{digest_info}00")[1] == "6982"  # PIN still needed
    select(card, TEXT_AID)
    assert send(card, f"802A008033{digest_info}00")[1] == "6985"  # JPKI's form: not here
    assert send(card, f"802A000133{digest_info}00")[1] == "6985"


# -- the visual AP ----------------------------------------------------------------------

def test_visual_age_record(card: VirtualMyNumberCard) -> None:
    select(card, VISUAL_AID)
    verify(card, 0x0011, era_yymmdd(card.persona.birth_date))
    data = read_ef(card, 0x0001)
    assert data[:5] == bytes.fromhex("FF1082021E") and len(data) == 547
    assert data[5:16] == bytes.fromhex("DF1108") + card.persona.birth_date.strftime(
        "%Y%m%d").encode()
    assert data[16:21] == bytes.fromhex("DF12820109")
    assert data[286:291] == bytes.fromhex("DF13820100")
    certified = cv_subject_key(read_ef(card, 0x0004))
    assert verifies(certified, data[291:], data[5:286])
    assert not verifies(card_key(data[21:286]), data[291:], data[5:286])  # not the card key


def test_visual_card_face_offsets_and_three_group_signature(card: VirtualMyNumberCard) -> None:
    select(card, VISUAL_AID)
    verify(card, 0x0012, collation_number_b(card.persona.birth_date, card.persona.card_expiry,
                                            card.persona.security_code or ""))
    face = read_ef(card, 0x0002)
    tag, length, value_at = header(face, 0)
    assert tag == 0xFF20 and value_at + length == len(face)
    items = children(face, value_at, len(face))
    tags = [t for t, _, _ in items]
    assert tags == [0xDF21, 0xDF22, 0xDF23, 0xDF24, 0xDF25, 0xDF26, 0xDF27, 0xDF28, 0xDF29,
                    0xDF2A]
    table = value_of(items[0][2])
    assert [int.from_bytes(table[i:i + 2], "big") for i in range(0, len(table), 2)] == [
        at for _, at, _ in items[1:]]
    raw = {t: whole for t, _, whole in items}
    g1 = raw[0xDF22] + raw[0xDF23] + raw[0xDF24]
    g2 = raw[0xDF25] + raw[0xDF26]
    g3 = raw[0xDF27]
    expected = FACE_DIGEST_INFO + b"".join(hashlib.sha256(g).digest() for g in (g1, g2, g3))
    assert len(expected) == 2 + 0x71
    signature = value_of(raw[0xDF28])
    assert raw[0xDF28][:5] == bytes.fromhex("DF28820100")
    public = cv_subject_key(read_ef(card, 0x0004)).public_numbers()
    em = pow(int.from_bytes(signature, "big"), public.e, public.n).to_bytes(256, "big")
    assert em == b"\x00\x01" + b"\xff" * (256 - 3 - len(expected)) + b"\x00" + expected
    # DF29 (card expiry) and DF2A (security code) follow DF28 and are not signed.
    assert value_of(raw[0xDF29]) == card.persona.card_expiry.strftime("%Y%m%d").encode()
    assert tags.index(0xDF29) > tags.index(0xDF28) < tags.index(0xDF2A)
    card_key(value_of(raw[0xDF24]))


def test_visual_ap_info_and_municipality(card: VirtualMyNumberCard) -> None:
    select(card, VISUAL_AID)
    data = read_ef(card, 0x0003)  # no PIN
    tag, length, value_at = header(data, 0)
    assert tag == 0xFF30 and value_at + length == len(data)
    items = children(data, value_at, len(data))
    assert [t for t, _, _ in items] == [0xDF31, 0xDF32, 0xDF33, 0xDF34, 0xDF35]
    values = [value_of(whole) for _, _, whole in items]
    assert len(values[0]) == 4
    check_key_id(values[1])
    assert len(values[2]) == 1
    assert values[3] == MUNICIPALITY_CODE.encode() and len(values[3]) == 5
    check_key_id(values[4][:16])
    assert len(values[4]) == 16 + 256


def test_visual_number_image_record(card: VirtualMyNumberCard) -> None:
    select(card, VISUAL_AID)
    ok(card, "00A4020C020005")
    verify(card, 0x0012, card.collation_b)
    assert send(card, "00A4020C020005")[1] == "9000"
    assert send(card, "00B0000000")[1] == "6982"  # 照合番号A only
    verify(card, 0x0013, card.persona.my_number)
    data = read_ef(card, 0x0005)
    tag, length, value_at = header(data, 0)
    assert tag == 0xFF40 and value_at + length == len(data)
    items = children(data, value_at, len(data))
    assert [t for t, _, _ in items] == [0xDF41, 0xDF42, 0xDF43]
    assert value_of(items[0][2]).startswith(b"\x89PNG\r\n\x1a\n")
    assert items[1][2][:5] == bytes.fromhex("DF42820109")
    assert items[2][2][:5] == bytes.fromhex("DF43820100")
    signed = items[0][2] + items[1][2]
    assert verifies(cv_subject_key(read_ef(card, 0x0004)), value_of(items[2][2]), signed)


def test_records_are_signed_by_their_own_aps_key(card: VirtualMyNumberCard) -> None:
    select(card, VISUAL_AID)
    visual_key = cv_subject_key(read_ef(card, 0x0004))
    text_with_pin(card)
    record = read_ef(card, 0x0003)
    assert not verifies(visual_key, record[80:], record[5:75])


# -- constants and parser against the real example --------------------------------------

def test_record_constants_match_the_spec_bytes() -> None:
    assert records.SHA256_DIGEST_INFO_PREFIX == SHA256_DIGEST_INFO
    assert records.FACE_DIGEST_INFO_PREFIX == FACE_DIGEST_INFO
    assert (records.INTEGRITY_EF_LENGTH, records.CV_CERTIFICATE_LENGTH,
            records.MY_NUMBER_EF_LENGTH, records.TEXT_AP_INFO_EF_LENGTH,
            records.CV_BODY_LENGTH, records.CARD_PUBLIC_KEY_LENGTH) == (336, 568, 17, 256, 297, 265)
    assert records.key_id("1322121", "000") == b"1322121\x08\x05000" + bytes(4)
    assert records.key_id_text(records.key_id("6000023", "001")) == "6000023/001"
    assert (records.CHIP_CHALLENGE_P1, records.CHIP_CHALLENGE_P2) == (0x00, 0x00)


def test_parser_reads_the_real_example_header() -> None:
    """``FF 20 65 DF 21 08 000E 0020 0059 0064`` (MC's test-card EF 0002) with synthetic
    fields of the same lengths: 15-byte name, 54-byte address, 8-digit birth, 1-digit sex."""
    name = "試験\u3000花子"
    address = "東京都千代田区霞が関一丁目一番一号試験"[:18]
    assert len(name.encode()) == 15 and len(address.encode()) == 54
    data = (bytes.fromhex("FF2065DF2108000E002000590064")
            + b"\xdf\x22\x0f" + name.encode() + b"\xdf\x23\x36" + address.encode()
            + b"\xdf\x24\x08" + b"19850401" + b"\xdf\x25\x01" + b"2")
    assert len(data) == 3 + 0x65
    assert [data.index(tag) for tag in (b"\xdf\x22", b"\xdf\x23", b"\xdf\x24", b"\xdf\x25")] == [
        0x0E, 0x20, 0x59, 0x64]
    info = parse_basic_info(data)
    assert info.name == name and info.address == address
    assert info.birth_date_text == "19850401" and info.sex == "female"


# -- persona option filler-before-tlv ---------------------------------------------------

def test_filler_before_tlv_option() -> None:
    card = fresh("mynumber:filler-before-tlv")
    assert card.persona.has("filler-before-tlv")
    text_with_pin(card)
    physical = read_ef(card, 0x0001)
    assert physical == b"\x00\x00\xff\x10\x0c" + card.persona.my_number.encode() + b"\xff\xff"
    attributes = read_ef(card, 0x0002)
    assert attributes[:4] == bytes.fromhex("0000FF20")
    tag, length, value_at = header(attributes, 2)
    assert tag == 0xFF20 and value_at + length == len(attributes)
    items = children(attributes, value_at, len(attributes))
    table = value_of(items[0][2])
    # Offsets count from the file start, filler included.
    assert [int.from_bytes(table[i:i + 2], "big") for i in range(0, 8, 2)] == [
        at for _, at, _ in items[1:]]
    assert attributes[int.from_bytes(table[:2], "big"):][:2] == b"\xdf\x22"
    record = read_ef(card, 0x0003)
    assert len(record) == 336
    assert record[8:40] == hashlib.sha256(physical).digest()  # the file as stored
    after_table = b"".join(whole for _, _, whole in items[1:])
    assert record[43:75] == hashlib.sha256(after_table).digest()
    assert verifies(cv_subject_key(read_ef(card, 0x0004)), record[80:], record[5:75])
    # Without the option the same person's files start with the objects.
    plain = fresh("mynumber")
    text_with_pin(plain)
    assert read_ef(plain, 0x0001)[:2] == b"\xff\x10"
