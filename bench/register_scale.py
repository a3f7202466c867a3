#!/usr/bin/env python3
"""The client register at 1,000 / 10,000 / 100,000 clients, on SQLite and PostgreSQL: the
desk's first deadlines page, a search, a client page and a full CSV export, and the peak
memory of the export. Synthetic data only.

    .venv/bin/python bench/register_scale.py                      # SQLite, 1k/10k/100k
    .venv/bin/python bench/register_scale.py --pg-url "$(CARDTOOL_PG_DB=scale scripts/start-postgres.sh)"
    .venv/bin/python bench/register_scale.py --sizes 1000,10000 --databases sqlite

The register is made as a long-used one looks: every client has one to three card kinds
(second-generation residence card with or without a My Number card, first-generation card
with a typed date or none, 特定在留カード, My Number card alone), each checked one to three
times over three years, older checks with older dates; one client has a history of 5,000
checks. Rows are bulk-inserted (executemany) with what a save derives (latest flags, search
keys, deadline keys computed by ``cardtool.register.deadline_keys.row_keys``, the
register's own function, once per distinct set of latest cards: the generator draws the
clients' latest cards from a pool of at most 20,000 such sets).

Timed through the real desk (uvicorn on 127.0.0.1 in this process, httpx as the browser),
median of 5 after one warm-up: ``/deadlines`` (page 1), ``/clients?q=`` (a reference
prefix matching about a third of the clients, then a name word), ``/clients/ID`` (the
client with 5,000 checks), ``/export/deadlines.csv`` (once, whole, streamed). The export's
peak memory is measured separately on the store's own stream
(``Register.deadlines_csv_chunks``, chunks discarded as they come) with tracemalloc: the
Python heap's peak during the export above what was allocated before it.

Prints one table with each figure's growth from the size before (x10 clients: x1.0 means
flat, x10 proportional). Never asserts a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import create_engine, insert, make_url, text  # noqa: E402
from sqlalchemy.schema import CreateSchema, DropSchema  # noqa: E402

from cardtool.card_kind import CardKind  # noqa: E402
from cardtool.desk.server import DeskOptions, start_in_thread  # noqa: E402
from cardtool.expiry import CardFacts  # noqa: E402
from cardtool.jst import today_jst  # noqa: E402
from cardtool.register import Register  # noqa: E402
from cardtool.register.deadline_keys import RowKey, authenticity_rank, row_keys  # noqa: E402
from cardtool.register.rows import search_key, search_words  # noqa: E402
from cardtool.register.schema import (  # noqa: E402
    checks,
    clients,
    deadline_keys,
    name_words,
)

TODAY = today_jst()
LONG_HISTORY = 5_000
PROFILE_POOL = 20_000
BATCH = 5_000
_FAMILY = ("Sato", "Suzuki", "Nguyen", "Tran", "Santos", "Silva", "Wang", "Li", "Kim", "Park",
           "Garcia", "Reyes", "Sharma", "Singh", "Perera", "Ahmed", "Khan", "Ito", "Tanaka")
_GIVEN = ("Hanako", "Mina", "Alex", "Linh", "Maria", "Jose", "Wei", "Jun", "Anh", "Ravi",
          "Priya", "Omar", "Aiko", "Ken", "Lucas", "Ana", "Minh", "Yuki", "Sara", "Tomas")


def _day(rng: random.Random, low: int, high: int) -> dt.date:
    return TODAY + dt.timedelta(days=rng.randint(low, high))


def _card(rng: random.Random, kind: CardKind, age_days: int) -> CardFacts:
    """A card as a check ``age_days`` ago saw it: a latest card (age 0) expires between a
    year ago and four years ahead, an older one before that."""
    low, high = -400 - age_days, 1500 - age_days
    stay = _day(rng, low, high)
    if kind is CardKind.MYNUMBER:
        card = _day(rng, low, high + 1000)
        return CardFacts(kind, card_expiry=card,
                         certificate_expiry=min(card, _day(rng, low, high + 400)),
                         expiry_source="get-data-f2")
    if kind is CardKind.RESIDENCE_FIRST:
        if rng.random() < 0.3:
            return CardFacts(kind, no_period=True, card_expiry=_day(rng, low, high))
        return CardFacts(kind, typed_residence_expiry=stay, face_source="typed",
                         renewal_pending=rng.random() < 0.1)
    pending = rng.random() < 0.08
    if kind is CardKind.SPECIFIED:
        return CardFacts(kind, residence_expiry=stay, card_expiry=stay,
                         certificate_expiry=stay, renewal_pending=pending,
                         expiry_source="residence-c5")
    return CardFacts(kind, residence_expiry=stay, card_expiry=stay, renewal_pending=pending,
                     expiry_source="chip")


_SHAPES: tuple[tuple[float, tuple[CardKind, ...]], ...] = (
    (0.45, (CardKind.RESIDENCE_SECOND, CardKind.MYNUMBER)),
    (0.20, (CardKind.RESIDENCE_SECOND,)),
    (0.10, (CardKind.RESIDENCE_FIRST, CardKind.MYNUMBER)),
    (0.10, (CardKind.SPECIFIED,)),
    (0.15, (CardKind.MYNUMBER,)),
)


def _profile(rng: random.Random) -> tuple[CardFacts, ...]:
    roll, total = rng.random(), 0.0
    for share, kinds in _SHAPES:
        total += share
        if roll < total:
            return tuple(_card(rng, kind, 0) for kind in kinds)
    return tuple(_card(rng, kind, 0) for kind in _SHAPES[0][1])


def _check_row(check_id: int, client_id: int, at: dt.datetime, facts: CardFacts,
               latest: bool) -> dict[str, Any]:
    residence_expiry = facts.known_residence_expiry
    source = ("chip" if facts.residence_expiry else "typed") if residence_expiry else None
    return {"id": check_id, "client_id": client_id, "checked_at": at, "desk": "desk-1",
            "card_kind": facts.kind.value, "card_expiry": facts.card_expiry,
            "residence_expiry": residence_expiry, "residence_expiry_source": source,
            "no_period": facts.no_period, "certificate_expiry": facts.certificate_expiry,
            "renewal_pending": facts.renewal_pending, "expiry_source": facts.expiry_source,
            "findings": "[]", "authenticity": None, "card_number_masked": None,
            "number_hmac": None, "latest": latest}


def populate(register: Register, size: int, seed: int = 25) -> tuple[int, float, int]:
    """Fill an empty register; returns (the long-history client's id, seconds, checks)."""
    rng = random.Random(seed)
    started = time.perf_counter()
    pool = [_profile(rng) for _ in range(min(size, PROFILE_POOL))]
    keys_of: dict[int, list[RowKey]] = {}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    check_id = 0
    long_client = size // 2
    buffers: dict[str, list[dict[str, Any]]] = {"clients": [], "name_words": [], "checks": [],
                                                 "deadline_keys": []}
    tables = {"clients": clients, "name_words": name_words, "checks": checks,
              "deadline_keys": deadline_keys}

    def flush(connection: Any, force: bool = False) -> None:
        if not force and max(len(rows) for rows in buffers.values()) < BATCH:
            return
        for name in ("clients", "name_words", "checks", "deadline_keys"):  # parents first
            rows = buffers[name]
            if rows:
                connection.execute(insert(tables[name]), rows)
                rows.clear()

    with register.engine.begin() as connection:
        for client_id in range(1, size + 1):
            reference = f"{2023 + client_id % 3}-{client_id:06d}"
            display = f"Test {rng.choice(_FAMILY)} {rng.choice(_GIVEN)}"
            created = now - dt.timedelta(days=rng.randint(0, 1100))
            buffers["clients"].append({"id": client_id, "reference": reference,
                                       "display_name": display, "created_at": created,
                                       "reference_key": search_key(reference)})
            buffers["name_words"].extend({"client_id": client_id, "word": word}
                                         for word in search_words(display))
            chosen = rng.randrange(len(pool))
            cards = pool[chosen]
            latest_ids: list[int] = []
            for index, card in enumerate(cards):
                visits = LONG_HISTORY if client_id == long_client and index == 0 else \
                    rng.randint(1, 3)
                for visit in range(visits - 1, -1, -1):
                    check_id += 1
                    # A year between visits; the long history: a check every few hours.
                    age = dt.timedelta(days=365 * visit) if visits <= 3 else \
                        dt.timedelta(hours=6 * visit)
                    # The latest checks in card order (the rules' card index).
                    at = now - age - dt.timedelta(minutes=len(cards) - index)
                    facts = card if visit == 0 else _card(rng, card.kind, 365 * min(visit, 3))
                    buffers["checks"].append(_check_row(check_id, client_id, at, facts,
                                                        visit == 0))
                latest_ids.append(check_id)
            if chosen not in keys_of:
                keys_of[chosen] = row_keys(cards)
            buffers["deadline_keys"].extend({
                "client_id": client_id, "check_id": latest_ids[key.card_index],
                "date_kind": key.date_kind, "date": key.date, "finding_code": key.finding_code,
                "level_floor": int(key.level_floor), "soon_from": key.soon_from,
                "urgent_from": key.urgent_from, "expired_from": key.expired_from,
                "renewal_pending": key.renewal_pending, "reference_order": reference,
                "authenticity_rank": authenticity_rank(None),
            } for key in keys_of[chosen])
            flush(connection)
        flush(connection, force=True)
        if connection.dialect.name == "postgresql":
            for table in ("clients", "checks", "deadline_keys"):
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"))
    if register.engine.dialect.name == "postgresql":
        with register.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return long_client, time.perf_counter() - started, check_id


@contextmanager
def database(kind: str, pg_url: str | None) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/register.sqlite3"
        return
    assert pg_url is not None
    base = make_url(pg_url)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(CreateSchema(schema))
    try:
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(DropSchema(schema, cascade=True))
        admin.dispose()


def _median_ms(call: Callable[[], Any], runs: int = 5) -> tuple[float, Any]:
    result = call()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def measure(kind: str, size: int, pg_url: str | None) -> dict[str, float]:
    with database(kind, pg_url) as url:
        register = Register.open(url)
        try:
            long_client, made_s, made_checks = populate(register, size)
        finally:
            register.close()
        desk = start_in_thread(DeskOptions(desk="bench", db_url=url, virtual=("mynumber",)))
        try:
            base = desk.url.split("/check")[0]
            with httpx.Client(base_url=base, timeout=600) as browser:
                browser.get(desk.url)  # the start token becomes the session cookie

                def get(path: str, **params: str) -> httpx.Response:
                    answer = browser.get(path, params=params)
                    assert answer.status_code == 200, (path, answer.status_code)
                    return answer

                page_ms, page = _median_ms(lambda: get("/deadlines"))
                search_ms, found = _median_ms(lambda: get("/clients", q="2024-0"))
                name_ms, _ = _median_ms(lambda: get("/clients", q="sato"))
                client_ms, _ = _median_ms(lambda: get(f"/clients/{long_client}"))
                started = time.perf_counter()
                exported = 0
                with browser.stream("GET", "/export/deadlines.csv") as stream:
                    for chunk in stream.iter_bytes():
                        exported += len(chunk)
                export_s = time.perf_counter() - started
        finally:
            desk.stop()
        with Register.open(url) as register:
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            rows = sum(chunk.count(b"\r\n") for chunk in register.deadlines_csv_chunks(TODAY))
            peak = tracemalloc.get_traced_memory()[1] - before
            tracemalloc.stop()
    assert "page-of" in page.text and "2024-0" in found.text
    return {"made_s": made_s, "checks": made_checks, "page_ms": page_ms,
            "page_kb": len(page.content) / 1024, "search_ms": search_ms, "name_ms": name_ms,
            "client_ms": client_ms, "export_s": export_s, "export_mb": exported / 2**20,
            "rows": rows - 1, "peak_mb": peak / 2**20}


COLUMNS = (("page_ms", "deadlines p1 ms"), ("page_kb", "p1 KB"), ("search_ms", "search ms"),
           ("name_ms", "name ms"), ("client_ms", "client ms"), ("export_s", "CSV s"),
           ("export_mb", "CSV MB"), ("peak_mb", "export peak MB"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", help="a PostgreSQL URL (scripts/start-postgres.sh prints "
                        "one); without it PostgreSQL is left out")
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]
    kinds = [k for k in options.databases.split(",") if k != "postgresql" or options.pg_url]
    results: dict[tuple[str, int], dict[str, float]] = {}
    for kind in kinds:
        for size in sizes:
            results[kind, size] = measure(kind, size, options.pg_url)
            made = results[kind, size]
            print(f"# {kind} {size:,} clients: {int(made['checks']):,} checks, "
                  f"{int(made['rows']):,} deadline rows, made in {made['made_s']:.1f} s: "
                  + ", ".join(f"{name} {made[key]:.2f}" for key, name in COLUMNS),
                  flush=True)
    header = "| database | clients | " + " | ".join(name for _, name in COLUMNS) + " |"
    print()
    print(header)
    print("|" + "---|" * (2 + len(COLUMNS)))
    for kind in kinds:
        previous: dict[str, float] | None = None
        for size in sizes:
            figures = results[kind, size]
            cells = []
            for key, _ in COLUMNS:
                cell = f"{figures[key]:.1f}" if figures[key] >= 10 else f"{figures[key]:.2f}"
                if previous is not None and previous[key] > 0:
                    cell += f" (x{figures[key] / previous[key]:.1f})"
                cells.append(cell)
            print(f"| {kind} | {size:,} | " + " | ".join(cells) + " |")
            previous = figures
    print()
    print("(xN): growth from the size before. Goals (issue 25): deadlines page 1 and search "
          "<= 150 ms at 100,000 clients; page size flat; export memory flat.")


if __name__ == "__main__":
    main()
