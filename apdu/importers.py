"""Import APDU logs written by other tools, so every trace command (show, check, import,
``--replay``, ``emulate --replay``) reads them like cardtool traces.

Three formats besides cardtool's own, told apart by content (``sniff``), never by name:

* **apdu4j ``.dump``** (``DumpingBIBO``; read back by ``MockBIBO.fromDump``): ``#`` comment
  lines (``# ATR: <hex>``, ``# PROTOCOL: T=1``, ``# Using <reader>``, timing comments such
  as ``# Received in 40ms`` or ``# 42ms``) and, in between, hex lines that alternate
  command, response (data + SW). Blank lines are ignored.
* **pcsc-spy** (pcsc-lite's ``libpcscspy``), in both forms people save:

  - the raw log read from the ``~/pcsc-spy`` FIFO: every line is ``THREAD@TEXT``; a call
    is ``>|sec|usec|SCardTransmit``, its arguments one per line (numbers as ``0x%08lX``,
    buffers as a length line then ``00 A4 04 00 `` with a space after each byte), and
    ``<|sec|usec|SCardTransmit|<message>|0x<rv>``;
  - the decoded text printed by the ``pcsc-spy`` program: ``SCardTransmit``, then
    `` i bSendLength 0x00000005 (5)``, `` i bSendBuffer`` and hexdump lines
    `` i  0000 00 A4 04 00 00   .....``, the same with ``o`` for the response, and
    `` => <message> (SCARD_S_SUCCESS [0x00000000])  [0.000123]`` (colours allowed).

* **OpenSC debug logs** (``OPENSC_DEBUG=9`` or ``debug = 9`` in opensc.conf): lines
  ``P:<pid>; T:<thread> <time> [<program>] <file>:<line>:<function>: <text>``; each APDU is a
  block ``Outgoing APDU (N bytes):`` or ``Incoming APDU (N bytes):`` (older OpenSC:
  ``Outgoing APDU data [   N bytes] =====``) followed by hexdump lines of at most 16 bytes
  (``00 A4 04 00 07 62 76 01 FF 00 00 00 .....bv.....``), the ASCII column after the bytes.
  The ATR is taken from ``match_atr_table: ATR     : 3b:88:...``, the reader from
  ``pcsc_transmit: reader '...'``. An Outgoing APDU without an Incoming one before the next
  Outgoing APDU (a transmission that failed) carries no exchange.

Only ``SCardTransmit`` calls that succeeded become exchanges. A log that ends inside an
exchange (a command without its response: the program was killed) is imported up to the
last complete exchange and marked ``torn``. Anything else that does not parse raises
``TraceFormatError`` naming the line of the original file.

``to_trace`` / ``to_trace_bytes`` turn an import into the cardtool trace format
(``docs/trace-format.md``): marked unredacted (foreign tools do not redact) unless a
``Redactor`` is given, which then applies to every exchange as recording does.
``read_any_trace`` reads a file in any of the four formats into a ``Trace``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apdu.errors import ForeignLogFormatError, TraceFormatError
from apdu.trace import (
    FORMAT_NAME,
    FORMAT_VERSION,
    MAX_COMMAND_BYTES,
    MAX_RESPONSE_BYTES,
    Redactor,
    Trace,
    read_trace,
)

APDU4J = "apdu4j"
PCSC_SPY = "pcsc-spy"
OPENSC = "opensc"
CARDTOOL = "cardtool"
FOREIGN_FORMATS = (APDU4J, PCSC_SPY, OPENSC)


@dataclass
class Exchange:
    command: bytes
    response: bytes
    micros: int = 0


@dataclass
class ImportedLog:
    format: str
    path: str
    atr: bytes = b""
    reader: str = ""
    exchanges: list[Exchange] = field(default_factory=list)
    #: The log ends inside an exchange (a command without its response).
    torn: bool = False


def _fail(path: str, line: int, detail: str) -> TraceFormatError:
    return TraceFormatError(path=path, line=line, detail=detail)


def _apdu_sizes(path: str, line: int, command: bytes | None, response: bytes | None) -> None:
    """Refuse an APDU longer than any (so every exchange fits a trace line)."""
    if command is not None and len(command) > MAX_COMMAND_BYTES:
        raise _fail(path, line, f"a command of {len(command):,} bytes is longer than any APDU "
                                f"({MAX_COMMAND_BYTES:,})")
    if response is not None and len(response) > MAX_RESPONSE_BYTES:
        raise _fail(path, line, f"a response of {len(response):,} bytes is longer than any "
                                f"APDU response ({MAX_RESPONSE_BYTES:,})")


_HEX_LINE = re.compile(r"^[0-9A-Fa-f]*$")
_APDU4J_TIMING = re.compile(r"^#\s*(?:Received in\s*)?(\d+)\s*ms\b", re.IGNORECASE)


def _hex(text: str, path: str, line: int, what: str) -> bytes:
    if len(text) % 2 or not _HEX_LINE.match(text):
        raise _fail(path, line, f"the {what} is not an even number of hex digits")
    return bytes.fromhex(text)


def _foreign(fmt: str, exc: TraceFormatError) -> ForeignLogFormatError:
    return ForeignLogFormatError(format=fmt, path=exc.params["path"], line=exc.params["line"],
                                 detail=exc.params["detail"])


def parse_apdu4j(text: str, path: str) -> ImportedLog:
    try:
        return _parse_apdu4j(text, path)
    except TraceFormatError as exc:
        raise _foreign(APDU4J, exc) from None


def _parse_apdu4j(text: str, path: str) -> ImportedLog:
    log = ImportedLog(APDU4J, path)
    command: bytes | None = None
    micros = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            body = line[1:].strip()
            if body.upper().startswith("ATR:"):
                log.atr = _hex(body[4:].strip(), path, number, "ATR")
            elif body.startswith("Using "):
                log.reader = body[len("Using "):].strip()
            timing = _APDU4J_TIMING.match(line)
            if timing:
                micros = int(timing.group(1)) * 1000
            continue
        if command is None:
            command = _hex(line, path, number, "command")
            if len(command) < 4:
                raise _fail(path, number, "a command APDU has at least 4 bytes")
            _apdu_sizes(path, number, command, None)
            micros = 0
        else:
            response = _hex(line, path, number, "response")
            if len(response) < 2:
                raise _fail(path, number, "a response holds at least the 2-byte status word")
            _apdu_sizes(path, number, None, response)
            log.exchanges.append(Exchange(command, response, micros))
            command = None
    if command is not None:
        log.torn = True
    if not log.exchanges and not log.torn:
        raise _fail(path, 1, "no APDUs in the dump")
    return log


# --- pcsc-spy --------------------------------------------------------------------------

_RAW_LINE = re.compile(r"^([0-9A-Fa-f]+)@(.*)$")
_RAW_ENTER = re.compile(r"^>\|(\d+)\|(\d+)\|(\w+)$")
_RAW_LEAVE = re.compile(r"^<\|(\d+)\|(\d+)\|(\w+)\|(.*)\|0x([0-9A-Fa-f]{8})$")
_RAW_NUMBER = re.compile(r"^0x([0-9A-Fa-f]+)$")
_RAW_BUFFER = re.compile(r"^(?:[0-9A-Fa-f]{2} )*$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def looks_like_pcsc_spy_raw(first_line: str) -> bool:
    m = _RAW_LINE.match(first_line.strip())
    return bool(m and _RAW_ENTER.match(m.group(2)))


def parse_pcsc_spy(text: str, path: str) -> ImportedLog:
    """Either form of a pcsc-spy log (raw FIFO lines or the decoded printout)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        if looks_like_pcsc_spy_raw(first):
            return _parse_spy_raw(text, path)
        return _parse_spy_decoded(text, path)
    except TraceFormatError as exc:
        raise _foreign(PCSC_SPY, exc) from None


