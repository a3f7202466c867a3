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
from cardtool.desk.registry import RegisterAccess, RegisterNotInstalled
from cardtool.desk.security import MAX_BODY_BYTES, DeskSecurity
from cardtool.services.check_session import CheckSession
from cardtool.services.reader_watch import VirtualWatcher
from cardtool.trust.options import ResidenceOptions

TOKEN = "the-session-token-" + "y" * 20


def _app(port: int = PORT) -> object:
    reader = CheckSession(VirtualWatcher(("mynumber",)), ResidenceOptions(), auto_read=False)
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
        # The session cookie is named after the port and is not the start token (spent).
        assert f"cardtool_desk_{PORT}=" in cookie and TOKEN not in cookie
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


# --- each claim of docs/desk.md, "What the desk does", tried as an attack ----------------


def _signed_in(client: TestClient) -> str:
    """Spend the start token as the desk's own browser does; returns the session cookie."""
    answer = client.get("/check", params={"token": TOKEN})
    assert answer.status_code == 303
    return str(client.cookies[f"cardtool_desk_{PORT}"])


def test_the_start_url_is_spent_on_first_use() -> None:
    """Another local account read the printed URL (stderr, the browser's command line, the
    history) after the desk's browser opened it: it gets no session, only a page saying
    what to do, in Japanese and English."""
    app = _app()
    with TestClient(app, base_url=ORIGIN, client=("127.0.0.1", 40000),  # type: ignore[arg-type]
                    follow_redirects=False) as first, \
            TestClient(app, base_url=ORIGIN, client=("127.0.0.1", 40001),  # type: ignore[arg-type]
                       follow_redirects=False) as other:
        session = _signed_in(first)
        again = other.get("/check", params={"token": TOKEN})
        assert again.status_code == 403
        assert "set-cookie" not in again.headers and not other.cookies
        assert again.headers["content-type"].startswith("text/html")
        assert "使用済み" in again.text and "再起動" in again.text and "cardtool serve" in again.text
        assert "already open" in again.text and "restart the desk" in again.text
        assert TOKEN not in again.text
        assert "content-security-policy" in again.headers
        # Still no way in: no page, no state, no event stream, no save.
        for path in ("/check", "/state", "/deadlines", "/events"):
            assert other.get(path).status_code == 403, path
        assert other.post("/check/next", headers={"Origin": ORIGIN}).status_code == 403
        # The token itself as the cookie is not the session (it is not what was handed out).
        other.cookies.set(f"cardtool_desk_{PORT}", TOKEN)
        assert other.get("/check").status_code == 403
        # The desk's own browser opening the start URL again (history, a second tab) keeps
        # its session and gets no new one.
        reopened = first.get("/deadlines", params={"token": TOKEN})
        assert reopened.status_code == 303 and reopened.headers["location"] == "/deadlines"
        assert "set-cookie" not in reopened.headers
        assert first.cookies[f"cardtool_desk_{PORT}"] == session
        assert first.get("/check").status_code == 200


def test_a_wrong_token_does_not_spend_the_start_token() -> None:
    """Guessing, a foreign Host (DNS rebinding) or a non-loopback peer with the right token:
    refused, and the desk's own browser still gets in with the printed URL."""
    app = _app()
    with TestClient(app, base_url=f"http://evil.example:{PORT}",  # type: ignore[arg-type]
                    client=("127.0.0.1", 40000), follow_redirects=False) as rebinding:
        assert rebinding.get("/check", params={"token": TOKEN}).status_code == 421
    with TestClient(app, base_url=ORIGIN, client=("192.168.1.20", 40000),  # type: ignore[arg-type]
                    follow_redirects=False) as remote:
        assert remote.get("/check", params={"token": TOKEN}).status_code == 403
    with TestClient(app, base_url=ORIGIN, client=("127.0.0.1", 40000),  # type: ignore[arg-type]
                    follow_redirects=False) as client:
        assert client.get("/check", params={"token": TOKEN[:-1]}).status_code == 403
        assert client.get("/check", params={"token": [TOKEN, TOKEN]}).status_code == 403
        _signed_in(client)
        assert client.get("/check").status_code == 200


