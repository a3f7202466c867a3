"""The desk's gate: every request passes here before any page (a plain ASGI middleware, so
the event stream is not buffered).

A page that shows clients' cards listens on loopback only, yet any web page the same
browser opens could try to reach it. So, in this order:

1. the peer must be a loopback address (the socket is bound to 127.0.0.1; checked again
   here, so a misconfigured bind cannot expose it);
2. the Host header must be ``127.0.0.1:PORT`` or ``localhost:PORT``: a foreign name that
   resolves to 127.0.0.1 (DNS rebinding) is refused;
3. the start token (``?token=`` in the URL printed at start) is spent on its first use: that
   request gets a session cookie (``HttpOnly; SameSite=Strict``; a new random value, not
   the token, so whoever read the printed URL later cannot make it from the token) and is
   redirected to the same path without the token. A second use gets no session, only a
   page (403, ja/en) that says to use the tab already open or restart the desk; every
   other request needs the session cookie;
4. a state-changing request (anything but GET and HEAD) needs an ``Origin`` equal to the
   desk's own (CSRF); ``Sec-Fetch-Site``, when the browser sends it, must be same-origin;
5. bodies are small (forms only): a larger declared or sent body is refused (413).

Every response gets a strict Content-Security-Policy (no inline script, nothing from
elsewhere) and the usual hardening headers.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

log = logging.getLogger("cardtool.desk")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_PEERS = frozenset({"127.0.0.1", "::1"})
#: Forms are a few fields: anything larger is not ours.
MAX_BODY_BYTES = 64 * 1024

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'")
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # Not "no-referrer": with it Chromium sends "Origin: null" on our own form posts, which
    # the CSRF check must refuse. same-origin keeps the address from any other site.
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)
SAFE_METHODS = frozenset({"GET", "HEAD"})


class DeskSecurity:
    """One desk's secrets: the start token (spent on first use) and the session it becomes."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.token = token if token is not None else secrets.token_urlsafe(32)
        #: The session cookie's value, made when the start token is spent.
        self._session: str | None = None

    def __repr__(self) -> str:  # never the token or the session in a log or traceback
        return f"DeskSecurity(port={self.port}, spent={self.spent})"

    @property
    def cookie_name(self) -> str:
        # Cookies are not separated by port: two desks on one machine keep their own.
        return f"cardtool_desk_{self.port}"

    @property
    def allowed_hosts(self) -> frozenset[str]:
        return frozenset({f"127.0.0.1:{self.port}", f"localhost:{self.port}"})

    @property
    def allowed_origins(self) -> frozenset[str]:
        return frozenset(f"http://{host}" for host in self.allowed_hosts)

    @property
    def spent(self) -> bool:
        return self._session is not None

    def start_url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}?{urlencode({'token': self.token})}"

    def token_matches(self, candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(candidate.encode(),
                                                             self.token.encode())

    def exchange(self, candidate: str) -> str | None:
        """The session cookie's value for the start token, once: None when ``candidate`` is
        the token already spent. Raises ``Refused`` for anything else."""
        if not self.token_matches(candidate):
            raise Refused(403, "wrong session token")
        # No lock: the gate runs on the server's one event loop, and nothing awaits between
        # the test and the set, so two requests cannot both spend the token.
        if self._session is not None:
            return None
        self._session = secrets.token_urlsafe(32)
        return self._session

    def session_matches(self, candidate: str | None) -> bool:
        session = self._session
        return (candidate is not None and session is not None
                and hmac.compare_digest(candidate.encode(), session.encode()))


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class TokenSpent(Refused):
    """The start URL again, from a browser without the session it made."""


#: The answer to a second use of the start URL: both languages, since a browser without
#: the session has no chosen language either; no script, no style (the CSP allows neither
#: inline), nothing from elsewhere.
TOKEN_SPENT_PAGE = """<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8">
<title>cardtool 窓口: このアドレスは使用済みです / This address was used already</title></head>
<body>
<h1>このアドレスは使用済みです</h1>
<p>起動時に表示されたアドレスは一度だけ使えます。すでに開いている窓口のタブをそのままお使いください。
そのタブがない場合は、窓口を再起動し(<code>cardtool serve</code>)、新しく表示されたアドレスを開いてください。</p>
<h1 lang="en">This address was used already</h1>
<p lang="en">The address printed when the desk started works once. Use the desk's tab that is
already open. If there is none, restart the desk (<code>cardtool serve</code>) and open the
new address it prints.</p>
</body></html>
"""


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in scope.get("headers", []):
        name = key.decode("latin-1").lower()
        if name in out:  # a repeated Host/Origin/Cookie is not what a browser sends
            out[name] = out[name] + "\x00" + value.decode("latin-1")
        else:
            out[name] = value.decode("latin-1")
    return out


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, security: DeskSecurity) -> None:
        self.app = app
        self.security = security

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no websockets here
            return
        try:
            redirect = self._check(scope)
        except TokenSpent:
            log.warning("refused %s %s: the start token was used already",
                        scope.get("method"), scope.get("path"))
            await _html(send, 403, TOKEN_SPENT_PAGE)
            return
        except Refused as refusal:
            log.warning("refused %s %s: %s", scope.get("method"), scope.get("path"),
                        refusal.reason)
            await _plain(send, refusal.status, refusal.reason)
            return
        if redirect is not None:
            await _redirect(send, *redirect, self.security)
            return
        await self.app(scope, _limited(receive), _with_headers(send))

    def _check(self, scope: Scope) -> tuple[str, str | None] | None:
        """Raises Refused; after taking the token from the URL returns where to redirect,
        and the new session cookie's value (None: the browser has its session already)."""
        security = self.security
        client = scope.get("client")
        if client is None or client[0] not in LOOPBACK_PEERS:
            raise Refused(403, "not a loopback client")
        headers = _headers(scope)
        if headers.get("host") not in security.allowed_hosts:
            raise Refused(421, "unexpected Host header")
        method = scope.get("method", "GET")
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            raise Refused(413, "request body too large")
        query = scope.get("query_string", b"").decode("latin-1")
        pairs = parse_qsl(query, keep_blank_values=True)
        given = [v for k, v in pairs if k == "token"]
        has_session = security.session_matches(_cookie(headers.get("cookie", ""),
                                                       security.cookie_name))
        if given and method in SAFE_METHODS:
            if len(given) != 1:
                raise Refused(403, "wrong session token")
            session = security.exchange(given[0])
            if session is None and not has_session:
                raise TokenSpent(403, "the start token was used already")
            rest = urlencode([(k, v) for k, v in pairs if k != "token"])
            path = quote(str(scope.get("path", "/")), safe="/")
            return path + (f"?{rest}" if rest else ""), session
        if not has_session:
            raise Refused(403, "no session: open the address printed by 'cardtool serve'")
        if method not in SAFE_METHODS:
            if headers.get("origin") not in security.allowed_origins:
                raise Refused(403, "cross-origin request")
            site = headers.get("sec-fetch-site")
            if site is not None and site != "same-origin":
                raise Refused(403, "cross-site request")
        return None