@dataclass
class _Call:
    name: str
    line: int
    sec: int
    usec: int
    args: list[str] = field(default_factory=list)


def _raw_buffers(args: list[str]) -> list[bytes]:
    """The buffers among a call's argument lines: a length line immediately followed by a
    line of exactly that many ``XX `` bytes."""
    buffers = []
    i = 0
    while i < len(args) - 1:
        length = _RAW_NUMBER.match(args[i])
        if length and _RAW_BUFFER.match(args[i + 1]):
            data = bytes.fromhex(args[i + 1].replace(" ", ""))
            if len(data) == int(length.group(1), 16):
                buffers.append(data)
                i += 2
                continue
        i += 1
    return buffers


def _parse_spy_raw(text: str, path: str) -> ImportedLog:
    log = ImportedLog(PCSC_SPY, path)
    open_calls: dict[str, _Call] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        m = _RAW_LINE.match(raw.rstrip("\r\n"))
        if m is None:
            raise _fail(path, number, "not a pcsc-spy line (THREAD@...)")
        thread, rest = m.group(1), m.group(2)
        enter = _RAW_ENTER.match(rest)
        if enter:
            open_calls[thread] = _Call(enter.group(3), number, int(enter.group(1)),
                                       int(enter.group(2)))
            continue
        leave = _RAW_LEAVE.match(rest)
        call = open_calls.get(thread)
        if leave:
            if call is None or call.name != leave.group(3):
                raise _fail(path, number, f"{leave.group(3)} returns without being called")
            del open_calls[thread]
            if call.name == "SCardStatus" and int(leave.group(5), 16) == 0 and not log.atr:
                atr = _raw_buffers(call.args)
                log.atr = atr[0] if atr else b""  # the card's ATR, when the program asked
            if call.name != "SCardTransmit" or int(leave.group(5), 16) != 0:
                continue  # other calls, and transmits that failed, carry no exchange
            buffers = _raw_buffers(call.args)
            if len(buffers) < 2:
                raise _fail(path, call.line, "SCardTransmit without its two buffers")
            command, response = buffers[0], buffers[1]
            if len(command) < 4 or len(response) < 2:
                raise _fail(path, call.line, "SCardTransmit buffers too short for an APDU")
            _apdu_sizes(path, call.line, command, response)
            micros = (int(leave.group(1)) - call.sec) * 1_000_000 + int(leave.group(2)) - call.usec
            log.exchanges.append(Exchange(command, response, max(0, micros)))
            continue
        if call is None:
            raise _fail(path, number, "an argument line outside any call")
        call.args.append(rest)
    if any(c.name == "SCardTransmit" for c in open_calls.values()):
        log.torn = True
    if not log.exchanges and not log.torn:
        raise _fail(path, 1, "no SCardTransmit in the log")
    return log


