"""Command and response APDUs (ISO/IEC 7816-3 §12.1, 7816-4 §5.1): all four cases, short
and extended length encodings, strict parse and build."""

from __future__ import annotations

from dataclasses import dataclass

from apdu.errors import InvalidApdu, MalformedData
from apdu.ins import INS

MAX_SHORT_LC = 255
MAX_SHORT_LE = 256
MAX_EXTENDED_LC = 65535
MAX_EXTENDED_LE = 65536

# Names for the instructions this project meets, used by trace and APDU pretty printers.
INS_NAMES: dict[int, str] = {
    INS.ERASE_BINARY: "ERASE BINARY",
    INS.VERIFY: "VERIFY",
    INS.MANAGE_SECURITY_ENVIRONMENT: "MANAGE SECURITY ENVIRONMENT",
    INS.CHANGE_REFERENCE_DATA: "CHANGE REFERENCE DATA",
    INS.PERFORM_SECURITY_OPERATION: "PERFORM SECURITY OPERATION",
    INS.RESET_RETRY_COUNTER: "RESET RETRY COUNTER",
    INS.CHANGE_KEY: "CHANGE KEY",
    INS.ACTIVATE_FILE: "ACTIVATE FILE",
    INS.MANAGE_CHANNEL: "MANAGE CHANNEL",
    INS.MUTUAL_AUTHENTICATE: "MUTUAL AUTHENTICATE",
    INS.GET_CHALLENGE: "GET CHALLENGE",
    INS.INTERNAL_AUTHENTICATE: "INTERNAL AUTHENTICATE",
    INS.SELECT: "SELECT",
    INS.SET_SESSION_KEY: "SET SESSION KEY",
    INS.READ_BINARY: "READ BINARY",
    INS.READ_BINARY_ODD: "READ BINARY (odd)",
    INS.READ_RECORD: "READ RECORD",
    INS.GET_RESPONSE: "GET RESPONSE",
    INS.GET_DATA: "GET DATA",
    INS.GET_DATA_ODD: "GET DATA (odd)",
    INS.UPDATE_BINARY: "UPDATE BINARY",
    INS.UPDATE_RECORD: "UPDATE RECORD",
}

# Proprietary-class instructions named by (INS) when CLA has bit 8 set.
PROPRIETARY_INS_NAMES: dict[int, str] = {
    INS.PERFORM_SECURITY_OPERATION: "COMPUTE DIGITAL SIGNATURE",
    INS.CHANGE_KEY: "CHANGE KEY",
    INS.SET_SESSION_KEY: "SET SESSION KEY",
    INS.GET_DATA: "GET DATA (UID)",
}


def command_name(cla: int, ins: int) -> str:
    """A readable name for an instruction, e.g. ``SELECT`` or ``COMPUTE DIGITAL SIGNATURE``."""
    if cla == 0xFF and ins == INS.GET_DATA:
        return "GET DATA (reader UID)"
    if cla & 0x80 and ins in PROPRIETARY_INS_NAMES:
        return PROPRIETARY_INS_NAMES[ins]
    return INS_NAMES.get(ins, f"INS {ins:02X}")


