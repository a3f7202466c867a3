"""The desk served by uvicorn on loopback under 50 page and event-stream clients while a
card is read (issue 17): every stream sees the new result, pages keep answering, and the
server stops at once with the streams open."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("starlette")

CLIENTS = 50


def test_fifty_event_streams_and_pages_while_cards_are_read(tmp_path: Path) -> None:
    from cardtool.desk.server import DeskOptions, start_in_thread

    running = start_in_thread(DeskOptions(desk="load", db_url=str(tmp_path / "r.sqlite3"),
                                          virtual=("mynumber", "residence2")))
    base = running.url.split("/check")[0]
    origin = {"Origin": base}
    main = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    main.get(running.url)
    cookies = main.cookies
    for _ in range(200):
        if main.get("/state").json()["version"] >= 1:
            break
        time.sleep(0.05)
    first_version = main.get("/state").json()["version"]
    seen: dict[int, int] = {}
    connected = threading.Barrier(CLIENTS + 1, timeout=60)

    def stream(number: int) -> None:
        with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client, \
                client.stream("GET", "/events") as events:
            for line in events.iter_lines():
                if not line.startswith("data: "):
                    continue
                state = json.loads(line[6:])
                if number not in seen:
                    connected.wait()
                seen[number] = state["version"]
                if state["version"] > first_version and state["stage"] != "idle":
                    return

    threads = [threading.Thread(target=stream, args=(n,), daemon=True) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    connected.wait()
    pages = [main.get("/check") for _ in range(20)]
    assert all(p.status_code == 200 for p in pages)
    assert main.post("/check/next", headers=origin).status_code == 303  # the residence card
    for thread in threads:
        thread.join(timeout=60)
    assert len(seen) == CLIENTS
    assert all(version > first_version for version in seen.values()), seen
    started = time.monotonic()
    running.stop()
    assert time.monotonic() - started < 5
    assert running.thread is not None and not running.thread.is_alive()
