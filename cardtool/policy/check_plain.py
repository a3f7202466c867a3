"""The reference trace checker: bounded ``json.loads`` on every line, bytes and ``CommandApdu`` for
every command, one plain state machine. It defines what the rules mean; the fast checker
(``check.py``) must report exactly the same findings, and the tests hold it to that. The
VERIFY rules themselves (and the per-key state below) live in ``verify_rules.py``, the one
engine both checkers feed: this module is the plain *parser* in front of it.

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
from typing import Any

from apdu.errors import TraceFormatError
from apdu.ins import INS
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
from cardtool.policy.rules import TORN, UNREADABLE, FileReport, TraceFinding
from cardtool.policy.verify_rules import POLICY_KEYS, PolicyKey, VerifyRules

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


class PlainState:
    def __init__(self, path: str, header: dict[str, Any]) -> None:
        self.path = path
        self.scan_personal = PERSONAL not in header.get("redactions", [])
        self.findings: list[TraceFinding] = []
        self.exchanges = 0
        self.app: bytes | None = None
        self.selected_ef: int | None = None
        #: The per-key state and the VERIFY rules, shared with the fast checker.
        self.rules = VerifyRules(self.add)

    def add(self, exchange: int | None, rule: str, key: str = "", detail: str = "") -> None:
        self.findings.append(TraceFinding(self.path, exchange, rule, key, detail))

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
            self.rules.lose_security()

    def set_app(self, aid: bytes | None) -> None:
        if aid != self.app:
            self.rules.lose_security()
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
            if ins == INS.SELECT:
                self.select(cla, p1, data, length, sw)
            elif ins == INS.VERIFY:
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
        key: PolicyKey | None = None
        if cla <= 0x03 and p1 == 0x00 and p2 is not None and p2 & 0xE0 == 0x80:
            key_ef = p2 & 0x1F or self.selected_ef
            if self.app is not None and key_ef is not None:
                key = POLICY_KEYS.get((self.app, key_ef))
        if key is None:
            if length:
                self.rules.unknown_key(n, application_name(self.app), key_ef)
            return
        self.rules.verify(n, key, length, data, sw)

    def finish(self) -> None:
        self.rules.finish()


def check_data_plain(path: str, source: str, data: bytes) -> FileReport:
    """Check one trace held in memory (the file's bytes, or an import turned into the
    trace format)."""
    report = FileReport(path, source)

    def unreadable(line: int, detail: str) -> FileReport:
        report.findings.append(TraceFinding(path, None, UNREADABLE, "", f"line {line}: {detail}"))
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