_DECODED_LENGTH = re.compile(r"^([io]) b(Send|Recv)Length 0x([0-9A-Fa-f]+)")
_DECODED_BUFFER = re.compile(r"^([io]) b(Send|Recv)Buffer$")
_DECODED_DUMP = re.compile(r"^([io])\s+([0-9A-Fa-f]{4}) ((?:[0-9A-Fa-f]{2} ?)+)")
_DECODED_RESULT = re.compile(r"^=> .*\[0x([0-9A-Fa-f]{8})\]\)\s*(?:\[(\d+)\.(\d+)\])?")
_THREAD_MARK = re.compile(r"^\(t\d+\)\s*")


def _decoded_bytes(dump: str, expected: int) -> list[int]:
    """The bytes of one hexdump line: after the offset, at most 16 two-digit tokens; the
    ASCII column that follows may itself look like hex, so stop at ``expected``."""
    tokens = dump.split(" ")
    values: list[int] = []
    for token in tokens:
        if len(values) == min(16, expected) or len(token) != 2:
            break
        values.append(int(token, 16))
    return values


def _parse_spy_decoded(text: str, path: str) -> ImportedLog:
    log = ImportedLog(PCSC_SPY, path)
    in_transmit = False
    start_line = 0
    lengths: dict[str, int] = {}
    buffers: dict[str, bytearray] = {}
    current: str | None = None
    seen_transmit = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _THREAD_MARK.sub("", _ANSI.sub("", raw).strip())
        if not line:
            continue
        if line == "SCardTransmit":
            if in_transmit:
                raise _fail(path, start_line, "SCardTransmit without its result line")
            in_transmit, start_line, seen_transmit = True, number, True
            lengths, buffers, current = {}, {"Send": bytearray(), "Recv": bytearray()}, None
            continue
        if not in_transmit:
            continue
        length = _DECODED_LENGTH.match(line)
        if length:
            lengths[length.group(2)] = int(length.group(3), 16)
            continue
        buffer = _DECODED_BUFFER.match(line)
        if buffer:
            current = buffer.group(2)
            continue
        dump = _DECODED_DUMP.match(line)
        if dump and current is not None:
            expected = lengths.get(current, 0) - len(buffers[current])
            buffers[current] += bytes(_decoded_bytes(dump.group(3), expected))
            continue
        result = _DECODED_RESULT.match(line)
        if result:
            in_transmit = False
            if int(result.group(1), 16) != 0:
                continue
            command, response = bytes(buffers["Send"]), bytes(buffers["Recv"])
            if len(command) != lengths.get("Send", -1) or len(response) != lengths.get("Recv", -1):
                raise _fail(path, start_line, "SCardTransmit buffers do not match their lengths")
            if len(command) < 4 or len(response) < 2:
                raise _fail(path, start_line, "SCardTransmit buffers too short for an APDU")
            _apdu_sizes(path, start_line, command, response)
            micros = 0
            if result.group(2) is not None:
                # pcsc-spy prints the microseconds zero-padded (6 digits; 9 in old versions)
                micros = int(result.group(2)) * 1_000_000 + int(result.group(3))
            log.exchanges.append(Exchange(command, response, micros))
    if in_transmit:
        log.torn = True
    if not seen_transmit:
        raise _fail(path, 1, "no SCardTransmit in the log")
    return log


