"""X.509 certificates read from cards, parsed with ``cryptography``; times in JST.

A truncated or non-DER certificate is a ``MalformedCertificate`` (one clear line), never a
ValueError from deep inside a parser. One that a replay of a redacted trace gave back (the
trace kept its TLV headers and masked every value: ``cardtool.redaction``) is a
``RedactedCertificate``: the trace's doing, not the card's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apdu import tlv
from apdu.errors import MalformedData
from apdu.trace import REDACTED_FILL
from cardtool.errors import EXIT_BAD_INPUT, EXIT_CARD, CardtoolError
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


class RedactedCertificate(CardtoolError):
    en = "The {what} in this trace was redacted when the trace was recorded, so it cannot be shown (a trace recorded with --no-redact can)."
    ja = "このトレースの{what_ja}は記録時に秘匿化されているため表示できません(--no-redact で記録したトレースなら可能)。"
    exit_code = EXIT_BAD_INPUT

    def __init__(self, what: str, what_ja: str) -> None:
        super().__init__(what=what, what_ja=what_ja)


#: The mask a masked certificate shows for its text fields (``apdu.trace.is_redacted_fill``).
MASK = "*" * 8


@dataclass(frozen=True)
class MaskedCertificate:
    """A certificate whose every value a redacted trace masked: it says so, and shows no
    date, serial or fingerprint (the replay has none to show)."""

    der: bytes
    subject: str = MASK
    issuer: str = MASK

    def to_json(self, today: dt.date) -> dict[str, object]:
        return {"subject": self.subject, "issuer": self.issuer, "serial": None, "not_before": None,
                "not_after": None, "days_left": None, "sha256": None, "redacted": True}


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


_FILL_BYTE = bytes.fromhex(REDACTED_FILL)[0]


def _values(data: bytes) -> list[bytes]:
    """The primitive values of DER ``data``; from where it stops parsing as TLVs (a trace
    chunk redacted header and all), the rest counts as one value."""
    out: list[bytes] = []
    pos = 0
    try:
        for obj in tlv.iter_tlv(data, what="certificate"):
            out += _values(obj.value) if obj.constructed else [obj.value]
            pos = obj.end
    except MalformedData:
        out.append(data[pos:])
    return out


def is_redacted_der(der: bytes) -> bool:
    """What a replay of a redacted trace gives for a certificate: a SEQUENCE whose every
    value byte is the replay's fill, only TLV headers left, the fill at least half of it
    (a card never sends that: a certificate has a modulus and a signature of random-looking
    bytes)."""
    values = [v for v in _values(der) if v]
    return (der[:1] == b"\x30" and bool(values)
            and all(set(v) == {_FILL_BYTE} for v in values)
            and 2 * sum(map(len, values)) >= len(der))


def parse_certificate(der: bytes, what: str = "certificate", what_ja: str = "証明書"
                      ) -> CertificateInfo:
    """``der`` as a certificate; ``RedactedCertificate`` when a redacted trace masked it,
    ``MalformedCertificate`` when it is not one."""
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
        if is_redacted_der(body):
            raise RedactedCertificate(what, what_ja) from None
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


def certificate_or_mask(der: bytes, what: str = "certificate", what_ja: str = "証明書"
                        ) -> CertificateInfo | MaskedCertificate:
    """``der`` as ``parse_certificate`` gives it, or masked when a redacted trace masked it:
    for a read that goes on and shows it masked, as it shows a masked text or card face."""
    try:
        return parse_certificate(der, what, what_ja)
    except RedactedCertificate:
        return MaskedCertificate(der)


def is_test_certificate(info: CertificateInfo) -> bool:
    """Test cards (and our virtual cards) carry TEST in the issuer."""
    return "TEST" in info.issuer.upper()
