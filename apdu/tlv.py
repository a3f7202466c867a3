"""BER-TLV (ISO/IEC 7816-4 §5.2 / X.690 subset) as smart cards use it.

Tags of 1 to 3 bytes, lengths ``00-7F``, ``81 xx``, ``82 xx xx``, ``83 xx xx xx``. Every read
is bounds-checked; a malformed input raises ``MalformedData`` naming the offset, never an
IndexError. Trailing ``00``/``FF`` padding after the last object is tolerated (cards pad
fixed-size files), because both bytes cannot start a meaningful object at the end of a file.

Some cards (the residence cards' ``DFD1``) write two-byte tags whose second byte has bit 8
set, which strict BER reads as "more tag bytes follow". ``TagRule.TWO_BYTE`` reads such a
tag as exactly two bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum

from apdu.errors import MalformedData

MAX_LENGTH = 0xFFFFFF


class TagRule(Enum):
    BER = "ber"  # continuation bytes while bit 8 is set, up to 3 tag bytes in all
    TWO_BYTE = "two-byte"  # a multi-byte tag is always exactly 2 bytes (ISA residence cards)


@dataclass(frozen=True)
class Tlv:
    tag: int
    value: bytes
    offset: int = 0  # where the tag starts in the parsed buffer
    header_length: int = 0

    @property
    def constructed(self) -> bool:
        first = self.tag
        while first > 0xFF:
            first >>= 8
        return bool(first & 0x20)

    @property
    def end(self) -> int:
        return self.offset + self.header_length + len(self.value)

    def children(self, rule: TagRule = TagRule.BER) -> list[Tlv]:
        """The objects inside this one's value (offsets stay relative to the outer buffer)."""
        start = self.offset + self.header_length
        return [
            Tlv(c.tag, c.value, c.offset + start, c.header_length)
            for c in parse_all(self.value, rule=rule, what=f"TLV {self.tag:X}")
        ]

    def to_bytes(self) -> bytes:
        return build(self.tag, self.value)


def encode_tag(tag: int) -> bytes:
    if not 0 <= tag <= 0xFFFFFF:
        raise ValueError(f"tag {tag:X} does not fit 3 bytes")
    if tag <= 0xFF:
        return bytes((tag,))
    if tag <= 0xFFFF:
        return tag.to_bytes(2, "big")
    return tag.to_bytes(3, "big")


def encode_length(length: int) -> bytes:
    if length < 0 or length > MAX_LENGTH:
        raise ValueError(f"length {length} cannot be encoded")
    if length < 0x80:
        return bytes((length,))
    if length <= 0xFF:
        return b"\x81" + bytes((length,))
    if length <= 0xFFFF:
        return b"\x82" + length.to_bytes(2, "big")
    return b"\x83" + length.to_bytes(3, "big")


def build(tag: int, value: bytes) -> bytes:
    return encode_tag(tag) + encode_length(len(value)) + value


def build_all(items: Iterable[tuple[int, bytes]]) -> bytes:
    return b"".join(build(tag, value) for tag, value in items)


def _is_padding(data: bytes, start: int, end: int) -> bool:
    return all(b in (0x00, 0xFF) for b in data[start:end])


#: At most this many filler bytes are looked through before an expected object.
MAX_FILLER = 16


def filler_before(data: bytes, tag: int, *, max_filler: int = MAX_FILLER) -> int:
    """How many ``00``/``FF`` filler bytes stand before the object with ``tag`` at the
    start of ``data`` (ISO/IEC 7816-4 allows them before BER-TLV objects; some My Number
    cards write two before their text records). 0 when ``data`` starts with the tag, or
    when the tag is not found behind filler: the caller's parser then reports the data."""
    tag_bytes = encode_tag(tag)
    for start in range(min(max_filler, len(data)) + 1):
        if data[start : start + len(tag_bytes)] == tag_bytes:
            return start
        if start < len(data) and data[start] not in (0x00, 0xFF):
            break
    return 0