# --- OpenSC debug log -------------------------------------------------------------------

_OPENSC_PREFIX = re.compile(
    r"^P:\d+; T:(?:0x)?[0-9A-Fa-f]+ (?:\d{4}-\d\d-\d\d )?(\d\d):(\d\d):(\d\d)\.(\d{3}) \[")
_OPENSC_BLOCK = re.compile(
    r"^(Outgoing|Incoming) APDU (?:\((\d+) bytes?\):|data \[\s*(\d+) bytes?\s*\]\s*=*)$")
_OPENSC_ATR = re.compile(r"match_atr_table: ATR\s*: ([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*)\s*$")
_OPENSC_READER = re.compile(r"pcsc_transmit: reader '(.*)'\s*$")
_HEX_TOKEN = re.compile(r"^[0-9A-Fa-f]{2}$")


def looks_like_opensc(lines: list[str]) -> bool:
    return any(_OPENSC_PREFIX.match(line) for line in lines) or any(
        _OPENSC_BLOCK.match(line.strip()) for line in lines)


def parse_opensc(text: str, path: str) -> ImportedLog:
    try:
        return _parse_opensc(text, path)
    except TraceFormatError as exc:
        raise _foreign(OPENSC, exc) from None


def _parse_opensc(text: str, path: str) -> ImportedLog:
    log = ImportedLog(OPENSC, path)
    now_ms: int | None = None
    # The command waiting for its answer: bytes, line, time of its block.
    pending: tuple[bytes, int, int | None] | None = None
    # The block being read: direction, expected length, bytes so far, its line, its time.
    block: tuple[str, int, bytearray, int, int | None] | None = None
    seen_block = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if block is not None:
            direction, expected, data, start, at = block
            take = min(16, expected - len(data))
            tokens = line.split(" ")[:take]
            if len(tokens) < take or not all(_HEX_TOKEN.match(t) for t in tokens):
                raise _fail(path, number, f"the {direction} APDU of line {start} holds "
                                          f"{len(data)} of its {expected} bytes")
            data += bytes(int(t, 16) for t in tokens)
            if len(data) < expected:
                continue
            block = None
            if direction == "Outgoing":
                if expected < 4:
                    raise _fail(path, start, "a command APDU has at least 4 bytes")
                _apdu_sizes(path, start, bytes(data), None)
                pending = (bytes(data), start, at)  # an unanswered earlier one failed
            else:
                if pending is None:
                    raise _fail(path, start, "an Incoming APDU without an Outgoing one")
                if expected < 2:
                    raise _fail(path, start, "a response holds at least the 2-byte status word")
                _apdu_sizes(path, start, None, bytes(data))
                micros = 0
                if pending[2] is not None and at is not None:
                    micros = max(0, (at - pending[2]) % 86_400_000) * 1000
                log.exchanges.append(Exchange(pending[0], bytes(data), micros))
                pending = None
            continue
        prefix = _OPENSC_PREFIX.match(line)
        if prefix:
            h, m, sec, ms = (int(g) for g in prefix.groups())
            now_ms = ((h * 60 + m) * 60 + sec) * 1000 + ms
            atr = _OPENSC_ATR.search(line)
            if atr and not log.atr:
                log.atr = bytes.fromhex(atr.group(1).replace(":", ""))
            reader = _OPENSC_READER.search(line)
            if reader and not log.reader:
                log.reader = reader.group(1)
            continue
        header = _OPENSC_BLOCK.match(line.strip())
        if header:
            seen_block = True
            expected = int(header.group(2) or header.group(3))
            if expected == 0:
                raise _fail(path, number, f"an empty {header.group(1)} APDU")
            block = (header.group(1), expected, bytearray(), number, now_ms)
    if block is not None or pending is not None:
        log.torn = True
    if not seen_block:
        raise _fail(path, 1, "no Outgoing/Incoming APDU blocks in the log")
    return log


