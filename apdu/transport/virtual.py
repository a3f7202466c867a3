"""In-process transport: talks to any object that answers APDUs (a virtual card)."""

from __future__ import annotations

import contextlib
from typing import Protocol, runtime_checkable

from apdu.command import is_extended_encoding
from apdu.errors import CardRemoved, MalformedData, TransmitFailed
from apdu.transport import Transport


@runtime_checkable
class CardSimulator(Protocol):
    """What the virtual transport and the vpcd link need of a card."""

    @property
    def atr(self) -> bytes: ...

    def power_on(self) -> bytes:
        """Apply power (cold reset): clear volatile state and return the ATR."""

    def power_off(self) -> None: ...

    def reset(self) -> bytes:
        """Warm reset: clear volatile state and return the ATR."""

    def process_apdu(self, command: bytes) -> bytes:
        """Answer one command APDU with response data + SW. Never raises on bad input."""


class WrappedCard:
    """A simulator around another one (a fault injector, a recorder, a test's refusing
    card): power and the ATR go to ``inner``; subclasses answer ``process_apdu``."""

    def __init__(self, inner: CardSimulator) -> None:
        self.inner = inner

    @property
    def atr(self) -> bytes:
        return self.inner.atr

    def power_on(self) -> bytes:
        return self.inner.power_on()

    def power_off(self) -> None:
        self.inner.power_off()

    def reset(self) -> bytes:
        return self.inner.reset()

    def process_apdu(self, command: bytes) -> bytes:
        return self.inner.process_apdu(command)


class CardGone(Exception):
    """Raised by a simulator (e.g. a fault injector) to model a card leaving the field."""


class LinkDropped(Exception):
    """Raised by a simulator to model the reader link failing (not a card removal)."""


#: What a PC/SC driver says when its reader cannot carry an extended APDU
#: (pcsc-lite: SCARD_E_NOT_TRANSACTED).
NOT_TRANSACTED = "Transaction failed. (the reader cannot carry extended-length APDUs)"


class VirtualTransport(Transport):
    supports_extended: bool | None = True
    simulated = True

    def __init__(self, card: CardSimulator, description: str = "virtual card", *,
                 reader_extended: bool = True) -> None:
        """``reader_extended=False`` models a reader limited to short APDUs: an extended
        one fails in transmission, as it does through a real driver, and the session must
        find that out (``supports_extended`` is then unknown, not False)."""
        self.card = card
        self.description = description
        self.reader_extended = reader_extended
        if not reader_extended:
            self.supports_extended = None
        self._atr = card.power_on()
        self._closed = False

    @property
    def simulator(self) -> object | None:
        return self.card

    @property
    def atr(self) -> bytes:
        return self._atr

    def transmit(self, command: bytes) -> bytes:
        if self._closed:
            raise TransmitFailed(detail="the virtual card source is closed")
        if not self.reader_extended and is_extended_encoding(command):
            raise TransmitFailed(detail=NOT_TRANSACTED)
        try:
            response = self.card.process_apdu(bytes(command))
        except CardGone:
            raise CardRemoved() from None
        except LinkDropped:
            raise TransmitFailed(detail="the link to the card dropped") from None
        if len(response) < 2:
            raise MalformedData(
                "response APDU", len(response), "the card returned fewer than 2 bytes"
            )
        return response

    def reset(self) -> bytes:
        try:
            self._atr = self.card.reset()
        except CardGone:
            raise CardRemoved() from None
        return self._atr

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            with contextlib.suppress(CardGone):
                self.card.power_off()
