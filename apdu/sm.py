"""Secure-messaging building blocks (ISO/IEC 7816-4 §10) for cards that encrypt data
objects with a block cipher in CBC mode: padding, the encrypted-data object ``86`` with
padding indicator ``01``, and the expected-length object ``96``.

Card-agnostic: the cipher (key, algorithm, IV policy) is passed in, so the apdu layer knows
no card. Every parse is strict and raises ``MalformedData`` naming the offset; a torn,
padded-wrong or foreign response never turns into an IndexError or silently short data.
"""

from __future__ import annotations

from typing import Protocol

from apdu import tlv
from apdu.errors import MalformedData

TAG_ENCRYPTED = 0x86  # padding-content indicator byte followed by a cryptogram
TAG_EXPECTED_LENGTH = 0x96  # Le inside secure messaging
PADDING_INDICATOR_ISO = 0x01  # ISO/IEC 7816-4 padding (80 00 …)
PAD_START = 0x80


class CbcCipher(Protocol):
    """A block cipher in CBC mode with a fixed IV policy, on whole blocks (no padding)."""

    @property
    def block_size(self) -> int: ...

    def encrypt(self, data: bytes) -> bytes: ...

    def decrypt(self, data: bytes) -> bytes: ...


def pad(data: bytes, block_size: int) -> bytes:
    """ISO/IEC 7816-4 padding: ``80`` then ``00`` up to the next block boundary (always at
    least one byte, so a full block is added to block-aligned data)."""
    if block_size <= 0:
        raise ValueError("block size must be positive")
    fill = -(len(data) + 1) % block_size
    return data + bytes((PAD_START,)) + bytes(fill)


def unpad(data: bytes, block_size: int, what: str = "secure-messaging plaintext") -> bytes:
    """Remove ISO/IEC 7816-4 padding strictly: the data is whole blocks and ends with ``80``
    followed by at most ``block_size - 1`` zero bytes."""
    if not data or len(data) % block_size:
        raise MalformedData(what, len(data),
                            f"{len(data)} bytes is not a positive multiple of {block_size}")
    pos = len(data) - 1
    limit = len(data) - block_size
    while pos >= limit and data[pos] == 0x00:
        pos -= 1
    if pos < limit or data[pos] != PAD_START:
        raise MalformedData(what, max(pos, 0), "padding is not 80 followed by 00 bytes")
    return data[:pos]


def encrypted_data_object(cipher: CbcCipher, plaintext: bytes) -> bytes:
    """``86 L 01 <cryptogram>``: ``plaintext`` padded and encrypted."""
    cryptogram = cipher.encrypt(pad(plaintext, cipher.block_size))
    return tlv.build(TAG_ENCRYPTED, bytes((PADDING_INDICATOR_ISO,)) + cryptogram)


def expected_length_object(length: int) -> bytes:
    """``96 02 hi lo``: how many plaintext bytes to return; 0 means the whole file."""
    if not 0 <= length <= 0xFFFF:
        raise ValueError(f"expected length {length} does not fit two bytes")
    return tlv.build(TAG_EXPECTED_LENGTH, length.to_bytes(2, "big"))


def protect(cipher: CbcCipher, data: bytes, expected: int | None) -> bytes:
    """The SM data field of a command: ``86`` (the data, encrypted) when there is data, then
    ``96`` (the expected length) when a response is expected."""
    out = encrypted_data_object(cipher, data) if data else b""
    if expected is not None:
        out += expected_length_object(expected)
    return out


def split_objects(data: bytes, allowed: frozenset[int], what: str = "SM data") -> dict[int, bytes]:
    """Tag -> value of a sequence of SM data objects: only ``allowed`` tags, each once, and
    nothing else (no padding, no trailing bytes)."""
    out: dict[int, bytes] = {}
    pos = 0
    while pos < len(data):
        item = tlv.parse_one(data, pos, what=what)
        if item.tag not in allowed:
            raise MalformedData(what, pos, f"unexpected tag {item.tag:X}")
        if item.tag in out:
            raise MalformedData(what, pos, f"tag {item.tag:X} appears twice")
        out[item.tag] = item.value
        pos = item.end
    return out


def parse_expected_length(data: bytes, what: str = "SM command data") -> int:
    """The inverse of ``expected_length_object``; the whole data must be that one object."""
    item = tlv.parse_one(data, what=what)
    if item.tag != TAG_EXPECTED_LENGTH or item.end != len(data):
        raise MalformedData(what, 0, "expected exactly one 96 (expected length) object")
    if len(item.value) not in (1, 2):
        raise MalformedData(what, item.header_length, "96 must hold 1 or 2 bytes")
    return int.from_bytes(item.value, "big")


def cryptogram_of(data: bytes, block_size: int, what: str = "SM data") -> bytes:
    """The cryptogram inside exactly one ``86`` object (indicator ``01``), checked for
    whole blocks. Trailing bytes, other objects or another indicator are malformed."""
    if not data:
        raise MalformedData(what, 0, "no data: expected an 86 (encrypted data) object")
    item = tlv.parse_one(data, what=what)
    if item.tag != TAG_ENCRYPTED:
        raise MalformedData(what, 0, f"expected tag 86 (encrypted data), found {item.tag:X}")
    if item.end != len(data):
        raise MalformedData(what, item.end,
                            f"{len(data) - item.end} unexpected bytes after the 86 object")
    value = item.value
    start = item.offset + item.header_length
    if not value or value[0] != PADDING_INDICATOR_ISO:
        found = f"{value[0]:02X}" if value else "nothing"
        raise MalformedData(what, start, f"padding indicator must be 01, found {found}")
    cryptogram = value[1:]
    if not cryptogram or len(cryptogram) % block_size:
        raise MalformedData(what, start + 1, f"cryptogram of {len(cryptogram)} bytes is not "
                                             f"a positive multiple of {block_size}")
    return cryptogram


def decrypt_data_object(cipher: CbcCipher, data: bytes, what: str = "SM response") -> bytes:
    """Plaintext of a response that is exactly one ``86`` object: decrypt, then unpad."""
    cryptogram = cryptogram_of(data, cipher.block_size, what)
    return unpad(cipher.decrypt(cryptogram), cipher.block_size, f"{what} plaintext")
