"""Watch where the card is: a background thread that follows the PC/SC reader state with
``SCardGetStatusChange`` (it blocks in pcscd until something changes; no APDU is sent to
poll), or, for a demo, virtual cards presented one after the other.

The desk (``cardtool.desk``) listens to the events and opens the card through
``open_card`` when it reads; it never touches a transport module itself.

States, as the page shows them:

  no-service   pcscd is not running (or not reachable): start it
  no-reader    pcscd runs, but no reader is connected (or none matches --reader)
  waiting      a reader, no card on it
  present      a card is on the reader (``card_serial`` grows with every new card)
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum
from typing import Protocol

from apdu.errors import ApduLayerError, PcscUnavailable
from apdu.transport import Transport
from cardtool.sources import SourceOptions, open_transport

log = logging.getLogger("cardtool.desk.reader")

#: pcsc-lite's pseudo reader: a status change on it means a reader came or went.
PNP_READER = "\\\\?PnP?\\Notification"
#: How long one SCardGetStatusChange may block: bounds how late ``stop`` is noticed.
BLOCK_MS = 500
#: Where the PnP pseudo reader is unsupported (macOS): how often the reader list is read
#: again (card changes on a known reader are still followed at once).
POLL_SECONDS = 1.0
#: After pcscd failed: wait this long before trying again.
RETRY_SECONDS = 1.0


class _StatesSource(Protocol):
    """What the PnP probe asks of a PC/SC context (``apdu.transport.pcsc._Context``)."""

    def states(self, names: list[str], timeout_ms: int = 0, known: dict[str, int] | None = None
               ) -> list[tuple[str, int, bytes]]: ...


class ReaderState(Enum):
    NO_SERVICE = "no-service"
    NO_READER = "no-reader"
    WAITING = "waiting"
    PRESENT = "present"


@dataclass(frozen=True)
class ReaderEvent:
    state: ReaderState
    #: The reader holding the card, or the one watched (None: no reader).
    reader: str | None = None
    #: Counts cards put on the reader since the watcher started: a new number is a new card.
    card_serial: int = 0
    #: Why (no-service): pcscd's message, without any personal data.
    detail: str = ""
    #: Demo mode: the virtual card on the "reader" (KIND[:PERSONA]); cards still to come.
    virtual_card: str | None = None
    virtual_left: int = 0


Listener = Callable[[ReaderEvent], None]


class ReaderWatcher(Protocol):
    """What the desk needs from a watcher."""

    @property
    def current(self) -> ReaderEvent: ...

    @property
    def demo(self) -> bool: ...

    def start(self, listener: Listener) -> None: ...

    def stop(self) -> None: ...

    def open_card(self) -> Transport:
        """Connect to the card now on the reader (raises NoCard, CardRemoved, ...)."""
        ...

    def next_card(self) -> None:
        """Demo mode: take the current virtual card away and put the next one on."""
        ...


class _Base:
    def __init__(self) -> None:
        self._listener: Listener | None = None
        self._current = ReaderEvent(ReaderState.NO_READER)
        self._state_lock = threading.Lock()

    @property
    def current(self) -> ReaderEvent:
        with self._state_lock:
            return self._current

    def _publish(self, event: ReaderEvent) -> None:
        with self._state_lock:
            if event == self._current:
                return
            self._current = event
        log.info("reader: %s%s", event.state.value,
                 f" ({event.reader})" if event.reader else "")
        if self._listener is not None:
            self._listener(event)


class PcscWatcher(_Base):
    """Follows the PC/SC readers (all, or the one ``reader_spec`` names) in a thread.

    Readers coming and going are told by the PnP pseudo reader where the PC/SC service has
    it (pcsc-lite, Windows); macOS's does not, and there the reader list is polled every
    ``POLL_SECONDS``. ``pnp``: None detects (macOS: polling; elsewhere the pseudo reader is
    asked once), False forces polling, True forces the pseudo reader."""

    demo = False

    def __init__(self, reader_spec: str | None = None, *, pnp: bool | None = None,
                 platform: str | None = None) -> None:
        super().__init__()
        self.reader_spec = reader_spec
        self.pnp = pnp
        self.platform = sys.platform if platform is None else platform
        #: How readers are followed, once the watcher ran: "pnp" or "poll".
        self.mode: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, listener: Listener) -> None:
        self._listener = listener
        self._thread = threading.Thread(target=self._run, name="cardtool-reader-watch",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def open_card(self) -> Transport:
        event = self.current
        reader = event.reader if event.state is ReaderState.PRESENT else self.reader_spec
        return open_transport(SourceOptions(reader=reader, wait=0))

    def next_card(self) -> None:
        return None  # a real reader: staff change the card by hand

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._watch()
            except ApduLayerError as exc:
                self._publish(replace(self.current, state=ReaderState.NO_SERVICE,
                                      reader=None, detail=str(exc)))
            except Exception as exc:  # noqa: BLE001 - the watcher must outlive any pyscard error
                log.warning("reader watcher: %s", type(exc).__name__)
                self._publish(replace(self.current, state=ReaderState.NO_SERVICE,
                                      reader=None, detail=type(exc).__name__))
            self._stop.wait(RETRY_SECONDS)

    def _watch(self) -> None:
        # The PC/SC context of the transport module: the same error mapping as every read.
        from apdu.transport.pcsc import _Context, _lib, choose_reader

        s = _lib()
        context = _Context()
        try:
            pnp = self._pnp_supported(s, context) if self.pnp is None else self.pnp
            if self.mode != ("pnp" if pnp else "poll"):
                self.mode = "pnp" if pnp else "poll"
                log.info("reader watcher: %s", "PnP notifications" if pnp
                         else f"polling the reader list every {POLL_SECONDS:g} s")
            known: dict[str, int] = {}
            while not self._stop.is_set():
                names = context.reader_names()
                if self.reader_spec is not None and names:
                    try:
                        names = [choose_reader(self.reader_spec, names)]
                    except ApduLayerError:
                        names = []
                self._publish_states(s, context.states(names) if names else [], names)
                watched = [*names, PNP_READER] if pnp else names
                if not watched:  # polling, no reader: look again after the interval
                    self._stop.wait(POLL_SECONDS)
                    continue
                known = {n: known.get(n, s.SCARD_STATE_UNAWARE) for n in watched}
                wait_ms = BLOCK_MS if pnp else int(POLL_SECONDS * 1000)
                changed = context.states(watched, wait_ms, known)
                for name, state, _atr in changed:
                    # Clear SCARD_STATE_CHANGED, or the next call returns at once.
                    known[name] = state & ~s.SCARD_STATE_CHANGED
        finally:
            context.release()

    def _pnp_supported(self, s: object, context: _StatesSource) -> bool:
        """Whether the PC/SC service has the PnP pseudo reader: macOS's does not (it is
        not asked); elsewhere it is asked once, without waiting. An unknown reader, or a
        state of SCARD_STATE_UNKNOWN, means polling."""
        if self.platform == "darwin":
            return False
        unknown = int(getattr(s, "SCARD_STATE_UNKNOWN"))  # noqa: B009 - pyscard constant
        try:
            states = context.states([PNP_READER], 0)
        except PcscUnavailable:
            raise
        except ApduLayerError as exc:
            log.info("reader watcher: no PnP pseudo reader (%s)", exc)
            return False
        return not any(state & unknown for _name, state, _atr in states)

    def _publish_states(self, s: object, states: list[tuple[str, int, bytes]],
                        names: list[str]) -> None:
        present_flag = int(getattr(s, "SCARD_STATE_PRESENT"))  # noqa: B009 - pyscard constant
        mute_flag = int(getattr(s, "SCARD_STATE_MUTE"))  # noqa: B009
        holding = [name for name, state, _ in states
                   if state & present_flag and not state & mute_flag]
        before = self.current
        if not names:
            self._publish(replace(before, state=ReaderState.NO_READER, reader=None, detail=""))
        elif not holding:
            self._publish(replace(before, state=ReaderState.WAITING, reader=names[0],
                                  detail=""))
        elif before.state is not ReaderState.PRESENT or before.reader != holding[0]:
            self._publish(replace(before, state=ReaderState.PRESENT, reader=holding[0],
                                  card_serial=before.card_serial + 1, detail=""))


class VirtualWatcher(_Base):
    """Demo mode: ``--virtual KIND[:PERSONA]...``, one card "on the reader" at a time;
    ``next_card`` takes it away and puts the next one on (after the last: waiting)."""

    demo = True

    def __init__(self, specs: tuple[str, ...], *, no_extended: bool = False) -> None:
        super().__init__()
        self.specs = list(specs)
        self.no_extended = no_extended
        self._position = -1

    def start(self, listener: Listener) -> None:
        self._listener = listener
        self.next_card()

    def stop(self) -> None:
        return None

    def next_card(self) -> None:
        with self._state_lock:
            self._position += 1
            position = self._position
            serial = self._current.card_serial
        if position < len(self.specs):
            self._publish(ReaderEvent(ReaderState.PRESENT, "virtual", serial + 1,
                                      virtual_card=self.specs[position],
                                      virtual_left=len(self.specs) - position - 1))
        else:
            self._publish(ReaderEvent(ReaderState.WAITING, "virtual", serial))

    def open_card(self) -> Transport:
        event = self.current
        if event.state is not ReaderState.PRESENT or event.virtual_card is None:
            from apdu.errors import NoCard

            raise NoCard(reader="virtual", detail="")
        return open_transport(SourceOptions(virtual=event.virtual_card,
                                            no_extended=self.no_extended))


def close_quietly(transport: Transport) -> None:
    with contextlib.suppress(Exception):
        transport.close()


__all__ = ["PcscWatcher", "ReaderEvent", "ReaderState", "ReaderWatcher", "VirtualWatcher"]
