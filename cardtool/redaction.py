"""Trace redaction that knows the Japanese cards: besides the secrets of every VERIFY, the
responses of files that hold personal data (My Number, 基本4情報, card face, signing
certificate, residence-card back-side fields).

Personal responses keep their BER-TLV structure (tags and lengths) and lose their values,
so a replay (which supplies ``2A`` for each redacted byte) still walks the same code paths
and shows masked values. Structure is only trusted from a known TLV boundary: offset 0 of
the file, or where an earlier chunk of the same file showed a value to start or an object
to end. A chunk read from anywhere else, and any byte that cannot be classified, is
redacted whole: redaction errs towards removing data, never towards keeping it.

SM-encrypted residence-card responses are ciphertext under a key derived from the card
number, which no trace holds, so they are kept.
"""

from __future__ import annotations

from apdu import tlv
from apdu.command import CommandApdu
from apdu.errors import MalformedData
from apdu.ins import INS
from apdu.trace import SecretRedactor
from cardtool.cards.mynumber.ids import PERSONAL_FILES
from cardtool.cards.residence.ids import PERSONAL_DFS

REDACTION_PERSONAL = "personal"
_READS: frozenset[int] = frozenset({INS.READ_BINARY, INS.READ_RECORD})

#: Tags whose value is a sequence of TLVs in the cards' files, trusted even when a chunk
#: cuts the value. Other tags with the constructed bit (e.g. FF10, whose value is the My
#: Number's digits) are walked only when their whole value parses exactly as TLVs.
CONTAINER_TAGS = frozenset({0xFF20, 0xFF30, 0xFF40, 0x30, 0x31, 0xA0, 0xA3, 0x7F21})


def _exact_children(data: bytes, start: int, end: int, rule: tlv.TagRule) -> bool:
    pos = start
    try:
        while pos < end:
            _tag, length, value_start = tlv.read_header(data, pos, end, rule=rule)
            pos = value_start + length
    except MalformedData:
        return False
    return pos == end


def _is_padding(data: bytes, start: int, end: int) -> bool:
    return all(b in (0x00, 0xFF) for b in data[start:end])


def _walk(data: bytes, start: int, end: int, rule: tlv.TagRule, base: int,
          keep: list[tuple[int, int]], boundaries: set[int]) -> None:
    """Mark header bytes to keep in ``data[start:end]`` (a sequence of TLVs that starts on a
    boundary); record the absolute offsets where TLV sequences start (container values)
    and where objects end."""
    pos = start
    while pos < end:
        if _is_padding(data, pos, end):
            keep.append((pos, end))  # 00/FF fill after the last object is not data
            return
        try:
            tag, length, value_start = tlv.read_header(data, pos, end, rule=rule)
        except MalformedData:
            return  # a header cut by the chunk end: its bytes stay redacted
        keep.append((pos, value_start))
        value_end = value_start + length
        first = tag
        while first > 0xFF:
            first >>= 8
        complete = value_end <= end
        if first & 0x20 and (tag in CONTAINER_TAGS or (
                complete and _exact_children(data, value_start, value_end, rule))):
            boundaries.add(base + value_start)  # a sequence of TLVs starts here
            _walk(data, value_start, min(value_end, end), rule, base, keep, boundaries)
        if not complete:
            return
        boundaries.add(base + value_end)
        pos = value_end


def redact_values(response: bytes, offset: int = 0, boundaries: set[int] | None = None,
                  rule: tlv.TagRule = tlv.TagRule.BER) -> str:
    """Hex of ``response`` (read at ``offset`` of its file) with everything but TLV headers
    replaced by X; the SW is kept. ``boundaries`` (absolute offsets known to start a TLV)
    is updated with what this chunk shows."""
    data, sw = response[:-2], response[-2:]
    known = boundaries if boundaries is not None else {0}
    keep: list[tuple[int, int]] = []
    if offset in known:
        _walk(data, 0, len(data), rule, offset, keep, known)
    out = bytearray(b"X" * (2 * len(data)))
    hex_data = data.hex().upper().encode()
    for a, b in keep:
        out[2 * a : 2 * b] = hex_data[2 * a : 2 * b]
    return out.decode() + sw.hex().upper()


class CardRedactor(SecretRedactor):
    names: tuple[str, ...] = ("secrets", REDACTION_PERSONAL)

    def __init__(self) -> None:
        self._aid: bytes | None = None
        self._ef: int | None = None
        self._boundaries: set[int] = {0}

    def _set_ef(self, ef: int | None) -> None:
        if ef != self._ef:
            self._ef = ef
            self._boundaries = {0}

    def _track_select(self, command: CommandApdu, response: bytes) -> None:
        if command.ins != INS.SELECT or response[-2:] != b"\x90\x00" or command.cla & 0x80:
            return
        if command.p1 == 0x04:
            self._aid = command.data
            self._set_ef(None)
            self._boundaries = {0}
        elif command.p1 in (0x02, 0x00) and len(command.data) == 2:
            self._set_ef(int.from_bytes(command.data, "big"))

    def redact(self, command: bytes, response: bytes) -> tuple[str, str, tuple[str, ...]]:
        command_hex, response_hex, applied = super().redact(command, response)
        try:
            parsed = CommandApdu.parse(command)
        except MalformedData:
            return command_hex, response_hex, applied
        self._track_select(parsed, response)
        if parsed.ins not in _READS or parsed.cla & 0x0C or len(response) <= 2:
            return command_hex, response_hex, applied
        offset = 0
        if parsed.ins == INS.READ_BINARY:
            if parsed.p1 & 0x80:
                self._set_ef(parsed.p1 & 0x1F)  # a read by short EF id makes it current
                offset = parsed.p2
            else:
                offset = (parsed.p1 << 8) | parsed.p2
        elif parsed.p2 >> 3:
            self._set_ef(parsed.p2 >> 3)
        if self._aid in PERSONAL_DFS:
            rule = tlv.TagRule.TWO_BYTE
        elif self._aid is not None and (self._aid, self._ef) in PERSONAL_FILES:
            rule = tlv.TagRule.BER
        else:
            return command_hex, response_hex, applied
        boundaries = self._boundaries if parsed.ins == INS.READ_BINARY else {0}
        redacted = redact_values(response, offset, boundaries, rule)
        return command_hex, redacted, (*applied, REDACTION_PERSONAL)
