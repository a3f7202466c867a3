"""Card simulators for ``emulate``: one that records the card side of a session with any
PC/SC program, and one that serves a recorded session as a card.

Both sit behind ``apdu.vpcd.VpcdLink`` (or any user of ``CardSimulator``). The replaying
card answers through ``apdu.transport.replay.ReplayTransport``, the one matcher of recorded
sessions, so ``--replay`` and ``emulate --replay`` agree on what matches.

Power: pcscd powers a card up and down on its own schedule (it powers an idle card down
and up again on the next connect), so power-on and power-off are not session events: they
are neither recorded nor expected. A warm reset (a program's SCardReconnect or
SCardDisconnect with SCARD_RESET_CARD) is: it is recorded as a ``reset`` event, and a
replay follows it (a recorded reset is consumed when the program resets there; a reset the
recording does not have is a divergence in strict mode).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from apdu.errors import CardRemoved, TraceError, TransportError
from apdu.trace import Redactor, SecretRedactor, TraceWriter, make_header
from apdu.transport.replay import STRICT, ReplayTransport
from apdu.transport.virtual import CardGone, CardSimulator, LinkDropped, WrappedCard

#: The ATR a replaying card shows when the trace has none (pcsc-spy logs hold no ATR): a
#: minimal T=1 ATR with no historical bytes.
FALLBACK_ATR = bytes.fromhex("3B80800101")
#: What an unexpected command gets from a replaying card: "no precise diagnosis".
DIVERGED_SW = b"\x6f\x00"


class RecordingCard(WrappedCard):
    """Wraps a card simulator and writes every exchange it answers to a trace, redacted by
    ``redactor`` (default: secrets only; cardtool passes its card-aware redactor)."""

    def __init__(self, inner: CardSimulator, path: str | Path, *, tool: str, source: str,
                 redactor: Redactor | None = None, card: str | None = None) -> None:
        super().__init__(inner)
        self.redactor: Redactor = redactor if redactor is not None else SecretRedactor()
        self.writer = TraceWriter(path, make_header(
            atr=inner.atr, source=source, tool=tool, redactions=self.redactor.names,
            card=card, unredacted_warning=not self.redactor.names))

    @property
    def exchanges(self) -> int:
        return self.writer.exchanges

    def reset(self) -> bytes:
        atr = self.inner.reset()
        self.writer.event("reset", atr=atr.hex().upper())
        return atr

    def process_apdu(self, command: bytes) -> bytes:
        started = time.perf_counter_ns()
        try:
            response = self.inner.process_apdu(command)
        except CardGone:
            self.writer.event("removed", n=self.writer.exchanges + 1)
            raise
        except LinkDropped:
            self.writer.event("transport-error", n=self.writer.exchanges + 1,
                              error="LinkDropped")
            raise
        micros = (time.perf_counter_ns() - started) // 1000
        command_hex, response_hex, applied = self.redactor.redact(command, response)
        self.writer.exchange(command_hex, response_hex, micros, applied)
        return response

    def close(self) -> None:
        self.writer.close()


class ReplayCard:
    """Serves a recorded session as a card. The first command that does not match (strict:
    in order; by-command: anywhere) is answered ``6F 00``; the divergence is kept in
    ``error`` and ``on_error`` is called, so the server can stop and report it."""

    def __init__(self, replay: ReplayTransport,
                 on_error: Callable[[TraceError], None] | None = None) -> None:
        self.replay = replay
        self.on_error = on_error
        self.error: TraceError | None = None

    @property
    def atr(self) -> bytes:
        return self.replay.atr or FALLBACK_ATR

    @property
    def finished(self) -> bool:
        return self.replay.finished

    def power_on(self) -> bytes:
        return self.atr

    def power_off(self) -> None:
        pass

    def _fail(self, error: TraceError) -> None:
        if self.error is None:
            self.error = error
            if self.on_error is not None:
                self.on_error(error)

    def reset(self) -> bytes:
        if self.error is None and (self.replay.match != STRICT or self.replay.next_is("reset")):
            try:
                return self.replay.reset() or FALLBACK_ATR
            except TraceError as exc:
                self._fail(exc)
        elif self.error is None:
            self._fail(self.replay.divergence("no reset", "a card reset"))
        return self.atr

    def process_apdu(self, command: bytes) -> bytes:
        if self.error is not None:
            return DIVERGED_SW
        try:
            return self.replay.transmit(command)
        except TraceError as exc:
            self._fail(exc)
            return DIVERGED_SW
        except CardRemoved:
            raise CardGone() from None
        except TransportError:
            raise LinkDropped() from None

