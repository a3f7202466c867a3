"""The PIN-attempt policy checker for recorded traces: the fast implementation.

The rules and what they follow are defined by the reference implementation in
``check_plain.py`` (read its docstring first); this module must report exactly the same
findings, only faster, because CI pipelines run it over thousands of traces. Both are
parsers: what a VERIFY of a policy key means (per-key state, the VERIFY rules) is decided
by the one engine both feed, ``verify_rules.VerifyRules``.

How it is fast: a file is read as bytes in one call and goes down the first of three
paths that can take it, each giving the same findings as the reference.

1. **Scanner and automaton** (``_check_automaton``), for a trace as ``TraceWriter`` writes
   it (fixed field order), redacted for personal data and without findings: most traces.
   A line scanner validates every line (structure, decimal numbers, hex with ``XX`` only
   as whole redacted bytes, a command of at least 4 bytes, a status word in clear) and
   hands over only the command and response of the exchanges the policy follows (SELECT,
   VERIFY and the other secret-bearing commands) and the resets. The scanner is C
   (``_linescan.c``, built at install when a C compiler is there) or, with the same
   results, one regular expression (``_Grammar.lines``). Those tokens drive an automaton
   whose states are the checker's states, its moves computed once by ``_FastState``
   itself and kept: one dictionary lookup per followed exchange.
2. **One expression, state machine in Python** (``_check_canonical``), for the same kind
   of trace with findings (they need exchange numbers): the compiled expression
   ``_Grammar.flat`` validates the lines in C and hands over the fields of followed
   exchanges as tuples; command fields are compared as hex against precomputed tables.
3. **Line by line** (``_Grammar.block`` / ``_Grammar.every``): anything the expressions do
   not recognise (other field orders, escapes, lower-case hex, a broken or torn line)
   goes to (bounded) ``json.loads`` and the reference validator, so correctness never depends on
   the fast paths; traces not redacted for personal data, whose every response is
   scanned for a My Number, also go here.
"""

from __future__ import annotations

import binascii
import os
import re
from collections.abc import Callable
from typing import Any

from apdu.errors import TraceFormatError
from apdu.ins import INS
from apdu.trace import (
    MAX_LINE_BYTES,
    SECRET_INS,
    SECRET_PROPRIETARY_INS,
    command_data_span,
    has_long_line,
    validate_event,
    validate_header,
)
from cardtool.cards.mynumber.ids import APPLICATION_NAMES
from cardtool.policy.check_plain import (
    PERSONAL,
    check_data_plain,
    has_my_number,
    parse_json_line,
)
from cardtool.policy.rules import TORN, UNREADABLE, FileReport, TraceFinding
from cardtool.policy.table import CONSECUTIVE_FAILURES_ALLOWED
from cardtool.policy.verify_rules import (
    BLOCKED_AT_UNNUMBERED,
    NOT_VERIFIED,
    POLICY_KEYS,
    KeyState,
    PolicyKey,
    VerifyRules,
)

# --- the line grammar ---------------------------------------------------------------

# JSON numbers as TraceWriter writes them; longer ones go to json.loads, which knows
# Python's limit on digits in an int.
_NUM = rb"(?:0|[1-9][0-9]{0,17}+)"
#: The instructions the checker follows: SELECT, and those whose data is a secret
#: (``apdu.trace.is_secret_command``). ``_linescan.c`` (``tracked``) lists the same bytes,
#: and the tests hold it to the expressions built from these.
_TRACKED_INSTRUCTIONS = (INS.SELECT, INS.VERIFY, INS.VERIFY_ODD, INS.CHANGE_REFERENCE_DATA,
                         INS.RESET_RETRY_COUNTER, INS.CHANGE_KEY)
assert frozenset(_TRACKED_INSTRUCTIONS) == {INS.SELECT} | SECRET_INS | SECRET_PROPRIETARY_INS
#: The same as traces spell them; the scanner compares hex, never numbers.
_TRACKED = frozenset(ins.hex_digits() for ins in _TRACKED_INSTRUCTIONS)
_SELECT = INS.SELECT.hex_digits()
_VERIFY = INS.VERIFY.hex_digits()
_CHANGE_KEY = INS.CHANGE_KEY.hex_digits()
_TRACKED_INS = rb"(?:" + rb"|".join(ins.hex_digits() for ins in _TRACKED_INSTRUCTIONS) + rb")"
#: The commands of the lines the grammar knows by heart, as cardtool sends them (CLA 00):
#: SELECT by DF name and of an EF, both without FCI (P2 0C), and VERIFY with P1 00.
_SELECT_BY_NAME = _SELECT + b"040C"  # then Lc and the AID
_SELECT_EF = _SELECT + b"020C02"  # then the file id
_VERIFY_P1 = _VERIFY + b"00"  # then P2 (and Lc and the data)
_REDACTED = rb'(?:,"redacted":\[(?:"secret"|"personal"|"secret","personal")\])?'
_EXCHANGE = rb'\{"type":"exchange","n":'
_OTHER = rb"[^\n]*+\n?"


