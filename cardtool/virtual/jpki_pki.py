"""The virtual My Number card's TEST certificates, made from the committed TEST keys in
cardtool/virtual/pki/ so that they follow the persona's (relative) dates. Deterministic: the same
persona on the same day gives byte-identical certificates (RSA PKCS#1 v1.5 signatures are
deterministic), so OpenSC and cardtool see the same DER.

Also the TEST card-verifiable (CV) hierarchy of the 券面 applications (spec §2.5): one TEST CA
per application and the municipality key it certifies in EF 0004, from
cardtool/virtual/pki/mynumber-cv-TEST.json (made by scripts/make_mynumber_cv_pki.py).

Shapes follow shared/spec/mynumber-card.md §4: the authentication certificate carries no
personal data (subject C=JP, CN=<opaque id>); the signing certificate carries name, sex,
birth date and address in the JPKI otherName OIDs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from apdu import tlv
from cardtool.cards.mynumber import records
from cardtool.era import era_of
from cardtool.install import REINSTALL_HINT
from cardtool.material import test_pki_file
from cardtool.virtual.persona import Persona, PersonaError

POOL_SIZE = 16
CA_NOT_BEFORE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
CA_NOT_AFTER = dt.datetime(2044, 12, 31, 14, 59, 59, tzinfo=dt.UTC)

OID_NAME = ObjectIdentifier("1.2.392.200149.8.5.5.1")
OID_NAME_SUBST = ObjectIdentifier("1.2.392.200149.8.5.5.2")
OID_SEX = ObjectIdentifier("1.2.392.200149.8.5.5.3")
OID_BIRTH = ObjectIdentifier("1.2.392.200149.8.5.5.4")
OID_ADDRESS = ObjectIdentifier("1.2.392.200149.8.5.5.5")
OID_ADDRESS_SUBST = ObjectIdentifier("1.2.392.200149.8.5.5.6")
AUTH_POLICY = ObjectIdentifier("1.2.392.200149.8.5.1.3.30")
SIGN_POLICY = ObjectIdentifier("1.2.392.200149.8.5.1.1.10")
SEX_CODE = {"male": "1", "female": "2", "unknown": "9"}


@cache
def load_key(name: str) -> rsa.RSAPrivateKey:
    path = test_pki_file(name)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise PersonaError(path=str(path), detail="TEST key missing: " + REINSTALL_HINT
                           ) from None
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def ca_key(which: str) -> rsa.RSAPrivateKey:
    return load_key(f"jpki-test-{which}-ca.key.pem")


def _ca_name(which: str) -> x509.Name:
    unit = ("JPKI for user authentication (TEST)" if which == "auth"
            else "JPKI for digital signature (TEST)")
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI-TEST"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME,
                           "Japan Agency for Local Authority Information Systems (TEST)"),
    ])


@cache
def ca_certificate(which: str) -> x509.Certificate:
    key = ca_key(which)
    name = _ca_name(which)
    return (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1 if which == "auth" else 2)
            .not_valid_before(CA_NOT_BEFORE).not_valid_after(CA_NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))


def card_key(persona: Persona, which: str) -> rsa.RSAPrivateKey:
    """A key from the TEST pool, chosen by a stable hash of the persona and its purpose."""
    index = int.from_bytes(hashlib.sha256(f"{persona.id}/{which}".encode()).digest()[:4],
                           "big") % POOL_SIZE
    return load_key(f"card-keys/test-card-key-{index:02d}.pem")


def opaque_id(persona: Persona, which: str) -> str:
    """A 23-character opaque subject id like the real certificates carry."""
    digest = hashlib.sha256(f"subject/{persona.id}/{which}".encode()).hexdigest().upper()
    return digest[:23]


def _validity(persona: Persona) -> tuple[dt.datetime, dt.datetime]:
    expiry = persona.certificate_expiry or persona.card_expiry
    # 23:59:59 JST on the expiry day = 14:59:59 UTC, as the real certificates do.
    not_after = dt.datetime(expiry.year, expiry.month, expiry.day, 14, 59, 59, tzinfo=dt.UTC)
    start = expiry.replace(year=expiry.year - 5) if not (expiry.month == 2 and expiry.day == 29) \
        else expiry.replace(year=expiry.year - 5, day=28)
    not_before = dt.datetime(start.year, start.month, start.day, 0, 0, 0, tzinfo=dt.UTC)
    return not_before, not_after


def _serial(persona: Persona, which: str) -> int:
    return int.from_bytes(hashlib.sha256(f"serial/{persona.id}/{which}".encode()).digest()[:8],
                          "big") >> 1


def _other_name(oid: ObjectIdentifier, text: str, printable: bool = False) -> x509.OtherName:
    raw = text.encode("utf-8")
    tag = 0x13 if printable else 0x0C  # PrintableString / UTF8String
    length = bytes((len(raw),)) if len(raw) < 0x80 else (
        b"\x81" + bytes((len(raw),)) if len(raw) <= 0xFF else b"\x82" + len(raw).to_bytes(2, "big"))
    return x509.OtherName(oid, bytes((tag,)) + length + raw)


def _common(builder: x509.CertificateBuilder, which: str, key: rsa.RSAPrivateKey
            ) -> x509.CertificateBuilder:
    ca = ca_key(which)
    return (builder
            .issuer_name(_ca_name(which))
            .public_key(key.public_key())
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
                x509.oid.AuthorityInformationAccessOID.OCSP,
                x509.UniformResourceIdentifier("http://ocsp.jpki-test.invalid/"))]),
                critical=False)
            .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                [x509.UniformResourceIdentifier(f"http://crl.jpki-test.invalid/{which}.crl")],
                None, None, None)]), critical=False))


def auth_certificate(persona: Persona) -> bytes:
    key = card_key(persona, "auth")
    not_before, not_after = _validity(persona)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([
                   x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                   x509.NameAttribute(NameOID.COMMON_NAME, opaque_id(persona, "auth"))]))
               .serial_number(_serial(persona, "auth"))
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.KeyUsage(True, False, False, False, False, False, False,
                                            False, False), critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                              critical=False)
               .add_extension(x509.CertificatePolicies([x509.PolicyInformation(
                   AUTH_POLICY, None)]), critical=True))
    cert = _common(builder, "auth", key).sign(ca_key("auth"), hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.DER)


def sign_certificate(persona: Persona) -> bytes:
    key = card_key(persona, "sign")
    not_before, not_after = _validity(persona)
    birth = persona.birth_date
    era_code = era_of(birth).code
    san = x509.SubjectAlternativeName([
        _other_name(OID_NAME, persona.name),
        _other_name(OID_NAME_SUBST, ""),
        _other_name(OID_SEX, SEX_CODE.get(persona.sex, "9"), printable=True),
        _other_name(OID_BIRTH, f"{era_code}{birth:%Y%m%d}", printable=True),
        _other_name(OID_ADDRESS, persona.address),
        _other_name(OID_ADDRESS_SUBST, ""),
    ])
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([
                   x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                   x509.NameAttribute(NameOID.LOCALITY_NAME, "Test-shi"),
                   x509.NameAttribute(NameOID.COMMON_NAME, opaque_id(persona, "sign"))]))
               .serial_number(_serial(persona, "sign"))
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.KeyUsage(True, True, False, False, False, False, False,
                                            False, False), critical=True)
               .add_extension(san, critical=False)
               .add_extension(x509.CertificatePolicies([x509.PolicyInformation(
                   SIGN_POLICY, None)]), critical=True))
    cert = _common(builder, "sign", key).sign(ca_key("sign"), hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.DER)


def ca_der(which: str) -> bytes:
    return ca_certificate(which).public_bytes(serialization.Encoding.DER)


# -- the TEST CV hierarchy of the 券面 applications (spec §2.5) -------------------------

CV_HIERARCHY_FILE = "mynumber-cv-TEST.json"


@dataclass(frozen=True)
class CvKey:
    """One key of the TEST CV hierarchy: a CA key or a municipality key."""

    key_id: bytes
    role: str  # "ca" | "municipality"
    ap: str  # "text" | "visual"
    issuer_key_id: bytes | None
    private_key_file: str

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        return load_key(self.private_key_file)


@cache
def cv_keys() -> tuple[CvKey, ...]:
    path = test_pki_file(CV_HIERARCHY_FILE)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PersonaError(path=str(path),
                           detail="TEST CV keys missing: " + REINSTALL_HINT
                           ) from None
    keys = []
    for entry in document["keys"]:
        issuer = entry.get("issuer_key_id_hex")
        keys.append(CvKey(bytes.fromhex(entry["key_id_hex"]), entry["role"], entry["ap"],
                          bytes.fromhex(issuer) if issuer else None, entry["private_key_file"]))
    return tuple(keys)


def cv_key(ap: str, role: str) -> CvKey:
    for key in cv_keys():
        if (key.ap, key.role) == (ap, role):
            return key
    raise PersonaError(path=CV_HIERARCHY_FILE, detail=f"no TEST {role} key for the {ap} AP")


def card_public_key(key: rsa.RSAPublicKey) -> bytes:
    """The card's own public-key encoding: ``90 03 010001 91 82 0100 <modulus>`` (265 B)."""
    numbers = key.public_numbers()
    return (tlv.build(records.RSA_EXPONENT_TAG, numbers.e.to_bytes(3, "big"))
            + tlv.build(records.RSA_MODULUS_TAG,
                        numbers.n.to_bytes(records.RSA_MODULUS_LENGTH, "big")))


@cache
def cv_certificate(ap: str, claimed_issuer: bytes | None = None) -> bytes:
    """EF 0004 of the ``ap`` application: ``7F21 { 5F4E <issuer id ‖ subject id ‖ municipality
    key>, 5F37 <the CA's PKCS#1 v1.5 SHA-256 signature over that 297-byte body> }``.

    ``claimed_issuer``: a forgery's issuer key id (still signed by our TEST CA)."""
    ca, municipality = cv_key(ap, "ca"), cv_key(ap, "municipality")
    assert municipality.issuer_key_id == ca.key_id
    body = ((claimed_issuer or ca.key_id) + municipality.key_id
            + card_public_key(municipality.private_key.public_key()))
    signature = ca.private_key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return tlv.build(records.CvTag.CERTIFICATE, tlv.build(records.CvTag.BODY, body)
                     + tlv.build(records.CvTag.SIGNATURE, signature))


def chip_key(persona: Persona) -> rsa.RSAPrivateKey:
    """The per-card key of the 券面 applications (DF12/DF24/DF42/DF51; the chip challenge)."""
    return card_key(persona, "chip")
