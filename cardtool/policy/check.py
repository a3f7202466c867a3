"""The PIN-attempt policy checker for recorded traces: the fast implementation.

The rules and what they follow are defined by the reference implementation in
``check_plain.py`` (read its docstring first); this module must report exactly the same
findings, only faster, because CI pipelines run it over thousands of traces.

How it is fast:

* A file is read as bytes in one call. The lines written by ``TraceWriter`` have a fixed
  field order, so one compiled regular expression (``_BLOCK``) validates a whole run of
  them in C: structure, decimal numbers, hex with ``XX`` only as whole redacted bytes,
  a command of at least 4 bytes, a response whose status word is not redacted. The same
  match stops at the next line the state machine needs (a SELECT, a VERIFY or another
  secret-bearing command, a reset or removal, anything unusual) and hands over its fields.
  Lines that only read data (most of a trace) never reach Python code.
* Anything the expression does not recognise (other field orders, escapes, lower-case hex,
  a broken line) is handed to ``json.loads`` and the reference validator, line by line:
  correctness never depends on the fast path.
* Command fields are compared as hex bytes against precomputed tables (AIDs, key EFs,
  status words), so no APDU object is built for a canonical VERIFY or SELECT.
* Traces that are not redacted for personal data need every response scanned for a
  My Number; they use a second expression (``_BLOCK_ALL``) that hands over every exchange.
"""

from __future__ import annotations

import binascii
import re
from typing import Any

from apdu.errors import TraceFormatError
from apdu.trace import command_data_span, validate_event, validate_header
from cardtool.cards.mynumber.ids import APPLICATION_NAMES
from cardtool.policy.check_plain import PERSONAL, has_my_number, parse_json_line
from cardtool.policy.rules import (
    TORN,
    UNREADABLE,
    FileReport,
    Finding,
    format_problem,
    key_label,
    unknown_key_label,
)
from cardtool.policy.table import CONSECUTIVE_FAILURES_ALLOWED, KEYS, FormatRule

# --- the line grammar ---------------------------------------------------------------

# JSON numbers as TraceWriter writes them; longer ones go to json.loads, which knows
# Python's limit on digits in an int.
_NUM = rb"(?:0|[1-9][0-9]{0,17}+)"
# Hex as whole bytes: runs of hex pairs and runs of XX (redacted bytes), possessive so a
# mismatch fails at once. Long runs go 32 characters per step to keep the engine's loop
# overhead low.
_HEX_RUN = rb"[0-9A-F]{2}(?:[0-9A-F]{32})*+(?:[0-9A-F]{2})*+"
_X_RUN = rb"XX(?:X{32})*+(?:XX)*+"
_FIELD = rb"(?:" + _HEX_RUN + rb"|" + _X_RUN + rb")*+"
_PAIR = rb"(?:[0-9A-F]{2}|XX)"
_TRACKED_INS = rb"(?:A4|20|21|24|2C|32)"
_REDACTED = rb'(?:,"redacted":\[(?:"secret"|"personal"|"secret","personal")\])?'
# The command holds at least 4 bytes; the response at least its status word, unredacted.
_COMMAND_END = rb'(?<=[0-9A-FX]{8})","response":"'
_RESPONSE_END = rb'(?<=[0-9A-F]{4})","us":' + _NUM + _REDACTED + rb"\}\n"
_EXCHANGE = rb'\{"type":"exchange","n":'

_UNTRACKED = (_EXCHANGE + _NUM + rb',"command":"' + _PAIR + rb"(?!" + _TRACKED_INS + rb")"
              + _PAIR + _FIELD + _COMMAND_END + _FIELD + _RESPONSE_END)


def _exchange_capture(ins: bytes) -> bytes:
    return (_EXCHANGE + rb"(" + _NUM + rb'),"command":"(' + _PAIR + ins + _FIELD + rb")"
            + _COMMAND_END + rb"(" + _FIELD + rb")" + _RESPONSE_END)


_POWER = rb'\{"type":"(?:reset","atr":"' + _FIELD + rb'"|removed","n":' + _NUM + rb")\}\n"
_COUNTED = (rb'\{"type":"(?:card","kind":"[a-z0-9-]*+"'
            rb'|random","purpose":"[A-Za-z0-9._-]*+","value":"' + _FIELD + rb'(?<=[0-9A-FX]{2})"'
            rb'|transport-error","n":' + _NUM + rb',"error":"[A-Za-z0-9_]*+")\}\n')
