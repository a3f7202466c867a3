"""Transports: bytes in, bytes out. They know readers and links, not APDU rules.

Every transport offers the same small interface: the ATR, ``transmit`` (a whole command
APDU in, the whole response with SW out), ``control`` (reader escape commands),
``reset``, ``close`` and ``host_random``, the one place where the host draws randomness
(challenges, session keys) so that recording and replay can make authenticated sessions
deterministic.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from types import TracebackType

from apdu.errors import TransmitFailed


class Transport(ABC):
    #: Whether this link can carry extended-length APDUs: True, False, or None (unknown:
    #: the session will try and remember the outcome).
    supports_extended: bool | None = None
    #: A human-readable name for the card source (reader name, "virtual mynumber", a path).
    description: str = ""
    #: The card is a simulator (a virtual card, or a trace recorded from one): keys of test
    #: hierarchies may be trusted for it, and a verdict resting on them says so.
    simulated: bool = False
    #: A card in a reader right now: what is sent changes it for good (a replay or a
    #: virtual card is not live, even when it was recorded from one).
    live: bool = False

    @property
    def simulator(self) -> object | None:
        """The in-process card simulator answering, if this source is one (a virtual card,
        also through a recording); None for a reader or a trace."""
        return None

    @property
    @abstractmethod
    def atr(self) -> bytes: ...

    @abstractmethod
    def transmit(self, command: bytes) -> bytes:
        """Send one command APDU; return the response data followed by SW1 SW2."""

    def control(self, code: int, data: bytes = b"") -> bytes:
        raise TransmitFailed(detail=f"this card source has no reader control (code {code:#x})")

    @abstractmethod
    def reset(self) -> bytes:
        """Reset the card (security state is lost) and return the new ATR."""

    def note_card(self, kind: str) -> None:  # noqa: B027 - only a recorder keeps it
        """What kind of card the caller found here (a recording writes it in its trace)."""

    def close(self) -> None:  # noqa: B027 - optional for transports that hold nothing
        """Release the card and the link. Closing twice is harmless."""

    def host_random(self, length: int, purpose: str) -> bytes:
        """Randomness drawn by the host for ``purpose`` (e.g. ``"RND.IFD"``)."""
        return os.urandom(length)

    def __enter__(self) -> Transport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
