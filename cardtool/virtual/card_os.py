"""A small ISO/IEC 7816-4 card OS for the virtual cards.

A card is a set of DFs (selected by name) holding EFs (selected by id, or by short EF id
in READ BINARY's P1) and key objects (PINs with retry counters). The OS keeps the current
DF and EF and a volatile security state (which keys are verified), cleared on power-off
and reset; retry counters persist for the card object's lifetime, like EEPROM.

Cards extend it with handlers for their own instructions (``handlers[(cla_class, ins)]``)
and access rules per EF. Behaviour follows ``shared/spec``: unknown DFs answer 6A82, the
empty VERIFY answers 63Cx without consuming a try, 63C0 when exhausted, 69 84 for a VERIFY
on a blocked key, and malformed APDUs get 67 00 (never an exception).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from apdu.command import MAX_SHORT_LE, CommandApdu
from apdu.errors import MalformedData
from apdu.ins import INS
from apdu.sw import SW
from cardtool.virtual.quirks import Quirk, quirks_in

#: An access rule: given the OS, may the current request proceed? Returns the SW to refuse
#: with, or None to allow.
AccessRule = Callable[["CardOS"], int | None]


def always(_os: CardOS) -> int | None:
    return None


def never(_os: CardOS) -> int | None:
    return SW.SECURITY_STATUS_NOT_SATISFIED


def after(*keys: tuple[bytes, int]) -> AccessRule:
    """Allowed once any of ``keys`` ((AID, key EF) pairs) was verified since power-on."""

    def rule(os: CardOS) -> int | None:
        return None if any(k in os.verified for k in keys) else SW.SECURITY_STATUS_NOT_SATISFIED

    return rule


@dataclass
class EF:
    fid: int
    data: bytes = b""
    records: list[bytes] | None = None  # a record EF when not None
    sfi: int | None = None
    read: AccessRule = always


@dataclass
class PinObject:
    """A key object holding a secret with a retry counter."""

    value: bytes
    max_tries: int
    remaining: int

    @property
    def blocked(self) -> bool:
        return self.remaining == 0


@dataclass
class DF:
    aid: bytes
    files: dict[int, EF] = field(default_factory=dict)
    pins: dict[int, PinObject] = field(default_factory=dict)

    def add(self, ef: EF) -> EF:
        self.files[ef.fid] = ef
        return ef

    def by_sfi(self, sfi: int) -> EF | None:
        for ef in self.files.values():
            if ef.sfi == sfi or (ef.sfi is None and ef.fid == sfi):
                return ef
        return None


Response = bytes
Handler = Callable[[CommandApdu], Response]


def sw(word: int, data: bytes = b"") -> Response:
    return data + word.to_bytes(2, "big")


class CardOS:
    """Holds DFs, the current selection and the security state; answers APDUs."""

    def __init__(self, atr: bytes, *, extended_length: bool = True) -> None:
        self._atr = atr
        self.extended_length = extended_length
        self.dfs: dict[bytes, DF] = {}
        self.mf = DF(b"")  # files reachable before any SELECT by name
        self.current_df: DF = self.mf
        self.current_ef: EF | None = None
        self.verified: set[tuple[bytes, int]] = set()
        self.selected_key: int | None = None  # last SELECTed key EF id (for VERIFY P2=80)
        self.handlers: dict[tuple[int, int], Handler] = {}
        self.apdu_count = 0
        self.log: list[bytes] = []  # every command received, for tests and diagnostics
        self.powered = False
        self.fresh_after_reset = True  # MF-level GET DATA works only before the first SELECT
        self.quirks: frozenset[Quirk] = frozenset()
        #: Data and final SW still to be fetched with GET RESPONSE (get-response-always).
        self._pending: tuple[bytes, int] | None = None

    def apply_quirks(self, options: frozenset[str]) -> None:
        """Behave like a stricter real card: see ``cardtool.virtual.quirks``."""
        self.quirks = quirks_in(options)
        if Quirk.NO_EXTENDED_LENGTH in self.quirks:
            self.extended_length = False

    # -- the CardSimulator protocol ----------------------------------------------------

    @property
    def atr(self) -> bytes:
        return self._atr

    def power_on(self) -> bytes:
        self.powered = True
        self.clear_volatile_state()
        return self._atr

    def power_off(self) -> None:
        self.powered = False
        self.clear_volatile_state()

    def reset(self) -> bytes:
        return self.power_on()

    def clear_volatile_state(self) -> None:
        """What power-off and reset forget: selection and security state."""
        self.current_df = self.mf
        self.current_ef = None
        self.selected_key = None
        self.verified.clear()
        self.fresh_after_reset = True
        self._pending = None

    def process_apdu(self, command: bytes) -> bytes:
        self.apdu_count += 1
        self.log.append(bytes(command))
        try:
            cmd = CommandApdu.parse(command)
        except MalformedData:
            return sw(SW.WRONG_LENGTH)
        if cmd.is_extended and not self.extended_length:
            return sw(SW.WRONG_LENGTH)
        if Quirk.GET_RESPONSE_ALWAYS in self.quirks:
            if cmd.cla & 0xFC == 0x00 and cmd.ins == INS.GET_RESPONSE:
                return self._get_response(cmd)
            self._pending = None
            return self._via_get_response(self._respond(cmd))
        return self._respond(cmd)

    def _respond(self, cmd: CommandApdu) -> Response:
        refusal = self._quirk_refusal(cmd)
        if refusal is not None:
            return sw(refusal)
        handler = self.handlers.get((cmd.cla, cmd.ins)) or self.handlers.get((-1, cmd.ins))
        try:
            if handler is not None:
                return handler(cmd)
            if cmd.cla & 0x80:
                # A proprietary class the card uses (it has handlers for it) but not this
                # instruction: 6D00; a class it does not know at all: 6E00.
                known = any(cla == cmd.cla for cla, _ins in self.handlers)
                return sw(SW.INS_NOT_SUPPORTED if known else SW.CLA_NOT_SUPPORTED)
            if cmd.cla & 0x0C:
                return sw(SW.SECURE_MESSAGING_NOT_SUPPORTED)
            if cmd.cla & 0xF0:
                return sw(SW.CLA_NOT_SUPPORTED)
            return self.dispatch(cmd)
        finally:
            if cmd.ins == INS.SELECT:
                self.fresh_after_reset = False

    # -- quirks ------------------------------------------------------------------------

    def _quirk_refusal(self, cmd: CommandApdu) -> int | None:
        """The status word a quirky card refuses ``cmd`` with, or None."""
        quirks = self.quirks
        if not quirks:
            return None
        if Quirk.NO_GET_DATA in quirks and cmd.cla == 0x00 and cmd.ins == INS.GET_DATA:
            return SW.INS_NOT_SUPPORTED
        if Quirk.NO_SHORT_EF_ID in quirks:
            if cmd.ins == INS.READ_BINARY and cmd.p1 & 0x80:
                return SW.COMMAND_NOT_ALLOWED  # as reported of a real card: 00 B0 86 00 -> 69 86
            if cmd.ins == INS.READ_RECORD and cmd.p2 >> 3:
                return SW.INCORRECT_P1P2
            if cmd.ins == INS.VERIFY and cmd.p2 & 0x80 and cmd.p2 & 0x1F:
                return SW.REFERENCE_NOT_FOUND
            if (cmd.cla & 0x80 and cmd.ins == INS.PERFORM_SECURITY_OPERATION
                    and cmd.p2 & 0x80 and cmd.p2 & 0x1F):
                return SW.INCORRECT_P1P2
        return None

    def _via_get_response(self, response: Response) -> Response:
        """Hold the data back and announce it with 61 xx (ISO 7816-4 §5.3.4)."""
        data, final = response[:-2], int.from_bytes(response[-2:], "big")
        if not data:
            return response
        self._pending = (data, final)
        return sw(0x6100 | (len(data) & 0xFF))  # 61 00: 256 bytes or more

    def _get_response(self, cmd: CommandApdu) -> Response:
        if self._pending is None or cmd.p1 or cmd.p2:
            self._pending = None
            return sw(SW.CONDITIONS_NOT_SATISFIED if cmd.p1 == cmd.p2 == 0 else SW.INCORRECT_P1P2)
        data, final = self._pending
        le = cmd.le if cmd.le is not None else MAX_SHORT_LE
        chunk, rest = data[:le], data[le:]
        if rest:
            self._pending = (rest, final)
            return sw(0x6100 | (len(rest) & 0xFF), chunk)
        self._pending = None
        return sw(final, chunk)

    # -- ISO 7816-4 instructions --------------------------------------------------------

    def dispatch(self, cmd: CommandApdu) -> Response:
        ins = cmd.ins
        if ins == INS.SELECT:
            return self.select(cmd)
        if ins == INS.READ_BINARY:
            return self.read_binary(cmd)
        if ins == INS.READ_RECORD:
            return self.read_record(cmd)
        if ins == INS.VERIFY:
            return self.verify(cmd)
        if ins == INS.CHANGE_REFERENCE_DATA:
            return self.change_reference_data(cmd)
        return sw(SW.INS_NOT_SUPPORTED)

    def add_df(self, df: DF) -> DF:
        self.dfs[df.aid] = df
        return df

    def select(self, cmd: CommandApdu) -> Response:
        if cmd.p1 == 0x04:
            df = self.dfs.get(cmd.data)
            if df is None:
                return sw(SW.FILE_NOT_FOUND)
            self.current_df, self.current_ef, self.selected_key = df, None, None
            return sw(SW.OK)
        if cmd.p1 in (0x02, 0x00) and len(cmd.data) == 2:
            fid = int.from_bytes(cmd.data, "big")
            if fid in self.current_df.pins:
                self.selected_key = fid
                self.current_ef = None
                return sw(SW.OK)
            ef = self.current_df.files.get(fid)
            if ef is None:
                return sw(SW.FILE_NOT_FOUND)
            self.current_ef, self.selected_key = ef, None
            return sw(SW.OK)
        if cmd.p1 == 0x00 and not cmd.data:
            return sw(SW.INCORRECT_P1P2)
        return sw(SW.INCORRECT_P1P2)

    def _target_ef(self, p1: int) -> tuple[EF | None, int | None]:
        """The EF a READ addresses: by SFI in P1 (bit 8 set), else the current EF."""
        if p1 & 0x80:
            if p1 & 0x60:
                return None, SW.INCORRECT_P1P2
            ef = self.current_df.by_sfi(p1 & 0x1F)
            if ef is None:
                return None, SW.FILE_NOT_FOUND
            self.current_ef = ef
            return ef, None
        if self.current_ef is None:
            return None, SW.COMMAND_NOT_ALLOWED
        return self.current_ef, None

    def read_binary(self, cmd: CommandApdu) -> Response:
        ef, error = self._target_ef(cmd.p1)
        if ef is None:
            return sw(error or SW.COMMAND_NOT_ALLOWED)
        if ef.records is not None:
            return sw(SW.COMMAND_INCOMPATIBLE)
        refusal = ef.read(self)
        if refusal is not None:
            return sw(refusal)
        offset = cmd.p2 if cmd.p1 & 0x80 else (cmd.p1 << 8) | cmd.p2
        return self.answer_read(ef.data, offset, cmd)

    def answer_read(self, data: bytes, offset: int, cmd: CommandApdu) -> Response:
        if offset > len(data) or (offset == len(data) and data):
            return sw(SW.WRONG_PARAMETERS)
        le = cmd.le if cmd.le is not None else MAX_SHORT_LE
        chunk = data[offset : offset + le]
        # Fewer bytes than asked with 90 00 at the end of a file, as the My Number card does.
        return sw(SW.OK, chunk)

    def read_record(self, cmd: CommandApdu) -> Response:
        if cmd.p2 & 0x07 != 0x04:
            return sw(SW.INCORRECT_P1P2)
        sfi = cmd.p2 >> 3
        if sfi:
            ef = self.current_df.by_sfi(sfi)
            if ef is None:
                return sw(SW.FILE_NOT_FOUND)
            self.current_ef = ef
        ef = self.current_ef
        if ef is None:
            return sw(SW.COMMAND_NOT_ALLOWED)
        if ef.records is None:
            return sw(SW.COMMAND_INCOMPATIBLE)
        refusal = ef.read(self)
        if refusal is not None:
            return sw(refusal)
        if not 1 <= cmd.p1 <= len(ef.records):
            return sw(SW.RECORD_NOT_FOUND)
        record = ef.records[cmd.p1 - 1]
        return sw(SW.OK, record[: cmd.le or MAX_SHORT_LE])

    # -- PINs -------------------------------------------------------------------------

    def _key_for(self, cmd: CommandApdu) -> tuple[int | None, PinObject | None]:
        if cmd.p1 != 0x00:
            return None, None
        if cmd.p2 == 0x80:
            key = self.selected_key
        elif cmd.p2 & 0xE0 == 0x80:
            key = cmd.p2 & 0x1F  # P2 = 80|SFI addresses the key without a SELECT
        else:
            return None, None
        if key is None:
            return None, None
        return key, self.current_df.pins.get(key)

    def verify(self, cmd: CommandApdu) -> Response:
        key, pin = self._key_for(cmd)
        if pin is None or key is None:
            if cmd.p1 != 0x00 or (cmd.p2 & 0xE0) != 0x80:
                return sw(SW.INCORRECT_P1P2)
            return sw(SW.REFERENCE_NOT_FOUND)
        if not cmd.data and cmd.le is None:
            # Empty VERIFY: report the counter, consume nothing (JICSAP 6.4.9(5)). Real
            # cards answer 63Cx even after a successful VERIFY (OpenSC PR #959).
            return sw(0x63C0 | pin.remaining)
        if pin.blocked:
            return sw(SW.REFERENCE_DATA_UNUSABLE)
        if cmd.data == pin.value:
            pin.remaining = pin.max_tries
            self.verified.add((self.current_df.aid, key))
            return sw(SW.OK)
        pin.remaining -= 1
        self.verified.discard((self.current_df.aid, key))
        return sw(0x63C0 | pin.remaining)

    def change_reference_data(self, cmd: CommandApdu) -> Response:
        if cmd.p1 != 0x01:
            return sw(SW.INCORRECT_P1P2)
        key, pin = self._key_for(CommandApdu(cmd.cla, cmd.ins, 0x00, cmd.p2))
        if pin is None or key is None:
            return sw(SW.REFERENCE_NOT_FOUND)
        if (self.current_df.aid, key) not in self.verified:
            return sw(SW.SECURITY_STATUS_NOT_SATISFIED)
        if not cmd.data:
            return sw(SW.WRONG_LENGTH)
        pin.value = cmd.data
        return sw(SW.OK)
