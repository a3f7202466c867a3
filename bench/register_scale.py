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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import create_engine, func, insert, make_url, select, text  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402

from cardtool.authenticity import Authenticity, Status  # noqa: E402
from cardtool.card_kind import CardKind  # noqa: E402
from cardtool.desk.server import DeskOptions, start_in_thread  # noqa: E402
from cardtool.expiry import CardFacts  # noqa: E402
from cardtool.jst import today_jst  # noqa: E402
from cardtool.register import Register  # noqa: E402
from cardtool.register.deadline_keys import RowKey, row_keys  # noqa: E402
from cardtool.register.derived import key_rows  # noqa: E402
from cardtool.register.rows import (  # noqa: E402
    check_of,
    clean_desk,
    clean_text,
    saved_check_values,
    search_key,
    search_words,
    utc_naive,
)
from cardtool.register.schema import (  # noqa: E402
    DISPLAY_NAME_LENGTH,
    audit,
    checks,
    clients,
    deadline_keys,
    name_words,
)
from cardtool.typed_text import clean_reference  # noqa: E402
from tests.support.pg import throwaway_schema  # noqa: E402

TODAY = today_jst()
LONG_HISTORY = 5_000
PROFILE_POOL = 20_000
BATCH = 5_000
DESK = "desk-1"
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


#: Share of the chip cards checked with each authenticity verdict (the rest: none given).
_VERDICTS: tuple[tuple[float, Status], ...] = (
    (0.70, Status.GENUINE), (0.10, Status.DATA_GENUINE), (0.08, Status.NOT_CHECKED),
    (0.05, Status.UNANCHORED), (0.004, Status.INVALID),
)


def _with_verdict(rng: random.Random, facts: CardFacts) -> CardFacts:
    roll, total = rng.random(), 0.0
    for share, status in _VERDICTS:
        total += share
        if roll < total:
            return replace(facts, authenticity=Authenticity(status, ()))
    return facts


@dataclass(frozen=True)
class Visit:
    """One check of one card: when, and what the card said."""

    at: dt.datetime
    facts: CardFacts


@dataclass(frozen=True)
class PlannedClient:
    """A client as the generator makes it: the checks in the order they are saved (oldest
    first), the first one creating the client (``Register.save_check(new_client=...)``)."""

    reference: str
    display_name: str
    visits: tuple[Visit, ...]