# --- detection and conversion ---------------------------------------------------------


def sniff(text: str, name: str = "") -> str:
    """Which format ``text`` is in: ``cardtool``, ``apdu4j``, ``pcsc-spy`` or ``opensc``.
    Anything unrecognised is taken for a (possibly broken) cardtool trace."""
    lines = [line for line in text.splitlines()[:40] if line.strip()]
    if not lines or lines[0].lstrip().startswith("{"):
        return CARDTOOL
    if looks_like_pcsc_spy_raw(lines[0]):
        return PCSC_SPY
    if looks_like_opensc(lines):
        return OPENSC
    plain = [_ANSI.sub("", line).strip() for line in lines]
    if any(line.startswith("SCard") for line in plain) and any(
            line.startswith(("i ", "o ", "=> ")) for line in plain):
        return PCSC_SPY
    if name.endswith(".dump") or all(
            line.startswith("#") or _HEX_LINE.match(line) for line in plain):
        return APDU4J
    return CARDTOOL


def import_log(text: str, path: str) -> ImportedLog:
    kind = sniff(text, path)
    if kind == APDU4J:
        return parse_apdu4j(text, path)
    if kind == PCSC_SPY:
        return parse_pcsc_spy(text, path)
    if kind == OPENSC:
        return parse_opensc(text, path)
    raise _fail(path, 1, "not a cardtool trace, apdu4j dump, pcsc-spy log or OpenSC debug log")