_OTHER = rb"[^\n]*+\n?"


def _block(untracked: bytes | None, exchange: bytes) -> re.Pattern[bytes]:
    # Groups: 1 a handed-over exchange (2 n, 3 command, 4 response), 5 reset or removal,
    # 6 another known event, 7 any other line (for json.loads). ``lastindex`` tells which.
    skip = rb"(?:" + untracked + rb")*+" if untracked is not None else b""
    return re.compile(skip + rb"(?:(" + exchange + rb")|(" + _POWER + rb")|(" + _COUNTED
                      + rb")|(" + _OTHER + rb"))")


_BLOCK = _block(_UNTRACKED, _exchange_capture(_TRACKED_INS))
_BLOCK_ALL = _block(None, _exchange_capture(_PAIR))
_MY_NUMBER_HEX = re.compile(rb"(?:3[0-9]){12}")

# --- lookup tables -------------------------------------------------------------------

_TRACKED = frozenset({b"A4", b"20", b"21", b"24", b"2C", b"32"})
_HEX_BYTE: dict[bytes, int] = {f"{i:02X}".encode(): i for i in range(256)}
_PLAIN, _SM, _OTHER_CLASS = 0, 1, 2
_CLA_CLASS: dict[bytes, int] = {
    h: (_PLAIN if i <= 0x03 else _SM if i <= 0x0F else _OTHER_CLASS) for h, i in _HEX_BYTE.items()}
_SELECTED = b"selected"
_P2_KEY_EF: dict[bytes, bytes] = {b"80": _SELECTED} | {
    f"{0x80 | ef:02X}".encode(): f"{ef:04X}".encode() for ef in range(1, 0x20)}
_SW_OK, _SW_BLOCKED = -1, -2
_SW_KIND: dict[bytes, int] = ({b"9000": _SW_OK, b"6983": _SW_BLOCKED, b"6984": _SW_BLOCKED}
                              | {f"63C{x:X}".encode(): x for x in range(16)})
_APP_NAMES: dict[bytes, str] = {aid.hex().upper().encode(): name
                                for aid, name in APPLICATION_NAMES.items()}


class _Key:
    """A policy key, keyed by (AID hex, key EF hex) for the fast lookups."""

    __slots__ = ("label", "maximum", "rule")

    def __init__(self, label: str, maximum: int, rule: FormatRule) -> None:
        self.label = label
        self.maximum = maximum
        self.rule = rule


_KEYS: dict[tuple[bytes, bytes], _Key] = {
    (aid.hex().upper().encode(), f"{ef:04X}".encode()):
        _Key(key_label(secret.name, key.application), key.max_tries, secret.rule)
    for (aid, ef), (secret, key) in KEYS.items()}

_ALLOWED = CONSECUTIVE_FAILURES_ALLOWED
# Per-key state slots (a list per key and trace, not an object: cheaper to touch).
_COUNT, _FAILURES, _VERIFIED, _BLOCKED_AT, _ABOVE_MAX_REPORTED = 0, 1, 2, 3, 4


def _app_name(app: bytes | None) -> str | None:
    if app is None:
        return None
    return _APP_NAMES.get(app, app.decode("ascii"))


