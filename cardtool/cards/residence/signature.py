"""Check the residence cards' signatures (spec §5) and the signer certificate's chain.

First generation: RSA-2048 PKCS#1 v1.5 SHA-256 over the front image and the photo, each
NUL-padded to its field size (7000 / 3000). Second generation and 特定: ECDSA P-384 SHA-256
over the printed entries (53 bytes), the photo (3000) and the name image (2500); the value
may be raw r‖s or DER (spec §13: accept both).

The outcome is always one of ``valid`` (data signed by the card's certificate, and that
certificate issued by a given trust anchor), ``invalid`` (a check failed: the reason says
which) or ``no-anchor`` (the data matches the card's certificate but nothing ties that
certificate to a trust anchor). Never a silent "ok".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from cardtool.cards.residence import ids
from cardtool.cards.residence.certificate import (
    CardCertificate,
    MalformedCardCertificate,
    issued_by,
    load_certificate_bytes,
)
from cardtool.i18n import pick

P384_COORDINATE = 48


#: The steps of the check, in order (also the names of the authenticity checks).
STEP_CERTIFICATE = "signer-certificate"  # the card's certificate parses
STEP_SIGNATURE = "signature"  # the data verifies with the card certificate's key
STEP_CHAIN = "certificate-chain"  # a trust anchor issued the card's certificate


class SignatureStatus(Enum):
    VALID = "valid"
    INVALID = "invalid"
    NO_ANCHOR = "no-anchor"


@dataclass(frozen=True)
class SignatureCheck:
    status: SignatureStatus
    reason_en: str
    reason_ja: str
    signer: str | None = None  # subject of the card's certificate
    anchor: str | None = None  # subject of the trust anchor that issued it
    #: Which step failed (INVALID): STEP_CERTIFICATE, STEP_SIGNATURE or STEP_CHAIN.
    failed_step: str | None = None
    #: VALID: the trust anchor that issued the card's certificate.
    anchor_certificate: x509.Certificate | None = field(default=None, compare=False,
                                                        repr=False)

    def reason(self, lang: str) -> str:
        return pick((self.reason_en, self.reason_ja), lang)

    def to_json(self) -> dict[str, str | None]:
        return {"status": self.status.value, "reason": self.reason_en, "signer": self.signer,
                "anchor": self.anchor}


def _nul_pad(value: bytes, size: int) -> bytes:
    return value + bytes(max(0, size - len(value)))


def first_gen_signed_data(front_image: bytes, photo: bytes) -> bytes:
    return (_nul_pad(front_image, ids.FIRST_GEN_FRONT_IMAGE_MAX)
            + _nul_pad(photo, ids.FIRST_GEN_PHOTO_MAX))


def printed_entries_signed(entries: tuple[tuple[int, bytes], ...]) -> bytes:
    """The printed-entry values in file order, each NUL-padded to its width, the whole
    NUL-padded to 53 bytes (type 06 cards hold 34)."""
    body = b"".join(_nul_pad(value, ids.SECOND_GEN_ENTRY_WIDTHS.get(tag, len(value)))
                    for tag, value in entries)
    return _nul_pad(body, ids.SECOND_GEN_ENTRIES_SIGNED_LENGTH)


def second_gen_signed_data(entries: tuple[tuple[int, bytes], ...], photo: bytes,
                           name_image: bytes) -> bytes:
    return (printed_entries_signed(entries) + _nul_pad(photo, ids.SECOND_GEN_PHOTO_MAX)
            + _nul_pad(name_image, ids.SECOND_GEN_NAME_IMAGE_MAX))


def ecdsa_der(value: bytes) -> bytes | None:
    """The signature as DER: a DER value (zero padding after it allowed) or raw r‖s."""
    total = 0
    if value[:1] == b"\x30" and len(value) >= 2:
        if value[1] < 0x80:
            total = 2 + value[1]
        elif value[1] == 0x81 and len(value) >= 3:
            total = 3 + value[2]
    if total and total <= len(value) and not any(value[total:]):
        try:
            r, s = decode_dss_signature(value[:total])
        except ValueError:
            pass
        else:
            return encode_dss_signature(r, s)
    if len(value) == 2 * P384_COORDINATE:
        r = int.from_bytes(value[:P384_COORDINATE], "big")
        s = int.from_bytes(value[P384_COORDINATE:], "big")
        if r and s:
            return encode_dss_signature(r, s)
    return None


def _subject(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


def _invalid(en: str, ja: str, signer: str | None = None,
             step: str = STEP_SIGNATURE) -> SignatureCheck:
    return SignatureCheck(SignatureStatus.INVALID, en, ja, signer, failed_step=step)


def _check_data(card: CardCertificate, generation: ids.Generation, value: bytes,
                data: bytes) -> SignatureCheck | None:
    """None when the data signature verifies with the card certificate's key."""
    key = card.certificate.public_key()
    signer = _subject(card.certificate)
    try:
        if generation is ids.Generation.FIRST:
            if not isinstance(key, rsa.RSAPublicKey) or key.key_size != 2048:
                return _invalid("the card's certificate does not hold an RSA-2048 key",
                                "カードの証明書の鍵が RSA-2048 ではありません", signer)
            key.verify(value, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            if not isinstance(key, ec.EllipticCurvePublicKey) or \
                    not isinstance(key.curve, ec.SECP384R1):
                return _invalid("the card's certificate does not hold a P-384 key",
                                "カードの証明書の鍵が P-384 ではありません", signer)
            der = ecdsa_der(value)
            if der is None:
                return _invalid("the signature value is neither raw r||s nor DER",
                                "署名値の形式が不正です(r||s でも DER でもありません)", signer)
            key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return _invalid("the signature does not match the data read from the card "
                        "(altered or damaged data)",
                        "署名がカードから読んだデータと一致しません(改ざんまたは破損)", signer)
    return None


def check_signature(generation: ids.Generation, signature: bytes, certificate: bytes,
                    data: bytes, anchors: list[x509.Certificate]) -> SignatureCheck:
    """Verify ``data`` against the card's signature and certificate, then the certificate
    against ``anchors``."""
    try:
        card = load_certificate_bytes(certificate)
    except MalformedCardCertificate as exc:
        return _invalid(exc.render("en"), exc.render("ja"), step=STEP_CERTIFICATE)
    failure = _check_data(card, generation, signature, data)
    if failure is not None:
        return failure
    signer = _subject(card.certificate)
    if not anchors:
        return SignatureCheck(
            SignatureStatus.NO_ANCHOR,
            "the data matches the card's certificate, but no trust anchor was given "
            "(--trust-anchor FILE), so the certificate itself is not checked",
            "データはカードの証明書と一致しますが、トラストアンカーが指定されていないため"
            "証明書自体は検証していません(--trust-anchor FILE)", signer)
    named = [a for a in anchors if a.subject == card.certificate.issuer]
    for anchor in named:
        if issued_by(card, anchor):
            return SignatureCheck(
                SignatureStatus.VALID,
                f"signed by the card's certificate, issued by trust anchor {_subject(anchor)}",
                f"カードの証明書による署名を確認し、証明書はトラストアンカー {_subject(anchor)} "
                "が発行したものです", signer, _subject(anchor), anchor_certificate=anchor)
    issuer = card.certificate.issuer.rfc4514_string()
    if named:
        return _invalid(f"the card's certificate claims issuer {issuer}, but that trust "
                        "anchor's signature on it does not verify",
                        f"カードの証明書の発行者 {issuer} の署名を検証できません", signer,
                        step=STEP_CHAIN)
    return SignatureCheck(
        SignatureStatus.NO_ANCHOR,
        f"the data matches the card's certificate, but its issuer {issuer} is not among the "
        "given trust anchors",
        f"データはカードの証明書と一致しますが、発行者 {issuer} は指定されたトラストアンカーに"
        "含まれていません", signer)

