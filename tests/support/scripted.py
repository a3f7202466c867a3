"""Small card simulators for the apdu-layer tests (the real virtual cards live in
cardtool.virtual)."""

from __future__ import annotations

from collections.abc import Callable

from apdu.command import CommandApdu
from apdu.errors import MalformedData

TEST_ATR = bytes.fromhex("3B8880010000000000000000")  # contactless-style, test only


class EchoFileCard:
    """One transparent EF of ``size`` bytes under a test AID, with switchable quirks:
    ``extended`` (accepts extended Le), ``chain_61`` (answers large reads with 61xx and
    GET RESPONSE in pieces), ``strict_le`` (answers a wrong short Le with 6Cxx)."""

    AID = bytes.fromhex("F0010203040506")

    def __init__(self, size: int = 1000, *, extended: bool = True, chain_61: bool = False,
                 strict_le: bool = False) -> None:
        self.content = bytes((i * 7 + 3) & 0xFF for i in range(size))
        self.extended = extended
        self.chain_61 = chain_61
        self.strict_le = strict_le
        self.pending = b""
        self.selected = False
        self.log: list[bytes] = []
        self.powered = False

    @property
    def atr(self) -> bytes:
        return TEST_ATR

    def power_on(self) -> bytes:
        self.powered = True
        self.selected = False
        self.pending = b""
        return TEST_ATR

    def power_off(self) -> None:
        self.powered = False
        self.selected = False

    def reset(self) -> bytes:
        return self.power_on()

    def _out(self, data: bytes, le: int) -> bytes:
        if self.chain_61 and len(data) > 64:
            self.pending = data[64:]
            return data[:64] + bytes((0x61, min(len(self.pending), 256) & 0xFF))
        return data + b"\x90\x00"

    def process_apdu(self, raw: bytes) -> bytes:
        self.log.append(bytes(raw))
        try:
            cmd = CommandApdu.parse(raw)
        except MalformedData:
            return b"\x67\x00"
        if cmd.ins == 0xA4:
            self.selected = cmd.data == self.AID
            return b"\x90\x00" if self.selected else b"\x6a\x82"
        if cmd.ins == 0xC0:
            if not self.pending:
                return b"\x69\x85"
            n = cmd.le or 256
            chunk, self.pending = self.pending[:n], self.pending[n:]
            tail = bytes((0x61, min(len(self.pending), 256) & 0xFF)) if self.pending else b"\x90\x00"
            return chunk + tail
        if cmd.ins == 0xB0:
            if not self.selected:
                return b"\x69\x86"
            if cmd.is_extended and not self.extended:
                return b"\x67\x00"
            offset = (cmd.p1 << 8) | cmd.p2
            if offset >= len(self.content):
                return b"\x6b\x00"
            le = cmd.le or 256
            data = self.content[offset : offset + le]
            if self.strict_le and not cmd.is_extended and len(data) < le:
                return bytes((0x6C, len(data)))
            return self._out(data, le)
        return b"\x6d\x00"


class ScriptedCard:
    """Answers from a function; for tests that need exact control of each response."""

    def __init__(self, answer: Callable[[bytes], bytes], atr: bytes = TEST_ATR) -> None:
        self._answer = answer
        self._atr = atr
        self.log: list[bytes] = []

    @property
    def atr(self) -> bytes:
        return self._atr

    def power_on(self) -> bytes:
        return self._atr

    def power_off(self) -> None:
        pass

    def reset(self) -> bytes:
        return self._atr

    def process_apdu(self, raw: bytes) -> bytes:
        self.log.append(bytes(raw))
        return self._answer(raw)
