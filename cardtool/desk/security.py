"""The desk's gate: every request passes here before any page (a plain ASGI middleware, so
the event stream is not buffered).

A page that shows clients' cards listens on loopback only, yet any web page the same
browser opens could try to reach it. So, in this order:

1. the peer must be a loopback address (the socket is bound to 127.0.0.1; checked again
   here, so a misconfigured bind cannot expose it);
2. the Host header must be ``127.0.0.1:PORT`` or ``localhost:PORT``: a foreign name that
   resolves to 127.0.0.1 (DNS rebinding) is refused;
3. a request carrying ``?token=`` with the session token (the URL printed at start) gets the
   token as a cookie (``HttpOnly; SameSite=Strict``) and is redirected to the same path
   without it; every other request needs that cookie;
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
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class DeskSecurity:
    port: int
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

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

    def start_url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}?{urlencode({'token': self.token})}"

    def token_matches(self, candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(candidate.encode(),
                                                             self.token.encode())


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


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
        except Refused as refusal:
            log.warning("refused %s %s: %s", scope.get("method"), scope.get("path"),
                        refusal.reason)
            await _plain(send, refusal.status, refusal.reason)
            return
        if redirect is not None:
            await _redirect_with_cookie(send, redirect, self.security)
            return
        await self.app(scope, _limited(receive), _with_headers(send))

    def _check(self, scope: Scope) -> str | None:
        """Raises Refused; returns where to redirect after taking the token from the URL."""
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
        if given and method in SAFE_METHODS:
            if len(given) != 1 or not security.token_matches(given[0]):
                raise Refused(403, "wrong session token")
            rest = urlencode([(k, v) for k, v in pairs if k != "token"])
            path = quote(str(scope.get("path", "/")), safe="/")
            return path + (f"?{rest}" if rest else "")
        if not security.token_matches(_cookie(headers.get("cookie", ""),
                                              security.cookie_name)):
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


async def _redirect_with_cookie(send: Send, location: str, security: DeskSecurity) -> None:
    cookie = (f"{security.cookie_name}={security.token}; Path=/; HttpOnly; "
              "SameSite=Strict")
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode("latin-1")),
                            (b"set-cookie", cookie.encode()),
                            (b"content-length", b"0"), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": b""})


__all__ = ["CONTENT_SECURITY_POLICY", "MAX_BODY_BYTES", "DeskSecurity", "SecurityMiddleware"]
