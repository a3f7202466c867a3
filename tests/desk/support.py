"""Building a desk for the tests: the real app over virtual cards (or a watcher given by the
test), driven through Starlette's TestClient as a loopback browser would."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the desk needs the office extra")

from starlette.testclient import TestClient

from cardtool.desk.app import DeskConfig, create_app
from cardtool.desk.registry import RegisterAccess, RegisterNotInstalled
from cardtool.desk.security import DeskSecurity
from cardtool.services.check_session import CheckSession
from cardtool.services.reader_watch import ReaderWatcher, VirtualWatcher
from cardtool.trust.options import ResidenceOptions

PORT = 18765
HOST = f"127.0.0.1:{PORT}"
ORIGIN = f"http://{HOST}"
#: The default personas' secrets (cardtool/virtual/personas: synthetic).
RESIDENCE2_NUMBER = "AB98765432CD"
MYNUMBER_BIRTH = "1985-04-01"
MYNUMBER_CODE = "1234"


def virtual_test_options() -> ResidenceOptions:
    from cardtool.trust.store import virtual_test_anchors

    return ResidenceOptions(default_anchors=virtual_test_anchors)


@contextmanager
def desk(*specs: str, watcher: ReaderWatcher | None = None,
         register: RegisterAccess | None = None, lang: str = "en",
         auto_read: bool = True) -> Iterator[tuple[TestClient, CheckSession]]:
    """A desk over ``specs`` (virtual cards in turn), signed in (the token exchanged for
    the cookie), as the page in a loopback browser."""
    watcher = watcher or VirtualWatcher(tuple(specs))
    reader = CheckSession(watcher, virtual_test_options(), allow_test_keys=True,
                        auto_read=auto_read)
    security = DeskSecurity(PORT, token="test-token-" + "x" * 20)
    app = create_app(DeskConfig("test-desk", PORT, default_lang=lang), reader,
                     register or RegisterAccess(None, RegisterNotInstalled(detail="test")), security=security)
    with TestClient(app, base_url=ORIGIN, client=("127.0.0.1", 50000),
                    follow_redirects=False) as client:
        answer = client.get("/check", params={"token": security.token})
        assert answer.status_code == 303
        client.headers["Origin"] = ORIGIN
        yield client, reader


def wait_version(reader: CheckSession, above: int, timeout: float = 30) -> Any:
    """Wait until a read newer than ``above`` is the result (the reads run in threads)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if reader.result.version > above:
            return reader.result
        time.sleep(0.02)
    raise AssertionError(f"no new result after version {above}: {reader.result}")
