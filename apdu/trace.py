"""APDU trace format v1 (JSON Lines): writer, reader and redaction.

Line 1 is a header object; each further line is one event. ``docs/trace-format.md``
documents every field. The writer flushes once per event so a crash loses at most the
event being written; the reader accepts a file whose last line was cut off and reports it.

Redaction replaces bytes with ``X`` nibbles in the hex text, so lengths, headers and status
words stay visible; replay matches a redacted command on its unredacted nibbles only.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from apdu.command import MAX_EXTENDED_LC, MAX_EXTENDED_LE, CommandApdu
from apdu.errors import MalformedData, TraceFormatError
from apdu.ins import INS
from apdu.jsonsafe import JsonRejected, loads_bounded

FORMAT_NAME = "cardtool-trace"
FORMAT_VERSION = 1

EVENT_TYPES = frozenset({"exchange", "random", "reset", "removed", "transport-error", "card"})

#: Instructions whose command data is a secret (PINs, passwords, card numbers).
SECRET_INS: frozenset[int] = frozenset({
    INS.VERIFY, INS.VERIFY_ODD, INS.CHANGE_REFERENCE_DATA, INS.RESET_RETRY_COUNTER})
#: Proprietary (CLA bit 8) instructions whose data is a secret: CHANGE KEY on 住基/共通 DFs.
SECRET_PROPRIETARY_INS: frozenset[int] = frozenset({INS.CHANGE_KEY})

REDACTION_SECRETS = "secrets"  # VERIFY / CHANGE REFERENCE DATA / RESET RETRY COUNTER data

#: The largest command and response APDUs there are: an extended command with 65,535 bytes
#: of data (header, 3-byte Lc, 2-byte Le), and 65,536 bytes of data plus the status word.
MAX_COMMAND_BYTES = 4 + 3 + MAX_EXTENDED_LC + 2
MAX_RESPONSE_BYTES = MAX_EXTENDED_LE + 2
#: The longest trace line read, in bytes. The longest real one is an exchange of the two
#: largest APDUs in hex (about 262,200 bytes); 1 MiB leaves four times that. Longer lines
#: are refused before they are parsed, like lines nested deeper than ``MAX_LINE_DEPTH``
#: (real events are two levels deep: the event object and its ``redacted`` list).
MAX_LINE_BYTES = 1 << 20
MAX_LINE_DEPTH = 16

_HEX_OR_REDACTED = re.compile(r"^(?:[0-9A-Fa-f]{2}|XX)*$")


def is_secret_command(command: bytes) -> bool:
    if len(command) < 4:
        return False
    cla, ins = command[0], command[1]
    if cla == 0xFF:  # reader pseudo-APDUs carry no card secrets
        return False
    return ins in SECRET_INS or bool(cla & 0x80 and ins in SECRET_PROPRIETARY_INS)


def command_data_span(command: bytes) -> tuple[int, int]:
    """Where the data field lies in an encoded command (start, end); (n, n) if none.

    A command that does not parse is treated as data from byte 4 on, so a malformed
    VERIFY still gets redacted.
    """
    try:
        parsed = CommandApdu.parse(command)
    except MalformedData:
        return (4, len(command)) if len(command) > 4 else (len(command), len(command))
    if not parsed.data:
        return len(command), len(command)
    start = 7 if parsed.is_extended else 5
    return start, start + len(parsed.data)


#: What replay supplies for each redacted response byte: "*" shows as a mask in text
#: fields, and parsers meet the same structure (tags and lengths are kept).
REDACTED_FILL = "2A"


def is_redacted_fill(text: str | None) -> bool:
    """A text field that a replay of a redacted trace filled (every byte '*'). Lives with
    the trace format, so card parsers can ask without depending on a transport."""
    return bool(text) and set(text or "") == {"*"}


def redact_span(data: bytes, start: int, end: int) -> str:
    return data[:start].hex().upper() + "XX" * (end - start) + data[end:].hex().upper()


def redact_command_data(command: bytes) -> str:
    start, end = command_data_span(command)
    return redact_span(command, start, end)


def matches_redacted(pattern: str, sent: bytes) -> bool:
    """True if ``sent`` equals the hex ``pattern`` wherever the pattern is not ``X``."""
    sent_hex = sent.hex().upper()
    if len(pattern) != len(sent_hex):
        return False
    return all(p == "X" or p == s for p, s in zip(pattern.upper(), sent_hex, strict=True))


class Redactor(Protocol):
    """Decides what of an exchange goes into a trace. ``redact`` returns (command hex,
    response hex, names of the redactions applied, empty if none). A redactor sees every
    exchange of a session in order (what one exchange announces, e.g. data to fetch with GET
    RESPONSE, decides how the next is redacted); ``skip`` tells it of an exchange that was
    redacted already and passes as it is."""

    names: tuple[str, ...]

    def redact(self, command: bytes, response: bytes) -> tuple[str, str, tuple[str, ...]]: ...

    def skip(self, command_hex: str, response_hex: str) -> None: ...


class SecretRedactor:
    """The default: the data field of VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER and
    CHANGE KEY. Card modules extend it (``cardtool.redaction``) for personal data."""

    names: tuple[str, ...] = (REDACTION_SECRETS,)

    def redact(self, command: bytes, response: bytes) -> tuple[str, str, tuple[str, ...]]:
        if is_secret_command(command):
            start, end = command_data_span(command)
            if end > start:
                return redact_span(command, start, end), response.hex().upper(), ("secret",)
        return command.hex().upper(), response.hex().upper(), ()

    def skip(self, command_hex: str, response_hex: str) -> None:
        """Secrets are redacted one exchange at a time: nothing to remember."""


class NoRedaction:
    names: tuple[str, ...] = ()

    def redact(self, command: bytes, response: bytes) -> tuple[str, str, tuple[str, ...]]:
        return command.hex().upper(), response.hex().upper(), ()

    def skip(self, command_hex: str, response_hex: str) -> None:
        """Nothing is redacted: nothing to remember."""


def utc_now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_header(
    *,
    atr: bytes,
    source: str,
    tool: str,
    redactions: Iterable[str],
    card: str | None = None,
    unredacted_warning: bool = False,
) -> dict[str, Any]:
    header: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "created": utc_now_iso(),
        "tool": tool,
        "source": source,
        "atr": atr.hex().upper(),
        "card": card,
        "redactions": list(redactions),
    }
    if unredacted_warning:
        header["unredacted"] = True
    return header


class TraceWriter:
    """Writes a trace line by line, one flush per event."""

    def __init__(self, path: str | Path, header: dict[str, Any]) -> None:
        self.path = Path(path)
        try:
            self._file: IO[str] | None = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise TraceFormatError(
                path=str(path), line=0, detail=f"cannot create the file ({exc.strerror})"
            ) from None
        self.exchanges = 0
        self._write(header)

    def _write(self, obj: dict[str, Any]) -> None:
        if self._file is None:
            return
        self._file.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._file.flush()

    def exchange(
        self, command_hex: str, response_hex: str, micros: int, redacted: tuple[str, ...] = ()
    ) -> None:
        self.exchanges += 1
        event: dict[str, Any] = {
            "type": "exchange",
            "n": self.exchanges,
            "command": command_hex,
            "response": response_hex,
            "us": micros,
        }
        if redacted:
            event["redacted"] = list(redacted)
        self._write(event)

    def event(self, type_: str, **fields: Any) -> None:
        self._write({"type": type_, **fields})

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


@dataclass
class Trace:
    path: str
    header: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    #: True when the last line was cut off (a crash while writing); that line is dropped.
    torn: bool = False

    @property
    def atr(self) -> bytes:
        return bytes.fromhex(self.header.get("atr") or "")

    def exchanges(self) -> Iterator[dict[str, Any]]:
        return (e for e in self.events if e["type"] == "exchange")


def _fail(path: str, line: int, detail: str) -> TraceFormatError:
    return TraceFormatError(path=path, line=line, detail=detail)


def validate_header(obj: Any, path: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise _fail(path, 1, "the first line must be a JSON object (the header)")
    if obj.get("format") != FORMAT_NAME:
        raise _fail(path, 1, f"'format' must be '{FORMAT_NAME}'")
    if obj.get("version") != FORMAT_VERSION:
        raise _fail(path, 1, f"unsupported version {obj.get('version')!r} (this tool reads 1)")
    atr = obj.get("atr", "")
    if not isinstance(atr, str) or not _HEX_OR_REDACTED.match(atr):
        raise _fail(path, 1, "'atr' must be a hex string")
    if not isinstance(obj.get("redactions", []), list):
        raise _fail(path, 1, "'redactions' must be a list")
    return obj


def _hex_field(event: dict[str, Any], key: str, path: str, line: int, min_len: int) -> None:
    value = event.get(key)
    if not isinstance(value, str) or not _HEX_OR_REDACTED.match(value):
        raise _fail(path, line, f"'{key}' must be a hex string (X for redacted bytes)")
    if len(value) < min_len * 2:
        raise _fail(path, line, f"'{key}' must hold at least {min_len} bytes")


def validate_event(obj: Any, path: str, line: int) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise _fail(path, line, "each event must be a JSON object")
    kind = obj.get("type")
    if kind not in EVENT_TYPES:
        raise _fail(path, line, f"unknown event type {kind!r}")
    if kind == "exchange":
        _hex_field(obj, "command", path, line, 4)
        _hex_field(obj, "response", path, line, 2)
        if obj["response"][-4:].upper().count("X"):
            raise _fail(path, line, "the status word of a response may not be redacted")
    elif kind == "random":
        _hex_field(obj, "value", path, line, 1)
        if not isinstance(obj.get("purpose"), str):
            raise _fail(path, line, "'purpose' must be a string")
    elif kind == "reset":
        _hex_field(obj, "atr", path, line, 0)
    return obj


def iter_trace_lines(path: str | Path) -> Iterator[tuple[int, str, bool]]:
    """(line number, text, ends with newline) for every line of the file. A line longer than
    ``MAX_LINE_BYTES`` is read only that far (the rest is skipped, never held in memory):
    its text is the first ``MAX_LINE_BYTES + 1`` characters, which the parser refuses."""
    p = str(path)
    try:
        with open(path, encoding="utf-8") as fh:
            number = 0
            while True:
                text = fh.readline(MAX_LINE_BYTES + 1)
                if not text:
                    return
                number += 1
                complete = text.endswith("\n")
                if not complete and len(text) > MAX_LINE_BYTES:
                    rest = text
                    while rest and not rest.endswith("\n"):
                        rest = fh.readline(MAX_LINE_BYTES)
                    complete = bool(rest)
                yield number, text, complete
    except FileNotFoundError:
        raise _fail(p, 0, "file not found") from None
    except IsADirectoryError:
        raise _fail(p, 0, "is a directory") from None
    except UnicodeDecodeError as exc:
        raise _fail(p, 0, f"not UTF-8 text (byte offset {exc.start})") from None
    except OSError as exc:
        raise _fail(p, 0, exc.strerror or "cannot be read") from None


def parse_line(text: str | bytes) -> Any:
    """One trace line as JSON, within ``MAX_LINE_BYTES`` and ``MAX_LINE_DEPTH``; raises
    ``JsonRejected``. Every reader of traces (show, replay, check) parses lines here."""
    return loads_bounded(text, max_depth=MAX_LINE_DEPTH, max_bytes=MAX_LINE_BYTES,
                         what="trace line")


def has_long_line(data: bytes, limit: int = MAX_LINE_BYTES) -> bool:
    """Whether a line of ``data`` (newline excluded) is longer than ``limit`` bytes. Each
    step looks back from ``limit + 1`` bytes ahead for the last newline, so a file of short
    lines costs about ``len(data) / limit`` steps."""
    pos, end = 0, len(data)
    while end - pos > limit:
        newline = data.rfind(b"\n", pos, pos + limit + 1)
        if newline < 0:
            return True
        pos = newline + 1
    return False


def read_trace(path: str | Path) -> Trace:
    p = str(path)
    header: dict[str, Any] | None = None
    trace: Trace | None = None
    for number, text, complete in iter_trace_lines(path):
        if not text.strip():
            if complete:
                continue
            break
        try:
            obj = parse_line(text.removesuffix("\n"))
        except JsonRejected as exc:
            if not complete:
                # A torn last line: the writer was killed mid-event. Keep what came before.
                if trace is None:
                    raise _fail(p, number, "the header line is incomplete") from None
                trace.torn = True
                break
            raise _fail(p, number, exc.problem) from None
        if header is None:
            header = validate_header(obj, p)
            trace = Trace(p, header)
        else:
            assert trace is not None
            trace.events.append(validate_event(obj, p, number))
    if trace is None:
        raise _fail(p, 1, "the file is empty")
    return trace