class _Grammar:
    """The compiled expressions, for one spelling ``hex_class`` of "a hex digit".

    ``[0-9A-F]`` is two ranges, which the regex engine tests one after the other; adding
    NUL makes it a 256-bit set, tested in one step and about twice as fast. NUL is never
    valid in a trace line (JSON forbids raw control characters), so the NUL spelling is
    used only for data without a NUL byte; the exact spelling for the rest.
    """

    def __init__(self, hex_class: bytes) -> None:
        h = hex_class
        # Hex as whole bytes: a run of hex pairs (maybe empty), then runs of XX (redacted
        # bytes) each followed by hex pairs. Possessive, so a mismatch fails at once; long
        # runs go 256 and 32 characters per step (each step costs a few nanoseconds).
        hex_run = rb"(?:" + h + rb"{256})*+(?:" + h + rb"{32})*+(?:" + h + rb"{2})*+"
        x_run = rb"XX(?:X{32})*+(?:XX)*+"
        field = hex_run + rb"(?:" + x_run + hex_run + rb")*+"
        pair = rb"(?:" + h + rb"{2}|XX)"
        # The command holds at least 4 bytes; the response at least its status word,
        # not redacted.
        command_end = rb'(?<=[0-9A-FX]{8})","response":"'
        response_end = rb'(?<=[0-9A-F]{4})","us":' + _NUM + _REDACTED + rb"\}\n"
        # An exchange the state machine does not follow, from its command up to the ``}``
        # (four whole bytes spelled out: the command's minimum, without a lookbehind).
        untracked_fields = (pair + rb"(?!" + _TRACKED_INS + rb")" + pair + pair + pair + field
                            + rb'","response":"' + field + rb'(?<=[0-9A-F]{4})","us":' + _NUM
                            + _REDACTED + rb"\}")
        untracked = _EXCHANGE + _NUM + rb',"command":"' + untracked_fields + rb"\n"

        def exchange(ins: bytes) -> bytes:
            return (rb"(?P<cmd>" + pair + ins + field + rb")" + command_end + rb"(?P<resp>" + field
                    + rb")" + response_end)

        plain_end = rb'","us":' + _NUM + rb"\}\n"
        # The commonest tracked lines, as cardtool writes them, with just the fields the
        # state machine needs: SELECT by AID (10-byte My Number or 16-byte residence AIDs)
        # and SELECT of an EF, both answered 90 00, and the empty VERIFY (counter query).
        # They share the line's start, matched once.
        # The Lc (0A or 10) and the AID's length, checked ahead.
        aid_length = rb'(?:0A(?=' + h + rb'{20}")|10(?=' + h + rb'{32}"))'
        select_aid = (_SELECT_BY_NAME + aid_length + rb"(?P<aid>" + h
                      + rb"{20}(?:" + h + rb'{12})?)","response":"9000' + plain_end)
        # The query's P2 through its status word, one group (``_QUERY`` reads it).
        query = (_VERIFY_P1 + rb'(?P<q>[89]' + h + rb'","response":"(?:9000|63C' + h
                 + rb"|698[34]))" + plain_end)
        select_ef = _SELECT_EF + rb"(?P<fid>" + h + rb'{4})","response":"9000' + plain_end
        # A SELECT by AID that failed (probing for an application the card lacks).
        no_select = (_SELECT_BY_NAME + aid_length + rb"(?P<nosel>" + h
                     + rb"{20}(?:" + h + rb'{12})?)","response":"6A82' + plain_end)
        # A VERIFY with redacted data, as the recorder writes it: P2 through the status word
        # in one group (the loop checks that Lc matches the data).
        redacted_verify = (_VERIFY_P1 + rb"(?P<v>[89]" + h + h + rb"{2}(?:XX)++"
                           + rb'","response":"' + h + rb"{4})" + rb'","us":' + _NUM
                           + rb',"redacted":\["secret"\]\}\n')
        exchanges = (_EXCHANGE + rb"(?P<n>" + _NUM + rb'),"command":"(?:00(?:' + select_aid + rb"|"
                     + query + rb"|" + redacted_verify + rb"|" + select_ef + rb"|" + no_select
                     + rb")|" + exchange(_TRACKED_INS) + rb")")
        # Resets and removals, and the events that change nothing (card, random, transport
        # error): what follows their type.
        power_rest = rb'(?:","atr":"' + field + rb'"|","n":' + _NUM + rb")\}\n"
        counted_types = rb"card|random|transport-error"
        counted_rest = (rb'(?:","kind":"[a-z0-9-]*+"|","purpose":"[A-Za-z0-9._-]*+","value":"'
                        + field + rb'(?<=[0-9A-FX]{2})"|","n":' + _NUM
                        + rb',"error":"[A-Za-z0-9_]*+")\}\n')
        power = rb'\{"type":"(?P<pw>reset|removed)' + power_rest
        counted = rb'\{"type":"(?P<ct>' + counted_types + rb")" + counted_rest
        other = rb"(?P<other>" + _OTHER + rb")"
        skip = rb"(?:" + untracked + rb")*+"
        tracked = (exchanges, power, counted, other)
        every_exchange = (_EXCHANGE + rb"(?P<n>" + _NUM + rb'),"command":"' + exchange(pair))

        def named(alternatives: tuple[bytes, ...], names: tuple[str, ...]) -> bytes:
            return rb"|".join(rb"(?P<" + name.encode() + rb">" + alternative + rb")"
                              for alternative, name in zip(alternatives, names, strict=True))

        #: Redacted traces: untracked exchanges are validated and skipped inside the
        #: engine; each match ends with one line for Python. ``findall`` gives, per match,
        #: the fields in ``_FLAT_FIELDS`` order, so no match object is made per line.
        self.flat = re.compile(skip + rb"(?:" + rb"|".join(tracked) + rb")")
        assert tuple(sorted(self.flat.groupindex, key=self.flat.groupindex.__getitem__)
                     ) == _FLAT_FIELDS
        #: The same with an outer group per alternative, for the line-by-line loop that
        #: also handles unusual lines (a match's ``lastindex`` is its alternative).
        self.block = re.compile(skip + rb"(?:" + named(
            tracked, ("exchange", "power", "counted", "otherline")) + rb")")
        #: Traces not redacted for personal data: every exchange goes to Python (its
        #: response is scanned for a My Number).
        self.every = re.compile(rb"(?:" + named(
            (every_exchange, power, counted, other), ("exchange", "power", "counted",
                                                      "otherline")) + rb")")
        #: Group numbers (-1: absent) of the alternatives and fields, in ``_GROUP_NAMES``
        #: order.
        self.block_groups = tuple(self.block.groupindex.get(g, -1) for g in _GROUP_NAMES)
        self.every_groups = tuple(self.every.groupindex.get(g, -1) for g in _GROUP_NAMES)

        # The line scanner's grammar: ``scan_lines_python`` gives, from one ``findall``,
        # what the C scanner (``_linescan.c``) gives; it defines that scanner and is the
        # fall back when it is not built. One item per line, one group, so ``findall``
        # gives a flat list of byte strings. A line is recognised by what comes before the
        # group and the group's own lookbehind, and checked whole:
        #
        # * an untracked exchange, validated up to its ``}``: the group is its newline
        #   (``b"\n"``; one-byte strings are shared objects, so no allocation);
        # * a tracked exchange: the group is its command and response, ``C","response":"R``
        #   without the exchange number or the time, so equal exchanges give equal tokens.
        #   Its hex is only delimited here (by quotes, on the line); the automaton
        #   validates each distinct token once;
        # * a reset or removal: ``b"r"``; a card, random or transport-error event: ``b":"``;
        # * any other line: ``b""`` (the file goes to the other paths).
        heads = (rb"(?:" + _EXCHANGE + _NUM + rb',"command":"(?:' + untracked_fields
                 + rb"(?=\n)|(?=" + pair + _TRACKED_INS
                 + rb'))|\{"type"(?::"(?=re)|(?=:"))|(?=[\s\S]))')
        token = (rb"((?<=\})\n"
                 rb'|(?<=,"command":")' + pair + _TRACKED_INS + rb'[^"\n]*+","response":"[^"\n]*+'
                 rb'(?=","us":' + _NUM + _REDACTED + rb"\}\n)"
                 rb'|(?<=\{"type":")r(?=(?:eset|emoved)' + power_rest + rb")"
                 rb'|(?<=\{"type"):(?="(?:' + counted_types + rb")" + counted_rest + rb")"
                 rb"|)")
        # After an untracked line's newline nothing is left; otherwise the rest of the line.
        tail = rb"(?:(?<=\n)|[^\n]*+\n?)"
        #: One token per line, for ``_check_automaton``.
        self.lines = re.compile(heads + token + tail)