def to_trace(log: ImportedLog, redactor: Redactor | None = None) -> Trace:
    """The import as a cardtool ``Trace``: one exchange event per exchange, redacted by
    ``redactor`` if one is given (else marked unredacted)."""
    redactions = list(redactor.names) if redactor is not None else []
    header: dict[str, Any] = {
        "format": FORMAT_NAME, "version": FORMAT_VERSION, "created": "",
        "tool": log.format, "source": log.reader or f"{log.format} {log.path}",
        "atr": log.atr.hex().upper(), "card": None, "redactions": redactions}
    if not redactions:
        header["unredacted"] = True
    trace = Trace(log.path, header, torn=log.torn)
    for n, exchange in enumerate(log.exchanges, start=1):
        if redactor is not None:
            command, response, applied = redactor.redact(exchange.command, exchange.response)
        else:
            command, response = exchange.command.hex().upper(), exchange.response.hex().upper()
            applied = ()
        event: dict[str, Any] = {"type": "exchange", "n": n, "command": command,
                                 "response": response, "us": exchange.micros}
        if applied:
            event["redacted"] = list(applied)
        trace.events.append(event)
    return trace


def redact_trace(trace: Trace, redactor: Redactor) -> Trace:
    """A cardtool trace with ``redactor`` applied to every exchange not redacted yet (one
    that already holds ``X`` stays as it is)."""
    header = dict(trace.header)
    names = [*header.get("redactions", [])]
    names.extend(n for n in redactor.names if n not in names)
    header["redactions"] = names
    if names:
        header.pop("unredacted", None)
    out = Trace(trace.path, header, torn=trace.torn)
    for event in trace.events:
        if event["type"] != "exchange":
            pass
        elif "X" in (event["command"] + event["response"]).upper():
            # Still shown to the redactor: what it announced (61 xx) decides the next one.
            redactor.skip(event["command"], event["response"])
        else:
            command, response, applied = redactor.redact(bytes.fromhex(event["command"]),
                                                         bytes.fromhex(event["response"]))
            event = {**event, "command": command, "response": response}
            if applied:
                event["redacted"] = sorted({*event.get("redacted", []), *applied})
        out.events.append(dict(event))
    return out


def trace_bytes(trace: Trace) -> bytes:
    """A ``Trace`` in the file format: the header line, then one line per event."""
    lines = [json.dumps(trace.header, ensure_ascii=False, separators=(",", ":"))]
    lines.extend(json.dumps(e, ensure_ascii=False, separators=(",", ":")) for e in trace.events)
    return ("\n".join(lines) + "\n").encode("utf-8")


def to_trace_bytes(log: ImportedLog, redactor: Redactor | None = None) -> bytes:
    """The import in the cardtool trace format (one header line, one line per exchange)."""
    return trace_bytes(to_trace(log, redactor))


def read_foreign_text(path: str | Path) -> str | None:
    """The text of ``path`` if it is a foreign log (not a cardtool trace), else None.
    Raises ``TraceFormatError`` (line 0) for a file that cannot be read."""
    p = str(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
            if head.lstrip()[:1] in (b"{", b""):
                return None
            data = head + fh.read()
    except FileNotFoundError:
        raise _fail(p, 0, "file not found") from None
    except IsADirectoryError:
        raise _fail(p, 0, "is a directory") from None
    except OSError as exc:
        raise _fail(p, 0, exc.strerror or "cannot be read") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(p, 0, f"not UTF-8 text (byte offset {exc.start})") from None
    return None if sniff(text, p) == CARDTOOL else text


def read_any_trace(path: str | Path) -> Trace:
    """A cardtool trace, apdu4j dump, pcsc-spy log or OpenSC debug log, detected by
    content, as a ``Trace`` (foreign logs unredacted, as they were written)."""
    text = read_foreign_text(path)
    if text is None:
        return read_trace(path)
    return to_trace(import_log(text, str(path)))
