"""The desk under faults (issue 17), on loopback only:

- ``kill -9`` of a ``cardtool serve`` process during a stream of saves: the register opens
  afterwards, ``PRAGMA integrity_check`` is ok, and every save the page was told succeeded
  is there (no committed check lost);
- a register on a file system that becomes read-only, and one on a file system that is
  full: the page and the log say so in one clear message, the result stays to save again,
  and the checks saved earlier stay;
- slow clients (a request sent a byte at a time, never finished; event streams never read)
  and dropped event streams do not stall other clients, and dropped streams free their place.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.support.pcsc import ROOT

httpx = pytest.importorskip("httpx")
pytest.importorskip("starlette")
pytest.importorskip("sqlalchemy")

from cardtool.desk.registry import RegisterAccess  # noqa: E402
from tests.desk.support import desk, wait_version  # noqa: E402

#: Generous bounds for one request on a loaded shared machine: a stalled server fails the
#: test by timing out, never by a measured duration.
REQUEST_TIMEOUT = 30.0


# --- kill -9 during saves ----------------------------------------------------------------

def _start_serve(db: Path, data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CARDTOOL_DATA_DIR": str(data_dir),
           "CARDTOOL_LANG": "en"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cardtool", "serve", "--no-browser", "--port", "0",
         "--desk", "kill-test", "--db", str(db), "--virtual", "mynumber"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    assert proc.stderr is not None
    lines = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        lines.append(line)
        match = re.search(r"(http://127\.0\.0\.1:\d+/check\?token=[\w-]+)", line)
        if match:
            return proc, match.group(1)
    proc.kill()
    raise AssertionError(f"cardtool serve did not start: {lines}")


def _save_until_killed(url: str, round_no: int, committed: list[str],
                       stop: threading.Event) -> str:
    """Read and save, again and again, as the page does; returns how it ended."""
    base = url.split("/check")[0]
    with httpx.Client(base_url=base, follow_redirects=False, timeout=REQUEST_TIMEOUT,
                      headers={"Origin": base}) as client:
        try:
            assert client.get(url).status_code == 303  # the token for the cookie
            i = 0
            while not stop.is_set():
                i += 1
                read = client.post("/check/read")
                assert read.status_code == 303, read.text
                if read.headers["location"].endswith("m=busy"):
                    continue  # the automatic first read is still running
                state = client.get("/state").json()
                if state["stage"] != "done":
                    continue
                reference = f"K{round_no}-{i}"
                answer = client.post("/check/save", data={"version": str(state["version"]),
                                                          "reference": reference})
                if answer.status_code == 303 and answer.headers["location"].endswith(
                        "?m=saved"):
                    committed.append(reference)  # the page said: saved
                else:
                    assert answer.headers.get("location") == "/check?m=stale", answer.text
        except (httpx.TransportError, httpx.RemoteProtocolError) as exc:
            return type(exc).__name__  # the server is gone
    return "stopped"


def _record_end(ended: list[str], url: str, round_no: int, committed: list[str],
                stop: threading.Event) -> None:
    ended.append(_save_until_killed(url, round_no, committed, stop))


def test_kill_9_during_saves_loses_no_committed_check(tmp_path: Path) -> None:
    from cardtool.register import Register

    db = tmp_path / "register.sqlite3"
    committed: list[str] = []
    rng = random.Random(17)
    rounds = 4
    for round_no in range(rounds):
        proc, url = _start_serve(db, tmp_path / "data")
        stop = threading.Event()
        ended: list[str] = []
        saver = threading.Thread(target=_record_end, args=(ended, url, round_no, committed, stop),
                                 daemon=True)
        try:
            before = len(committed)
            saver.start()
            # Kill once a few saves went through, at a random point of the next ones.
            while len(committed) < before + 3 and saver.is_alive():
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.3))
            os.kill(proc.pid, signal.SIGKILL)
            assert proc.wait(timeout=30) == -signal.SIGKILL
            saver.join(timeout=REQUEST_TIMEOUT * 2)
            assert not saver.is_alive()
            assert ended and ended[0] != "stopped", ended
        finally:
            stop.set()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
        # After each kill: the file is whole, and every save the page confirmed is in it.
        with closing(sqlite3.connect(db)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        with Register.open(str(db)) as register:
            for reference in committed:
                (client,) = register.find_clients(reference)
                assert len(register.history(client.id)) == 1, reference
    assert len(committed) >= rounds * 3
    with closing(sqlite3.connect(db)) as conn:
        checks, clients = (int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
                           for t in ("checks", "clients"))
        # A new client and its check are one transaction: no client without its check.
        assert conn.execute("SELECT count(*) FROM clients WHERE id NOT IN "
                            "(SELECT client_id FROM checks)").fetchone() == (0,)
    print(f"\nkill -9 during saves: {rounds} kills, {len(committed)} confirmed saves, all "
          f"in the register ({checks} checks, {clients} clients); integrity_check ok")


# --- a read-only and a full register, on a real (tiny) file system ----------------------

@contextlib.contextmanager
def _tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A private tmpfs of ``size`` at ``path`` (root only), unmounted on leaving."""
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700",
                              "tmpfs", str(path)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _remount(path: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], check=True)


