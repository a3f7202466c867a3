"""`cardtool serve` as a user starts it: one command, the address with its token on stderr,
loopback only, a demo with virtual cards, a clean stop on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.pcsc import ROOT

pytest.importorskip("starlette")
httpx = pytest.importorskip("httpx")


def test_serve_prints_the_address_serves_a_demo_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CARDTOOL_DATA_DIR": str(tmp_path),
           "CARDTOOL_LANG": "ja"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cardtool", "serve", "--no-browser", "--port", "0",
         "--desk", "desk-7", "--virtual", "mynumber,residence2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    try:
        assert proc.stderr is not None
        url = None
        lines = []
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            lines.append(line)
            match = re.search(r"(http://127\.0\.0\.1:\d+/check\?token=[\w-]+)", line)
            url = match.group(1) if match else None
        assert url, lines
        with httpx.Client(follow_redirects=True) as client:
            page = client.get(url)
            assert page.status_code == 200 and "デモモード" in page.text
            assert str(page.url).endswith("/check")  # the token left the address bar
            for _ in range(100):
                if "card-kind" in (page := client.get(url.split("?")[0])).text:
                    break
                time.sleep(0.05)
            assert "マイナンバー" in page.text
        # The register was created where CARDTOOL_DATA_DIR says, mode 0600.
        files = list(tmp_path.rglob("*.sqlite3"))
        assert files and (files[0].stat().st_mode & 0o077) == 0
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 130  # README: 130 interrupted (Ctrl-C)
        rest = proc.stderr.read()
        assert "Traceback" not in rest and "中断" in rest, rest
    finally:
        if proc.poll() is None:
            proc.kill()


def test_serve_refuses_two_card_sources() -> None:
    out = subprocess.run([sys.executable, "-m", "cardtool", "--lang", "en", "serve",
                          "--no-browser", "--virtual", "mynumber", "--reader", "0"],
                         capture_output=True, text=True, cwd=ROOT, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 1 and "one card source" in out.stderr


def test_the_desk_binds_loopback_only() -> None:
    from cardtool.desk.server import PortUnavailable, bind_loopback

    sock = bind_loopback(0)
    try:
        host, port = sock.getsockname()
        assert host == "127.0.0.1" and port > 0
        with pytest.raises(PortUnavailable):
            bind_loopback(port)  # taken: a clear error, not a traceback
    finally:
        sock.close()


def test_the_desks_connections_send_small_writes_at_once() -> None:
    """The desk's answers leave without Nagle's wait: its listening socket is a TCP socket
    by protocol number too, so asyncio turns TCP_NODELAY on for each accepted connection.
    (Created as ``socket(AF_INET, SOCK_STREAM)``, protocol 0, asyncio left Nagle on: uvicorn
    writes an answer's headers and body separately, and the body waited for the browser's
    delayed ACK, about 40 ms of every page on loopback.)"""
    import asyncio
    import socket

    from cardtool.desk.server import bind_loopback

    async def accepted_nodelay() -> int:
        sock = bind_loopback(0)
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_connect(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted = writer.get_extra_info("socket")
            seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=sock)
        try:
            _, client = await asyncio.open_connection(*sock.getsockname()[:2])
            try:
                return await asyncio.wait_for(seen, 10)
            finally:
                client.close()
        finally:
            server.close()
            await server.wait_closed()

    assert asyncio.run(accepted_nodelay()) != 0


@pytest.mark.parametrize("source", [("--replay", "trace.jsonl"), ("--record", "trace.jsonl")])
def test_serve_refuses_a_trace_source_in_one_line(tmp_path: Path,
                                                  source: tuple[str, str]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "cardtool", source[0], str(tmp_path / source[1]), "serve",
         "--no-browser"], capture_output=True, text=True, cwd=ROOT, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CARDTOOL_DATA_DIR": str(tmp_path),
             "CARDTOOL_LANG": "en"})
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        "cardtool: error: The desk watches readers or holds virtual cards: --replay and "
        "--record are for one read (cardtool read, office)."]