class _FastState:
    def __init__(self, path: str, scan_personal: bool) -> None:
        self.path = path
        self.scan_personal = scan_personal
        self.findings: list[Finding] = []
        self.app: bytes | None = None
        self.selected_ef: bytes | None = None
        self.keys: dict[_Key, list[Any]] = {}

    def add(self, n: int | None, rule: str, key: str = "", detail: str = "") -> None:
        self.findings.append(Finding(self.path, n, rule, key, detail))

    def power_cycle(self) -> None:
        self.set_app(None)
        self.selected_ef = None
        for state in self.keys.values():
            state[_VERIFIED] = False

    def set_app(self, app: bytes | None) -> None:
        if app != self.app:
            for state in self.keys.values():
                state[_VERIFIED] = False
            self.app = app

    def exchange(self, n: int | None, cmd: bytes, resp: bytes) -> None:
        """One exchange; ``cmd`` and ``resp`` are validated upper-case hex (X allowed)."""
        ins = cmd[2:4]
        cla = cmd[:2]
        if ins in _TRACKED and cla != b"XX":
            size = len(cmd)
            if size <= 10:
                data = b""
            else:
                lc = _HEX_BYTE.get(cmd[8:10])
                if lc and (size == 10 + 2 * lc or size == 12 + 2 * lc):
                    data = cmd[10 : 10 + 2 * lc]
                else:
                    start, end = command_data_span(
                        binascii.unhexlify(cmd.replace(b"X", b"0")))
                    data = cmd[2 * start : 2 * end]
            if ins == b"A4":
                self.select(cla, cmd[4:6], data, resp[-4:])
            else:
                if data and (ins != b"32" or _HEX_BYTE[cla] & 0x80) and cla != b"FF" and (
                        data.count(b"X") != len(data)):
                    self.add(n, "secret-unredacted")
                if ins == b"20":
                    self.verify(n, cla, cmd[4:6], cmd[6:8], data, resp[-4:])
        if self.scan_personal and len(resp) > 4 and _MY_NUMBER_HEX.search(resp, 0, len(resp) - 4):
            body = binascii.unhexlify(resp[:-4].replace(b"X", b"0"))
            if has_my_number(body):
                self.add(n, "my-number-visible")

    def select(self, cla: bytes, p1: bytes, data: bytes, sw: bytes) -> None:
        cla_class = _CLA_CLASS[cla]
        if cla_class == _OTHER_CLASS:
            return
        ok = sw == b"9000" or sw[:2] == b"61"
        if cla_class == _SM:
            if ok:
                self.set_app(None)
                self.selected_ef = None
            return
        if p1 == b"04":
            self.set_app((None if b"X" in data else data) if ok else None)
            self.selected_ef = None
        elif (p1 == b"00" or p1 == b"02") and len(data) == 4 and b"X" not in data:
            if ok:
                if data == b"3F00":
                    self.set_app(None)
                    self.selected_ef = None
                else:
                    self.selected_ef = data
        elif ok:
            self.set_app(None)
            self.selected_ef = None

    def verify(self, n: int | None, cla: bytes, p1: bytes, p2: bytes, data: bytes,
               sw: bytes) -> None:
        cla_class = _CLA_CLASS[cla]
        if cla_class == _SM and p2 == b"86":
            return  # residence card number: no counter
        key = None
        key_ef: bytes | None = None
        if cla_class == _PLAIN and p1 == b"00":
            addressed = _P2_KEY_EF.get(p2)
            if addressed is not None:
                key_ef = self.selected_ef if addressed is _SELECTED else addressed
                if self.app is not None and key_ef is not None:
                    key = _KEYS.get((self.app, key_ef))
        length = len(data) >> 1
        if key is None:
            if length:
                self.add(n, "unknown-key", unknown_key_label(
                    _app_name(self.app), int(key_ef, 16) if key_ef is not None else None))
            return
        state = self.keys.get(key)
        if state is None:
            state = self.keys[key] = [None, 0, False, None, False]
        label = key.label
        maximum = key.maximum
        prev = state[_COUNT]
        if length:
            problem = format_problem(
                key.rule, None if b"X" in data else binascii.unhexlify(data), length)
            if problem is not None:
                self.add(n, "pin-format", label, problem)
            if prev is None:
                self.add(n, "blind-verify", label)
            elif prev == 0:
                self.add(n, "verify-blocked", label)
            elif prev == 1:
                self.add(n, "last-try", label)
            if state[_VERIFIED]:
                self.add(n, "reverify", label)
        kind = _SW_KIND.get(sw)
        if kind == _SW_OK:
            if length:
                if prev == 0:
                    self.add(n, "blocked-wrong-sw", label, "SW 9000")
                state[_FAILURES] = 0
                state[_VERIFIED] = True
            elif prev is not None and prev < maximum:
                self.add(n, "counter-increased", label, f"{prev} -> {maximum}")
            state[_COUNT] = maximum
        elif kind is None:
            if length and prev == 0:
                self.add(n, "blocked-wrong-sw", label, "SW " + sw.decode("ascii"))
        elif kind == _SW_BLOCKED:
            if length:
                state[_VERIFIED] = False
            state[_COUNT] = 0
        else:
            left = kind
            if left > maximum and not state[_ABOVE_MAX_REPORTED]:
                state[_ABOVE_MAX_REPORTED] = True
                self.add(n, "max-above-policy", label, f"{left} > {maximum}")
            if length:
                if prev == 0:
                    self.add(n, "blocked-wrong-sw", label, "SW " + sw.decode("ascii"))
                elif prev is not None and left > prev:
                    self.add(n, "counter-increased", label, f"{prev} -> {left}")
                elif prev is not None and left != prev - 1:
                    self.add(n, "counter-step", label, f"{prev} -> {left}")
                failures = state[_FAILURES] = state[_FAILURES] + 1
                if failures == _ALLOWED + 1:
                    self.add(n, "repeated-failures", label, f"{failures} in a row")
                state[_VERIFIED] = False
                if left == 0 and prev != 0:
                    state[_BLOCKED_AT] = n if n is not None else -1
            elif prev is not None and left > prev:
                self.add(n, "counter-increased", label, f"{prev} -> {left}")
            state[_COUNT] = left

    def finish(self) -> None:
        for key, state in self.keys.items():
            blocked_at = state[_BLOCKED_AT]
            if blocked_at is not None and state[_COUNT] == 0:
                self.add(blocked_at if blocked_at >= 0 else None, "key-blocked", key.label)