def _cookie(header: str, name: str) -> str | None:
    if "\x00" in header:
        header = header.replace("\x00", "; ")
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # noqa: BLE001 - a malformed cookie header is simply no session
        return None
    morsel = jar.get(name)
    return str(morsel.value) if morsel is not None else None


def _limited(receive: Receive) -> Receive:
    """Stops a body that grows past the limit without a (truthful) Content-Length."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                raise Refused(413, "request body too large")
        return message

    return wrapped


def _with_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [h for h in message.get("headers", [])
                       if h[0].lower() not in {k for k, _ in SECURITY_HEADERS}]
            message["headers"] = headers + list(SECURITY_HEADERS)
        await send(message)

    return wrapped


async def _plain(send: Send, status: int, text: str) -> None:
    body = (text + "\n").encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


async def _html(send: Send, status: int, page: str) -> None:
    body = page.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/html; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, location: str, session: str | None,
                    security: DeskSecurity) -> None:
    """To ``location``; with a new session, its cookie (a browser that has its session
    already keeps it)."""
    headers = [(b"location", location.encode("latin-1"))]
    if session is not None:
        cookie = (f"{security.cookie_name}={session}; Path=/; HttpOnly; "
                  "SameSite=Strict")
        headers.append((b"set-cookie", cookie.encode()))
    await send({"type": "http.response.start", "status": 303,
                "headers": [*headers, (b"content-length", b"0"), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": b""})


__all__ = ["CONTENT_SECURITY_POLICY", "MAX_BODY_BYTES", "TOKEN_SPENT_PAGE", "DeskSecurity",
           "Refused", "SecurityMiddleware", "TokenSpent"]
