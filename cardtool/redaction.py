"""Trace redaction that knows the Japanese cards: besides the secrets of every VERIFY, the
responses of files that hold personal data (My Number, 基本4情報, card face, signing
certificate, residence-card back-side fields).

Personal responses keep their BER-TLV structure (tags and lengths) and lose their values,
so a replay (which supplies ``2A`` for each redacted byte) still walks the same code paths
and shows masked values. Structure is only trusted from a known TLV boundary: offset 0 of
the file, or where an earlier chunk of the same file showed a value to start or an object
to end (an object's end is known from its header even when its value runs on into later
chunks). A chunk that starts anywhere else is redacted up to the first known boundary inside
it, and any byte that cannot be classified is redacted: redaction errs towards removing
data, never towards keeping it.

A card may hold a read's data back and announce it with ``61 xx`` (ISO/IEC 7816-4 §5.1.3);
the data then comes in GET RESPONSE answers, possibly after part of it came with the read
itself. Those answers are the same file's data: the read's context (application, EF, binary
or record, the file offset of the next byte) is carried into each GET RESPONSE that follows,
so its data is redacted as the continuation of the file at the right offset. A GET RESPONSE
that cannot be placed (no command answered ``61 xx`` just before it, or one whose data this
redactor never saw) is redacted whole. One that follows a command whose own answer would be
kept (a SELECT's FCI, a non-personal file, a signature) is kept.

SM-encrypted residence-card responses are ciphertext under a key derived from the card
number, which no trace holds, so they are kept (their GET RESPONSE continuations too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from apdu import tlv
from apdu.command import CommandApdu
from apdu.errors import MalformedData
from apdu.ins import INS
from apdu.trace import SecretRedactor
from cardtool.cards.mynumber.ids import PERSONAL_FILES
from cardtool.cards.residence.ids import PERSONAL_DFS

REDACTION_PERSONAL = "personal"
_READS: frozenset[int] = frozenset({INS.READ_BINARY, INS.READ_RECORD})
#: READ BINARY / READ RECORD with odd INS wrap their data in an offset DO (ISO/IEC 7816-4
#: §11.3.3); the file offset of their data is not where the plain form's would be, so a
#: personal file's data read this way is redacted whole.
_ODD_READS: frozenset[int] = frozenset({INS.READ_BINARY_ODD, INS.READ_RECORD + 1})

#: Tags whose value is a sequence of TLVs in the cards' files, trusted even when a chunk
#: cuts the value. Other tags with the constructed bit (e.g. FF10, whose value is the My
#: Number's digits) are walked only when their whole value parses exactly as TLVs.
CONTAINER_TAGS = frozenset({0xFF20, 0xFF30, 0xFF40, 0x30, 0x31, 0xA0, 0xA3, 0x7F21})

#: The longest TLV header there is: a 3-byte tag and a length of 83 + 3 bytes.
_MAX_HEADER = 7

#: Known TLV starts of one file: absolute offset -> end of the sequence of TLVs it lies in
#: (None at the top level of the file, whose end is unknown).
Boundaries = dict[int, int | None]


@dataclass
class FileKnowledge:
    """What earlier chunks showed of one file's structure: the known TLV starts, and the
    header bytes of an object whose header a chunk cut (absolute start -> (bytes, the end
    of its sequence)), kept so the next chunk can complete it."""

    boundaries: Boundaries = field(default_factory=lambda: {0: None})
    cut_headers: dict[int, tuple[bytes, int | None]] = field(default_factory=dict)


@dataclass
class _FileRead:
    """A personal file's data still to come through GET RESPONSE: the next byte sits at
    ``offset`` of the file described by ``knowledge``."""

    rule: tlv.TagRule
    offset: int
    knowledge: FileKnowledge


#: What a GET RESPONSE's data continues when it is not a personal file's data.
_KEEP: Final = "keep"  # the answer of a command whose data is kept
_UNPLACEABLE: Final = "unplaceable"  # data nobody can place: redacted whole
_Continuation = _FileRead | str


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


def _is_cut_header(data: bytes, pos: int, rule: tlv.TagRule) -> bool:
    """True if the bytes from ``pos`` to the end of ``data`` are the start of a header that
    more bytes would complete (as opposed to bytes no header starts with)."""
    if len(data) - pos >= _MAX_HEADER:
        return False
    padded = data + bytes(_MAX_HEADER)
    try:
        _tag, _length, value_start = tlv.read_header(padded, pos, rule=rule)
    except MalformedData:
        return False
    return value_start > len(data)


def _learn(known: FileKnowledge, start: int, limit: int | None) -> None:
    """Record that a TLV starts at ``start`` in a sequence ending at ``limit``. A position
    that is the end of a sequence starts nothing in it; where nested sequences end
    together, the outermost one (the largest limit) is where the walk goes on."""
    if limit is not None and limit <= start:
        return
    if start in known.boundaries:
        current = known.boundaries[start]
        if current is None or (limit is not None and current >= limit):
            return
    known.boundaries[start] = limit


def _walk(data: bytes, start: int, limit: int | None, rule: tlv.TagRule, base: int,
          keep: list[tuple[int, int]], known: FileKnowledge) -> int:
    """Mark the header bytes to keep in ``data[start:]``, a sequence of TLVs that starts on a
    known boundary and ends at ``limit`` (relative; None: the chunk's end). Record in
    ``known`` the absolute offsets where objects end and container values start (each with
    the end of its sequence), and a header the chunk end cuts. Returns where the walk
    stopped (relative)."""
    end = len(data) if limit is None else min(limit, len(data))
    abs_limit = None if limit is None else base + limit
    pos = start
    while pos < end:
        try:
            tag, length, value_start = tlv.read_header(data, pos, end, rule=rule)
        except MalformedData:
            if end == len(data) and _is_cut_header(data, pos, rule):
                keep.append((pos, end))  # the start of a header: the next chunk completes it
                known.cut_headers[base + pos] = (data[pos:end], abs_limit)
                return end
            if _is_padding(data, pos, end):
                keep.append((pos, end))  # 00/FF fill after the last object is not data
                return end
            return pos  # not a header: from here on nothing is known
        value_end = value_start + length
        if limit is not None and value_end > limit:
            return pos  # an object that overruns its container: not trusted
        keep.append((pos, value_start))
        _learn(known, base + value_end, abs_limit)  # known from the header alone
        first = tag
        while first > 0xFF:
            first >>= 8
        complete = value_end <= len(data)
        if first & 0x20 and (tag in CONTAINER_TAGS or (
                complete and _exact_children(data, value_start, value_end, rule))):
            _learn(known, base + value_start, base + value_end)  # a TLV sequence starts
            _walk(data, value_start, value_end, rule, base, keep, known)
        if not complete:
            return len(data)
        pos = value_end
    return pos


def redact_values(response: bytes, offset: int = 0, known: FileKnowledge | None = None,
                  rule: tlv.TagRule = tlv.TagRule.BER) -> str:
    """Hex of ``response`` (read at ``offset`` of its file) with everything but TLV headers
    reachable from known boundaries replaced by X; the SW is kept. ``known`` (what earlier
    chunks of the same file showed) is updated with what this chunk shows."""
    data, sw = response[:-2], response[-2:]
    known = known if known is not None else FileKnowledge()
    keep: list[tuple[int, int]] = []
    end = offset + len(data)
    # A header an earlier chunk cut, continued by this chunk: walk it with its first bytes.
    carried = next(((start, head, limit) for start, (head, limit) in known.cut_headers.items()
                    if start + len(head) == offset), None)
    pos = offset
    if carried is not None:
        start, head, limit = carried
        del known.cut_headers[start]
        joined = head + data
        marks: list[tuple[int, int]] = []
        stop = _walk(joined, 0, None if limit is None else limit - start, rule, start, marks,
                     known)
        keep.extend((max(a - len(head), 0), b - len(head)) for a, b in marks
                    if b > len(head))
        pos = start + stop
    while pos < end:
        # Walk on from the first known boundary at or after ``pos`` inside this chunk.
        starts = [b for b in known.boundaries if pos <= b < end]
        if not starts:
            break
        pos = min(starts)
        limit = known.boundaries[pos]
        stop = _walk(data, pos - offset, None if limit is None else limit - offset, rule,
                     offset, keep, known)
        reached = offset + stop
        pos = reached if reached > pos else pos + 1
    out = bytearray(b"X" * (2 * len(data)))
    hex_data = data.hex().upper().encode()
    for a, b in keep:
        out[2 * a : 2 * b] = hex_data[2 * a : 2 * b]
    return out.decode() + sw.hex().upper()


def _succeeded(response: bytes) -> bool:
    """A SELECT that selected: 90 00, data to fetch (61 xx) or a warning (62 xx / 63 xx,
    e.g. a deactivated file, which is selected all the same)."""
    return len(response) >= 2 and response[-2] in (0x90, 0x61, 0x62, 0x63)


class CardRedactor(SecretRedactor):
    names: tuple[str, ...] = ("secrets", REDACTION_PERSONAL)

    def __init__(self) -> None:
        self._aid: bytes | None = None
        self._ef: int | None = None
        self._file = FileKnowledge()
        #: What the data of a GET RESPONSE sent next continues (None: nothing announced).
        self._pending: _Continuation | None = None

    def _set_ef(self, ef: int | None) -> None:
        if ef != self._ef:
            self._ef = ef
            self._file = FileKnowledge()

    def _track_select(self, command: CommandApdu, response: bytes) -> None:
        if command.ins != INS.SELECT or not _succeeded(response) or command.cla & 0x80:
            return
        if command.p1 == 0x04:
            self._aid = command.data
            self._set_ef(None)
            self._file = FileKnowledge()
        elif command.p1 in (0x02, 0x00) and len(command.data) == 2:
            self._set_ef(int.from_bytes(command.data, "big"))
        else:
            self._set_ef(None)  # by path or parent: an EF this redactor cannot name

    def _personal_rule(self) -> tlv.TagRule | None:
        if self._aid in PERSONAL_DFS:
            return tlv.TagRule.TWO_BYTE
        if self._aid is not None and (self._aid, self._ef) in PERSONAL_FILES:
            return tlv.TagRule.BER
        return None

    def _placement(self, command: CommandApdu) -> _Continuation:
        """Where the response data of ``command`` belongs."""
        if command.ins == INS.GET_RESPONSE and command.cla & 0xFC == 0x00:
            return self._pending if self._pending is not None else _UNPLACEABLE
        if command.ins in _ODD_READS and not command.cla & 0x0C:
            return _UNPLACEABLE if self._personal_rule() is not None else _KEEP
        if command.ins not in _READS or command.cla & 0x0C:
            return _KEEP
        offset = 0
        if command.ins == INS.READ_BINARY:
            if command.p1 & 0x80:
                self._set_ef(command.p1 & 0x1F)  # a read by short EF id makes it current
                offset = command.p2
            else:
                offset = (command.p1 << 8) | command.p2
        elif command.p2 >> 3:
            self._set_ef(command.p2 >> 3)
        rule = self._personal_rule()
        if rule is None:
            return _KEEP
        # Each record is a file of its own; binary reads share what the EF showed so far.
        knowledge = self._file if command.ins == INS.READ_BINARY else FileKnowledge()
        return _FileRead(rule, offset, knowledge)

    def redact(self, command: bytes, response: bytes) -> tuple[str, str, tuple[str, ...]]:
        command_hex, response_hex, applied = super().redact(command, response)
        try:
            parsed = CommandApdu.parse(command)
        except MalformedData:
            # Nothing is known of what this command read: data it announced is unplaceable.
            self._pending = _UNPLACEABLE if response[-2:-1] == b"\x61" else None
            if self._personal_rule() is not None and len(response) > 2:
                return command_hex, "XX" * (len(response) - 2) + response_hex[-4:], (
                    *applied, REDACTION_PERSONAL)
            return command_hex, response_hex, applied
        self._track_select(parsed, response)
        placement = self._placement(parsed)
        sw1 = response[-2] if len(response) >= 2 else None
        is_get_response = parsed.ins == INS.GET_RESPONSE and parsed.cla & 0xFC == 0x00
        data_length = max(len(response) - 2, 0)
        continued: _Continuation = placement
        if isinstance(placement, _FileRead):
            continued = _FileRead(placement.rule, placement.offset + data_length,
                                  placement.knowledge)
        if sw1 == 0x61:
            self._pending = continued
        elif not (is_get_response and sw1 == 0x6C):
            # ISO/IEC 7816-4 §5.1.3: a wrong Le to GET RESPONSE (6C xx) leaves the data
            # waiting for the re-sent GET RESPONSE; any other answer ends it.
            self._pending = None
        if data_length == 0 or placement == _KEEP:
            return command_hex, response_hex, applied
        if placement == _UNPLACEABLE or not isinstance(placement, _FileRead):
            return command_hex, "XX" * data_length + response_hex[-4:], (
                *applied, REDACTION_PERSONAL)
        redacted = redact_values(response, placement.offset, placement.knowledge,
                                 placement.rule)
        return command_hex, redacted, (*applied, REDACTION_PERSONAL)

    def skip(self, command_hex: str, response_hex: str) -> None:
        """An exchange already redacted (``X`` in it), passed by without being redacted
        again: whatever its data would have taught is lost, so data it announced with
        ``61 xx`` cannot be placed and a following GET RESPONSE is redacted whole."""
        if "X" not in command_hex.upper():
            try:
                parsed = CommandApdu.parse(bytes.fromhex(command_hex))
            except (MalformedData, ValueError):
                parsed = None
            if parsed is not None and "X" not in response_hex.upper():
                self._track_select(parsed, bytes.fromhex(response_hex))
            elif parsed is not None and parsed.ins in _READS:
                self._placement(parsed)  # a read by short EF id still selects its EF
        announced = response_hex.upper()[-4:-2] == "61"
        self._pending = _UNPLACEABLE if announced else None
