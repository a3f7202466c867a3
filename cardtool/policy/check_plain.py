"""The reference trace checker: bounded ``json.loads`` on every line, bytes and ``CommandApdu`` for
every command, one plain state machine. It defines what the rules mean; the fast checker
(``check.py``) must report exactly the same findings, and the tests hold it to that.

What is followed, per trace:

* the selected application (SELECT by DF name answered 90 00 / 61 xx; any other successful
  or a failed SELECT by name leaves it unknown) and the selected EF (SELECT by file id);
* per key of the policy table (application AID, key EF): the last known retry counter
  (``63 Cx`` gives x, ``90 00`` the policy's maximum, ``69 83``/``69 84`` zero), the
  failed VERIFYs in a row, whether it is verified (cleared by a reset, a removal and by
  selecting another application) and where a failed VERIFY blocked it.

A VERIFY addresses a key with P1 = 00 and P2 = 80 (the selected key EF) or 80|EF (the key
EF directly). CLA 00-03 is followed (logical channels are not told apart); a
secure-messaging VERIFY (CLA 04-0F) with P2 = 86 is the residence card number, which has
no counter: only the "unredacted secret" rule applies to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from apdu.errors import TraceFormatError
from apdu.jsonsafe import JsonRejected
from apdu.trace import (
    command_data_span,
    is_secret_command,
    parse_line,
    validate_event,
    validate_header,
)
from cardtool.cards.mynumber.ids import APPLICATION_NAMES
from cardtool.mynumber_digits import is_valid_my_number
from cardtool.policy.rules import (
    TORN,
    UNREADABLE,
    FileReport,
    Finding,
    format_problem,
    key_label,
    unknown_key_label,
)
from cardtool.policy.table import CONSECUTIVE_FAILURES_ALLOWED, key_for
from cardtool.secret_format import KeyRef, Secret

PERSONAL = "personal"
SM_CARD_NUMBER_P2 = 0x86


def parse_json_line(line: str | bytes) -> tuple[Any, str | None]:
    """(object, None) or (None, why it is not usable JSON). Shared by both checkers so that
    a broken line is described the same way; the limits are those of every trace reader
    (``apdu.trace.parse_line``)."""
    try:
        return parse_line(line), None
    except JsonRejected as exc:
        return None, exc.problem


def application_name(aid: bytes | None) -> str | None:
    if aid is None:
        return None
    return APPLICATION_NAMES.get(aid, aid.hex().upper())


#: Exactly 12 ASCII digits, not part of a longer run of digits.
_TWELVE_DIGITS = re.compile(rb"(?<![0-9])[0-9]{12}(?![0-9])")


#: A DER UTCTime header (tag 17, length 13): YYMMDDHHMMSS then Z, 12 digits that are a date.
_UTC_TIME_HEADER = b"\x17\x0d"


def has_my_number(data: bytes) -> bool:
    """Whether ``data`` holds a run of exactly 12 ASCII digits whose check digit is valid:
    a My Number as the text AP stores it (``FF 10 0C`` + 12 digits). The dates of a
    certificate (DER UTCTime, also 12 digits) are not numbers of anyone."""
    for m in _TWELVE_DIGITS.finditer(data):
        start, end = m.span()
        if data[start - 2 : start] == _UTC_TIME_HEADER and data[end : end + 1] == b"Z":
            continue
        if is_valid_my_number(m.group().decode("ascii")):
            return True
    return False


@dataclass
class _KeyState:
    count: int | None = None
    failures: int = 0
    verified: bool = False
    blocked_at: int | None = None
    #: A count above the policy's maximum is a property of the card: reported once per key.
    above_max_reported: bool = False


class PlainState:
    def __init__(self, path: str, header: dict[str, Any]) -> None:
        self.path = path
        self.scan_personal = PERSONAL not in header.get("redactions", [])
        self.findings: list[Finding] = []
        self.exchanges = 0
        self.app: bytes | None = None
        self.selected_ef: int | None = None
        self.keys: dict[tuple[bytes, int], _KeyState] = {}
        self.labels: dict[tuple[bytes, int], str] = {}

    def add(self, exchange: int | None, rule: str, key: str = "", detail: str = "") -> None:
        self.findings.append(Finding(self.path, exchange, rule, key, detail))

    # -- events -----------------------------------------------------------------------

    def event(self, e: dict[str, Any]) -> None:
        kind = e["type"]
        if kind == "exchange":
            self.exchanges += 1
            n = e.get("n")
            number = n if isinstance(n, int) and not isinstance(n, bool) else None
            self.exchange(number, e["command"].upper(), e["response"].upper())
        elif kind in ("reset", "removed"):
            # Power was cycled: the selection and the security state are gone; the retry
            # counters are not (they live in the card's EEPROM).
            self.set_app(None)
            self.selected_ef = None
            for state in self.keys.values():
                state.verified = False

    def set_app(self, aid: bytes | None) -> None:
        if aid != self.app:
            for state in self.keys.values():
                state.verified = False
        self.app = aid

    def exchange(self, n: int | None, command_hex: str, response_hex: str) -> None:
        command = bytes.fromhex(command_hex.replace("X", "0"))
        redacted = {i for i in range(len(command)) if command_hex[2 * i] == "X"}
        sw = int(response_hex[-4:], 16)
        cla_ins_known = 0 not in redacted and 1 not in redacted
        if cla_ins_known:
            start, end = command_data_span(command)
            data_redacted = [i in redacted for i in range(start, end)]
            data = None if any(data_redacted) else command[start:end]
            length = end - start
            if is_secret_command(command) and length and not all(data_redacted):
                self.add(n, "secret-unredacted")
            cla, ins = command[0], command[1]
            p1 = None if 2 in redacted else command[2]
            p2 = None if 3 in redacted else command[3]
            if ins == 0xA4:
                self.select(cla, p1, data, length, sw)
            elif ins == 0x20:
                self.verify(n, cla, p1, p2, data, length, sw)
        if self.scan_personal and len(response_hex) > 4:
            body = bytes.fromhex(response_hex[:-4].replace("X", "0"))
            if has_my_number(body):
                self.add(n, "my-number-visible")

    def select(self, cla: int, p1: int | None, data: bytes | None, length: int,
               sw: int) -> None:
        if cla > 0x0F:
            return  # not an interindustry SELECT
        ok = sw == 0x9000 or sw >> 8 == 0x61
        if cla > 0x03:
            if ok:  # secure messaging: the target is encrypted, so unknown
                self.set_app(None)
                self.selected_ef = None
            return
        if p1 == 0x04:
            self.set_app(data if ok else None)
            self.selected_ef = None
        elif p1 in (0x00, 0x02) and length == 2 and data is not None:
            if ok:
                fid = int.from_bytes(data, "big")
                if fid == 0x3F00:
                    self.set_app(None)
                    self.selected_ef = None
                else:
                    self.selected_ef = fid
        elif ok:
            self.set_app(None)
            self.selected_ef = None

    def verify(self, n: int | None, cla: int, p1: int | None, p2: int | None,
               data: bytes | None, length: int, sw: int) -> None:
        if 0x04 <= cla <= 0x0F and p2 == SM_CARD_NUMBER_P2:
            return  # residence card number: no counter
        key_ef: int | None = None
        found: tuple[Secret, KeyRef] | None = None
        if cla <= 0x03 and p1 == 0x00 and p2 is not None and p2 & 0xE0 == 0x80:
            key_ef = p2 & 0x1F or self.selected_ef
            if self.app is not None and key_ef is not None:
                found = key_for(self.app, key_ef)
        if found is None:
            if length:
                self.add(n, "unknown-key", unknown_key_label(application_name(self.app), key_ef))
            return
        secret, key = found
        ident = (key.aid, key.key_ef)
        state = self.keys.setdefault(ident, _KeyState())
        label = key_label(secret.name, key.application)
        maximum = key.max_tries
        prev = state.count
        if length:
            problem = format_problem(secret.rule, data, length)
            if problem is not None:
                self.add(n, "pin-format", label, problem)
            if prev is None:
                self.add(n, "blind-verify", label)
            elif prev == 0:
                self.add(n, "verify-blocked", label)
            elif prev == 1:
                self.add(n, "last-try", label)
            if state.verified:
                self.add(n, "reverify", label)
        if sw == 0x9000:
            if length:
                if prev == 0:
                    self.add(n, "blocked-wrong-sw", label, "SW 9000")
                state.failures = 0
                state.verified = True
            elif prev is not None and prev < maximum:
                self.add(n, "counter-increased", label, f"{prev} -> {maximum}")
            state.count = maximum
        elif sw >> 4 == 0x63C:
            left = sw & 0x0F
            if left > maximum and not state.above_max_reported:
                state.above_max_reported = True
                self.add(n, "max-above-policy", label, f"{left} > {maximum}")
            if length:
                if prev == 0:
                    self.add(n, "blocked-wrong-sw", label, f"SW {sw:04X}")
                elif prev is not None and left > prev:
                    self.add(n, "counter-increased", label, f"{prev} -> {left}")
                elif prev is not None and left != prev - 1:
                    self.add(n, "counter-step", label, f"{prev} -> {left}")
                state.failures += 1
                if state.failures == CONSECUTIVE_FAILURES_ALLOWED + 1:
                    self.add(n, "repeated-failures", label, f"{state.failures} in a row")
                state.verified = False
                if left == 0 and prev != 0:
                    state.blocked_at = n if n is not None else -1
            elif prev is not None and left > prev:
                self.add(n, "counter-increased", label, f"{prev} -> {left}")
            state.count = left
        elif sw in (0x6983, 0x6984):
            if length:
                state.verified = False
            state.count = 0
        elif length and prev == 0:
            self.add(n, "blocked-wrong-sw", label, f"SW {sw:04X}")
        self.labels[ident] = label

    def finish(self) -> None:
        for ident, state in self.keys.items():
            if state.blocked_at is not None and state.count == 0:
                at = state.blocked_at if state.blocked_at >= 0 else None
                self.add(at, "key-blocked", self.labels[ident])


def check_data_plain(path: str, source: str, data: bytes) -> FileReport:
    """Check one trace held in memory (the file's bytes, or an import turned into the
    trace format)."""
    report = FileReport(path, source)

    def unreadable(line: int, detail: str) -> FileReport:
        report.findings.append(Finding(path, None, UNREADABLE, "", f"line {line}: {detail}"))
        return report

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return unreadable(0, f"not UTF-8 text (byte offset {exc.start})")
    lines = text.split("\n")
    state: PlainState | None = None
    last = len(lines) - 1
    for index, line in enumerate(lines):
        number = index + 1
        complete = index < last
        if not line.strip():
            if complete:
                continue
            break
        obj, problem = parse_json_line(line)
        if problem is not None:
            if complete:
                if state is not None:
                    report.findings = state.findings
                    report.exchanges = state.exchanges
                return unreadable(number, problem)
            if state is None:
                return unreadable(number, "the header line is incomplete")
            state.add(None, TORN, "", f"line {number}")
            break
        try:
            if state is None:
                state = PlainState(path, validate_header(obj, path))
            else:
                state.event(validate_event(obj, path, number))
        except TraceFormatError as exc:
            if state is not None:
                report.findings = state.findings
                report.exchanges = state.exchanges
            return unreadable(number, str(exc.params["detail"]))
    if state is None:
        return unreadable(1, "the file is empty")
    torn = [f for f in state.findings if f.rule == TORN]
    state.findings = [f for f in state.findings if f.rule != TORN]
    state.finish()
    report.findings = state.findings + torn
    report.exchanges = state.exchanges
    return report
