"""Serve a card to pcscd through the vsmartcard vpcd driver (``cardtool emulate``), so any
PC/SC program sees it in a reader: a virtual card (optionally misbehaving by a fault plan,
optionally recorded), or a recorded session replayed.

``Emulation`` builds the card and connects to vpcd when created (a bad persona, a malformed
trace, pcscd absent: an error now, before anything is served); ``serve`` answers until
``stop`` or until a replay diverges.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from apdu.errors import TraceError
from apdu.simulators import RecordingCard, ReplayCard
from apdu.trace import NoRedaction
from apdu.transport.replay import MATCH_MODES, STRICT, ReplayTransport
from apdu.transport.virtual import CardSimulator
from apdu.vpcd import VpcdLink
from cardtool import TOOL_NAME
from cardtool.errors import UsageError
from cardtool.sources import default_redactor
from cardtool.virtual import make_virtual_card
from cardtool.virtual.faults import FaultPlan, FaultyCard


@dataclass(frozen=True)
class EmulationRequest:
    kind: str | None = None
    persona: str | None = None
    slot: int = 0
    host: str = "127.0.0.1"
    latency_ms: float = 0.0
    fault_plan: str | None = None
    no_extended: bool = False
    record: str | None = None
    redact: bool = True
    replay: str | None = None
    match: str = STRICT

    def check(self) -> None:
        if self.replay is not None:
            if self.kind is not None or self.persona or self.fault_plan or self.record:
                raise UsageError("--replay serves a recorded session: give no KIND, --persona, "
                                 "--faults or --record with it.",
                                 "--replay は記録したセッションを提供します。KIND、--persona、"
                                 "--faults、--record と一緒には指定できません。")
        elif self.kind is None:
            raise UsageError(
                "Give a KIND (mynumber, residence, residence2, specified) or --replay TRACE.",
                "KIND(mynumber、residence、residence2、specified)か --replay TRACE を指定して"
                "ください。")
        elif self.match != STRICT:
            raise UsageError("--match applies to --replay.", "--match は --replay と一緒に指定します。")


@dataclass(frozen=True)
class EmulationResult:
    apdu_count: int
    #: Exchanges written to the --record trace (None: not recording).
    recorded: int | None
    #: A strict replay the program left early: (exchanges served, exchanges recorded).
    replay_left_early: tuple[int, int] | None


class Emulation:
    def __init__(self, request: EmulationRequest) -> None:
        request.check()
        self.request = request
        self._stop = threading.Event()
        self._replay: ReplayCard | None = None
        self._recording: RecordingCard | None = None
        card: CardSimulator
        if request.replay is not None:
            # A malformed trace or a secure-messaging session without host randomness fails
            # here, with one line and exit 6, before anything is served.
            transport = ReplayTransport(request.replay, match=request.match)
            self._replay = ReplayCard(transport, on_error=self._on_replay_error)
            card = self._replay
            self.what = f"replay of {request.replay} ({request.match})"
            self.what_ja = f"{request.replay} の再生({request.match})"
        else:
            assert request.kind is not None
            spec = request.kind if request.persona is None else f"{request.kind}:{request.persona}"
            card = make_virtual_card(spec)  # a bad kind or persona fails here
            if request.fault_plan:
                card = FaultyCard(card, FaultPlan.parse(request.fault_plan))
            self.what, self.what_ja = f"virtual {request.kind} card", f"仮想カード {request.kind} "
        self.link = VpcdLink(card, host=request.host, slot=request.slot,
                             latency_ms=request.latency_ms,
                             reader_extended=not request.no_extended)
        self.link.connect()  # pcscd absent or slot taken: a clear error and exit 2, now
        if request.record is not None:
            source = f"emulate {request.kind}" + (f":{request.persona}" if request.persona else "")
            self._recording = RecordingCard(
                card, request.record, tool=TOOL_NAME, source=source,
                redactor=default_redactor() if request.redact else NoRedaction())
            self.link.card = self._recording

    @property
    def port(self) -> int:
        return self.link.port

    def _on_replay_error(self, _error: TraceError) -> None:
        self.stop()  # the 6F 00 being answered still goes out

    def stop(self) -> None:
        """Stop serving (safe from a signal handler and from another thread)."""
        self._stop.set()
        self.link.stop()

    def serve(self) -> EmulationResult:
        """Answer pcscd until ``stop``; the trace being recorded is closed whatever happens.
        Raises the link's error, or the replay's divergence."""
        thread = threading.Thread(target=self.link.serve_forever, daemon=True)
        thread.start()
        try:
            while thread.is_alive() and not self._stop.wait(0.2):
                pass
            self.link.close()
            thread.join(timeout=5)
        finally:
            if self._recording is not None:
                self._recording.close()
        if self.link.error is not None:
            raise self.link.error
        replay = self._replay
        if replay is not None and replay.error is not None:
            raise replay.error
        left_early = None
        if replay is not None and self.request.match == STRICT and not replay.finished:
            left_early = (replay.replay.exchanges_served, replay.replay.exchanges_recorded)
        return EmulationResult(
            self.link.apdu_count,
            self._recording.exchanges if self._recording is not None else None, left_early)


__all__ = ["MATCH_MODES", "STRICT", "Emulation", "EmulationRequest", "EmulationResult"]
