"""公的個人認証AP (JPKI): token info, certificates, PIN-protected signing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum

from apdu.command import CommandApdu
from apdu.errors import ApduError
from apdu.sw import SW
from cardtool.cards.mynumber import ids
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.errors import EXIT_CARD, EXIT_PIN, CardtoolError

CERT_HEADER_BYTES = 4  # 30 82 LL LL: the certificate's size (OpenSC and others do the same)
MAX_CERT_SIZE = 0x1000

# DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1); the card adds the PKCS#1 padding.
SHA256_DIGEST_INFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


class CertKind(Enum):
    AUTH = "auth"
    AUTH_CA = "auth-ca"
    SIGN = "sign"
    SIGN_CA = "sign-ca"


CERT_EF: dict[CertKind, int] = {
    CertKind.AUTH: ids.JpkiEF.AUTH_CERT,
    CertKind.AUTH_CA: ids.JpkiEF.AUTH_CA_CERT,
    CertKind.SIGN: ids.JpkiEF.SIGN_CERT,
    CertKind.SIGN_CA: ids.JpkiEF.SIGN_CA_CERT,
}
CERT_LABELS: dict[CertKind, tuple[str, str]] = {
    CertKind.AUTH: ("user-authentication certificate", "利用者証明用電子証明書"),
    CertKind.AUTH_CA: ("user-authentication CA certificate", "利用者証明用CA証明書"),
    CertKind.SIGN: ("signing certificate", "署名用電子証明書"),
    CertKind.SIGN_CA: ("signing CA certificate", "署名用CA証明書"),
}


class SigningCertificateLocked(CardtoolError):
    en = "The signing certificate can only be read after the signing password. Use --sign-cert and enter it."
    ja = "署名用電子証明書は署名用パスワードの入力後にのみ読めます。--sign-cert を指定して入力してください。"
    exit_code = EXIT_PIN


class NoSigningCertificate(CardtoolError):
    en = "This card has no signing certificate (cards of people under 15 have none)."
    ja = "このカードには署名用電子証明書がありません(15歳未満のカードにはありません)。"
    exit_code = EXIT_CARD


@dataclass(frozen=True)
class TokenInfo:
    label: str

    @property
    def is_card(self) -> bool:
        return self.label == ids.TOKEN_MYNUMBER_CARD


def read_token_info(card: MyNumberCard) -> TokenInfo:
    raw = card.read(ids.JPKI_AID, ids.JpkiEF.TOKEN_INFO, ids.TOKEN_LABEL_LENGTH)
    label = raw[: ids.TOKEN_LABEL_LENGTH].decode("ascii", "replace").strip(" \x00")
    return TokenInfo(label)


def has_signing_certificate(card: MyNumberCard) -> bool | None:
    """From EF 0008 (first byte 8F = present); None if the card has no such EF."""
    try:
        flags = card.read(ids.JPKI_AID, ids.JpkiEF.CERT_FLAGS, 3)
    except ApduError as exc:
        if exc.sw in (SW.FILE_NOT_FOUND, SW.SECURITY_STATUS_NOT_SATISFIED):
            return None
        raise
    return bool(flags) and flags[0] == ids.CERT_FLAG_PRESENT


def read_certificate(card: MyNumberCard, kind: CertKind) -> bytes:
    """The DER of a certificate: 4-byte header read, then one read of exactly the rest."""
    try:
        return card.read_object(ids.JPKI_AID, CERT_EF[kind], header_bytes=CERT_HEADER_BYTES,
                                what=CERT_LABELS[kind][0], max_size=MAX_CERT_SIZE)
    except ApduError as exc:
        if kind is CertKind.SIGN and exc.sw == SW.SECURITY_STATUS_NOT_SATISFIED:
            raise SigningCertificateLocked() from None
        raise


def digest_info_sha256(message: bytes) -> bytes:
    return SHA256_DIGEST_INFO_PREFIX + hashlib.sha256(message).digest()


def compute_signature(card: MyNumberCard, key_ef: int, digest_info: bytes) -> bytes:
    """COMPUTE DIGITAL SIGNATURE with the private key in ``key_ef`` (its PIN verified
    before, by the guard): PKCS#1 v1.5 over ``digest_info``."""
    card.select_key_ef(ids.JPKI_AID, key_ef)
    return card.session.send(CommandApdu(ids.SIGN_CLA, ids.SIGN_INS, ids.SIGN_P1, ids.SIGN_P2,
                                          digest_info, le=256))
