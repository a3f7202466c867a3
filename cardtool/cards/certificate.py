"""X.509 certificates read from cards, parsed with ``cryptography``; times in JST.

A truncated or non-DER certificate is a ``MalformedCertificate`` (one clear line), never a
ValueError from deep inside a parser.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apdu import tlv
from apdu.errors import MalformedData
from cardtool.errors import EXIT_CARD, CardtoolError
from cardtool.jst import days_left, to_jst

if TYPE_CHECKING:
    # cryptography is imported where it is used: a read starts importing it on a second
    # thread while the card talks (cardtool.import_ahead) and waits for it before the first use.
    from cryptography import x509


class MalformedCertificate(CardtoolError):
    en = "The {what} read from the card is not a valid certificate ({detail}). Try again; if it persists the card data is damaged."
    ja = "カードから読んだ{what_ja}が正しい証明書ではありません({detail})。再実行しても同じ場合はカードのデータが壊れています。"
    exit_code = EXIT_CARD

    def __init__(self, what: str, what_ja: str, detail: str) -> None:
        super().__init__(what=what, what_ja=what_ja, detail=detail)


@dataclass(frozen=True)
class CertificateInfo:
    der: bytes
    subject: str
    issuer: str
    serial: int
    not_before: dt.datetime  # JST
    not_after: dt.datetime  # JST
    sha256: str

    def days_left(self, today: dt.date) -> int:
        return days_left(self.not_after.date(), today)

    @property
    def pem(self) -> bytes:
        # (Imported here: the serialization module brings the SSH key and cipher code,
        # which only `cardtool cert --pem` needs.)
        from cryptography.hazmat.primitives import serialization

        return load_der(self.der).public_bytes(serialization.Encoding.PEM)

    def to_json(self, today: dt.date) -> dict[str, object]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": f"{self.serial:X}",
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "days_left": self.days_left(today),
            "sha256": self.sha256,
        }


def name_text(name: x509.Name) -> str:
    """A distinguished name in the order it is written in the certificate (C=JP, O=...),
    which is how Japanese documentation shows JPKI names."""
    return ", ".join(f"{attr.rfc4514_attribute_name}={attr.value!s}" for attr in name)


def load_der(der: bytes) -> x509.Certificate:
    from cryptography import x509

    return x509.load_der_x509_certificate(der)


def der_length(der: bytes) -> int:
    """Length of the outer DER object, so padding after it can be cut off."""
    _tag, length, value_offset = tlv.read_header(der, what="certificate")
    return value_offset + length


def parse_certificate(der: bytes, what: str = "certificate", what_ja: str = "証明書"
                      ) -> CertificateInfo:
    try:
        total = der_length(der)
    except MalformedData as exc:
        raise MalformedCertificate(what, what_ja, exc.params["detail"]) from None
    if total > len(der):
        raise MalformedCertificate(what, what_ja,
                                   f"truncated: {len(der)} of {total} bytes")
    body = der[:total]
    try:
        cert = load_der(body)
        not_before = cert.not_valid_before_utc
        not_after = cert.not_valid_after_utc
        subject = name_text(cert.subject)
        issuer = name_text(cert.issuer)
        serial = cert.serial_number
    except ValueError as exc:
        raise MalformedCertificate(what, what_ja, f"not DER: {exc}") from None
    return CertificateInfo(
        der=body,
        subject=subject,
        issuer=issuer,
        serial=serial,
        not_before=to_jst(not_before),
        not_after=to_jst(not_after),
        sha256=hashlib.sha256(body).hexdigest(),
    )


def is_test_certificate(info: CertificateInfo) -> bool:
    """Test cards (and our virtual cards) carry TEST in the issuer."""
    return "TEST" in info.issuer.upper()