_FLAT_FIELDS = ("n", "aid", "q", "v", "fid", "nosel", "cmd", "resp", "pw", "ct", "other")
_GROUP_NAMES = ("exchange", "power", "counted", "otherline",
                "aid", "fid", "q", "v", "nosel", "n", "cmd", "resp", "other")


_FAST_GRAMMAR = _Grammar(rb"[0-9A-F\x00]")
_EXACT_GRAMMAR = _Grammar(rb"[0-9A-F]")
_MY_NUMBER_HEX = re.compile(rb"(?:3[0-9]){12}")


# --- lookup tables -------------------------------------------------------------------

_HEX_BYTE: dict[bytes, int] = {f"{i:02X}".encode(): i for i in range(256)}
_PLAIN, _SM, _OTHER_CLASS = 0, 1, 2
_CLA_CLASS: dict[bytes, int] = {
    h: (_PLAIN if i <= 0x03 else _SM if i <= 0x0F else _OTHER_CLASS) for h, i in _HEX_BYTE.items()}
_SELECTED = b"selected"
_P2_KEY_EF: dict[bytes, bytes] = {b"80": _SELECTED} | {
    f"{0x80 | ef:02X}".encode(): f"{ef:04X}".encode() for ef in range(1, 0x20)}
#: The status words the grammar's empty VERIFY (``q``) takes, as hex and as a number.
_QUERY_SWS: dict[bytes, int] = {
    sw.encode(): int(sw, 16) for sw in ("9000", "6983", "6984", *(f"63C{x:X}" for x in range(16)))}
