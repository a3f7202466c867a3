"""The register's lists, a page at a time: the deadlines (most urgent first), the clients
found by a search, and one client's history. Each is an indexed query with the filter, the
order and the page in SQL; only the rows of the page are read, and only their clients are
assessed (``cardtool.expiry.assess``, through ``deadlines.client_deadlines``).

The deadlines are ordered by ``deadline_keys`` (the days each row's level rises, computed at
save from the same rules) and then worded by the rules again on the day asked for; a row the
rules no longer give (a register whose keys are being recomputed) is left out, never shown
with a stale level.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Date, Select, and_, func, literal, or_, select
from sqlalchemy.engine import Connection, RowMapping

from cardtool.expiry import Level, Thresholds
from cardtool.register.deadline_keys import AUTHENTICITY_RANKS, authenticity_rank, level_on
from cardtool.register.deadlines import DeadlineFilter, client_deadlines
from cardtool.register.derived import latest_checks
from cardtool.register.model import Check, Client, DeadlineRow
from cardtool.register.rows import check_of, client_of, search_key
from cardtool.register.schema import checks, clients, deadline_keys, name_words

#: Rows on a page of the deadlines, of the clients, of a history.
PAGE_SIZE = 50
#: The longest search text used; a longer one is cut (the page says so).
SEARCH_LENGTH = 100
#: Rows read from the database at a time while an export streams.
STREAM_BATCH = 500
#: Code point after every character a stored text holds: [key, key + MAX_CHAR) is "starts
#: with key" (search keys never hold it: U+10FFFF is a noncharacter, removed as category C).
_MAX_CHAR = "\U0010ffff"

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list. ``number`` is the page shown (a page asked for beyond the last is
    the last; below 1 is the first)."""

    items: tuple[T, ...]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def clamp_page(asked: int, total: int, size: int) -> int:
    last = max(1, -(-total // size))
    return min(max(asked, 1), last)


# --- deadlines ----------------------------------------------------------------------------


def _key_filter(today: dt.date, keep: DeadlineFilter) -> list[Any]:
    """The filter as conditions on the stored keys (deadlines.DeadlineFilter.keeps)."""
    where: list[Any] = []
    if keep.within_days is not None:
        # days_left <= N  <=>  date <= today + N (a row without a date has no days left).
        where.append(deadline_keys.c.date <= literal(today + dt.timedelta(days=keep.within_days)))
    if keep.overdue_only:
        where.append(level_on(today) == int(Level.EXPIRED))
    if keep.pending_only:
        where.append(deadline_keys.c.renewal_pending.is_(True))
    return where


#: Inside one level: dated rows before undated ones, the date, the reference, the client,
#: then the order the rules list a client's rows in (deadlines.urgency).
_IN_LEVEL = (deadline_keys.c.date.is_(None), deadline_keys.c.date,
             deadline_keys.c.reference_order, deadline_keys.c.client_id, deadline_keys.c.id)


def bands(today: dt.date) -> list[tuple[Level, Any]]:
    """Each level's rows on ``today``, most urgent first, as conditions on the stored days
    (the same test as ``level_on``, split so each level is a range over an index: a page
    reads its own level's rows, not the whole register)."""
    day = literal(today, Date())
    k = deadline_keys.c
    below_soon = or_(k.soon_from > day, k.soon_from.is_(None))
    return [
        (Level.EXPIRED, k.expired_from <= day),
        (Level.URGENT, and_(k.urgent_from <= day,
                            or_(k.expired_from > day, k.expired_from.is_(None)))),
        (Level.SOON, and_(k.soon_from <= day, or_(k.urgent_from > day, k.urgent_from.is_(None)))),
        (Level.CHECK, and_(k.level_floor == int(Level.CHECK), below_soon)),
        (Level.OK, and_(k.level_floor == int(Level.OK), below_soon)),
    ]


def _band_filter(today: dt.date, keep: DeadlineFilter) -> list[Any]:
    where: list[Any] = []
    if keep.within_days is not None:
        where.append(deadline_keys.c.date <= literal(today + dt.timedelta(days=keep.within_days)))
    if keep.pending_only:
        where.append(deadline_keys.c.renewal_pending.is_(True))
    return where


def _of_rank(rank: int) -> Any:
    """The rows of an authenticity rank. The usual rank (most of the register) is said as
    "none of the others": a condition no index serves, so the planner reads the level's own
    index (or walks the date order) instead of the whole rank's rows, to sort them; the
    other ranks (cards not genuine, few) are an equality over their index."""
    usual = authenticity_rank(None)
    if rank != usual:
        return deadline_keys.c.authenticity_rank == rank
    return deadline_keys.c.authenticity_rank.not_in(
        [other for other in AUTHENTICITY_RANKS if other != usual])


def _kept_bands(today: dt.date, keep: DeadlineFilter) -> list[tuple[Any, Any]]:
    """(condition, order) of each part of the list in turn: for each authenticity rank (a
    card that is not genuine first), each level's dated rows, then its undated ones. The
    database picks the index: the expired rows (the first pages) by walking the date order
    (``ix_deadline_keys_order``), the other levels by a range of their own index."""
    chosen = bands(today)
    if keep.overdue_only:  # level expired only
        chosen = chosen[:1]
    extra = _band_filter(today, keep)
    k = deadline_keys.c
    parts: list[tuple[Any, Any]] = []
    for rank in AUTHENTICITY_RANKS:
        for _, condition in chosen:
            ranked = and_(condition, _of_rank(rank), *extra)
            parts.append((and_(ranked, k.date.is_not(None)),
                          (k.date, k.reference_order, k.client_id, k.id)))
            parts.append((and_(ranked, k.date.is_(None)),
                          (k.reference_order, k.client_id, k.id)))
    return parts


def ordered_keys(today: dt.date, keep: DeadlineFilter) -> Select[Any]:
    """The stored rows kept by the filter, most urgent first (deadlines.urgency): the level,
    dated rows before undated ones, the date, the reference, the client; then the order the
    rules list a client's rows in. One statement, for a whole export."""
    return (select(deadline_keys).where(*_key_filter(today, keep))
            .order_by(deadline_keys.c.authenticity_rank, level_on(today).desc(), *_IN_LEVEL))


def count_keys(connection: Connection, today: dt.date, keep: DeadlineFilter) -> int:
    """How many rows the filter keeps: one indexed count (the whole table, a date range,
    the pending rows, or the expired ones)."""
    where = _band_filter(today, keep)
    if keep.overdue_only:
        where.append(bands(today)[0][1])
    return int(connection.execute(select(func.count()).select_from(deadline_keys)
                                  .where(*where)).scalar_one())


def part_rows(condition: Any, order: Any, limit: int, offset: int) -> Select[Any]:
    """One part's rows of a page (``_kept_bands``)."""
    return (select(deadline_keys).where(condition).order_by(*order)
            .limit(limit).offset(offset))


def _page_keys(connection: Connection, today: dt.date, keep: DeadlineFilter, offset: int,
               size: int) -> list[RowMapping]:
    """The ``size`` rows from ``offset`` of the ordered list, read part by part (each level's
    dated rows, then its undated ones). Parts the page starts beyond are counted (an indexed
    count), not read; the first pages read the most urgent rows and count nothing."""
    found: list[RowMapping] = []
    skip = offset
    for condition, order in _kept_bands(today, keep):
        wanted = size - len(found)
        if wanted <= 0:
            break
        if skip:
            length = int(connection.execute(select(func.count()).select_from(deadline_keys)
                                            .where(condition)).scalar_one())
            if length <= skip:
                skip -= length
                continue
        found.extend(connection.execute(part_rows(condition, order, wanted, skip)).mappings())
        skip = 0
    return found


def _identity(key: RowMapping | DeadlineRow) -> tuple[int, str | None, dt.date | None,
                                                     str | None]:
    if isinstance(key, DeadlineRow):
        code = key.findings[0] if key.date_kind is None and key.findings else None
        return (key.check_id, key.date_kind, key.date, code)
    return (key["check_id"], key["date_kind"], key["date"], key["finding_code"])


def rows_for_keys(connection: Connection, keys: Sequence[RowMapping], today: dt.date,
                  thresholds: Thresholds) -> list[DeadlineRow]:
    """The deadline rows the stored keys stand for, worded by the rules on ``today``, in
    the keys' order."""
    client_ids = sorted({key["client_id"] for key in keys})
    if not client_ids:
        return []
    found_clients = {row["id"]: client_of(row) for row in connection.execute(
        select(clients).where(clients.c.id.in_(client_ids))).mappings()}
    latest = latest_checks(connection, client_ids)
    assessed: dict[tuple[int, str | None, dt.date | None, str | None], DeadlineRow] = {}
    for client_id in client_ids:
        client = found_clients.get(client_id)
        if client is None:
            continue
        for row in client_deadlines(client, latest[client_id], today, thresholds):
            assessed.setdefault(_identity(row), row)
    return [assessed[_identity(key)] for key in keys if _identity(key) in assessed]


def deadline_page(connection: Connection, today: dt.date, keep: DeadlineFilter, page: int,
                  size: int = PAGE_SIZE) -> Page[DeadlineRow]:
    total = count_keys(connection, today, keep)
    number = clamp_page(page, total, size)
    keys = _page_keys(connection, today, keep, (number - 1) * size, size)
    return Page(tuple(rows_for_keys(connection, keys, today, Thresholds())), number, size,
                total)


def stream_deadlines(connection: Connection, today: dt.date, keep: DeadlineFilter,
                     batch: int = STREAM_BATCH) -> Iterator[DeadlineRow]:
    """Every row kept by the filter, most urgent first, read ``batch`` rows at a time (a
    server-side cursor on PostgreSQL): memory does not grow with the register."""
    thresholds = Thresholds()
    result = connection.execution_options(stream_results=True, yield_per=batch).execute(
        ordered_keys(today, keep)).mappings()
    for keys in result.partitions(batch):
        yield from rows_for_keys(connection, keys, today, thresholds)


# --- clients ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientSearch:
    """A search as it was run: ``text`` the query used (cut to SEARCH_LENGTH), ``cut`` when
    the typed one was longer."""

    text: str
    cut: bool

    @property
    def limit(self) -> int:
        return SEARCH_LENGTH


def search_of(typed: str) -> ClientSearch:
    text = typed.strip()
    if len(text) > SEARCH_LENGTH:
        return ClientSearch(text[:SEARCH_LENGTH].strip(), True)
    return ClientSearch(text, False)


def _starts_with(column: Any, key: str) -> Any:
    # A range over the column's index (code point order on both databases): the typed text
    # is a value, never a LIKE pattern, so "50%" or "A_1" find exactly that.
    return and_(column >= key, column < key + _MAX_CHAR)


def client_page(connection: Connection, typed: str, page: int,
                size: int = PAGE_SIZE) -> tuple[ClientSearch, Page[Client]]:
    """Clients whose reference or display name starts with the search (any case; full-width
    characters match their half-width forms): those found by reference first, in reference
    order, then those found by name only, in name order. An empty search lists every client,
    newest first."""
    search = search_of(typed)
    key = search_key(search.text)
    if key is None:
        total = int(connection.execute(select(func.count()).select_from(clients)).scalar_one())
        number = clamp_page(page, total, size)
        rows = connection.execute(select(clients).order_by(clients.c.id.desc())
                                  .limit(size).offset((number - 1) * size)).mappings()
        return search, Page(tuple(client_of(r) for r in rows), number, size, total)
    by_reference = _starts_with(clients.c.reference_key, key)
    by_name = and_(
        clients.c.id.in_(select(name_words.c.client_id).where(_starts_with(name_words.c.word,
                                                                          key))),
        ~_starts_with(func.coalesce(clients.c.reference_key, ""), key))
    first = int(connection.execute(select(func.count()).select_from(clients)
                                   .where(by_reference)).scalar_one())
    second = int(connection.execute(select(func.count()).select_from(clients)
                                    .where(by_name)).scalar_one())
    total = first + second
    number = clamp_page(page, total, size)
    offset = (number - 1) * size
    found: list[Client] = []
    if offset < first:
        found.extend(client_of(r) for r in connection.execute(
            select(clients).where(by_reference)
            .order_by(clients.c.reference_key, clients.c.id)
            .limit(size).offset(offset)).mappings())
    if len(found) < size:
        found.extend(client_of(r) for r in connection.execute(
            select(clients).where(by_name).order_by(clients.c.display_name, clients.c.id)
            .limit(size - len(found)).offset(max(0, offset - first))).mappings())
    return search, Page(tuple(found), number, size, total)


def history_page(connection: Connection, client_id: int, page: int,
                 size: int = PAGE_SIZE) -> Page[Check]:
    """A page of the client's checks, newest first."""
    total = int(connection.execute(select(func.count()).select_from(checks)
                                   .where(checks.c.client_id == client_id)).scalar_one())
    number = clamp_page(page, total, size)
    rows = connection.execute(
        select(checks).where(checks.c.client_id == client_id)
        .order_by(checks.c.checked_at.desc(), checks.c.id.desc())
        .limit(size).offset((number - 1) * size)).mappings()
    return Page(tuple(check_of(r) for r in rows), number, size, total)


__all__ = ["PAGE_SIZE", "SEARCH_LENGTH", "ClientSearch", "Page", "clamp_page", "client_page",
           "count_keys", "deadline_page", "history_page", "ordered_keys", "part_rows",
           "rows_for_keys",
           "search_of", "stream_deadlines"]
