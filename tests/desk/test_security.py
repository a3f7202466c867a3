"""The desk's gate: loopback peers only, its own Host, the session token, same-origin
state changes, small bodies, a strict CSP; and no personal value in the server log."""

from __future__ import annotations

import logging

import pytest

from tests.desk.support import (
    HOST,
    MYNUMBER_BIRTH,
    MYNUMBER_CODE,
    ORIGIN,
    PORT,
    RESIDENCE2_NUMBER,
    desk,
    wait_version,
)

pytest.importorskip("starlette")

from starlette.testclient import TestClient

from cardtool.desk.app import DeskConfig, create_app
from cardtool.desk.reading import DeskReader
from cardtool.desk.registry import RegisterAccess, RegisterNotInstalled
from cardtool.desk.security import MAX_BODY_BYTES, DeskSecurity
from cardtool.services.reader_watch import VirtualWatcher
from cardtool.trust.options import ResidenceOptions

TOKEN = "the-session-token-" + "y" * 20


def _app(port: int = PORT) -> object:
    reader = DeskReader(VirtualWatcher(("mynumber",)), ResidenceOptions(), auto_read=False)
    return create_app(DeskConfig("d", port), reader,
                      RegisterAccess(None, RegisterNotInstalled(detail="t")),
                      security=DeskSecurity(port, token=TOKEN))


def _client(peer: str = "127.0.0.1", base: str = ORIGIN) -> TestClient:
    return TestClient(_app(), base_url=base, client=(peer, 40000),  # type: ignore[arg-type]
                      follow_redirects=False)


def test_the_token_in_the_url_becomes_a_strict_httponly_cookie_and_leaves_the_url() -> None:
    with _client() as client:
        answer = client.get("/check", params={"token": TOKEN, "q": "x"})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/check?q=x"
        cookie = answer.headers["set-cookie"]
        assert f"cardtool_desk_{PORT}={TOKEN}" in cookie
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert client.get("/check").status_code == 200


def test_without_the_token_every_page_is_refused() -> None:
    with _client() as client:
        for path in ("/check", "/events", "/state", "/static/desk.css", "/deadlines", "/nope"):
            answer = client.get(path)
            assert answer.status_code == 403, path
            assert "cardtool serve" in answer.text
        assert client.get("/check", params={"token": "wrong"}).status_code == 403
        client.cookies.set(f"cardtool_desk_{PORT}", "wrong")
        assert client.get("/check").status_code == 403
        # Another desk's cookie (another port) is not this desk's session.
        client.cookies.clear()
        client.cookies.set(f"cardtool_desk_{PORT + 1}", TOKEN)
        assert client.get("/check").status_code == 403


def test_a_foreign_host_is_refused_even_with_the_token() -> None:
    """DNS rebinding: evil.example resolving to 127.0.0.1 reaches the socket, not the desk."""
    for host in (f"evil.example:{PORT}", "127.0.0.1:1", "localhost", "127.0.0.1"):
        with _client(base=f"http://{host}") as client:
            answer = client.get("/check", params={"token": TOKEN})
            assert answer.status_code == 421, host
    with _client(base=f"http://localhost:{PORT}") as client:
        assert client.get("/check", params={"token": TOKEN}).status_code == 303


def test_a_non_loopback_peer_is_refused() -> None:
    for peer in ("192.168.1.20", "10.0.0.1", "testclient", "::ffff:192.168.1.20"):
        with _client(peer=peer) as client:
            assert client.get("/check", params={"token": TOKEN}).status_code == 403, peer
    with _client(peer="::1") as client:
        assert client.get("/check", params={"token": TOKEN}).status_code == 303


def test_state_changes_need_the_desks_own_origin() -> None:
    with _client() as client:
        client.get("/check", params={"token": TOKEN})
        for origin in (None, "http://evil.example", f"http://127.0.0.1:{PORT + 1}", "null"):
            headers = {"Origin": origin} if origin else {}
            answer = client.post("/check/next", headers=headers)
            assert answer.status_code == 403, origin
        answer = client.post("/check/next", headers={"Origin": ORIGIN,
                                                     "Sec-Fetch-Site": "cross-site"})
        assert answer.status_code == 403
        answer = client.post("/check/next", headers={"Origin": ORIGIN,
                                                     "Sec-Fetch-Site": "same-origin"})
        assert answer.status_code == 303
        # The token in the URL of a POST does not log anybody in.
        client.cookies.clear()
        answer = client.post("/check/next", params={"token": TOKEN},
                             headers={"Origin": ORIGIN})
        assert answer.status_code == 403


def test_large_bodies_are_refused() -> None:
    with _client() as client:
        client.get("/check", params={"token": TOKEN})
        answer = client.post("/check/read", content=b"card_number=" + b"A" * MAX_BODY_BYTES,
                             headers={"Origin": ORIGIN,
                                      "Content-Type": "application/x-www-form-urlencoded"})
        assert answer.status_code == 413


def test_every_page_has_a_strict_content_security_policy() -> None:
    with _client() as client:
        client.get("/check", params={"token": TOKEN})
        for path in ("/check", "/static/desk.js", "/nope"):
            answer = client.get(path)
            csp = answer.headers["content-security-policy"]
            assert "default-src 'self'" in csp and "script-src 'self'" in csp, path
            assert "unsafe-inline" not in csp
            assert answer.headers["x-frame-options"] == "DENY"
            assert answer.headers["cache-control"] == "no-store"
        page = client.get("/check").text
        assert "<script>" not in page and " on" + "click=" not in page
        assert '<script src="/static/desk.js"' in page


def test_no_personal_value_reaches_the_server_log(caplog: pytest.LogCaptureFixture) -> None:
    """A residence card read with a wrong then the right number, a My Number card-face
    check, a client search: the log says what happened, never the values typed."""
    caplog.set_level(logging.DEBUG)
    import datetime as dt

    from cardtool.jst import today_jst

    year = str((today_jst() + dt.timedelta(days=2500)).year)
    with desk("residence2", "mynumber") as (client, reader):
        first = wait_version(reader, 0)
        assert first.stage.value == "needs-card-number"
        client.post("/check/read", data={"card_number": "ZZ11111111ZZ"})
        assert "does not match" in client.get("/check").text
        client.post("/check/read", data={"card_number": RESIDENCE2_NUMBER.lower()})
        page = client.get("/check").text
        assert reader.result.stage.value == "done"
        client.get("/check", params={"q": "TESTER ALEX"})
        version = reader.result.version
        client.post("/check/next")
        wait_version(reader, version)
        client.post("/check/read", data={"birth": MYNUMBER_BIRTH, "expiry_year": year,
                                         "code": MYNUMBER_CODE})
        assert reader.result.face_checked
    # The server's loggers (the test client's own httpx log names the URLs it asked for).
    logged = "\n".join(r.getMessage() for r in caplog.records
                       if r.name.startswith(("cardtool", "uvicorn", "starlette")))
    assert "check: residence-second read" in logged and "check: mynumber read" in logged
    for secret in (RESIDENCE2_NUMBER, RESIDENCE2_NUMBER.lower(), "ZZ11111111ZZ",
                   "TESTER ALEX", MYNUMBER_BIRTH, "1992-04-01", "98765432"):
        assert secret not in logged, secret
        assert secret.lower() not in page.lower() or secret == "1992-04-01", secret
    assert HOST  # the log may name the desk's address; nothing else of the request