_APP_NAMES: dict[bytes, str] = {aid.hex().upper().encode(): name
                                for aid, name in APPLICATION_NAMES.items()}


#: (AID hex, key EF hex) -> the policy's key, for the fast lookups.
_KEYS: dict[tuple[bytes | None, bytes | None], PolicyKey] = {
    (aid.hex().upper().encode(), f"{ef:04X}".encode()): key
    for (aid, ef), key in POLICY_KEYS.items()}

#: (AID hex, P2 hex) -> key, for a VERIFY that names its key EF in P2 (80|EF).
_P2_KEYS: dict[tuple[bytes | None, bytes], PolicyKey] = {
    (aid.hex().upper().encode(), f"{0x80 | ef:02X}".encode()): _KEYS[
        (aid.hex().upper().encode(), f"{ef:04X}".encode())]
    for aid, ef in POLICY_KEYS if ef <= 0x1F}

#: The same, per application: {AID hex: {P2 hex: key}} and {AID hex: {EF hex: key}}.
_NO_KEYS: dict[bytes | None, PolicyKey] = {}
_P2_KEYS_BY_APP: dict[bytes | None, dict[bytes | None, PolicyKey]] = {}
_EF_KEYS_BY_APP: dict[bytes | None, dict[bytes | None, PolicyKey]] = {}
for (_aid, _p2), _key in _P2_KEYS.items():
    _P2_KEYS_BY_APP.setdefault(_aid, {})[_p2] = _key
for (_aid, _ef), _key in _KEYS.items():
    _EF_KEYS_BY_APP.setdefault(_aid, {})[_ef] = _key

#: The ``q`` group of an empty VERIFY (P2 through SW, e.g. ``98","response":"63C3``) ->
#: (P2, or None for 80 = the selected key EF; the status word).
_QUERY: dict[bytes, tuple[bytes | None, int]] = {
    b'%02X","response":"%s' % (p2, sw_hex): (None if p2 == 0x80 else b"%02X" % p2, sw)
    for p2 in range(0x80, 0xA0) for sw_hex, sw in _QUERY_SWS.items()}

