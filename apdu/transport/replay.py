"""A transport that answers from a recorded trace and fails clearly on divergence.

The one matcher of recorded sessions: ``--replay`` (cardtool is the host) and
``emulate --replay`` (another program is the host; ``apdu.simulators.ReplayCard``) both
answer through ``ReplayTransport``. Two ways to match:

* ``strict`` (default): in order, like apdu4j's MockBIBO; anything else is a divergence.
* ``by-command``: each command gets the recorded response of the same command wherever it
  was in the trace (the first unused one, then the last one again), for programs whose
  order varies.

A sent command matches a recorded one where the trace redacted bytes (``X``) whatever
their value there, so a redacted VERIFY matches any VERIFY of the same length to the same
key and answers the recorded status word.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apdu.errors import (
    CardRemoved,
    ReplayRefused,
    TraceDivergence,
    TraceExhausted,
    TransmitFailed,
)
from apdu.importers import read_any_trace
from apdu.ins import INS
from apdu.trace import REDACTED_FILL, Trace, matches_redacted
from apdu.transport import Transport

STRICT = "strict"
BY_COMMAND = "by-command"
MATCH_MODES = (STRICT, BY_COMMAND)

#: Instructions that open a secure-messaging session from host randomness: MUTUAL
#: AUTHENTICATE, GENERAL AUTHENTICATE (both forms).
_SM_OPENING_INS: frozenset[int] = frozenset({
    INS.MUTUAL_AUTHENTICATE, INS.GENERAL_AUTHENTICATE, INS.GENERAL_AUTHENTICATE_ODD})

# Events that carry information but no behaviour; replay steps over them.
_PASSIVE = frozenset({"card"})


def redacted_to_bytes(hex_text: str) -> bytes:
    return bytes.fromhex(hex_text.upper().replace("XX", REDACTED_FILL))


def _short(hex_text: str, limit: int = 48) -> str:
    return hex_text if len(hex_text) <= limit else hex_text[:limit] + "…"


def secure_messaging_at(event: dict[str, Any]) -> bool:
    """Whether an exchange belongs to a secure-messaging session: an SM class byte
    (interindustry CLA with b4 or b3 set) or an authentication that opens one (its data is
    made from host randomness, whether the card accepts it or not)."""
    command = event["command"].upper()
    if len(command) < 4 or "X" in command[:4]:
        return False
    cla, ins = int(command[:2], 16), int(command[2:4], 16)
    if cla == 0xFF:
        return False
    if cla & 0x0C and not cla & 0x80:
        return True
    return ins in _SM_OPENING_INS


def sm_replay_problem(trace: Trace) -> str | None:
    """Why ``trace`` cannot be replayed deterministically, or None. A secure-messaging
    session replays only with the host randomness that made its keys and cryptograms
    (``random`` events, which ``cardtool --record`` writes); without it the host's
    cryptograms cannot match, so refuse up front with one reason rather than diverge later."""
    if any(e["type"] == "random" for e in trace.events):
        return None
    for e in trace.exchanges():
        if secure_messaging_at(e):
            return (f"exchange {e.get('n', '?')} is secure messaging, and the trace holds no "
                    "host randomness (random events) to make its keys and cryptograms again; "
                    "record the session with cardtool --record, which keeps them")
    return None


class ReplayTransport(Transport):
    """Replays ``trace`` strictly in order, like apdu4j's MockBIBO.

    A recorded command must equal the sent one, except where the trace redacted bytes
    (``X``): there only the unredacted nibbles (header, Lc, Le) must match.
    """

    supports_extended = True

    def __init__(self, trace: Trace | str | Path, *, match: str = STRICT) -> None:
        if match not in MATCH_MODES:
            raise ValueError(f"match must be one of {MATCH_MODES}")
        self.trace = trace if isinstance(trace, Trace) else read_any_trace(trace)
        problem = sm_replay_problem(self.trace)
        if problem is not None:
            raise ReplayRefused(path=self.trace.path, detail=problem)
        self.match = match
        self.description = f"replay {self.trace.path}"
        source = self.trace.header.get("source")
        self.simulated = isinstance(source, str) and source.startswith("virtual")
        self._events = self.trace.events
        self._cursor = 0
        self._exchange = 0
        self._atr = self.trace.atr
        self.supports_extended = True
        #: by-command: how often each recorded exchange (by index in events) was used.
        self._used: set[int] = set()

    @property
    def exchanges_served(self) -> int:
        """Commands answered so far (strict: also how far into the trace the replay is)."""
        return self._exchange

    @property
    def exchanges_recorded(self) -> int:
        return sum(1 for _ in self.trace.exchanges())

    def next_is(self, kind: str) -> bool:
        """Whether the next recorded event (strict order) is of type ``kind``."""
        event = self._next(peek=True)
        return event is not None and event["type"] == kind

    @property
    def atr(self) -> bytes:
        return self._atr

    @property
    def card_kind(self) -> str | None:
        kind = self.trace.header.get("card")
        return kind if isinstance(kind, str) else None

    @property
    def finished(self) -> bool:
        return self._next(peek=True) is None

    def _next(self, peek: bool = False) -> dict[str, Any] | None:
        cursor = self._cursor
        while cursor < len(self._events) and self._events[cursor]["type"] in _PASSIVE:
            cursor += 1
        event = self._events[cursor] if cursor < len(self._events) else None
        if not peek:
            self._cursor = cursor + (event is not None)
        return event

    def divergence(self, expected: str, sent: str) -> TraceDivergence:
        """The error for a sent ``sent`` where the trace has ``expected``, at this point."""
        return self._diverged(expected, sent)

    def _diverged(self, expected: str, sent: str) -> TraceDivergence:
        return TraceDivergence(
            path=self.trace.path, exchange=self._exchange, expected=expected, sent=sent
        )

    def _by_command(self, command: bytes) -> bytes:
        sent = command.hex().upper()
        candidates = [i for i, e in enumerate(self._events)
                      if e["type"] == "exchange" and matches_redacted(e["command"], command)]
        if not candidates:
            raise self._diverged("a command recorded anywhere in the trace", _short(sent))
        index = next((i for i in candidates if i not in self._used), candidates[-1])
        self._used.add(index)
        return redacted_to_bytes(self._events[index]["response"])

    def transmit(self, command: bytes) -> bytes:
        self._exchange += 1
        if self.match == BY_COMMAND:
            return self._by_command(command)
        sent = command.hex().upper()
        event = self._next()
        if event is None:
            raise TraceExhausted(
                path=self.trace.path, count=self._exchange - 1, sent=_short(sent)
            )
        kind = event["type"]
        if kind == "removed":
            raise CardRemoved()
        if kind == "transport-error":
            raise TransmitFailed(detail=f"recorded {event.get('error', 'transport error')}")
        if kind != "exchange":
            raise self._diverged(f"a {kind} event", _short(sent))
        expected = event["command"]
        if not matches_redacted(expected, command):
            raise self._diverged(_short(expected), _short(sent))
        return redacted_to_bytes(event["response"])

    def reset(self) -> bytes:
        if self.match == BY_COMMAND:
            return self._atr
        event = self._next()
        if event is None or event["type"] != "reset":
            found = "the end of the trace" if event is None else f"a {event['type']} event"
            raise self._diverged(found, "a card reset")
        self._atr = bytes.fromhex(event.get("atr", ""))
        return self._atr

    def host_random(self, length: int, purpose: str) -> bytes:
        if self.match == BY_COMMAND:
            randoms = [i for i, e in enumerate(self._events) if e["type"] == "random"
                       and e.get("purpose") == purpose and i not in self._used]
            if not randoms:
                raise self._diverged(f"a recorded random {purpose}", f"random {purpose}")
            self._used.add(randoms[0])
            return bytes.fromhex(self._events[randoms[0]]["value"])
        event = self._next()
        if event is None or event["type"] != "random":
            found = "the end of the trace" if event is None else f"a {event['type']} event"
            raise self._diverged(found, f"a host random draw ({purpose})")
        value = bytes.fromhex(event["value"])
        if len(value) != length or event.get("purpose") != purpose:
            raise self._diverged(
                f"random {event.get('purpose')} of {len(value)} bytes",
                f"random {purpose} of {length} bytes",
            )
        return value
