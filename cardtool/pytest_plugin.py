"""The cardtool pytest plugin: cards for the tests of PC/SC programs.

pytest loads this module through the ``pytest11`` entry point of the cardtool package;
nothing in cardtool imports it, so pytest is no runtime dependency of cardtool. Fixtures
(``docs/testing-with-cardtool.md``):

* ``cardtool_vpcd``: serves cards on vpcd slots of the real pcscd for the test's duration:
  ``cardtool_vpcd.virtual("mynumber:default+no-get-data")`` or
  ``cardtool_vpcd.replay("session.jsonl", match="strict")``; each gives a ``ServedCard``
  whose ``reader`` is the PC/SC reader name to open.
* ``cardtool_reader``: the reader name of one card served as the test's
  ``@pytest.mark.cardtool_card(...)`` marker says (default: a virtual My Number card).
* ``cardtool_transport``: in-process transports for cardtool-based code (no pcscd needed):
  ``cardtool_transport("mynumber")`` or ``cardtool_transport(replay="session.jsonl")``.

Without pcscd + vpcd the vpcd fixtures skip the test with the reason; with
``--cardtool-require-pcsc``, the ini option ``cardtool_require_pcsc = true`` or
``CARDTOOL_REQUIRE_PCSC=1`` they fail instead. A served replay that diverged fails the
test at teardown with the divergence (exchange number, expected and sent command).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from apdu.errors import ApduLayerError, TraceError
from apdu.simulators import ReplayCard
from apdu.transport import Transport
from apdu.transport.replay import STRICT, ReplayTransport
from apdu.transport.virtual import CardSimulator, VirtualTransport
from apdu.vpcd import VpcdLink, VpcdSlotBusy

VPCD_READER_PREFIX = "Virtual PCD 00 "
PRESENCE_TIMEOUT = 10.0


def _require_pcsc(config: pytest.Config) -> bool:
    return bool(config.getoption("cardtool_require_pcsc")
                or config.getini("cardtool_require_pcsc")
                or os.environ.get("CARDTOOL_REQUIRE_PCSC") == "1")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cardtool", "cards served by cardtool")
    group.addoption("--cardtool-require-pcsc", action="store_true", default=False,
                    dest="cardtool_require_pcsc",
                    help="Fail (not skip) tests that need pcscd + vpcd when they are absent.")
    parser.addini("cardtool_require_pcsc", type="bool", default=False,
                  help="Fail (not skip) tests that need pcscd + vpcd when they are absent.")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "cardtool_card(spec='mynumber', *, replay=None, match='strict', "
        "no_extended=False): the card the cardtool_reader fixture serves")


def _readers() -> list[tuple[str, bool]]:
    from apdu.transport.pcsc import list_readers

    return [(r.name, r.card_present) for r in list_readers()]


def _wait_present(name: str, present: bool, timeout: float = PRESENCE_TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if (name, present) in _readers():
                return True
        except ApduLayerError:
            return not present
        time.sleep(0.1)
    return False


@dataclass
class ServedCard:
    """One card on one vpcd slot, served on a thread of the test process."""

    reader: str
    slot: int
    card: CardSimulator
    link: VpcdLink
    thread: threading.Thread
    replay: ReplayCard | None = None
    _stopped: bool = field(default=False, repr=False)

    @property
    def apdu_count(self) -> int:
        return self.link.apdu_count

    @property
    def error(self) -> TraceError | None:
        """The divergence of a served replay, if the program diverged."""
        return self.replay.error if self.replay is not None else None

    def take_error(self) -> TraceError | None:
        """The divergence, which then no longer fails the test at teardown (for tests that
        expect one)."""
        if self.replay is None:
            return None
        error, self.replay.error = self.replay.error, None
        return error

    @property
    def finished(self) -> bool:
        """A replay: every recorded event was served."""
        return self.replay.finished if self.replay is not None else True

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.link.close()
        self.thread.join(timeout=5)
        _wait_present(self.reader, False)


class VpcdCards:
    """The ``cardtool_vpcd`` fixture: serve cards on free vpcd slots until the test ends."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.served: list[ServedCard] = []

    def _unavailable(self, reason: str) -> None:
        reason = "cardtool: " + reason
        if _require_pcsc(self.config):
            pytest.fail(reason + " (PC/SC required: --cardtool-require-pcsc, "
                        "cardtool_require_pcsc or CARDTOOL_REQUIRE_PCSC=1)", pytrace=False)
        pytest.skip(reason)

    def _free_slots(self) -> list[int]:
        try:
            readers = _readers()
        except ApduLayerError as exc:
            self._unavailable(f"pcscd is not usable: {exc}")
            return []
        slots = sorted(int(name[len(VPCD_READER_PREFIX):]) for name, present in readers
                       if name.startswith(VPCD_READER_PREFIX) and not present
                       and name[len(VPCD_READER_PREFIX):].isdigit())
        if not any(name.startswith(VPCD_READER_PREFIX) for name, _ in readers):
            self._unavailable("pcscd has no vsmartcard vpcd reader (install vsmartcard-vpcd "
                              f"and restart pcscd); readers: {[n for n, _ in readers]}")
        return slots

    def _serve(self, card: CardSimulator, slot: int | None, no_extended: bool,
               replay: ReplayCard | None) -> ServedCard:
        candidates = [slot] if slot is not None else self._free_slots()
        if not candidates:
            self._unavailable("every vpcd slot already holds a card")
        for candidate in candidates:
            link = VpcdLink(card, slot=candidate, reader_extended=not no_extended)
            try:
                link.connect()
            except VpcdSlotBusy:
                continue
            except ApduLayerError as exc:
                self._unavailable(str(exc))
            thread = threading.Thread(target=link.serve_forever, daemon=True,
                                      name=f"cardtool-vpcd-{candidate}")
            thread.start()
            served = ServedCard(f"{VPCD_READER_PREFIX}{candidate:02d}", candidate, card, link,
                                thread, replay)
            self.served.append(served)
            if not _wait_present(served.reader, True):
                pytest.fail(f"cardtool: pcscd never saw the card in {served.reader}",
                            pytrace=False)
            return served
        self._unavailable(f"no free vpcd slot (tried {candidates})")
        raise AssertionError("unreachable")

    def virtual(self, spec: str = "mynumber", *, slot: int | None = None,
                no_extended: bool = False) -> ServedCard:
        """Serve a virtual card: KIND[:PERSONA][+QUIRK...], e.g. ``mynumber:default+no-get-data``."""
        from cardtool.virtual import make_virtual_card

        return self._serve(make_virtual_card(spec), slot, no_extended, None)

    def replay(self, trace: str | Path, *, match: str = STRICT, slot: int | None = None
               ) -> ServedCard:
        """Serve a recorded session (any trace format), strict or by-command."""
        card = ReplayCard(ReplayTransport(trace, match=match))
        return self._serve(card, slot, False, card)

    def close(self) -> list[str]:
        """Stop every card; the divergences of replays that diverged."""
        problems = []
        for served in reversed(self.served):
            served.stop()
            if served.error is not None:
                problems.append(f"{served.reader}: {served.error}")
        self.served.clear()
        return problems


