"""JPKI certificates and signatures (``cardtool cert``, ``cardtool sign``, and the signing
certificate of ``cardtool read --sign-cert``).

The signing certificate and both signatures need a secret: it is asked through the live
guard (format first, tries read without using one, refused with one try left unless forced).
"""

from __future__ import annotations

from apdu.transport import Transport
from cardtool.cards.certificate import CertificateInfo, parse_certificate
from cardtool.cards.mynumber import ids
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.cards.mynumber.jpki import (
    CERT_LABELS,
    CertKind,
    NoSigningCertificate,
    compute_signature,
    digest_info_sha256,
    has_signing_certificate,
    read_certificate,
)
from cardtool.policy.guard import AskSecret, KeyStatus, PinGuard
from cardtool.policy.table import SECRETS
from cardtool.services.pins import open_mynumber_card

#: What ``cardtool cert KIND`` accepts: the JPKI certificates, and "ca" for the
#: authentication CA.
CERTIFICATE_CHOICES: tuple[str, ...] = (*(k.value for k in CertKind), "ca")
#: ``cardtool sign --key NAME``: the secret that unlocks the key, and the key's EF.
SIGNING_KEYS: dict[str, tuple[str, int]] = {"auth": ("auth", ids.JpkiEF.AUTH_KEY),
                                            "sign": ("sign", ids.JpkiEF.SIGN_KEY)}


def read_signing_certificate(card: MyNumberCard, guard: PinGuard, status: KeyStatus,
                             ask: AskSecret, *, present: bool | None
                             ) -> tuple[KeyStatus, bytes]:
    """The signing certificate's bytes, after the signing password (``present`` False: the
    card has none, said before any password is asked). Returns the password's status after
    the check, and the bytes, for the caller to parse: `cert` shows the certificate or
    nothing, a read shows one that a redacted trace masked as masked."""
    if present is False:
        raise NoSigningCertificate()
    after = guard.ask_and_verify(status, ask)
    return after, read_certificate(card, CertKind.SIGN)


def read_jpki_certificate(transport: Transport, kind: str, ask: AskSecret, *,
                          force: bool = False) -> CertificateInfo:
    """One certificate by its ``CERTIFICATE_CHOICES`` name ("ca": the authentication CA)."""
    which = CertKind.AUTH_CA if kind == "ca" else CertKind(kind)
    card, _ = open_mynumber_card(transport)
    if which is CertKind.SIGN:
        s = SECRETS["sign"]
        guard = PinGuard(card, force=force)
        _, der = read_signing_certificate(card, guard, guard.status(s, s.keys[0]), ask,
                                          present=has_signing_certificate(card))
        return parse_certificate(der, *CERT_LABELS[CertKind.SIGN])
    label_en, label_ja = CERT_LABELS[which]
    return parse_certificate(read_certificate(card, which), label_en, label_ja)


def sign_message(transport: Transport, key_name: str, message: bytes, ask: AskSecret, *,
                 force: bool = False) -> bytes:
    """RSA PKCS#1 v1.5 over SHA-256 of ``message`` with the auth or signing key."""
    secret_name, key_ef = SIGNING_KEYS[key_name]
    s = SECRETS[secret_name]
    card, _ = open_mynumber_card(transport)
    guard = PinGuard(card, force=force)
    guard.ask_and_verify(guard.status(s, s.keys[0]), ask)
    return compute_signature(card, key_ef, digest_info_sha256(message))


__all__ = ["CERTIFICATE_CHOICES", "SIGNING_KEYS", "CertificateInfo", "read_jpki_certificate",
           "read_signing_certificate", "sign_message"]