@dataclass(frozen=True)
class CommandApdu:
    """A command APDU.

    ``le`` is None when no response data is expected (cases 1 and 3); otherwise the number
    of bytes expected, 1..256 short or 1..65536 extended. ``extended`` forces the encoding;
    when None it is chosen from the field sizes.
    """

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None
    extended: bool | None = None

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            value = getattr(self, name)
            if not 0 <= value <= 0xFF:
                raise InvalidApdu(detail=f"{name.upper()} must be one byte, got {value}")
        if len(self.data) > MAX_EXTENDED_LC:
            raise InvalidApdu(detail=f"data of {len(self.data)} bytes exceeds {MAX_EXTENDED_LC}")
        if self.le is not None and not 1 <= self.le <= MAX_EXTENDED_LE:
            raise InvalidApdu(detail=f"Le must be 1..{MAX_EXTENDED_LE}, got {self.le}")
        if self.extended is False and (
            len(self.data) > MAX_SHORT_LC or (self.le or 0) > MAX_SHORT_LE
        ):
            raise InvalidApdu(
                detail=f"{len(self.data)} data bytes / Le {self.le} do not fit a short APDU"
            )

    @property
    def is_extended(self) -> bool:
        if self.extended is not None:
            return self.extended
        return len(self.data) > MAX_SHORT_LC or (self.le or 0) > MAX_SHORT_LE

    @property
    def case(self) -> int:
        """ISO 7816-3 case: 1 (no data, no Le), 2 (Le), 3 (data), 4 (data and Le)."""
        return 1 + (self.le is not None) + 2 * bool(self.data)

    @property
    def header(self) -> bytes:
        return bytes((self.cla, self.ins, self.p1, self.p2))

    @property
    def name(self) -> str:
        return command_name(self.cla, self.ins)

    def with_le(self, le: int | None) -> CommandApdu:
        return CommandApdu(self.cla, self.ins, self.p1, self.p2, self.data, le, self.extended)

    def to_bytes(self) -> bytes:
        out = bytearray(self.header)
        if self.is_extended:
            if self.data:
                out += b"\x00" + len(self.data).to_bytes(2, "big") + self.data
                if self.le is not None:
                    out += (self.le % MAX_EXTENDED_LE).to_bytes(2, "big")
            elif self.le is not None:
                out += b"\x00" + (self.le % MAX_EXTENDED_LE).to_bytes(2, "big")
        else:
            if self.data:
                out += bytes((len(self.data),)) + self.data
            if self.le is not None:
                out.append(self.le % MAX_SHORT_LE)
        return bytes(out)

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    @classmethod
    def parse(cls, raw: bytes) -> CommandApdu:
        """Parse an encoded APDU; any inconsistency raises ``MalformedData``."""
        n = len(raw)
        if n < 4:
            raise MalformedData("command APDU", n, f"{n} bytes is shorter than the 4-byte header")
        cla, ins, p1, p2 = raw[0], raw[1], raw[2], raw[3]
        if n == 4:
            return cls(cla, ins, p1, p2)
        b4 = raw[4]
        if n == 5:
            return cls(cla, ins, p1, p2, le=b4 or MAX_SHORT_LE, extended=False)
        if b4 != 0:
            lc = b4
            if n == 5 + lc:
                return cls(cla, ins, p1, p2, raw[5:], extended=False)
            if n == 6 + lc:
                return cls(cla, ins, p1, p2, raw[5 : 5 + lc], raw[-1] or MAX_SHORT_LE, False)
            raise MalformedData(
                "command APDU", 4, f"Lc {lc} does not match the {n - 5} bytes after it"
            )
        # b4 == 0 and more bytes follow: extended encoding.
        if n == 6:
            raise MalformedData("command APDU", 4, "a 00 byte after the header needs 2 more")
        value = int.from_bytes(raw[5:7], "big")
        if n == 7:
            return cls(cla, ins, p1, p2, le=value or MAX_EXTENDED_LE, extended=True)
        lc = value
        if lc == 0:
            raise MalformedData("command APDU", 5, "extended Lc of 0 followed by more bytes")
        if n == 7 + lc:
            return cls(cla, ins, p1, p2, raw[7:], extended=True)
        if n == 9 + lc:
            le = int.from_bytes(raw[-2:], "big") or MAX_EXTENDED_LE
            return cls(cla, ins, p1, p2, raw[7 : 7 + lc], le, True)
        raise MalformedData(
            "command APDU", 5, f"extended Lc {lc} does not match the {n - 7} bytes after it"
        )


@dataclass(frozen=True)
class ResponseApdu:
    data: bytes
    sw1: int
    sw2: int

    @property
    def sw(self) -> int:
        return (self.sw1 << 8) | self.sw2

    def to_bytes(self) -> bytes:
        return self.data + bytes((self.sw1, self.sw2))

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    @classmethod
    def parse(cls, raw: bytes) -> ResponseApdu:
        if len(raw) < 2:
            raise MalformedData(
                "response APDU", len(raw), f"{len(raw)} bytes cannot hold a status word"
            )
        return cls(bytes(raw[:-2]), raw[-2], raw[-1])

    @classmethod
    def from_sw(cls, sw: int, data: bytes = b"") -> ResponseApdu:
        return cls(data, sw >> 8, sw & 0xFF)


def is_extended_encoding(raw: bytes) -> bool:
    """Whether an encoded command APDU uses extended length fields (a 00 byte after the
    header followed by more bytes): what a reader limited to short APDUs cannot carry."""
    return len(raw) > 5 and raw[4] == 0


def parse_hex(text: str) -> bytes:
    """Hex with optional spaces, colons or a leading 0x, as users type APDUs."""
    cleaned = text.replace(" ", "").replace(":", "").replace("\n", "").replace("\t", "")
    if cleaned[:2].lower() == "0x":
        cleaned = cleaned[2:]
    try:
        if len(cleaned) % 2:
            raise ValueError
        return bytes.fromhex(cleaned)
    except ValueError:
        raise InvalidApdu(detail=f"'{text[:40]}' is not an even number of hex digits") from None