@pytest.fixture
def cardtool_vpcd(request: pytest.FixtureRequest) -> Iterator[VpcdCards]:
    """Serve virtual cards or recorded sessions on vpcd slots for this test."""
    cards = VpcdCards(request.config)
    try:
        yield cards
    finally:
        problems = cards.close()
    if problems:
        pytest.fail("cardtool replay diverged: " + "; ".join(problems), pytrace=False)


@pytest.fixture
def cardtool_reader(request: pytest.FixtureRequest, cardtool_vpcd: VpcdCards) -> str:
    """The PC/SC reader name of the card the ``cardtool_card`` marker asks for (default: a
    virtual My Number card)."""
    marker = request.node.get_closest_marker("cardtool_card")
    args: tuple[Any, ...] = marker.args if marker is not None else ()
    kwargs: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    replay = kwargs.pop("replay", None)
    if replay is not None:
        path = Path(replay)
        if not path.is_absolute():
            path = Path(str(request.node.fspath)).parent / path
        return cardtool_vpcd.replay(path, match=kwargs.get("match", STRICT)).reader
    spec = args[0] if args else kwargs.get("spec", "mynumber")
    return cardtool_vpcd.virtual(spec, no_extended=bool(kwargs.get("no_extended"))).reader


class TransportFactory:
    """The ``cardtool_transport`` fixture: in-process card sources, closed after the test."""

    def __init__(self) -> None:
        self.opened: list[Transport] = []

    def __call__(self, spec: str | None = None, *, replay: str | Path | None = None,
                 match: str = STRICT, no_extended: bool = False) -> Transport:
        transport: Transport
        if replay is not None:
            transport = ReplayTransport(replay, match=match)
        else:
            from cardtool.virtual import make_virtual_card

            spec = spec or "mynumber"
            transport = VirtualTransport(make_virtual_card(spec), f"virtual {spec}",
                                         reader_extended=not no_extended)
        self.opened.append(transport)
        return transport


@pytest.fixture
def cardtool_transport() -> Iterator[TransportFactory]:
    """In-process transports (a virtual card or a replayed trace) for cardtool-based code."""
    factory = TransportFactory()
    yield factory
    for transport in factory.opened:
        transport.close()
