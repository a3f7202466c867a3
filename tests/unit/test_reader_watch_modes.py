"""How the reader watcher learns of readers coming and going (services/reader_watch.py):
the PnP pseudo reader where the PC/SC service answers for it, polling where it does not
(macOS). The real pcscd paths: tests/desk/test_reader_watch_pcsc.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from apdu.errors import NoReader, PcscUnavailable
from cardtool.services.reader_watch import PNP_READER, PcscWatcher

SCARD = SimpleNamespace(SCARD_STATE_UNKNOWN=0x0004, SCARD_STATE_CHANGED=0x0002)


class Context:
    def __init__(self, answer: list[tuple[str, int, bytes]] | Exception) -> None:
        self.answer = answer
        self.asked: list[list[str]] = []

    def states(self, names: list[str], timeout_ms: int = 0,
               known: dict[str, int] | None = None) -> list[tuple[str, int, bytes]]:
        self.asked.append(names)
        assert timeout_ms == 0  # the probe never blocks
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.mark.parametrize(("answer", "supported"), [
    ([(PNP_READER, 0x00010002, b"")], True),  # pcsc-lite: one reader, changed
    ([], True),  # nothing changed within 0 ms
    ([(PNP_READER, 0x0004 | 0x0002, b"")], False),  # SCARD_STATE_UNKNOWN
    (NoReader(detail=" (unknown reader)"), False),  # SCARD_E_UNKNOWN_READER
])
def test_the_pnp_probe(answer: list[tuple[str, int, bytes]] | Exception,
                       supported: bool) -> None:
    context = Context(answer)
    assert PcscWatcher(platform="linux")._pnp_supported(SCARD, context) is supported
    assert context.asked == [[PNP_READER]]


def test_macos_is_not_asked() -> None:
    context = Context([(PNP_READER, 0x00010002, b"")])
    assert PcscWatcher(platform="darwin")._pnp_supported(SCARD, context) is False
    assert context.asked == []


def test_a_missing_service_is_not_taken_for_a_missing_pseudo_reader() -> None:
    with pytest.raises(PcscUnavailable):
        PcscWatcher(platform="win32")._pnp_supported(
            SCARD, Context(PcscUnavailable(detail="SCARD_E_NO_SERVICE")))