#: Per application (AID hex, or None): the ``q`` group of an empty VERIFY -> (the key it
#: names, or None for P2 = 80: the selected key EF; the status word). Unknown keys absent.
_QUERY_BY_APP: dict[bytes | None, dict[bytes, tuple[PolicyKey | None, int]]] = {}
for _app in [None, *_P2_KEYS_BY_APP]:
    _QUERY_BY_APP[_app] = {
        text: (None if p2 is None else _P2_KEYS_BY_APP.get(_app, {}).get(p2), sw)
        for text, (p2, sw) in _QUERY.items()
        if p2 is None or p2 in _P2_KEYS_BY_APP.get(_app, {})}
_QUERY_NO_APP = _QUERY_BY_APP[None]



def _app_name(app: bytes | None) -> str | None:
    if app is None:
        return None
    return _APP_NAMES.get(app, app.decode("ascii"))


class _FastState:
    def __init__(self, path: str, scan_personal: bool) -> None:
        self.path = path
        self.scan_personal = scan_personal
        self.findings: list[TraceFinding] = []
        self.app: bytes | None = None
        self.selected_ef: bytes | None = None
        #: The per-key state and the VERIFY rules, shared with the reference checker.
        self.rules = VerifyRules(self.add)

    def add(self, n: int | None, rule: str, key: str = "", detail: str = "") -> None:
        self.findings.append(TraceFinding(self.path, n, rule, key, detail))

    def power_cycle(self) -> None:
        self.app = None
        self.selected_ef = None
        self.rules.lose_security()

    def set_app(self, app: bytes | None) -> None:
        if app != self.app:
            self.rules.lose_security()
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
            if ins == _SELECT:
                self.select(cla, cmd[4:6], data, resp[-4:])
            else:
                if data and (ins != _CHANGE_KEY or _HEX_BYTE[cla] & 0x80) and cla != b"FF" and (
                        data.count(b"X") != len(data)):
                    self.add(n, "secret-unredacted")
                if ins == _VERIFY:
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
                self.rules.unknown_key(n, _app_name(self.app),
                                       int(key_ef, 16) if key_ef is not None else None)
            return
        self.rules.verify(n, key, length, None if b"X" in data else binascii.unhexlify(data),
                          int(sw, 16))

    def finish(self) -> None:
        self.rules.finish()


# --- the automaton ----------------------------------------------------------------------
#
# A clean canonical trace is checked without following the state line by line in Python:
# the checker's state (selected application and EF; per key the counter, the failures in a
# row capped where they stop mattering, verified or not, blocked by this trace or not, max
# reported or not) is a hashable value, and the move for a (state, token) pair is computed
# once, by ``_FastState`` itself, and kept. A trace then costs one dictionary lookup per
# followed exchange. States are few (a handful of counters per card) and so are distinct tokens (the
# same SELECTs and VERIFYs recur), so the table stays small; it is capped all the same.
# A move that reports a finding is never kept: the trace is checked again by the paths
# that know exchange numbers (findings are rare, and need them).

#: (key index, counter, failures in a row, verified, blocked here, max above policy seen)
_KeySlot = tuple[int, "int | None", int, bool, bool, bool]
_StateKey = tuple["bytes | None", "bytes | None", tuple[_KeySlot, ...]]

_KEY_LIST: list[PolicyKey] = list(_KEYS.values())
_KEY_INDEX: dict[PolicyKey, int] = {key: index for index, key in enumerate(_KEY_LIST)}
#: Failures in a row beyond this behave alike (``repeated-failures`` fires once, at
#: ``CONSECUTIVE_FAILURES_ALLOWED + 1``), so the state counts no further.
_FAILURES_CAP = CONSECUTIVE_FAILURES_ALLOWED + 2
#: The token of a reset or removal (see ``_Grammar.lines``).
_POWER = b"r"
_RESPONSE_SEPARATOR = b'","response":"'
_TOKEN_HEX = re.compile(rb"(?:[0-9A-F]{2}|XX)*")
#: Cap on remembered moves (each a dictionary entry, most with a new state); past it, moves
#: and states are computed and not kept, which is slower but just as right.
_MAX_MOVES = 200_000


class _Row(dict[bytes, "_Row"]):
    """A state of the automaton: its moves, token -> next state."""

    __slots__ = ("clean_end", "state")

    def __init__(self, state: _StateKey) -> None:
        super().__init__()
        self.state = state
        #: Whether a trace may end in this state without a finding (None: not known yet).
        self.clean_end: bool | None = None