def test_the_session_cookie_flags() -> None:
    """HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), the
    whole desk (Path=/), named after the port; no expiry (it ends with the browser)."""
    with _client() as client:
        cookie = client.get("/check", params={"token": TOKEN}).headers["set-cookie"]
    parts = [p.strip() for p in cookie.split(";")]
    name, value = parts[0].split("=", 1)
    assert name == f"cardtool_desk_{PORT}" and len(value) >= 40 and value != TOKEN
    flags = {p.split("=")[0].lower(): p for p in parts[1:]}
    assert set(flags) == {"path", "httponly", "samesite"}, flags
    assert flags["path"] == "Path=/" and flags["samesite"] == "SameSite=Strict"


def test_restarting_the_desk_makes_a_new_token_and_ends_the_old_session() -> None:
    old, new = DeskSecurity(PORT), DeskSecurity(PORT)
    assert old.token != new.token and len(old.token) >= 43  # 256 bits, URL-safe base64
    assert "token=" + old.token in old.start_url("/check")
    assert old.token not in repr(old)
    app = create_app(DeskConfig("d", PORT),
                     CheckSession(VirtualWatcher(("mynumber",)), ResidenceOptions(),
                                  auto_read=False),
                     RegisterAccess(None, RegisterNotInstalled(detail="t")), security=new)
    with _client() as before:
        session = _signed_in(before)
    with TestClient(app, base_url=ORIGIN, client=("127.0.0.1", 40000),  # type: ignore[arg-type]
                    follow_redirects=False) as after:
        after.cookies.set(f"cardtool_desk_{PORT}", session)
        assert after.get("/check").status_code == 403
        assert after.get("/check", params={"token": TOKEN}).status_code == 403


def test_every_state_changing_route_refuses_a_cross_site_request() -> None:
    """CSRF: a page of another site posting a form into the desk, with the session cookie
    (as if SameSite did not hold): every POST route is refused, and none of them answers a
    GET (a link or an image cannot change anything)."""
    from starlette.routing import Route

    app = _app()
    posts = sorted({r.path.replace("{client_id:int}", "1") for r in app.routes  # type: ignore[attr-defined]
                    if isinstance(r, Route) and r.methods and "POST" in r.methods})
    assert {"/check/read", "/check/next", "/check/save", "/clients/1"} <= set(posts)
    with TestClient(app, base_url=ORIGIN, client=("127.0.0.1", 40000),  # type: ignore[arg-type]
                    follow_redirects=False) as client:
        _signed_in(client)
        for path in posts:
            for headers in ({"Origin": "http://evil.example"},
                            {"Origin": f"http://localhost:{PORT + 1}"},
                            {"Origin": "null"}, {},
                            {"Origin": ORIGIN, "Sec-Fetch-Site": "same-site"},
                            {"Origin": ORIGIN, "Sec-Fetch-Site": "cross-site"}):
                answer = client.post(path, data={"version": "1", "reference": "X-1"},
                                     headers=headers)
                assert answer.status_code == 403, (path, headers)
            if path.startswith("/check/"):
                assert client.get(path).status_code == 405, path


def test_a_signed_in_browser_cannot_be_reached_through_another_host_name() -> None:
    """DNS rebinding after sign-in: the attacker's name resolves to 127.0.0.1 and the
    request carries the session cookie (it would not, cookies are per host; tried anyway)."""
    app = _app()
    with TestClient(app, base_url=ORIGIN, client=("127.0.0.1", 40000),  # type: ignore[arg-type]
                    follow_redirects=False) as client:
        session = _signed_in(client)
        cookie = {"Cookie": f"cardtool_desk_{PORT}={session}"}
        for host in (f"evil.example:{PORT}", f"127.0.0.1.nip.io:{PORT}", f"127.0.0.1:{PORT + 1}"):
            answer = client.get("/state", headers={**cookie, "Host": host})
            assert answer.status_code == 421, host
            assert "version" not in answer.text
        # Two Host headers (one of them ours): not what a browser sends.
        twice = client.get("/state", headers=[("Host", HOST), ("Host", f"evil.example:{PORT}")])
        assert twice.status_code == 421
        assert client.get("/state").status_code == 200


def test_frames_and_other_sites_scripts_are_refused_by_the_policy() -> None:
    with _client() as client:
        _signed_in(client)
        for path in ("/check", "/deadlines", "/state"):
            headers = client.get(path).headers
            csp = headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, path
            assert headers["cross-origin-resource-policy"] == "same-origin"
            assert headers["x-content-type-options"] == "nosniff"
