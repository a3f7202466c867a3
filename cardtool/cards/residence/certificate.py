"""Load the signer certificates residence cards carry (DF3 ``DB``/``DD``) and the trust
anchors the user gives.

Card certificates may be zero-padded to the field size, BER-encoded (non-minimal lengths,
indefinite lengths) and, for ECDSA, carry explicit NULL parameters in the
AlgorithmIdentifier; ``cryptography`` parses strict DER only (spec §5, A's note). So we
parse BER ourselves and re-encode DER (minimal lengths, NULL dropped after
ecdsa-with-SHA*) for ``cryptography``. The issuer's signature covers the DER encoding of
the to-be-signed part (RFC 5280 §4.1.1.3), so it is checked against the DER re-encoding of
the tbsCertificate as the card holds it (minimal lengths; its values, NULL parameters
included, unchanged), never against BER bytes as stored. Garbage is rejected with a clear
error, never a parser traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from cardtool.errors import EXIT_CARD, BadInputFile, CardtoolError

MAX_DEPTH = 24
_ECDSA_WITH_SHA_PREFIX = bytes.fromhex("2A8648CE3D04")  # OID 1.2.840.10045.4 (ecdsa-with-*)
_NULL = b"\x05\x00"


class MalformedCardCertificate(CardtoolError):
    en = "The signer certificate on the card cannot be read ({detail})."
    ja = "カード内の署名者証明書を読み取れません({detail})。"
    exit_code = EXIT_CARD


class _BerError(Exception):
    def __init__(self, offset: int, detail: str) -> None:
        super().__init__(f"{detail} at offset {offset}")


@dataclass
class Node:
    """One BER object: its identifier bytes, content (primitive) or children, and where it
    sat in the input (``start``..``end``) so the original bytes can be recovered."""

    ident: bytes
    constructed: bool
    start: int
    end: int
    content: bytes = b""
    children: list[Node] = field(default_factory=list)


def _parse(data: bytes, pos: int, stop: int, depth: int) -> tuple[Node, int]:
    if depth > MAX_DEPTH:
        raise _BerError(pos, "nesting too deep")
    start = pos
    if pos >= stop:
        raise _BerError(pos, "expected an object, found the end")
    first = data[pos]
    pos += 1
    if first & 0x1F == 0x1F:
        while True:
            if pos >= stop:
                raise _BerError(pos, "tag is cut off")
            pos += 1
            if not data[pos - 1] & 0x80:
                break
            if pos - start > 4:
                raise _BerError(start, "tag longer than 4 bytes")
    ident = data[start:pos]
    constructed = bool(first & 0x20)
    if pos >= stop:
        raise _BerError(pos, "length is missing")
    lb = data[pos]
    pos += 1
    if lb == 0x80:
        if not constructed:
            raise _BerError(pos - 1, "indefinite length on a primitive object")
        node = Node(ident, True, start, 0)
        while True:
            if pos + 2 <= stop and data[pos] == 0 and data[pos + 1] == 0:
                node.end = pos + 2
                return node, pos + 2
            child, pos = _parse(data, pos, stop, depth + 1)
            node.children.append(child)
    if lb & 0x80:
        n = lb & 0x7F
        if n > 4 or pos + n > stop:
            raise _BerError(pos - 1, "length is cut off or too long")
        length = int.from_bytes(data[pos : pos + n], "big")
        pos += n
    else:
        length = lb
    end = pos + length
    if end > stop:
        raise _BerError(start, f"declares {length} bytes but only {stop - pos} remain")
    node = Node(ident, constructed, start, end)
    if constructed:
        while pos < end:
            child, pos = _parse(data, pos, end, depth + 1)
            node.children.append(child)
    else:
        node.content = data[pos:end]
    return node, end


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def _is_ecdsa_algorithm(node: Node) -> bool:
    if node.ident != b"\x30" or not node.children:
        return False
    oid = node.children[0]
    return oid.ident == b"\x06" and oid.content.startswith(_ECDSA_WITH_SHA_PREFIX)


def to_der(node: Node, *, drop_ecdsa_null: bool = True) -> bytes:
    """DER re-encoding: minimal definite lengths; optionally drop NULL parameters after an
    ecdsa-with-SHA* OID (RFC 5758 says absent)."""
    if not node.constructed:
        return node.ident + _der_length(len(node.content)) + node.content
    children = node.children
    if drop_ecdsa_null and _is_ecdsa_algorithm(node) and len(children) == 2 and \
            to_der(children[1]) == _NULL:
        children = children[:1]
    body = b"".join(to_der(c, drop_ecdsa_null=drop_ecdsa_null) for c in children)
    return node.ident + _der_length(len(body)) + body


def parse_ber(data: bytes) -> tuple[Node, int]:
    """The first object and the offset after it; raises ``_BerError``."""
    return _parse(data, 0, len(data), 0)


@dataclass(frozen=True)
class CardCertificate:
    certificate: x509.Certificate
    #: What the issuer signed: the DER re-encoding of the tbsCertificate as stored (values
    #: kept, NULL parameters included); equal to the stored bytes for a DER certificate.
    tbs_der: bytes
    signature: bytes
    normalized: bool  # False when the input was already exact DER (padding aside)
    padding: int  # zero bytes after the certificate


def load_certificate_bytes(raw: bytes) -> CardCertificate:
    """Parse a certificate field from a card (or an anchor file in DER). Raises
    ``MalformedCardCertificate`` with a short reason for anything that is not one."""
    if not raw:
        raise MalformedCardCertificate(detail="the field is empty")
    try:
        root, end = parse_ber(raw)
    except _BerError as exc:
        raise MalformedCardCertificate(detail=f"not an ASN.1 certificate: {exc}") from None
    trailer = raw[end:]
    if any(trailer):
        raise MalformedCardCertificate(
            detail=f"{len(trailer)} bytes after the certificate are not zero padding")
    if root.ident != b"\x30" or len(root.children) != 3 or root.children[0].ident != b"\x30":
        raise MalformedCardCertificate(detail="not an X.509 certificate structure")
    tbs, _alg, signature_node = root.children
    if signature_node.ident != b"\x03" or signature_node.constructed or \
            not signature_node.content or signature_node.content[0] != 0:
        raise MalformedCardCertificate(detail="the signature is not a BIT STRING")
    der = to_der(root)
    try:
        cert = x509.load_der_x509_certificate(der)
        cert.public_key()  # parse the key now: a bad key is a bad certificate
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise MalformedCardCertificate(detail=f"not a valid X.509 certificate: {exc}") from None
    return CardCertificate(cert, to_der(tbs, drop_ecdsa_null=False), signature_node.content[1:],
                           normalized=der != raw[:end], padding=len(trailer))


def load_anchor_file(path: str | Path) -> x509.Certificate:
    """A trust-anchor certificate from a PEM or DER file (BER/padding tolerated)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise BadInputFile(path=str(p), detail=exc.strerror or "cannot be read") from None
    if b"-----BEGIN CERTIFICATE-----" in data:
        try:
            return x509.load_pem_x509_certificate(data)
        except ValueError:
            raise BadInputFile(path=str(p), detail="not a PEM certificate") from None
    try:
        return load_certificate_bytes(data).certificate
    except MalformedCardCertificate as exc:
        raise BadInputFile(path=str(p),
                           detail=f"not a certificate ({exc.params['detail']})") from None


def issued_by(card: CardCertificate, issuer: x509.Certificate) -> bool:
    """Whether ``issuer``'s key signed ``card``: its signature over the DER-encoded
    tbsCertificate (RFC 5280 §4.1.1.3)."""
    key = issuer.public_key()
    hash_algorithm = card.certificate.signature_hash_algorithm
    if not isinstance(hash_algorithm, hashes.SHA256 | hashes.SHA384 | hashes.SHA512):
        return False
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(card.signature, card.tbs_der, padding.PKCS1v15(), hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(card.signature, card.tbs_der, ec.ECDSA(hash_algorithm))
        else:
            return False
    except InvalidSignature:
        return False
    return True