def read_header(
    data: bytes, offset: int = 0, end: int | None = None, *, rule: TagRule = TagRule.BER,
    what: str = "TLV",
) -> tuple[int, int, int]:
    """Read a tag and a length at ``offset``. Returns (tag, length, value_offset).

    The length is not checked against ``end``; use it to learn a file's size from a
    short first read.
    """
    stop = len(data) if end is None else end
    pos = offset
    if pos >= stop:
        raise MalformedData(what, pos, "expected a tag, found the end of the data")
    first = data[pos]
    tag = first
    pos += 1
    if first & 0x1F == 0x1F:
        more = 2 if rule is TagRule.BER else 1
        while True:
            if pos >= stop:
                raise MalformedData(what, pos, "tag is cut off")
            b = data[pos]
            tag = (tag << 8) | b
            pos += 1
            if rule is TagRule.TWO_BYTE or not b & 0x80:
                break
            more -= 1
            if more == 0:
                raise MalformedData(what, offset, "tag longer than 3 bytes")
    if pos >= stop:
        raise MalformedData(what, pos, f"length of tag {tag:X} is missing")
    lb = data[pos]
    pos += 1
    if lb < 0x80:
        length = lb
    elif 0x81 <= lb <= 0x83:
        n = lb - 0x80
        if pos + n > stop:
            raise MalformedData(what, pos - 1, f"length of tag {tag:X} is cut off")
        length = int.from_bytes(data[pos : pos + n], "big")
        pos += n
    elif lb == 0x80:
        raise MalformedData(what, pos - 1, "indefinite length (80) is not allowed here")
    else:
        raise MalformedData(what, pos - 1, f"length byte {lb:02X} is not 00-7F or 81-83")
    return tag, length, pos


def parse_one(
    data: bytes, offset: int = 0, end: int | None = None, *, rule: TagRule = TagRule.BER,
    what: str = "TLV",
) -> Tlv:
    stop = len(data) if end is None else end
    tag, length, value_offset = read_header(data, offset, stop, rule=rule, what=what)
    if value_offset + length > stop:
        raise MalformedData(
            what,
            offset,
            f"tag {tag:X} declares {length} bytes but only {stop - value_offset} remain",
        )
    return Tlv(tag, bytes(data[value_offset : value_offset + length]), offset, value_offset - offset)


def iter_tlv(
    data: bytes, *, rule: TagRule = TagRule.BER, what: str = "TLV"
) -> Iterator[Tlv]:
    pos = 0
    n = len(data)
    while pos < n:
        if data[pos] in (0x00, 0xFF) and _is_padding(data, pos, n):
            return
        item = parse_one(data, pos, n, rule=rule, what=what)
        yield item
        pos = item.end


def parse_all(data: bytes, *, rule: TagRule = TagRule.BER, what: str = "TLV") -> list[Tlv]:
    """Every top-level object in ``data``; trailing ``00``/``FF`` padding is skipped."""
    return list(iter_tlv(data, rule=rule, what=what))


def find(items: list[Tlv], tag: int) -> Tlv | None:
    for item in items:
        if item.tag == tag:
            return item
    return None


def require(items: list[Tlv], tag: int, what: str = "TLV") -> Tlv:
    item = find(items, tag)
    if item is None:
        raise MalformedData(what, 0, f"required tag {tag:X} is missing")
    return item


def to_dict(items: list[Tlv]) -> dict[int, bytes]:
    """Tag -> value; a repeated tag keeps its first value."""
    out: dict[int, bytes] = {}
    for item in items:
        out.setdefault(item.tag, item.value)
    return out


class Fields:
    """The primitive fields of a TLV container, by tag, with clear errors for missing ones."""

    def __init__(self, values: dict[int, bytes], what: str, offset: int = 0) -> None:
        self.values = values
        self.what = what
        self.offset = offset

    def get(self, tag: int, default: bytes = b"") -> bytes:
        return self.values.get(tag, default)

    def require(self, tag: int) -> bytes:
        value = self.values.get(tag)
        if value is None:
            raise MalformedData(self.what, self.offset, f"tag {tag:X} missing")
        return value

    def text(self, tag: int) -> str:
        """A required field as ASCII; undecodable bytes become U+FFFD, never an error."""
        return self.require(tag).decode("ascii", "replace")


def container_fields(data: bytes, container_tag: int, *, what: str,
                     rule: TagRule = TagRule.BER) -> Fields:
    """The fields inside the first ``container_tag`` object of ``data`` (filler bytes
    before it are skipped; offsets stay relative to ``data``)."""
    skip = filler_before(data, container_tag)
    container = find(parse_all(data[skip:], rule=rule, what=what), container_tag)
    if container is None:
        raise MalformedData(what, 0, f"tag {container_tag:X} missing")
    return Fields(to_dict(container.children(rule)), what, container.offset + skip)