def _line_number(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def check_data(path: str, source: str, data: bytes) -> FileReport:
    """Check one trace held in memory (a file's bytes, or an import turned into the trace
    format). Same findings as ``check_plain.check_data_plain``."""
    report = FileReport(path, source)

    def unreadable(offset: int, detail: str, line: int | None = None) -> FileReport:
        number = _line_number(data, offset) if line is None else line
        report.findings.append(Finding(path, None, UNREADABLE, "", f"line {number}: {detail}"))
        return report

    ascii_only = data.isascii()
    if not ascii_only:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return unreadable(0, f"not UTF-8 text (byte offset {exc.start})", line=0)

    # The header: the first non-blank line.
    end = len(data)
    pos = 0
    header: dict[str, Any] | None = None
    while pos < end or pos == 0:
        newline = data.find(b"\n", pos)
        complete = newline >= 0
        stop = newline + 1 if complete else end
        line = data[pos:newline] if complete else data[pos:]
        if not _blank(line, ascii_only):
            obj, problem = parse_json_line(line.decode("utf-8"))
            if problem is not None:
                if not complete:
                    return unreadable(pos, "the header line is incomplete")
                return unreadable(pos, problem)
            try:
                header = validate_header(obj, path)
            except TraceFormatError as exc:
                return unreadable(pos, str(exc.params["detail"]))
            pos = stop
            break
        if not complete:
            break
        pos = stop
    if header is None:
        return unreadable(0, "the file is empty", line=1)

    state = _FastState(path, PERSONAL not in header.get("redactions", []))
    match = (_BLOCK_ALL if state.scan_personal else _BLOCK).match
    exchange = state.exchange
    exchanges = 0
    torn: Finding | None = None
    while pos < end:
        m = match(data, pos)
        assert m is not None  # the last alternative matches any line
        which = m.lastindex
        start = m.start(which or 7)
        if start > pos:  # untracked exchanges, one per line
            exchanges += data.count(b"\n", pos, start)
        pos = m.end()
        if which == 1:
            exchanges += 1
            exchange(int(m.group(2)), m.group(3), m.group(4))
        elif which == 5:
            state.power_cycle()
        elif which == 6:
            pass
        else:
            line = m.group(7)
            complete = line.endswith(b"\n")
            if complete:
                line = line[:-1]
            if _blank(line, ascii_only):
                if complete:
                    continue
                break
            obj, problem = parse_json_line(line.decode("utf-8"))
            if problem is not None:
                if complete:
                    report.findings, report.exchanges = state.findings, exchanges
                    return unreadable(start, problem)
                torn = Finding(path, None, TORN, "", f"line {_line_number(data, start)}")
                break
            try:
                event = validate_event(obj, path, 0)
            except TraceFormatError as exc:
                report.findings, report.exchanges = state.findings, exchanges
                return unreadable(start, str(exc.params["detail"]))
            kind = event["type"]
            if kind == "exchange":
                exchanges += 1
                n = event.get("n")
                exchange(n if isinstance(n, int) and not isinstance(n, bool) else None,
                         event["command"].upper().encode("ascii"),
                         event["response"].upper().encode("ascii"))
            elif kind in ("reset", "removed"):
                state.power_cycle()
    state.finish()
    report.findings = state.findings
    if torn is not None:
        report.findings.append(torn)
    report.exchanges = exchanges
    return report


#: The ASCII characters ``str.strip`` removes (the reference strips decoded text).
_ASCII_SPACE = bytes(c for c in range(128) if chr(c).isspace())


def _blank(line: bytes, ascii_only: bool) -> bool:
    if ascii_only:
        return not line.strip(_ASCII_SPACE)
    return not line.decode("utf-8").strip()
