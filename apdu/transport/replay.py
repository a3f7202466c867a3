"""A transport that answers from a recorded trace and fails clearly on divergence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apdu.errors import (
    CardRemoved,
    TraceDivergence,
    TraceExhausted,
    TransmitFailed,
)
from apdu.trace import REDACTED_FILL, Trace, matches_redacted, read_trace
from apdu.transport import Transport

# Events that carry information but no behaviour; replay steps over them.
_PASSIVE = frozenset({"card"})


def redacted_to_bytes(hex_text: str) -> bytes:
    return bytes.fromhex(hex_text.upper().replace("XX", REDACTED_FILL))


def _short(hex_text: str, limit: int = 48) -> str:
    return hex_text if len(hex_text) <= limit else hex_text[:limit] + "…"


class ReplayTransport(Transport):
    """Replays ``trace`` strictly in order, like apdu4j's MockBIBO.

    A recorded command must equal the sent one, except where the trace redacted bytes
    (``X``): there only the unredacted nibbles (header, Lc, Le) must match.
    """

    supports_extended = True

    def __init__(self, trace: Trace | str | Path) -> None:
        self.trace = trace if isinstance(trace, Trace) else read_trace(trace)
        self.description = f"replay {self.trace.path}"
        source = self.trace.header.get("source")
        self.simulated = isinstance(source, str) and source.startswith("virtual")
        self._events = self.trace.events
        self._cursor = 0
        self._exchange = 0
        self._atr = self.trace.atr
        self.supports_extended = True

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

    def _diverged(self, expected: str, sent: str) -> TraceDivergence:
        return TraceDivergence(
            path=self.trace.path, exchange=self._exchange, expected=expected, sent=sent
        )

    def transmit(self, command: bytes) -> bytes:
        self._exchange += 1
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
        event = self._next()
        if event is None or event["type"] != "reset":
            found = "the end of the trace" if event is None else f"a {event['type']} event"
            raise self._diverged(found, "a card reset")
        self._atr = bytes.fromhex(event.get("atr", ""))
        return self._atr

    def host_random(self, length: int, purpose: str) -> bytes:
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
