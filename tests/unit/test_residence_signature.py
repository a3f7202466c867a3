"""Residence-card signer certificates (BER, padding, NULL parameters) and the signature
check: valid / invalid / no-anchor, each with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given
from hypothesis import strategies as st

from cardtool.cards.residence import ids
from cardtool.cards.residence.certificate import (
    MalformedCardCertificate,
    issued_by,
    load_anchor_file,
    load_certificate_bytes,
)
from cardtool.cards.residence.signature import (
    SignatureStatus,
    check_signature,
    ecdsa_der,
    first_gen_signed_data,
)
from cardtool.errors import BadInputFile

PKI = Path(__file__).resolve().parents[2] / "cardtool" / "virtual" / "pki"
FIRST, SECOND = ids.Generation.FIRST, ids.Generation.SECOND


def key(name: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    k = serialization.load_pem_private_key((PKI / name).read_bytes(), password=None)
    assert isinstance(k, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    return k


def anchor(n: int) -> x509.Certificate:
    return load_anchor_file(PKI / f"residence{n}-ca-TEST.crt.pem")


def signer(n: int, ber: bool = False) -> bytes:
    return (PKI / f"residence{n}-signer{'-ber' if ber else ''}-TEST.crt.der").read_bytes()


def test_ber_certificate_is_accepted_though_strict_der_rejects_it() -> None:
    raw = signer(2, ber=True)
    with pytest.raises(ValueError):
        x509.load_der_x509_certificate(raw)
    card = load_certificate_bytes(raw + bytes(28))  # zero-padded like the DD field
    assert card.normalized and card.padding == 28
    assert raw.count(bytes.fromhex("06082A8648CE3D0403020500")) == 2  # NULL params, twice
    assert card.certificate.signature_hash_algorithm is not None
    assert issued_by(card, anchor(2))
    # The CA signed the DER encoding of the to-be-signed part; the card holds BER.
    assert card.tbs_der == ber_fixture_tbs_der()


ECDSA_SHA256 = bytes.fromhex("300A06082A8648CE3D040302")
ECDSA_SHA256_NULL = bytes.fromhex("300C06082A8648CE3D0403020500")


def der_header(tag: int, length: int) -> bytes:
    if length < 0x80:
        return bytes((tag, length))
    size = (length.bit_length() + 7) // 8
    return bytes((tag, 0x80 | size)) + length.to_bytes(size, "big")


def ber_fixture_tbs_der() -> bytes:
    """The DER tbsCertificate of the BER fixture, built without the reader's code: the DER
    signer's tbsCertificate (same key, names, serial, dates: the generator starts from it)
    with NULL parameters in its signature AlgorithmIdentifier."""
    tbs = x509.load_der_x509_certificate(signer(2)).tbs_certificate_bytes
    header = 2 + (tbs[1] & 0x7F if tbs[1] & 0x80 else 0)
    body = tbs[header:]
    assert body.count(ECDSA_SHA256) == 1
    body = body.replace(ECDSA_SHA256, ECDSA_SHA256_NULL)
    return der_header(0x30, len(body)) + body


def stored_tbs(raw: bytes) -> bytes:
    """The tbsCertificate bytes exactly as the certificate file holds them."""
    from cardtool.cards.residence.certificate import parse_ber

    root, _end = parse_ber(raw)
    tbs = root.children[0]
    return raw[tbs.start : tbs.end]


def test_ber_fixture_is_signed_over_the_der_tbs_not_over_the_stored_ber() -> None:
    """RFC 5280 §4.1.1.3: the CA signs the DER-encoded tbsCertificate. The fixture keeps
    BER bytes on the card, but its CA signature must cover their DER re-encoding."""
    raw = signer(2, ber=True)
    ber_tbs, der_tbs = stored_tbs(raw), ber_fixture_tbs_der()
    assert ber_tbs != der_tbs and ber_tbs[1] == 0x83  # stored with a non-minimal length
    signature = load_certificate_bytes(raw).signature
    ca_key = anchor(2).public_key()
    assert isinstance(ca_key, ec.EllipticCurvePublicKey)
    ca_key.verify(signature, der_tbs, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        ca_key.verify(signature, ber_tbs, ec.ECDSA(hashes.SHA256()))


def test_a_ca_signature_over_the_ber_bytes_is_not_accepted() -> None:
    """A certificate whose issuer signed the BER bytes as stored (not the DER encoding) is
    not issued by that CA: the chain check uses the DER tbsCertificate only."""
    raw = signer(2, ber=True)
    ber_tbs = stored_tbs(raw)
    ca_key = key("residence2-ca-TEST.key.pem")
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    signature = ca_key.sign(ber_tbs, ec.ECDSA(hashes.SHA256()))
    bit_string = b"\x03\x83" + (len(signature) + 1).to_bytes(3, "big") + b"\x00" + signature
    body = ber_tbs + bytes.fromhex("30810C06082A8648CE3D0403020500") + bit_string
    forged = b"\x30\x83" + len(body).to_bytes(3, "big") + body
    card = load_certificate_bytes(forged)
    assert not issued_by(card, anchor(2))
    data = b"entries".ljust(53, b"\x00") + bytes(3000) + bytes(2500)
    result = check_signature(SECOND, sign_second(data), forged, data, [anchor(2)])
    assert result.status is SignatureStatus.INVALID and "does not verify" in result.reason_en


def test_der_certificate_with_padding_and_its_issuer() -> None:
    card = load_certificate_bytes(signer(1) + bytes(100))
    assert not card.normalized and card.padding == 100
    assert issued_by(card, anchor(1)) and not issued_by(card, anchor(2))


@pytest.mark.parametrize(("raw", "why"), [
    (b"", "empty"),
    (b"garbage, not a certificate at all", "not an ASN.1 certificate"),
    (bytes.fromhex("3003020101"), "X.509"),
    (b"\x30\x82\x10\x00" + bytes(10), "not an ASN.1"),
])
def test_garbage_is_one_clear_error(raw: bytes, why: str) -> None:
    with pytest.raises(MalformedCardCertificate, match=why) as info:
        load_certificate_bytes(raw)
    assert "\n" not in str(info.value) and str(info.value).startswith("The signer certificate")


def test_nonzero_bytes_after_the_certificate_are_rejected() -> None:
    with pytest.raises(MalformedCardCertificate, match="not zero padding"):
        load_certificate_bytes(signer(2) + b"\x00\x01")


@given(st.binary(max_size=200))
def test_certificate_garbage_raises_only_our_error(raw: bytes) -> None:
    try:
        load_certificate_bytes(raw)
    except MalformedCardCertificate:
        pass


@given(st.data())
def test_truncated_certificate_raises_only_our_error(draw: st.DataObject) -> None:
    raw = signer(2, ber=draw.draw(st.booleans()))
    cut = draw.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(MalformedCardCertificate):
        load_certificate_bytes(raw[:cut])


def test_anchor_files_pem_der_and_garbage(tmp_path: Path) -> None:
    der = tmp_path / "a.der"
    der.write_bytes(anchor(2).public_bytes(serialization.Encoding.DER))
    assert load_anchor_file(der).subject == anchor(2).subject
    bad = tmp_path / "bad.pem"
    bad.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(BadInputFile, match="not a PEM certificate"):
        load_anchor_file(bad)
    garbage = tmp_path / "garbage.crt"
    garbage.write_bytes(b"hello, world")
    with pytest.raises(BadInputFile, match="not a certificate"):
        load_anchor_file(garbage)
    with pytest.raises(BadInputFile):
        load_anchor_file(tmp_path / "missing.pem")


def sign_first(data: bytes) -> bytes:
    k = key("residence1-signer-TEST.key.pem")
    assert isinstance(k, rsa.RSAPrivateKey)
    return k.sign(data, padding.PKCS1v15(), hashes.SHA256())


def sign_second(data: bytes) -> bytes:
    k = key("residence2-signer-TEST.key.pem")
    assert isinstance(k, ec.EllipticCurvePrivateKey)
    return k.sign(data, ec.ECDSA(hashes.SHA256()))


def raw_rs(der: bytes) -> bytes:
    r, s = decode_dss_signature(der)
    return r.to_bytes(48, "big") + s.to_bytes(48, "big")


def test_first_generation_valid_invalid_no_anchor() -> None:
    data = first_gen_signed_data(b"front", b"photo")
    assert len(data) == 10000 and data[:5] == b"front" and data[7000:7005] == b"photo"
    value = sign_first(data)
    ok = check_signature(FIRST, value, signer(1), data, [anchor(2), anchor(1)])
    assert ok.status is SignatureStatus.VALID and "TEST ZairyuCard CA" in (ok.anchor or "")
    tampered = check_signature(FIRST, value, signer(1), data[:-1] + b"\x01", [anchor(1)])
    assert tampered.status is SignatureStatus.INVALID and "altered" in tampered.reason_en
    none = check_signature(FIRST, value, signer(1), data, [])
    assert none.status is SignatureStatus.NO_ANCHOR and "--trust-anchor" in none.reason_en
    other = check_signature(FIRST, value, signer(1), data, [anchor(2)])
    assert other.status is SignatureStatus.NO_ANCHOR and "not among" in other.reason_en
    wrong_key = check_signature(SECOND, value, signer(1), data, [anchor(1)])
    assert wrong_key.status is SignatureStatus.INVALID and "P-384" in wrong_key.reason_en


def test_second_generation_raw_and_der_signatures_and_ber_certificate() -> None:
    data = b"entries".ljust(53, b"\x00") + bytes(3000) + bytes(2500)
    der = sign_second(data)
    for value in (der, raw_rs(der)):
        for cert in (signer(2), signer(2, ber=True) + bytes(3)):
            result = check_signature(SECOND, value, cert, data, [anchor(2)])
            assert result.status is SignatureStatus.VALID, result.reason_en
    assert ecdsa_der(bytes(96)) is None
    bad = check_signature(SECOND, bytes(95), signer(2), data, [anchor(2)])
    assert bad.status is SignatureStatus.INVALID and "r||s" in bad.reason_en


def test_anchor_with_the_issuer_name_but_another_key_is_invalid() -> None:
    impostor_key = ec.generate_private_key(ec.SECP384R1())
    ca = anchor(2)
    impostor = (x509.CertificateBuilder().subject_name(ca.subject).issuer_name(ca.subject)
                .public_key(impostor_key.public_key()).serial_number(1)
                .not_valid_before(ca.not_valid_before_utc).not_valid_after(ca.not_valid_after_utc)
                .sign(impostor_key, hashes.SHA256()))
    data = b"x" * 10
    result = check_signature(SECOND, sign_second(data), signer(2), data, [impostor])
    assert result.status is SignatureStatus.INVALID and "does not verify" in result.reason_en


def test_garbage_certificate_makes_the_signature_invalid_with_its_reason() -> None:
    result = check_signature(SECOND, bytes(96), b"\x01\x02garbage", b"data", [anchor(2)])
    assert result.status is SignatureStatus.INVALID
    assert "cannot be read" in result.reason_en and "読み取れません" in result.reason_ja
    assert result.to_json()["status"] == "invalid"
