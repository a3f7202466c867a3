"""Run the desk: bind loopback (port 0 picks a free one), build the app, serve it with
uvicorn until stopped. The caller (``cardtool serve``) shows the address."""

from __future__ import annotations

import logging
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

import uvicorn

from cardtool.desk.app import DeskConfig, create_app
from cardtool.desk.registry import RegisterAccess
from cardtool.desk.security import DeskSecurity
from cardtool.errors import EXIT_USAGE, CardtoolError
from cardtool.services.check_session import CheckSession
from cardtool.services.reader_watch import PcscWatcher, ReaderWatcher, VirtualWatcher
from cardtool.trust.options import ResidenceOptions

#: The only address the desk listens on.
LOOPBACK = "127.0.0.1"


class PortUnavailable(CardtoolError):
    en = "Cannot listen on 127.0.0.1:{port} ({detail}). Choose another --port, or 0 for any free port."
    ja = "127.0.0.1:{port} で待ち受けできません({detail})。別の --port か、0(空きポート)を指定してください。"
    exit_code = EXIT_USAGE


@dataclass
class DeskOptions:
    desk: str
    port: int = 0
    db_url: str | None = None
    reader: str | None = None
    virtual: tuple[str, ...] = ()
    lang: str = "ja"
    allow_test_keys: bool = False
    residence_options: ResidenceOptions | None = None


def bind_loopback(port: int) -> socket.socket:
    # The protocol named, not 0: asyncio turns TCP_NODELAY on only for sockets whose proto is
    # IPPROTO_TCP (accepted ones inherit it). Without it every answer (uvicorn writes headers
    # and body separately) waited about 40 ms for the browser's delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    if sys.platform == "win32":
        # Windows' SO_REUSEADDR would let another program bind the same port and take the
        # desk's requests (and its token); exclusive use is what POSIX's REUSEADDR is here.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
    else:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((LOOPBACK, port))
    except OSError as exc:
        sock.close()
        raise PortUnavailable(port=port, detail=exc.strerror or type(exc).__name__) from None
    sock.listen(64)
    return sock


def make_watcher(options: DeskOptions) -> ReaderWatcher:
    if options.virtual:
        return VirtualWatcher(options.virtual)
    return PcscWatcher(options.reader)


class DeskServer(uvicorn.Server):
    """uvicorn's server that ends the pages' event streams as soon as it is asked to stop
    (Ctrl-C, or ``RunningDesk.stop``), so shutting down is quick and clean."""

    def __init__(self, config: uvicorn.Config, close_streams: Callable[[], None]) -> None:
        super().__init__(config)
        self.close_streams = close_streams

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.close_streams()
        super().handle_exit(sig, frame)

    def stop(self) -> None:
        self.close_streams()
        self.should_exit = True


@dataclass
class RunningDesk:
    url: str
    server: DeskServer
    thread: threading.Thread | None = None

    def stop(self) -> None:
        self.server.stop()
        if self.thread is not None:
            self.thread.join(timeout=10)


def build(options: DeskOptions) -> tuple[DeskServer, socket.socket, DeskSecurity]:
    sock = bind_loopback(options.port)
    port = int(sock.getsockname()[1])
    security = DeskSecurity(port)
    register = RegisterAccess.open(options.db_url)
    watcher = make_watcher(options)
    session = CheckSession(watcher, options.residence_options or ResidenceOptions(),
                        allow_test_keys=options.allow_test_keys or bool(options.virtual))
    config = DeskConfig(options.desk, port, default_lang=options.lang)
    app = create_app(config, session, register, security=security)
    # No access log: a URL can carry the session token or a search for a client's name.
    server = DeskServer(uvicorn.Config(app, log_config=None, access_log=False,
                                       lifespan="on", timeout_graceful_shutdown=2),
                        app.state.close_streams)
    return server, sock, security


def serve(options: DeskOptions, on_ready: Callable[[str], None]) -> None:
    """Serve until interrupted; ``on_ready(url)`` once the desk accepts connections (the
    URL carries the session token)."""
    server, sock, security = build(options)
    url = security.start_url("/check")
    started = threading.Thread(target=_when_started, args=(server, lambda: on_ready(url)),
                               daemon=True)
    started.start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def start_in_thread(options: DeskOptions) -> RunningDesk:
    """For tests and the benchmark: the desk in a background thread of this process."""
    server, sock, security = build(options)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="cardtool-desk", daemon=True)
    thread.start()
    ready = threading.Event()
    _when_started(server, ready.set)
    return RunningDesk(security.start_url("/check"), server, thread)


def _when_started(server: uvicorn.Server, then: Callable[[], None],
                  timeout: float = 30) -> None:
    waited = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if server.started:
            then()
            return
        waited.wait(0.02)
    logging.getLogger("cardtool.desk").error("the desk did not start in %s s", timeout)


__all__ = ["DeskOptions", "PortUnavailable", "RunningDesk", "serve", "start_in_thread"]