def _save(client: object, reader: object, reference: str) -> object:
    version = reader.result.version  # type: ignore[attr-defined]
    return client.post("/check/save", data={  # type: ignore[attr-defined]
        "version": str(version), "reference": reference})


def _checks(db: Path) -> list[tuple[int, str]]:
    with closing(sqlite3.connect(db)) as conn:
        return [(int(r[0]), str(r[1])) for r in conn.execute(
            "SELECT checks.id, clients.reference FROM checks JOIN clients "
            "ON clients.id = checks.client_id ORDER BY checks.id")]


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounts a tmpfs (root)")


@needs_root
def test_a_register_on_a_read_only_file_system(tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    """The register's file system is mounted read-only (a locked-down share, a backup
    medium): the desk still checks cards, a save says the register is read-only, and the
    checks saved before are still shown."""
    with _tmpfs(tmp_path / "fs", "8m") as fs:
        db = fs / "register.sqlite3"
        access = RegisterAccess.open(str(db))
        assert access.ready, access.error
        with desk("mynumber", register=access) as (client, reader):
            wait_version(reader, 0)
            assert _save(client, reader, "RO-1").status_code == 303  # type: ignore[attr-defined]
        assert access.register is not None
        access.register.close()
        _remount(fs, "ro")
        try:
            with caplog.at_level(logging.ERROR, logger="cardtool.desk"):
                access = RegisterAccess.open(str(db))
                with desk("mynumber", register=access) as (client, reader):
                    wait_version(reader, 0)
                    assert reader.result.stage.value == "done"  # cards are still checked
                    answer = _save(client, reader, "RO-2")
                    text = answer.text  # type: ignore[attr-defined]
                    assert answer.status_code == 503, text  # type: ignore[attr-defined]
                    assert "read-only" in text, text
                    assert "Internal error" not in text and "Traceback" not in text
                    assert not reader.result.saved  # the result stays, to save again
                    assert client.get("/state").status_code == 200  # the desk goes on
                    # What was saved before is still shown.
                    deadlines = client.get("/deadlines")
                    assert deadlines.status_code == 200 and "RO-1" in deadlines.text
            assert any("read-only" in r.getMessage() for r in caplog.records), caplog.text
            if access.register is not None:
                access.register.close()
        finally:
            _remount(fs, "rw")
        assert [ref for _, ref in _checks(db)] == ["RO-1"]
        with closing(sqlite3.connect(db)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


@needs_root
def test_a_register_on_a_full_file_system(tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture) -> None:
    with _tmpfs(tmp_path / "fs", "2m") as fs:
        db = fs / "register.sqlite3"
        access = RegisterAccess.open(str(db))
        assert access.ready, access.error
        with desk("mynumber", register=access) as (client, reader):
            wait_version(reader, 0)
            assert _save(client, reader, "FULL-1").status_code == 303  # type: ignore[attr-defined]
            client.post("/check/read")  # the same card again: a new result to save
            # Fill the file system to the last byte.
            filler = fs / "filler"
            fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                for chunk in (65536, 4096, 1):
                    with contextlib.suppress(OSError):
                        while True:
                            os.write(fd, b"\0" * chunk)
            finally:
                os.close(fd)
            failed = None
            with caplog.at_level(logging.ERROR, logger="cardtool.desk"):
                # The WAL and free pages may hold a few saves; the disk fills up soon.
                for i in range(200):
                    answer = _save(client, reader, f"FULL-{i + 2}")
                    if answer.status_code != 303:  # type: ignore[attr-defined]
                        failed = answer
                        break
                    client.post("/check/read")
            assert failed is not None, "the full file system never refused a save"
            text = failed.text  # type: ignore[attr-defined]
            assert failed.status_code == 503, text  # type: ignore[attr-defined]
            assert "the disk is full" in text and "Nothing of this" in text, text
            assert any("RegisterWriteFailed" in r.getMessage() and "disk is full" in
                       r.getMessage() for r in caplog.records), caplog.text
            assert not reader.result.saved
            assert client.get("/state").status_code == 200
            saved_before = [ref for _, ref in _checks(db)]
            filler.unlink()
            reference = f"FULL-after-{i}"
            assert _save(client, reader, reference).status_code == 303  # type: ignore[attr-defined]
        assert access.register is not None
        access.register.close()
        refs = [ref for _, ref in _checks(db)]
        assert refs[0] == "FULL-1" and refs == [*saved_before, reference]
        with closing(sqlite3.connect(db)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


# --- slow clients and dropped event streams ----------------------------------------------

def test_slow_clients_and_dropped_streams_do_not_stall_the_others(tmp_path: Path) -> None:
    from cardtool.desk.check_pages import MAX_EVENT_CLIENTS
    from cardtool.desk.server import DeskOptions, start_in_thread

    running = start_in_thread(DeskOptions(desk="slow", db_url=str(tmp_path / "r.sqlite3"),
                                          virtual=("mynumber", "mynumber:expiring-soon")))
    base = running.url.split("/check")[0]
    host, port = base.removeprefix("http://").split(":")
    sockets: list[socket.socket] = []
    try:
        main = httpx.Client(base_url=base, follow_redirects=False, timeout=REQUEST_TIMEOUT,
                            headers={"Origin": base})
        main.get(running.url)
        cookie = "; ".join(f"{k}={v}" for k, v in main.cookies.items())

        def raw(request: bytes) -> socket.socket:
            sock = socket.create_connection((host, int(port)), timeout=REQUEST_TIMEOUT)
            sock.sendall(request)
            sockets.append(sock)
            return sock

        # Slow senders: a request line and half the headers, then nothing.
        for _ in range(20):
            raw(f"GET /check HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: ".encode())
        # Event streams that are never read.
        stream_request = (f"GET /events HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}"
                          "\r\n\r\n").encode()
        for _ in range(20):
            raw(stream_request)
        # Event streams dropped, twice as many as the desk allows at once: each must free
        # its place, or new pages would get no live state.
        for _ in range(2 * MAX_EVENT_CLIENTS):
            sock = socket.create_connection((host, int(port)), timeout=REQUEST_TIMEOUT)
            sock.sendall(stream_request)
            assert sock.recv(15).startswith(b"HTTP/1.1 200")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            sock.close()  # a reset, as a closed laptop lid
        # Meanwhile every other client is answered.
        for _ in range(10):
            assert main.get("/check").status_code == 200
            assert main.get("/state").status_code == 200
        version = main.get("/state").json()["version"]
        assert main.post("/check/next").status_code == 303
        seen = None
        with httpx.Client(base_url=base, cookies=main.cookies, timeout=REQUEST_TIMEOUT
                          ) as other, other.stream("GET", "/events") as events:
            assert events.status_code == 200  # the dropped streams' places were freed
            for line in events.iter_lines():
                if line.startswith("data: ") and '"stage": "done"' in line:
                    state = httpx.Response(200, content=line[6:]).json()
                    if state["version"] > version:
                        seen = state
                        break
        assert seen is not None
        # The slow clients are still connected, and the desk stops cleanly with them.
    finally:
        for sock in sockets:
            sock.close()
        running.stop()
    assert running.thread is not None and not running.thread.is_alive()


def test_a_failed_save_to_a_new_client_leaves_no_client_behind(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The new client and its check are one transaction: when the check's row fails (the
    disk fills up between the two, or the process is killed there), the client is not
    left behind without it, and saving again under the same reference works."""
    from sqlalchemy.exc import OperationalError

    import cardtool.register.store as store

    db = tmp_path / "register.sqlite3"
    access = RegisterAccess.open(str(db))
    assert access.ready and access.register is not None
    real_insert = store.insert

    def insert_failing_on_checks(table: object) -> object:
        if table is store.checks:
            raise OperationalError("INSERT INTO checks", {}, Exception("database or disk is full"))
        return real_insert(table)

    with desk("mynumber", register=access) as (client, reader):
        wait_version(reader, 0)
        monkeypatch.setattr(store, "insert", insert_failing_on_checks)
        answer = _save(client, reader, "NEW-1")
        assert answer.status_code == 503, answer.text  # type: ignore[attr-defined]
        assert "disk is full" in answer.text  # type: ignore[attr-defined]
        monkeypatch.undo()
        assert access.find_clients("NEW-1") == []  # no client without its check
        answer = _save(client, reader, "NEW-1")  # the same reference is still free
        assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]
    assert [ref for _, ref in _checks(db)] == ["NEW-1"]
