"""A transport wrapper that writes every exchange to a trace file as it happens."""

from __future__ import annotations

import time
from pathlib import Path

from apdu.errors import CardRemoved, TransportError
from apdu.trace import Redactor, SecretRedactor, TraceWriter, make_header
from apdu.transport import Transport


class RecordingTransport(Transport):
    """Wraps ``inner``; the trace on disk is complete up to the last finished event even if
    the process dies, because the writer flushes after every line."""

    def __init__(
        self,
        inner: Transport,
        path: str | Path,
        *,
        tool: str,
        redactor: Redactor | None = None,
        card: str | None = None,
    ) -> None:
        self.inner = inner
        self.redactor: Redactor = redactor if redactor is not None else SecretRedactor()
        self.description = inner.description
        self.simulated = inner.simulated
        self.live = inner.live
        self.supports_extended = inner.supports_extended
        self.writer = TraceWriter(
            path,
            make_header(
                atr=inner.atr,
                source=inner.description,
                tool=tool,
                redactions=self.redactor.names,
                card=card,
                unredacted_warning=not self.redactor.names,
            ),
        )

    @property
    def path(self) -> Path:
        return self.writer.path

    @property
    def atr(self) -> bytes:
        return self.inner.atr

    @property
    def simulator(self) -> object | None:
        return self.inner.simulator

    def note_card(self, kind: str) -> None:
        """Record what the program decided the card is (helps reading traces later)."""
        self.writer.event("card", kind=kind)

    def transmit(self, command: bytes) -> bytes:
        started = time.perf_counter_ns()
        try:
            response = self.inner.transmit(command)
        except CardRemoved:
            self.writer.event("removed", n=self.writer.exchanges + 1)
            raise
        except TransportError as exc:
            self.writer.event(
                "transport-error", n=self.writer.exchanges + 1, error=type(exc).__name__
            )
            raise
        micros = (time.perf_counter_ns() - started) // 1000
        command_hex, response_hex, applied = self.redactor.redact(command, response)
        self.writer.exchange(command_hex, response_hex, micros, applied)
        return response

    def control(self, code: int, data: bytes = b"") -> bytes:
        return self.inner.control(code, data)

    def reset(self) -> bytes:
        atr = self.inner.reset()
        self.writer.event("reset", atr=atr.hex().upper())
        return atr

    def host_random(self, length: int, purpose: str) -> bytes:
        value = self.inner.host_random(length, purpose)
        self.writer.event("random", purpose=purpose, value=value.hex().upper())
        return value

    def close(self) -> None:
        try:
            self.inner.close()
        finally:
            self.writer.close()
