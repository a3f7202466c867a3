"""Trace redaction that knows the Japanese cards: besides the secrets of every VERIFY, the
responses of files that hold personal data (My Number, 基本4情報, card face, signing
certificate, residence-card back-side fields).

Personal responses keep their BER-TLV structure (tags and lengths) and lose their values,
so a replay (which supplies ``2A`` for each redacted byte) still walks the same code paths
and shows masked values. A response that does not parse as TLV is redacted whole.
SM-encrypted residence-card responses are ciphertext under a key derived from the card
number, which no trace holds, so they are kept.
"""

from __future__ import annotations

from apdu import tlv
from apdu.command import CommandApdu
from apdu.errors import MalformedData
from apdu.trace import SecretRedactor, redact_response_data
from cardtool.cards.mynumber.ids import PERSONAL_FILES
from cardtool.cards.residence.ids import PERSONAL_DFS

REDACTION_PERSONAL = "personal"
_READS = frozenset({0xB0, 0xB2})


def _leaf_spans(data: bytes, rule: tlv.TagRule) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for item in tlv.parse_all(data, rule=rule):
        start = item.offset + item.header_length
        if item.constructed and item.value:
            try:
                inner = _leaf_spans(item.value, rule)
            except MalformedData:
                spans.append((start, item.end))
            else:
                spans.extend((start + a, start + b) for a, b in inner)
        else:
            spans.append((start, item.end))
    if spans:
        last = spans[-1][1] if spans else 0
        if last < len(data):  # padding after the last object: redact it too (may be data)
            spans.append((last, len(data)))
    return spans


def redact_values(response: bytes, rule: tlv.TagRule = tlv.TagRule.BER) -> str:
    """Hex of ``response`` with every TLV leaf value replaced by X (SW kept)."""
    data, sw = response[:-2], response[-2:]
    try:
        spans = _leaf_spans(data, rule)
    except MalformedData:
        return redact_response_data(response)
    if not spans:
        return redact_response_data(response)
    out = []
    pos = 0
    for start, end in spans:
        out.append(data[pos:start].hex().upper())
        out.append("XX" * (end - start))
        pos = end
    out.append(data[pos:].hex().upper())
    return "".join(out) + sw.hex().upper()


class CardRedactor(SecretRedactor):
    names: tuple[str, ...] = ("secrets", REDACTION_PERSONAL)

    def __init__(self) -> None:
        self._aid: bytes | None = None
        self._ef: int | None = None

    def _track(self, command: CommandApdu, response: bytes) -> None:
        if command.ins != 0xA4 or response[-2:] != b"\x90\x00" or command.cla & 0x80:
            return
        if command.p1 == 0x04:
            self._aid, self._ef = command.data, None
        elif command.p1 in (0x02, 0x00) and len(command.data) == 2:
            self._ef = int.from_bytes(command.data, "big")

    def _personal(self, command: CommandApdu) -> tuple[bool, tlv.TagRule]:
        if command.ins not in _READS:
            return False, tlv.TagRule.BER
        if self._aid in PERSONAL_DFS and command.cla & 0x0C == 0:
            return True, tlv.TagRule.TWO_BYTE  # plain residence DF2 reads
        ef = self._ef
        if command.ins == 0xB0 and command.p1 & 0x80:
            ef = command.p1 & 0x1F  # read by short EF id (the EF becomes current)
        return (self._aid, ef) in PERSONAL_FILES if self._aid else False, tlv.TagRule.BER

    def redact(self, command: bytes, response: bytes) -> tuple[str, str, tuple[str, ...]]:
        command_hex, response_hex, applied = super().redact(command, response)
        try:
            parsed = CommandApdu.parse(command)
        except MalformedData:
            return command_hex, response_hex, applied
        if parsed.ins == 0xB0 and parsed.p1 & 0x80:
            self._ef = parsed.p1 & 0x1F
        personal, rule = self._personal(parsed)
        self._track(parsed, response)
        if personal and len(response) > 2:
            return command_hex, redact_values(response, rule), (*applied, REDACTION_PERSONAL)
        return command_hex, response_hex, applied
