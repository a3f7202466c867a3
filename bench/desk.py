#!/usr/bin/env python3
"""The desk's time from card present to result on the page, against `cardtool read` as a
fresh process on the same card: a virtual My Number card served through the real pcscd +
vpcd with a modelled NFC link (--latency-ms per APDU plus 424 kbit/s per byte).

    .venv/bin/python bench/desk.py [--latency-ms 10] [--runs 5] [--slot 1]
    scripts/isolated-pcscd.sh .venv/bin/python bench/desk.py      # a private pcscd

Each desk run: the card is put on the reader (the vpcd link connects), the desk's watcher
sees it (SCardGetStatusChange), reads it in the background (the read service, with the
verdict, as `cardtool read` does it), the page's event stream says the result is there, and
the page is fetched and rendered. Split into:

  detect   card connected -> the event stream says "present" (pcscd's polling of vpcd)
  read     the desk's read of the card (APDUs through pcscd, parsing, checks): read_ms
  page     the rest: events, the result page rendered and fetched over HTTP
  server   everything but the card's own read time: total - read

Prints figures and ratios from one run; never asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from apdu.transport.pcsc import list_readers  # noqa: E402
from apdu.vpcd import VpcdLink, serve_in_thread  # noqa: E402
from cardtool.desk.server import DeskOptions, start_in_thread  # noqa: E402
from cardtool.virtual import make_virtual_card  # noqa: E402


def wait_present(reader: str, present: bool, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(r.name == reader and r.card_present == present for r in list_readers()):
            return
        time.sleep(0.02)
    raise SystemExit(f"{reader}: card presence never became {present}")


def listen(base: str, cookies: httpx.Cookies, events: queue.Queue[tuple[float, dict[str, Any]]],
           stop: threading.Event) -> None:
    with httpx.Client(base_url=base, cookies=cookies, timeout=None) as client, \
            client.stream("GET", "/events") as stream:
        for line in stream.iter_lines():
            if stop.is_set():
                return
            if line.startswith("data: "):
                events.put((time.perf_counter(), json.loads(line[6:])))


def next_event(events: queue.Queue[tuple[float, dict[str, Any]]], predicate: Any,
               timeout: float = 30) -> tuple[float, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise SystemExit("the desk did not show the result in time")
        moment, event = events.get(timeout=left)
        if predicate(event):
            return moment, event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--slot", type=int, default=1)
    opts = parser.parse_args()
    reader = f"Virtual PCD 00 {opts.slot:02d}"
    if reader not in [r.name for r in list_readers()]:
        raise SystemExit(f"no {reader} in pcscd: install vsmartcard-vpcd and restart pcscd")

    with tempfile.TemporaryDirectory(prefix="cardtool-bench-desk-") as tmp:
        os.environ["CARDTOOL_DATA_DIR"] = tmp
        running = start_in_thread(DeskOptions(desk="bench", db_url=str(Path(tmp) / "r.sqlite3"),
                                              reader=reader, allow_test_keys=True))
        base = running.url.split("/check")[0]
        client = httpx.Client(base_url=base, follow_redirects=False)
        client.get(running.url)  # the token becomes the session cookie
        events: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        stop = threading.Event()
        threading.Thread(target=listen, args=(base, client.cookies, events, stop),
                         daemon=True).start()
        next_event(events, lambda e: e.get("reader") == "waiting")

        rows: list[dict[str, float]] = []
        apdus: list[int] = []
        version = 0
        for _ in range(opts.runs):
            link = VpcdLink(make_virtual_card("mynumber"), slot=opts.slot,
                            latency_ms=opts.latency_ms)
            started = time.perf_counter()
            serve_in_thread(link)
            seen, _ = next_event(events, lambda e: e.get("reader") in ("present", "reading"))
            _shown, event = next_event(events, lambda e, v=version: e["version"] > v
                                      and e["stage"] == "done")
            version = event["version"]
            page = client.get("/check")
            fetched = time.perf_counter()
            assert "card-kind" in page.text, page.text[:500]
            state = client.get("/state").json()
            read_ms = float(state["read_ms"])
            total = (fetched - started) * 1000
            rows.append({"detect": (seen - started) * 1000, "read": read_ms,
                         "page": total - (seen - started) * 1000 - read_ms,
                         "total": total, "server": total - read_ms})
            apdus.append(link.apdu_count)
            assert state["version"] == version
            link.close()
            next_event(events, lambda e: e.get("reader") == "waiting")
        stop.set()
        running.stop()

        # The same card read by `cardtool read` as a fresh process (start-up included).
        link = VpcdLink(make_virtual_card("mynumber"), slot=opts.slot, latency_ms=opts.latency_ms)
        serve_in_thread(link)
        wait_present(reader, True)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "cardtool", "read", "-r", reader, "--wait", "5",
                   "--json", "--allow-test-keys"]
        cli_times, cli_apdus = [], []
        for _ in range(opts.runs):
            before = link.apdu_count
            t0 = time.perf_counter()
            result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
            cli_times.append((time.perf_counter() - t0) * 1000)
            if result.returncode not in (0, 5):
                raise SystemExit(f"cardtool read failed: {result.stderr.strip()[:300]}")
            cli_apdus.append(link.apdu_count - before)
        link.close()

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rows)

    cli = statistics.median(cli_times)
    print(f"virtual My Number card via pcscd + vpcd, latency {opts.latency_ms:g} ms/APDU "
          f"+ 424 kbit/s, median of {opts.runs} runs")
    print(f"{'':<46} {'APDUs':>6} {'ms':>8}")
    print(f"{'desk: card present -> result on the page':<46} "
          f"{int(statistics.median(apdus)):>6} {median('total'):>8.0f}")
    print(f"{'  detect (pcscd sees the card, event sent)':<46} {'':>6} {median('detect'):>8.0f}")
    print(f"{'  read (the card read by the read service)':<46} {'':>6} {median('read'):>8.0f}")
    print(f"{'  page (events, render, fetch)':<46} {'':>6} {median('page'):>8.0f}")
    print(f"{'  server: total - read':<46} {'':>6} {median('server'):>8.0f}")
    print(f"{'cardtool read --json (fresh process)':<46} "
          f"{int(statistics.median(cli_apdus)):>6} {cli:>8.0f}")
    print(f"desk total / cardtool read: {median('total') / cli:.2f}; "
          f"the desk adds {median('page'):.0f} ms to the read (+{median('detect'):.0f} ms "
          "for pcscd to see the card)")


if __name__ == "__main__":
    main()