class _Automaton:
    def __init__(self) -> None:
        self.rows: dict[_StateKey, _Row] = {}
        self.moves = 0
        self.start = self.row((None, None, ()))

    def row(self, state: _StateKey) -> _Row:
        found = self.rows.get(state)
        if found is None:
            found = _Row(state)
            if self.moves < _MAX_MOVES:
                self.rows[state] = found
        return found

    def advance(self, row: _Row, token: bytes) -> _Row | None:
        """The state after ``token``, remembered; None if the move reports a finding or
        the token is not a canonical line (the caller then uses another path)."""
        if token == _POWER:
            state = _state_of(row.state)
            state.power_cycle()
            following = self.row(_key_of(state))
        elif len(token) > 1:
            command, separator, response = token.partition(_RESPONSE_SEPARATOR)
            if (not separator or len(command) < 8 or len(response) < 4
                    or b"X" in response[-4:] or _TOKEN_HEX.fullmatch(command) is None
                    or _TOKEN_HEX.fullmatch(response) is None):
                return None
            state = _state_of(row.state)
            state.exchange(None, command, response)
            if state.findings:
                return None
            following = self.row(_key_of(state))
        else:
            return None
        if self.moves < _MAX_MOVES:
            self.moves += 1
            row[token] = following
        return following

    @staticmethod
    def clean_end(row: _Row) -> bool:
        clean = row.clean_end
        if clean is None:
            state = _state_of(row.state)
            state.finish()
            clean = row.clean_end = not state.findings
        return clean


def _state_of(key: _StateKey) -> _FastState:
    app, selected_ef, slots = key
    state = _FastState("", False)
    state.app, state.selected_ef = app, selected_ef
    rules = state.rules
    for index, count, failures, verified, blocked, above_max in slots:
        rules.keys[_KEY_LIST[index]] = KeyState(
            count, failures, rules.epoch if verified else NOT_VERIFIED,
            BLOCKED_AT_UNNUMBERED if blocked else None, above_max)
    return state


def _key_of(state: _FastState) -> _StateKey:
    epoch = state.rules.epoch
    slots = sorted((_KEY_INDEX[key], slot.count, min(slot.failures, _FAILURES_CAP),
                    slot.verified_in == epoch, slot.blocked_at is not None,
                    slot.above_max_reported)
                   for key, slot in state.rules.keys.items())
    return (state.app, state.selected_ef, tuple(slots))


_AUTOMATON = _Automaton()


def scan_lines_python(data: bytes, start: int) -> tuple[list[bytes], int] | None:
    """The line scanner, in Python: what ``_linescan.scan`` computes in C (see there),
    from one ``findall`` of ``_Grammar.lines``."""
    grammar = _EXACT_GRAMMAR if b"\x00" in data else _FAST_GRAMMAR
    items = grammar.lines.findall(data, start)
    if b"" in items:
        return None
    tokens = [item for item in items if item != b"\n" and item != b":"]
    return tokens, len(items) - items.count(b":") - items.count(_POWER)


Scanner = Callable[[bytes, int], "tuple[list[bytes], int] | None"]


def _c_scanner() -> Scanner | None:
    if os.environ.get("CARDTOOL_NO_C_SCANNER") == "1":  # to compare, or to rule it out
        return None
    try:
        from cardtool.policy import _linescan
    except ImportError:  # not built (no C compiler at install time): same results, slower
        return None
    return _linescan.scan


#: The C scanner, or None when it was not built.
scan_lines_c = _c_scanner()
#: The scanner ``_check_automaton`` uses: the C one, when it is built. Without it the
#: automaton is skipped: the Python scanner costs about what path 2 costs in all.
scan_lines: Scanner | None = scan_lines_c


def _check_automaton(data: bytes, body_start: int, report: FileReport) -> bool:
    """The fastest path, for a canonical trace without findings: the scanner validates
    every line and hands over a token per followed exchange or power event, and the
    automaton follows them. Returns False, having changed nothing, as soon as the trace
    needs another path (a finding, or a line the scanner does not know)."""
    scanner = scan_lines
    scanned = None if scanner is None else scanner(data, body_start)
    if scanned is None:
        return False
    tokens, exchanges = scanned
    automaton = _AUTOMATON
    row = automaton.start
    for token in tokens:
        following = row.get(token)
        if following is None:
            following = automaton.advance(row, token)
            if following is None:
                return False
        row = following
    if not automaton.clean_end(row):
        return False
    report.exchanges = exchanges
    return True


