#!/usr/bin/env python3
"""Generate the TEST PKI of the virtual residence cards into cardtool/virtual/pki/ (run once; the
output is committed so tests never generate keys).

Everything here is a TEST imitation of the ISA's scheme (spec §5), with no relation to
any real key:
  residence1-ca-TEST        self-signed RSA-2048 "TEST ZairyuCard CA" (first generation)
  residence1-signer-TEST    RSA-2048 document signer issued by it (DF3 DB on the card)
  residence2-ca-TEST        self-signed EC P-384 "TEST ZairyuCard CA2" (second gen, 特定)
  residence2-signer-TEST    EC P-384 document signer issued by it (DF3 DD on the card)
  residence2-signer-ber-TEST.crt.der
                            the same signer key in a BER-encoded certificate (non-minimal
                            lengths, NULL parameters after ecdsa-with-SHA256): what some
                            real cards carry (spec §5). The CA's signature covers the DER
                            encoding of the to-be-signed part (RFC 5280 §4.1.1.3), as a
                            real CA's does; only the bytes on the card are BER
  specified-delivery-TEST   RSA-2048 key pair standing in for the ISA key that SET SESSION
                            KEY encrypts to on a 特定在留カード (unverified path, spec §9);
                            .pub.bin is the raw 256-byte modulus (e = 65537)

  residence{1,2}-rogue-ca-TEST, residence{1,2}-rogue-signer-TEST
                            forgers' PKI for the forged personas: a CA nobody trusts
                            ("TEST Rogue ZairyuCard CA", "... CA2") and a signer it issued
  residence{1,2}-impostor-signer-TEST.crt.der
                            the rogue signer's key in a certificate that names the TEST
                            ZairyuCard CA (CA2) as issuer but is signed by the rogue CA

Usage: .venv/bin/python scripts/make_residence_pki.py [--force]
       .venv/bin/python scripts/make_residence_pki.py --forged-only
         (make only the forgers' files above; the committed PKI stays)
       .venv/bin/python scripts/make_residence_pki.py --ber-only
         (re-make only residence2-signer-ber-TEST.crt.der from the committed
          residence2-signer-TEST.crt.der and residence2-ca-TEST.key.pem; keys and traces stay)
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cardtool.cards.residence.certificate import Node, parse_ber  # noqa: E402

OUT = ROOT / "cardtool" / "virtual" / "pki"
NOT_BEFORE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
CA_NOT_AFTER = dt.datetime(2044, 12, 31, tzinfo=dt.UTC)
SIGNER_NOT_AFTER = dt.datetime(2040, 12, 31, tzinfo=dt.UTC)


def name(common: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "TEST Japanese Government"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "TEST MOJ (synthetic)"),
        x509.NameAttribute(NameOID.COMMON_NAME, common),
    ])


def ca_certificate(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
                   common: str) -> x509.Certificate:
    subject = name(common)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOT_BEFORE).not_valid_after(CA_NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .sign(key, hashes.SHA256()))


def signer_certificate(ca_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
                       ca: x509.Certificate,
                       key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
                       common: str) -> x509.Certificate:
    return (x509.CertificateBuilder().subject_name(name(common)).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOT_BEFORE).not_valid_after(SIGNER_NOT_AFTER)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False,
                                         False), critical=True)
            .sign(ca_key, hashes.SHA256()))


def long_length(n: int) -> bytes:
    """A non-minimal BER length: always 3 length bytes after 83."""
    return b"\x83" + n.to_bytes(3, "big")


def der_length(n: int) -> bytes:
    """The DER (minimal) length octets."""
    if n < 0x80:
        return bytes((n,))
    size = (n.bit_length() + 7) // 8
    return bytes((0x80 | size,)) + n.to_bytes(size, "big")


def _ecdsa_algorithm(node: Node) -> bool:
    oid = node.children[0] if node.children else None
    return (oid is not None and oid.ident == b"\x06" and len(node.children) == 1
            and oid.content.startswith(bytes.fromhex("2A8648CE3D04")))


def tbs_with_null(node: Node, raw: bytes, *, ber: bool, depth: int = 0) -> bytes:
    """The to-be-signed part (``node`` in the DER certificate ``raw``) with NULL parameters
    added to its signature AlgorithmIdentifier; everything else as is. ``ber``: with
    non-minimal lengths on the outer object and that AlgorithmIdentifier (what the card
    holds; the DD field holds at most 602 bytes); else the DER encoding of the same value
    (what the CA signs)."""
    if not node.constructed:
        return raw[node.start : node.end]
    if node.ident == b"\x30" and _ecdsa_algorithm(node):
        body = raw[node.children[0].start : node.children[0].end] + b"\x05\x00"
        return node.ident + (b"\x81" + bytes((len(body),)) if ber else der_length(len(body))) \
            + body
    if depth >= 1:
        return raw[node.start : node.end]
    body = b"".join(tbs_with_null(c, raw, ber=ber, depth=depth + 1) for c in node.children)
    return node.ident + (long_length if ber else der_length)(len(body)) + body


def ber_certificate(der: bytes, ca_key: ec.EllipticCurvePrivateKey) -> bytes:
    """The certificate ``der`` re-encoded as BER with NULL ECDSA parameters, signed again by
    ``ca_key`` over the DER encoding of its to-be-signed part (RFC 5280 §4.1.1.3)."""
    root, _end = parse_ber(der)
    tbs = tbs_with_null(root.children[0], der, ber=True)
    tbs_der = tbs_with_null(root.children[0], der, ber=False)
    assert tbs_der != tbs and len(tbs_der) < len(tbs)
    signature = ca_key.sign(tbs_der, ec.ECDSA(hashes.SHA256()))
    bit_string = b"\x03" + long_length(len(signature) + 1) + b"\x00" + signature
    algorithm = bytes.fromhex("30810C06082A8648CE3D0403020500")  # BER length + NULL params
    body = tbs + algorithm + bit_string
    return b"\x30" + long_length(len(body)) + body


def pem_key(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def remake_ber_certificate() -> int:
    ca_key = serialization.load_pem_private_key(
        (OUT / "residence2-ca-TEST.key.pem").read_bytes(), password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        print("residence2-ca-TEST.key.pem is not an EC key", file=sys.stderr)
        return 1
    signer_der = (OUT / "residence2-signer-TEST.crt.der").read_bytes()
    path = OUT / "residence2-signer-ber-TEST.crt.der"
    data = ber_certificate(signer_der, ca_key)
    path.write_bytes(data)
    print(f"wrote {path} ({len(data)} bytes)")
    return 0


def make_forged() -> int:
    """The forgers' PKI, next to the committed one (which stays)."""
    files: dict[str, bytes] = {}
    for n, make_key, suffix in ((1, lambda: rsa.generate_private_key(65537, 2048), ""),
                                (2, lambda: ec.generate_private_key(ec.SECP384R1()), "2")):
        genuine_ca = x509.load_pem_x509_certificate(
            (OUT / f"residence{n}-ca-TEST.crt.pem").read_bytes())
        rogue_key = make_key()
        rogue = ca_certificate(rogue_key, f"TEST Rogue ZairyuCard CA{suffix}")
        signer_key = make_key()
        signer = signer_certificate(rogue_key, rogue, signer_key,
                                    f"TEST Rogue ZairyuCard Signer{suffix}")
        impostor = signer_certificate(rogue_key, genuine_ca, signer_key,
                                      f"TEST Rogue ZairyuCard Signer{suffix}")
        files[f"residence{n}-rogue-ca-TEST.key.pem"] = pem_key(rogue_key)
        files[f"residence{n}-rogue-ca-TEST.crt.pem"] = rogue.public_bytes(
            serialization.Encoding.PEM)
        files[f"residence{n}-rogue-signer-TEST.key.pem"] = pem_key(signer_key)
        files[f"residence{n}-rogue-signer-TEST.crt.der"] = signer.public_bytes(
            serialization.Encoding.DER)
        files[f"residence{n}-impostor-signer-TEST.crt.der"] = impostor.public_bytes(
            serialization.Encoding.DER)
    for filename, data in files.items():
        (OUT / filename).write_bytes(data)
        print(f"wrote {OUT / filename} ({len(data)} bytes)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    parser.add_argument("--ber-only", action="store_true",
                        help="re-make only the BER signer certificate from the committed "
                             "signer certificate and CA key")
    parser.add_argument("--forged-only", action="store_true",
                        help="make only the forgers' PKI of the forged personas")
    args = parser.parse_args()
    if args.ber_only:
        return remake_ber_certificate()
    if args.forged_only:
        return make_forged()
    if (OUT / "residence1-ca-TEST.crt.pem").exists() and not args.force:
        print(f"{OUT} already holds the residence TEST PKI; use --force to replace it "
              "(every committed trace and test anchor changes with it)", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}

    ca1_key = rsa.generate_private_key(65537, 2048)
    ca1 = ca_certificate(ca1_key, "TEST ZairyuCard CA")
    signer1_key = rsa.generate_private_key(65537, 2048)
    signer1 = signer_certificate(ca1_key, ca1, signer1_key, "TEST ZairyuCard Signer")
    files["residence1-ca-TEST.key.pem"] = pem_key(ca1_key)
    files["residence1-ca-TEST.crt.pem"] = ca1.public_bytes(serialization.Encoding.PEM)
    files["residence1-signer-TEST.key.pem"] = pem_key(signer1_key)
    files["residence1-signer-TEST.crt.der"] = signer1.public_bytes(serialization.Encoding.DER)

    ca2_key = ec.generate_private_key(ec.SECP384R1())
    ca2 = ca_certificate(ca2_key, "TEST ZairyuCard CA2")
    signer2_key = ec.generate_private_key(ec.SECP384R1())
    signer2 = signer_certificate(ca2_key, ca2, signer2_key, "TEST ZairyuCard Signer2")
    signer2_der = signer2.public_bytes(serialization.Encoding.DER)
    files["residence2-ca-TEST.key.pem"] = pem_key(ca2_key)
    files["residence2-ca-TEST.crt.pem"] = ca2.public_bytes(serialization.Encoding.PEM)
    files["residence2-signer-TEST.key.pem"] = pem_key(signer2_key)
    files["residence2-signer-TEST.crt.der"] = signer2_der
    files["residence2-signer-ber-TEST.crt.der"] = ber_certificate(signer2_der, ca2_key)

    delivery = rsa.generate_private_key(65537, 2048)
    files["specified-delivery-TEST.key.pem"] = pem_key(delivery)
    files["specified-delivery-TEST.pub.bin"] = delivery.public_key().public_numbers().n \
        .to_bytes(256, "big")

    for filename, data in files.items():
        (OUT / filename).write_bytes(data)
        print(f"wrote {OUT / filename} ({len(data)} bytes)")
    return make_forged()


if __name__ == "__main__":
    raise SystemExit(main())
