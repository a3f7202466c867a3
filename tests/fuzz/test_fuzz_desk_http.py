"""The desk's HTTP surface under random requests (issue 17): any method, path, query,
Host/Origin/Cookie header, content type and body (oversized, bad encodings). The answer is
always a refusal or a page, never a server error; without the session nothing but a
refusal."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.conftest import FUZZ_EXAMPLES

pytest.importorskip("starlette")
pytest.importorskip("sqlalchemy")

from starlette.testclient import TestClient

from cardtool.desk.app import DeskConfig, create_app
from cardtool.desk.registry import RegisterAccess
from cardtool.desk.security import DeskSecurity
from cardtool.services.check_session import CheckSession
from cardtool.services.reader_watch import VirtualWatcher
from cardtool.trust.options import ResidenceOptions

PORT = 18999
TOKEN = "fuzz-token-" + "z" * 30
GOOD_HOST = f"127.0.0.1:{PORT}"
GOOD_ORIGIN = f"http://{GOOD_HOST}"
COOKIE = f"cardtool_desk_{PORT}={TOKEN}"
PATHS = ["/", "/check", "/check/read", "/check/next", "/check/save", "/events", "/state",
         "/lang", "/deadlines", "/clients", "/clients/1", "/clients/999999999999999999999",
         "/clients/1/history.csv", "/export", "/export/deadlines.csv", "/export/deadlines.ics",
         "/static/desk.css", "/static/../app.py", "/static/%2e%2e/app.py", "/%00", "//x"]
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF,
                                    blacklist_characters="\x7f"), max_size=60)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder: Path = tmp_path_factory.mktemp("desk-fuzz")
    reader = CheckSession(VirtualWatcher(("mynumber", "residence2")), ResidenceOptions(),
                        auto_read=False)
    register = RegisterAccess.open(str(folder / "register.sqlite3"))
    app = create_app(DeskConfig("fuzz", PORT), reader, register,
                     security=DeskSecurity(PORT, token=TOKEN))
    # The event stream never ends while the desk runs, and the test client waits for the
    # whole body: in the "stopping" state a signed-in GET /events is answered and ended at
    # once (the streams themselves are driven over uvicorn in tests/desk/test_load.py).
    app.state.close_streams()
    with TestClient(app, base_url=GOOD_ORIGIN, client=("127.0.0.1", 1),
                    raise_server_exceptions=False, follow_redirects=False) as test_client:
        yield test_client


@settings(max_examples=FUZZ_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]),
       path=st.one_of(st.sampled_from(PATHS), st.text(max_size=40).map(lambda t: "/" + t)),
       query=st.lists(st.tuples(st.text(max_size=12), st.text(max_size=30)), max_size=4),
       host=st.one_of(st.just(GOOD_HOST), header_text),
       origin=st.one_of(st.none(), st.just(GOOD_ORIGIN), header_text),
       cookie=st.one_of(st.none(), st.just(COOKIE), header_text),
       content_type=st.sampled_from(["application/x-www-form-urlencoded",
                                     "multipart/form-data; boundary=x", "multipart/form-data",
                                     "application/json", "text/plain; charset=utf-16", ""]),
       body=st.one_of(st.binary(max_size=2048),
                      st.just(b"card_number=" + b"%FF" * 30_000),
                      st.just(b"birth=" + "\u00e9".encode("latin-1") * 10 + b"&code=1"),
                      st.just(b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
                              + b"A" * 70_000 + b"\r\n--x--\r\n")))
def test_random_requests_get_a_page_or_a_refusal(
        client: TestClient, caplog: pytest.LogCaptureFixture, method: str, path: str,
        query: list[tuple[str, str]], host: str, origin: str | None, cookie: str | None,
        content_type: str, body: bytes) -> None:
    headers = {"host": host, "content-type": content_type}
    if origin is not None:
        headers["origin"] = origin
    if cookie is not None:
        headers["cookie"] = cookie
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="cardtool.desk"):
        try:
            answer = client.request(method, path, params=query, headers=headers, content=body)
        except (ValueError, httpx.InvalidURL, httpx.LocalProtocolError):
            return  # the test client itself refused to build the request (not our server)
    assert answer.status_code < 500 or answer.status_code == 503, (answer.status_code,
                                                                   answer.text[:300])
    assert not [r for r in caplog.records if "internal error" in r.getMessage()]
    session = cookie == COOKIE and host == GOOD_HOST
    if not session:
        assert answer.status_code in (303, 403, 413, 421), answer.status_code