def _line_number(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def check_data(path: str, source: str, data: bytes) -> FileReport:
    """Check one trace held in memory (a file's bytes, or an import turned into the trace
    format). Same findings as ``check_plain.check_data_plain``."""
    if len(data) > MAX_LINE_BYTES and has_long_line(data):
        # A line longer than any trace line may be (refused by every trace reader): the fast
        # paths would validate it without that limit, so the reference takes the file.
        return check_data_plain(path, source, data)
    report = FileReport(path, source)

    def unreadable(offset: int, detail: str, line: int | None = None) -> FileReport:
        number = _line_number(data, offset) if line is None else line
        report.findings.append(TraceFinding(path, None, UNREADABLE, "", f"line {number}: {detail}"))
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
    grammar = _EXACT_GRAMMAR if b"\x00" in data else _FAST_GRAMMAR
    if not state.scan_personal and (_check_automaton(data, pos, report)
                                    or _check_canonical(data, pos, state, grammar, report)):
        return report
    state = _FastState(path, state.scan_personal)
    if state.scan_personal:
        pattern, numbers = grammar.every, grammar.every_groups
    else:
        pattern, numbers = grammar.block, grammar.block_groups
    (exchange_line, power, counted, _other_line,
     aid_group, fid_group, q_group, v_group, nosel_group, n_group, cmd_group, resp_group,
     other) = numbers
    body_start = pos
    handled_lines = 0  # complete lines handled here (not skipped inside the engine)
    handled_exchanges = 0
    torn: TraceFinding | None = None
    stop = end
    for m in pattern.finditer(data, pos):
        which = m.lastindex
        handled_lines += 1
        if which == exchange_line:
            handled_exchanges += 1
            # The specialised alternatives captured only some fields; rebuild the
            # command and response for the general handler.
            aid = m[aid_group] if aid_group > 0 else None
            fid = m[fid_group] if fid_group > 0 else None
            query_text = m[q_group] if q_group > 0 else None
            verify_text = m[v_group] if v_group > 0 else None
            failed = m[nosel_group] if nosel_group > 0 else None
            if aid:
                command, response = b"00%s%02X%s" % (_SELECT_BY_NAME, len(aid) // 2, aid), b"9000"
            elif query_text:
                command, response = b"00" + _VERIFY_P1 + query_text[:2], query_text[-4:]
            elif verify_text:
                command, response = b"00" + _VERIFY_P1 + verify_text[:-18], verify_text[-4:]
            elif failed:
                command = b"00%s%02X%s" % (_SELECT_BY_NAME, len(failed) // 2, failed)
                response = b"6A82"
            elif fid:
                command, response = b"00" + _SELECT_EF + fid, b"9000"
            else:
                command, response = m[cmd_group], m[resp_group]
            state.exchange(int(m[n_group]), command, response)
        elif which == power:
            state.power_cycle()
        elif which == counted:
            pass
        else:
            line = m.group(other)
            if not line.endswith(b"\n"):
                handled_lines -= 1
                complete = False
            else:
                complete = True
                line = line[:-1]
            if _blank(line, ascii_only):
                if complete:
                    continue
                break
            line_start = m.start(other)
            obj, problem = parse_json_line(line.decode("utf-8"))
            if problem is not None:
                if complete:
                    handled_lines -= 1  # this line is not among those before ``stop``
                    stop = line_start
                    report.findings = state.findings
                    report.exchanges = handled_exchanges + _skipped(
                        data, body_start, stop, handled_lines)
                    return unreadable(line_start, problem)
                torn = TraceFinding(path, None, TORN, "", f"line {_line_number(data, line_start)}")
                break
            try:
                event = validate_event(obj, path, 0)
            except TraceFormatError as exc:
                if complete:  # this line is not among those before ``stop``
                    handled_lines -= 1
                stop = line_start
                report.findings = state.findings
                report.exchanges = handled_exchanges + _skipped(
                    data, body_start, stop, handled_lines)
                return unreadable(line_start, str(exc.params["detail"]))
            kind_name = event["type"]
            if kind_name == "exchange":
                handled_exchanges += 1
                n = event.get("n")
                state.exchange(n if isinstance(n, int) and not isinstance(n, bool) else None,
                               event["command"].upper().encode("ascii"),
                               event["response"].upper().encode("ascii"))
            elif kind_name in ("reset", "removed"):
                state.power_cycle()
    state.finish()
    report.findings = state.findings
    if torn is not None:
        report.findings.append(torn)
    report.exchanges = handled_exchanges + _skipped(data, body_start, stop, handled_lines)
    return report


def _check_canonical(data: bytes, body_start: int, state: _FastState, grammar: _Grammar,
                     report: FileReport) -> bool:
    """The fastest loop, for a body whose every line the grammar knows: one ``findall``
    validates the lines and hands over the tracked ones as tuples of fields. Returns False,
    having changed nothing the caller keeps, as soon as a line needs the general loop
    (a torn, broken or merely unusual line), which then starts over."""
    rules = state.rules
    verify_key = rules.verify
    app: bytes | None = None
    selected_ef: bytes | None = None
    p2_keys = ef_keys = _NO_KEYS  # the keys of the selected application
    queries = _QUERY_NO_APP
    not_exchanges = 0
    for n, aid, query, verify, fid, failed, cmd, resp, power, counted, other in (
            grammar.flat.findall(data, body_start)):
        if query:
            entry = queries.get(query)
            if entry is None:
                continue  # an empty VERIFY of an unknown key: harmless, not followed
            key, sw = entry
            if key is None:
                key = ef_keys.get(selected_ef)
                if key is None:
                    continue
            verify_key(int(n), key, 0, b"", sw)
        elif aid:
            if aid != app:
                rules.lose_security()
                app = aid
                p2_keys = _P2_KEYS_BY_APP.get(app, _NO_KEYS)
                ef_keys = _EF_KEYS_BY_APP.get(app, _NO_KEYS)
                queries = _QUERY_BY_APP.get(app, _QUERY_NO_APP)
            selected_ef = None
        elif verify:
            # P2, Lc, XX..., '","response":"' (14), SW (4)
            length = (len(verify) - 22) >> 1
            p2 = verify[:2]
            key = p2_keys.get(p2) if p2 != b"80" else ef_keys.get(selected_ef)
            if key is not None and _HEX_BYTE[verify[2:4]] == length:
                # The grammar took the data as XX only: redacted, its length is all there is.
                verify_key(int(n), key, length, None, int(verify[-4:], 16))
            else:  # an unknown key or a wrong Lc: the general handler knows what to say
                state.app, state.selected_ef = app, selected_ef
                state.exchange(int(n), b"00" + _VERIFY_P1 + verify[:-18], verify[-4:])
        elif failed:
            if app is not None:
                rules.lose_security()
                app = None
                p2_keys = ef_keys = _NO_KEYS
                queries = _QUERY_NO_APP
            selected_ef = None
        elif fid:
            if fid == b"3F00":
                if app is not None:
                    rules.lose_security()
                    app = None
                    p2_keys = ef_keys = _NO_KEYS
                    queries = _QUERY_NO_APP
                selected_ef = None
            else:
                selected_ef = fid
        elif cmd:
            state.app, state.selected_ef = app, selected_ef
            state.exchange(int(n), cmd, resp)
            if state.app != app:
                app = state.app
                p2_keys = _P2_KEYS_BY_APP.get(app, _NO_KEYS)
                ef_keys = _EF_KEYS_BY_APP.get(app, _NO_KEYS)
                queries = _QUERY_BY_APP.get(app, _QUERY_NO_APP)
            selected_ef = state.selected_ef
        elif power:
            not_exchanges += 1
            app = selected_ef = None
            p2_keys = ef_keys = _NO_KEYS
            queries = _QUERY_NO_APP
            state.power_cycle()
        elif counted:
            not_exchanges += 1
        elif other:
            return False
    state.finish()
    report.findings = state.findings
    report.exchanges = data.count(b"\n", body_start) - not_exchanges
    return True


def _skipped(data: bytes, start: int, stop: int, handled_lines: int) -> int:
    """Exchanges the engine validated and skipped: the complete lines before ``stop`` that
    were not handed to Python (each is one untracked exchange)."""
    return data.count(b"\n", start, stop) - handled_lines


#: The ASCII characters ``str.strip`` removes (the reference strips decoded text).
_ASCII_SPACE = bytes(c for c in range(128) if chr(c).isspace())


def _blank(line: bytes, ascii_only: bool) -> bool:
    if ascii_only:
        return not line.strip(_ASCII_SPACE)
    return not line.decode("utf-8").strip()