def long_history_client(size: int) -> int:
    """The number (1-based, = its id in a fresh register) of the client with LONG_HISTORY
    checks."""
    return max(1, size // 2)


def plan(size: int, seed: int = 25) -> Iterator[PlannedClient]:
    """``size`` clients with one to three card kinds each, each card checked one to three
    times a year apart (older checks with older dates), a client in 500 with a long history
    (a check every week or so for years) and one with LONG_HISTORY checks."""
    rng = random.Random(seed)
    pool = [_profile(rng) for _ in range(min(size, PROFILE_POOL))]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    longest = long_history_client(size)
    for number in range(1, size + 1):
        reference = f"{2023 + number % 3}-{number:06d}"
        display = f"Test {rng.choice(_FAMILY)} {rng.choice(_GIVEN)}"
        cards = pool[rng.randrange(len(pool))]
        visits: list[Visit] = []
        for index, card in enumerate(cards):
            if index == 0 and number == longest:
                count, step = LONG_HISTORY, dt.timedelta(hours=6)
            elif index == 0 and number % 500 == 0:
                count, step = rng.randint(100, 300), dt.timedelta(days=5)
            else:
                count, step = rng.randint(1, 3), dt.timedelta(days=365)
            for visit in range(count - 1, -1, -1):
                # The latest checks in card order (the rules' card index), minutes apart.
                at = now - step * visit - dt.timedelta(minutes=len(cards) - index)
                age_days = min(3, (step * visit).days // 365) * 365
                facts = card if visit == 0 else _card(rng, card.kind, age_days)
                visits.append(Visit(at, _with_verdict(rng, facts)))
        visits.sort(key=lambda visit: visit.at)
        yield PlannedClient(reference, display, tuple(visits))


def save_one_by_one(register: Register, planned: Iterable[PlannedClient],
                    desk: str = DESK) -> None:
    """The clients through the product's save path, a check at a time (slow: the reference
    the bulk load is compared with)."""
    for client in planned:
        first = client.visits[0]
        client_id = register.save_check(None, first.facts, desk=desk, at=first.at,
                                        new_client=(client.reference,
                                                    client.display_name)).client_id
        for visit in client.visits[1:]:
            register.save_check(client_id, visit.facts, desk=desk, at=visit.at)


def populate(register: Register, planned: Iterable[PlannedClient],
             desk: str = DESK) -> int:
    """The clients bulk-loaded in one transaction, many rows per statement, with the very
    rows ``save_one_by_one`` would write (tests/register/test_bench_load.py compares them
    column by column): each check's columns by ``rows.saved_check_values``, the latest flags
    (newest ``checked_at``, then id), the search keys by ``rows.search_key`` and
    ``search_words``, the deadline keys by ``deadline_keys.row_keys`` over
    ``Check.facts()`` of the latest checks and ``derived.key_rows``, and the audit lines.
    ``row_keys`` is computed once per distinct set of latest cards (it is a function of
    them). Returns how many checks were written."""
    cleaned_desk = clean_desk(desk)
    keys_of: dict[tuple[CardFacts, ...], list[RowKey]] = {}
    buffers: dict[str, list[dict[str, Any]]] = {name: [] for name in _TABLES}
    written = 0

    def flush(connection: Connection, force: bool = False) -> None:
        if not force and max(len(rows) for rows in buffers.values()) < BATCH:
            return
        for name, table in _TABLES.items():  # parents first
            rows = buffers[name]
            if rows:
                connection.execute(insert(table), rows)
                rows.clear()

    with register.engine.begin() as connection:
        client_id = int(connection.execute(
            select(func.coalesce(func.max(clients.c.id), 0))).scalar_one())
        check_id = int(connection.execute(
            select(func.coalesce(func.max(checks.c.id), 0))).scalar_one())
        for client in planned:
            client_id += 1
            reference = clean_reference(client.reference)
            name = clean_text(client.display_name, DISPLAY_NAME_LENGTH, "display name", "表示名")
            buffers["clients"].append({
                "id": client_id, "reference": reference, "display_name": name,
                "created_at": utc_naive(client.visits[0].at),
                "reference_key": search_key(reference)})
            buffers["name_words"].extend({"client_id": client_id, "word": word}
                                         for word in search_words(name))
            buffers["audit"].append(_audit_row(cleaned_desk, "client.create",
                                               f"client:{client_id}"))
            newest: dict[str, dict[str, Any]] = {}
            for visit in client.visits:
                check_id += 1
                at = utc_naive(visit.at)
                row = {"id": check_id, "client_id": client_id, "checked_at": at,
                       "desk": cleaned_desk, "card_number_masked": None, "number_hmac": None,
                       "latest": False, **saved_check_values(visit.facts, at)}
                buffers["checks"].append(row)
                buffers["audit"].append(_audit_row(cleaned_desk, "check.save",
                                                   f"client:{client_id} check:{check_id}"))
                kind = row["card_kind"]
                if kind not in newest or (at, check_id) > (newest[kind]["checked_at"],
                                                           newest[kind]["id"]):
                    newest[kind] = row
            written += len(client.visits)
            for row in newest.values():
                row["latest"] = True
            latest = [check_of(row) for row in sorted(newest.values(),
                                                      key=lambda r: (r["checked_at"], r["id"]))]
            cards = tuple(check.facts() for check in latest)
            keys = keys_of.get(cards)
            if keys is None:
                keys = keys_of[cards] = row_keys(cards)
            buffers["deadline_keys"].extend(key_rows(client_id, reference, latest, keys))
            flush(connection)
        flush(connection, force=True)
        if connection.dialect.name == "postgresql":  # ids given above: the sequences follow
            for table in ("clients", "checks"):
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"))
    if register.engine.dialect.name == "postgresql":
        with register.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return written


def _audit_row(desk: str, action: str, subject: str) -> dict[str, Any]:
    return {"at": utc_naive(None), "desk": desk, "action": action, "subject": subject}


_TABLES = {"clients": clients, "name_words": name_words, "checks": checks,
           "deadline_keys": deadline_keys, "audit": audit}


@contextmanager
def database(kind: str, pg_url: str | None) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/register.sqlite3"
        return
    assert pg_url is not None
    with throwaway_schema(pg_url, "bench") as url:
        yield url


class Clock:
    """Wall time, this process's CPU time (the desk and the bench's browser run in it), and
    on PostgreSQL the CPU time of the server processes serving this database (read from
    /proc: the machine is shared, so CPU says what the work cost where wall time says what
    a user waited)."""

    def __init__(self, url: str) -> None:
        self._engine = create_engine(url) if make_url(url).get_backend_name() == \
            "postgresql" else None

    def server_cpu(self) -> float:
        if self._engine is None:
            return 0.0
        with self._engine.connect() as connection:
            pids = connection.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")).scalars().all()
        total = 0
        for pid in pids:
            try:  # the first field: nanoseconds on a CPU (finer than /proc/PID/stat's ticks)
                total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):  # not on this machine, or gone
                continue
        return total / 1e9

    def now(self) -> tuple[float, float, float]:
        return time.perf_counter(), time.process_time(), self.server_cpu()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def _median_ms(clock: Clock, call: Callable[[], Any],
               runs: int = 5) -> tuple[float, float, float, Any]:
    """(wall, process CPU, server CPU) medians in ms over ``runs`` after one warm-up."""
    result = call()  # warm-up
    spent: list[tuple[float, ...]] = []
    for _ in range(runs):
        before = clock.now()
        result = call()
        after = clock.now()
        spent.append(tuple((b - a) * 1000 for a, b in zip(before, after, strict=True)))
    wall, cpu, server = (statistics.median(column) for column in zip(*spent, strict=True))
    return wall, cpu, server, result


def measure(kind: str, size: int, pg_url: str | None) -> dict[str, float]:
    with database(kind, pg_url) as url:
        register = Register.open(url)
        try:
            started = time.perf_counter()
            made_checks = populate(register, plan(size))
            made_s = time.perf_counter() - started
            long_client = long_history_client(size)
        finally:
            register.close()
        clock = Clock(url)
        desk = start_in_thread(DeskOptions(desk="bench", db_url=url, virtual=("mynumber",)))
        figures: dict[str, float] = {}
        try:
            base = desk.url.split("/check")[0]
            with httpx.Client(base_url=base, timeout=600) as browser:
                browser.get(desk.url)  # the start token becomes the session cookie

                def get(path: str, **params: str) -> httpx.Response:
                    answer = browser.get(path, params=params)
                    assert answer.status_code == 200, (path, answer.status_code)
                    return answer

                timed = {"page": lambda: get("/deadlines"),
                         "search": lambda: get("/clients", q="2024-0"),
                         "name": lambda: get("/clients", q="sato"),
                         "client": lambda: get(f"/clients/{long_client}")}
                answers: dict[str, httpx.Response] = {}
                for name, call in timed.items():
                    wall, cpu, server, answers[name] = _median_ms(clock, call)
                    figures[f"{name}_ms"], figures[f"{name}_cpu"] = wall, cpu
                    figures[f"{name}_db"] = server
                before = clock.now()
                exported = 0
                with browser.stream("GET", "/export/deadlines.csv") as stream:
                    for chunk in stream.iter_bytes():
                        exported += len(chunk)
                after = clock.now()
                figures["export_s"], figures["export_cpu"], figures["export_db"] = (
                    b - a for a, b in zip(before, after, strict=True))
        finally:
            desk.stop()
            clock.close()
        with Register.open(url) as register:
            tracemalloc.start()
            before_bytes = tracemalloc.get_traced_memory()[0]
            rows = sum(chunk.count(b"\r\n") for chunk in register.deadlines_csv_chunks(TODAY))
            peak = tracemalloc.get_traced_memory()[1] - before_bytes
            tracemalloc.stop()
    assert "page-of" in answers["page"].text and "2024-0" in answers["search"].text
    return {**figures, "made_s": made_s, "checks": made_checks,
            "page_kb": len(answers["page"].content) / 1024, "export_mb": exported / 2**20,
            "rows": rows - 1, "peak_mb": peak / 2**20}


COLUMNS = (("page_ms", "p1 ms"), ("page_cpu", "p1 cpu"), ("page_db", "p1 db"),
           ("page_kb", "p1 KB"), ("search_ms", "search ms"), ("search_cpu", "search cpu"),
           ("search_db", "search db"), ("name_ms", "name ms"), ("name_cpu", "name cpu"),
           ("name_db", "name db"), ("client_ms", "client ms"), ("client_cpu", "client cpu"),
           ("client_db", "client db"), ("export_s", "CSV s"), ("export_cpu", "CSV cpu s"),
           ("export_db", "CSV db s"), ("export_mb", "CSV MB"), ("peak_mb", "export peak MB"))


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
    print("ms / s: wall (median of 5); cpu: this process's CPU (the desk and the browser); "
          "db: the PostgreSQL server processes' CPU (0 on SQLite, in the process). (xN): growth "
          "from the size before. Goals (issue 25): deadlines page 1 and search <= 150 ms at "
          "100,000 clients; page size flat; export memory flat.")


if __name__ == "__main__":
    main()
