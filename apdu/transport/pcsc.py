"""PC/SC transport through pyscard's ``smartcard.scard`` API.

pyscard is imported only here, lazily, so replay and virtual sources work on machines
without it. Every PC/SC failure becomes one of our TransportError subclasses.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from apdu.errors import (
    CardRemoved,
    CardReset,
    NoCard,
    NoReader,
    PcscUnavailable,
    TransmitFailed,
    TransportError,
)
from apdu.transport import Transport

_scard: ModuleType | None = None


def _lib() -> ModuleType:
    global _scard
    if _scard is None:
        try:
            from smartcard import scard
        except ImportError as exc:
            raise PcscUnavailable(detail=f"pyscard is not installed: {exc}") from None
        _scard = scard
    return _scard


def _u32(hresult: int) -> int:
    return hresult & 0xFFFFFFFF


def _message(hresult: int) -> str:
    s = _lib()
    try:
        text = str(s.SCardGetErrorMessage(hresult))
    except Exception:  # noqa: BLE001 - only decoration for a message
        text = "PC/SC error"
    return f"{text} (0x{_u32(hresult):08X})"


def _is(hresult: int, *names: str) -> bool:
    s = _lib()
    return any(_u32(hresult) == _u32(int(getattr(s, n, -1))) for n in names)


def _raise_for(hresult: int, reader: str = "") -> None:
    """Map a failing PC/SC result code to our exception."""
    if _is(hresult, "SCARD_S_SUCCESS"):
        return
    if _is(hresult, "SCARD_E_NO_SERVICE", "SCARD_E_SERVICE_STOPPED", "SCARD_E_NO_ACCESS"):
        raise PcscUnavailable(detail=_message(hresult))
    if _is(hresult, "SCARD_E_NO_READERS_AVAILABLE"):
        raise NoReader(detail="")
    if _is(hresult, "SCARD_E_UNKNOWN_READER", "SCARD_E_READER_UNAVAILABLE"):
        raise NoReader(detail=f" ('{reader}' is gone)")
    if _is(hresult, "SCARD_W_REMOVED_CARD", "SCARD_E_NO_SMARTCARD"):
        raise CardRemoved()
    if _is(hresult, "SCARD_W_RESET_CARD"):
        raise CardReset()
    if _is(hresult, "SCARD_W_UNRESPONSIVE_CARD", "SCARD_W_UNPOWERED_CARD"):
        raise NoCard(reader=reader, detail=" (the card does not respond)")
    if _is(hresult, "SCARD_E_TIMEOUT"):
        raise NoCard(reader=reader, detail=" (timed out)")
    if _is(hresult, "SCARD_E_SHARING_VIOLATION"):
        raise TransportError(detail=f"another program holds the card exclusively: {_message(hresult)}")
    raise TransmitFailed(detail=_message(hresult))


@dataclass(frozen=True)
class ReaderInfo:
    index: int
    name: str
    card_present: bool
    atr: bytes


class _Context:
    def __init__(self) -> None:
        s = _lib()
        try:
            hresult, self.handle = s.SCardEstablishContext(s.SCARD_SCOPE_USER)
        except Exception as exc:  # noqa: BLE001 - pyscard raises its own types here
            raise PcscUnavailable(detail=str(exc)) from None
        if not _is(hresult, "SCARD_S_SUCCESS"):
            raise PcscUnavailable(detail=_message(hresult))

    def reader_names(self) -> list[str]:
        s = _lib()
        hresult, names = s.SCardListReaders(self.handle, [])
        if _is(hresult, "SCARD_E_NO_READERS_AVAILABLE"):
            return []
        _raise_for(hresult)
        return list(names or [])

    def states(self, names: list[str], timeout_ms: int = 0, known: dict[str, int] | None = None
               ) -> list[tuple[str, int, bytes]]:
        s = _lib()
        query = [(n, (known or {}).get(n, s.SCARD_STATE_UNAWARE)) for n in names]
        hresult, result = s.SCardGetStatusChange(self.handle, timeout_ms, query)
        if _is(hresult, "SCARD_E_TIMEOUT"):
            return []
        _raise_for(hresult)
        return [(name, int(state), bytes(atr)) for name, state, atr in result]

    def release(self) -> None:
        s = _lib()
        # Releasing a dead context must not mask the error that got us here.
        with contextlib.suppress(Exception):
            s.SCardReleaseContext(self.handle)


def list_readers() -> list[ReaderInfo]:
    """Every reader with whether a card is present and its ATR, without connecting."""
    s = _lib()
    ctx = _Context()
    try:
        names = ctx.reader_names()
        if not names:
            return []
        out = []
        for i, (name, state, atr) in enumerate(ctx.states(names)):
            present = bool(state & s.SCARD_STATE_PRESENT) and not state & s.SCARD_STATE_MUTE
            out.append(ReaderInfo(i, name, present, atr if present else b""))
        return out
    finally:
        ctx.release()


def choose_reader(spec: str, names: list[str]) -> str:
    """A reader by index (``"0"``) or by a case-insensitive name substring."""
    if not names:
        raise NoReader(detail="")
    if spec.isdigit():
        index = int(spec)
        if index < len(names):
            return names[index]
        raise NoReader(detail=f" with index {index} (there are {len(names)})")
    matches = [n for n in names if spec.lower() in n.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NoReader(detail=f" matching '{spec}' (readers: {', '.join(names)})")
    exact = [n for n in matches if n.lower() == spec.lower()]
    if len(exact) == 1:
        return exact[0]
    raise NoReader(detail=f" that is unique for '{spec}' (matches: {', '.join(matches)})")


class PcscTransport(Transport):
    """A connected card in a PC/SC reader."""

    live = True

    def __init__(self, ctx: _Context, reader: str) -> None:
        s = _lib()
        self._ctx = ctx
        self.reader = reader
        self.description = reader
        self._card: Any = None
        self._protocol = 0
        last = 0
        # T=1 first (all contactless readers and the My Number card's contact ATRs), then T=0.
        for protocol in (s.SCARD_PROTOCOL_T1, s.SCARD_PROTOCOL_T0):
            hresult, card, active = s.SCardConnect(
                ctx.handle, reader, s.SCARD_SHARE_SHARED, protocol
            )
            if _is(hresult, "SCARD_S_SUCCESS"):
                self._card, self._protocol = card, int(active)
                break
            last = hresult
            if not _is(hresult, "SCARD_E_PROTO_MISMATCH", "SCARD_E_NOT_TRANSACTED"):
                break
        if self._card is None:
            ctx.release()
            if _is(last, "SCARD_W_REMOVED_CARD", "SCARD_E_NO_SMARTCARD"):
                raise NoCard(reader=reader, detail="")
            _raise_for(last, reader)
            raise TransmitFailed(detail=_message(last))
        self._atr = self._read_atr()

    @property
    def protocol_name(self) -> str:
        s = _lib()
        return "T=1" if self._protocol == s.SCARD_PROTOCOL_T1 else "T=0"

    def _read_atr(self) -> bytes:
        s = _lib()
        hresult, _reader, _state, _protocol, atr = s.SCardStatus(self._card)
        _raise_for(hresult, self.reader)
        return bytes(atr)

    @property
    def atr(self) -> bytes:
        return self._atr

    def transmit(self, command: bytes) -> bytes:
        s = _lib()
        if self._card is None:
            raise TransmitFailed(detail="the connection is closed")
        hresult, response = s.SCardTransmit(self._card, self._protocol, list(command))
        _raise_for(hresult, self.reader)
        if len(response) < 2:
            raise TransmitFailed(detail=f"the reader returned {len(response)} bytes")
        return bytes(b & 0xFF for b in response)

    def control(self, code: int, data: bytes = b"") -> bytes:
        s = _lib()
        hresult, response = s.SCardControl(self._card, code, list(data))
        _raise_for(hresult, self.reader)
        return bytes(b & 0xFF for b in response)

    def reset(self) -> bytes:
        s = _lib()
        hresult, active = s.SCardReconnect(
            self._card, s.SCARD_SHARE_SHARED, self._protocol, s.SCARD_RESET_CARD
        )
        _raise_for(hresult, self.reader)
        self._protocol = int(active)
        self._atr = self._read_atr()
        return self._atr

    def close(self) -> None:
        s = _lib()
        if self._card is not None:
            # Unpower, so a verified PIN does not stay verified after we leave (the card
            # keeps its security state until power-down). The card may already be gone.
            with contextlib.suppress(Exception):
                s.SCardDisconnect(self._card, s.SCARD_UNPOWER_CARD)
            self._card = None
            self._ctx.release()


def _present(state: int) -> bool:
    s = _lib()
    return bool(state & s.SCARD_STATE_PRESENT) and not state & s.SCARD_STATE_MUTE


def open_reader(
    spec: str | None = None,
    *,
    wait: float = 0.0,
    on_waiting: Callable[[str], None] | None = None,
) -> PcscTransport:
    """Connect to the card in the reader named by ``spec`` (index or name substring), or in
    the first reader that holds a card. If none holds one, wait up to ``wait`` seconds,
    calling ``on_waiting(reader_or_empty)`` once so the caller can show a prompt."""
    ctx = _Context()
    try:
        names = ctx.reader_names()
        if not names:
            raise NoReader(detail="")
        candidates = [choose_reader(spec, names)] if spec is not None else names
        deadline = time.monotonic() + max(0.0, wait)
        known: dict[str, int] = {}
        prompted = False
        while True:
            states = ctx.states(candidates, 0, None)
            for name, state, _atr in states:
                if _present(state):
                    return PcscTransport(ctx, name)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                target = candidates[0] if len(candidates) == 1 else ", ".join(candidates)
                raise NoCard(reader=target, detail="" if wait <= 0 else f" after {wait:g} s")
            if not prompted and on_waiting is not None:
                on_waiting(candidates[0] if len(candidates) == 1 else "")
                prompted = True
            known = {name: state for name, state, _ in states}
            # Block until something changes or at most 0.5 s (a reader may be plugged in).
            ctx.states(candidates, int(min(remaining, 0.5) * 1000), known)
    except BaseException:
        ctx.release()
        raise


def wait_for_removal(reader: str, timeout: float | None = None) -> bool:
    """Block until ``reader`` holds no card. Returns False on timeout."""
    ctx = _Context()
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            states = ctx.states([reader])
            if states and not _present(states[0][1]):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            ctx.states([reader], 500, {reader: states[0][1]} if states else None)
    finally:
        ctx.release()
