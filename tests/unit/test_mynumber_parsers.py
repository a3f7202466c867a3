from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from apdu import tlv
from apdu.errors import MalformedData
from cardtool.cards.certificate import (
    MalformedCertificate,
    RedactedCertificate,
    is_redacted_der,
    parse_certificate,
)
from cardtool.cards.mynumber.text import parse_basic_info, parse_my_number
from cardtool.cards.mynumber.visual import parse_card_face

LONG_ADDRESS = "東京都千代田区霞が関一丁目二番三号 合同庁舎ビルディング第四号館 四階四〇四号室 テスト" * 2


def basic_info(name: str = "試験 花子", birth: bytes = b"19850401", sex: bytes = b"2") -> bytes:
    body = tlv.build_all([(0xDF21, bytes(8)), (0xDF22, name.encode()),
                          (0xDF23, LONG_ADDRESS.encode()), (0xDF24, birth), (0xDF25, sex)])
    return tlv.build(0xFF20, body) + b"\xff" * 10


def test_basic_info_with_long_address_and_padding() -> None:
    info = parse_basic_info(basic_info())
    assert info.name == "試験 花子" and info.address == LONG_ADDRESS
    assert info.birth_date == dt.date(1985, 4, 1) and info.sex == "female"
    assert "花子" not in repr(info)


def test_redacted_replay_values_do_not_crash() -> None:
    info = parse_basic_info(basic_info("*" * 9, b"*" * 8, b"*"))
    assert info.birth_date is None and info.birth_date_text == "********"
    assert info.sex == "unknown"


def test_missing_field_names_the_tag() -> None:
    data = tlv.build(0xFF20, tlv.build_all([(0xDF22, b"x"), (0xDF24, b"19850401"), (0xDF25, b"1")]))
    with pytest.raises(MalformedData, match="DF23"):
        parse_basic_info(data)


def test_my_number_parse_and_mask() -> None:
    n = parse_my_number(bytes.fromhex("FF100C") + b"123456789018" + b"\xff\xff")
    assert n.digits == "123456789018" and n.check_digit_ok
    assert n.masked() == "*" * 12 and "1234" not in repr(n)
    assert not parse_my_number(bytes.fromhex("FF100C") + b"123456789010").check_digit_ok
    with pytest.raises(MalformedData):
        parse_my_number(bytes.fromhex("FF1005") + b"12345")


@given(st.binary(max_size=200))
def test_parsers_raise_only_malformed(data: bytes) -> None:
    for parse in (parse_basic_info, parse_my_number, parse_card_face):
        with contextlib.suppress(MalformedData):
            parse(data)


def test_card_face() -> None:
    body = tlv.build_all([
        (0xDF21, bytes(12)), (0xDF22, b"19850401"), (0xDF23, b"1"), (0xDF24, b"key"),
        (0xDF25, b"\x89PNGname"), (0xDF26, b"\x89PNGaddr"), (0xDF27, b"\x00\x00\x00\x0cjP  "),
        (0xDF28, b"sig"), (0xDF29, b"20341231"), (0xDF2A, b"\x89PNGcode")])
    face = parse_card_face(tlv.build(0xFF20, body))
    assert face.card_expiry == dt.date(2034, 12, 31) and face.sex == "male"
    assert face.images()["name"] == b"\x89PNGname"


def _cert() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI-TEST")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(0x1234)
            .not_valid_before(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
            .not_valid_after(dt.datetime(2031, 3, 31, 14, 59, 59, tzinfo=dt.UTC))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(Encoding.DER)


def test_certificate_in_jst_with_padding() -> None:
    der = _cert()
    info = parse_certificate(der + b"\x00" * 50)
    assert info.der == der and info.serial == 0x1234
    assert info.not_after.isoformat() == "2031-03-31T23:59:59+09:00"
    assert info.days_left(dt.date(2031, 3, 30)) == 1


def test_truncated_and_garbage_certificates_are_clear() -> None:
    der = _cert()
    with pytest.raises(MalformedCertificate, match="truncated"):
        parse_certificate(der[:100])
    with pytest.raises(MalformedCertificate, match="not DER"):
        parse_certificate(der[:4] + b"\x00" * (len(der) - 4))
    with pytest.raises(MalformedCertificate):
        parse_certificate(b"")


def _mask_values(der: bytes, keep: int | None = None) -> bytes:
    """``der`` as a replay of a redacted trace gives it (cardtool.redaction keeps the TLV
    headers, the replay fills every value byte with '*'); ``keep``: that primitive value
    (in document order) left as it was."""
    count = 0

    def walk(data: bytes) -> bytes:
        nonlocal count
        out = b""
        for obj in tlv.parse_all(data):
            if obj.constructed:
                out += tlv.build(obj.tag, walk(obj.value))
            else:
                out += tlv.build(obj.tag, obj.value if count == keep else b"*" * len(obj.value))
                count += 1
        return out

    return walk(der)


def test_a_certificate_a_redacted_trace_masked_says_so_not_that_the_card_is_damaged() -> None:
    der = _cert()
    masked = _mask_values(der)
    assert len(masked) == len(der) and is_redacted_der(masked)
    with pytest.raises(RedactedCertificate, match="redacted when the trace was recorded"):
        parse_certificate(masked + b"\x00" * 20)
    # A chunk redacted from its middle on, headers and all (cardtool.redaction does so for
    # a chunk that starts at no known boundary), is still the trace's mask.
    cut = len(der) // 2
    assert is_redacted_der(masked[:cut] + b"*" * (len(der) - cut))


def test_a_damaged_certificate_is_not_taken_for_a_redacted_one() -> None:
    der = _cert()
    assert not is_redacted_der(der)
    # One value left as the card sent it: not a mask, so a damaged certificate.
    with pytest.raises(MalformedCertificate, match="not DER"):
        parse_certificate(_mask_values(der, keep=5))
    with pytest.raises(MalformedCertificate, match="not DER"):
        parse_certificate(der[:4] + b"\x00" * (len(der) - 4))
    assert not is_redacted_der(der[:4] + b"\x00" * (len(der) - 4))
