"""The columns derived from what was saved, kept in the same transaction as each write:
which check is a client's latest of its card kind (``checks.latest``), the clients' search
keys, and the deadline keys (``deadline_keys``, see ``cardtool.register.deadline_keys``).

``refresh_all`` computes them all again: after the migration that added them, and whenever
the rules' fingerprint (``deadline_keys.rules_fingerprint``) differs from the one stored, so
keys computed by an older rule are never used to order a list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from cardtool.register.deadline_keys import (
    RowKey,
    authenticity_rank,
    row_keys,
    rules_fingerprint,
)
from cardtool.register.model import Check
from cardtool.register.rows import check_of, search_key, search_words
from cardtool.register.schema import (
    DERIVED_KEY,
    checks,
    clients,
    deadline_keys,
    name_words,
    register_meta,
)

log = logging.getLogger("cardtool.register")

#: Clients handled per statement when everything is computed again.
_BATCH = 500


def mark_latest(connection: Connection, client_id: int, card_kind: str) -> bool:
    """Make the newest check (checked_at, then id) of the client's card kind its latest; True
    when that changed which one it is."""
    newest = connection.execute(
        select(checks.c.id).where(checks.c.client_id == client_id,
                                  checks.c.card_kind == card_kind)
        .order_by(checks.c.checked_at.desc(), checks.c.id.desc()).limit(1)).scalar()
    current = connection.execute(
        select(checks.c.id).where(checks.c.client_id == client_id,
                                  checks.c.card_kind == card_kind, checks.c.latest)).scalar()
    if newest == current:
        return False
    if current is not None:
        connection.execute(update(checks).where(checks.c.id == current).values(latest=False))
    if newest is not None:
        connection.execute(update(checks).where(checks.c.id == newest).values(latest=True))
    return True


def latest_checks(connection: Connection, client_ids: Sequence[int]) -> dict[int, list[Check]]:
    """Each client's latest check of each card kind, oldest first (the order the rules see
    the cards in)."""
    found: dict[int, list[Check]] = {client_id: [] for client_id in client_ids}
    if not client_ids:
        return found
    rows = connection.execute(
        select(checks).where(checks.c.client_id.in_(list(client_ids)), checks.c.latest)
        .order_by(checks.c.client_id, checks.c.checked_at, checks.c.id)).mappings()
    for row in rows:
        found[row["client_id"]].append(check_of(row))
    return found


def key_rows(client_id: int, reference: str | None, latest: Sequence[Check],
             keys: Iterable[RowKey]) -> list[dict[str, object]]:
    return [{
        "client_id": client_id, "check_id": latest[key.card_index].id,
        "date_kind": key.date_kind, "date": key.date, "finding_code": key.finding_code,
        "level_floor": int(key.level_floor), "soon_from": key.soon_from,
        "urgent_from": key.urgent_from, "expired_from": key.expired_from,
        "renewal_pending": key.renewal_pending, "reference_order": reference or "",
        "authenticity_rank": authenticity_rank(latest[key.card_index].authenticity),
    } for key in keys]


def refresh_keys(connection: Connection, client_ids: Sequence[int]) -> None:
    """Compute the deadline keys of these clients again from their latest checks."""
    for start in range(0, len(client_ids), _BATCH):
        chunk = list(client_ids[start:start + _BATCH])
        connection.execute(delete(deadline_keys).where(deadline_keys.c.client_id.in_(chunk)))
        references = dict(connection.execute(
            select(clients.c.id, clients.c.reference).where(clients.c.id.in_(chunk))).all())
        rows: list[dict[str, object]] = []
        for client_id, latest in latest_checks(connection, chunk).items():
            if latest and client_id in references:
                keys = row_keys([check.facts() for check in latest])
                rows.extend(key_rows(client_id, references[client_id], latest, keys))
        if rows:
            connection.execute(insert(deadline_keys), rows)


def set_search_keys(connection: Connection, client_id: int, reference: str | None,
                    display_name: str | None) -> None:
    """A client's search keys and the tie-break of its deadline rows, after it was created
    or edited."""
    connection.execute(update(clients).where(clients.c.id == client_id).values(
        reference_key=search_key(reference)))
    connection.execute(delete(name_words).where(name_words.c.client_id == client_id))
    words = search_words(display_name)
    if words:
        connection.execute(insert(name_words),
                           [{"client_id": client_id, "word": word} for word in words])
    connection.execute(update(deadline_keys).where(deadline_keys.c.client_id == client_id)
                       .values(reference_order=reference or ""))


def stored_fingerprint(connection: Connection) -> str | None:
    value: str | None = connection.execute(
        select(register_meta.c.value).where(register_meta.c.key == DERIVED_KEY)
    ).scalar_one_or_none()
    return value


def is_current(connection: Connection) -> bool:
    return stored_fingerprint(connection) == rules_fingerprint()


#: Called while everything derived is computed again: (clients done, clients in all).
Progress = Callable[[int, int], None]
#: Clients between two progress reports (and log lines) of ``refresh_all``.
PROGRESS_STEP = 10_000


def refresh_all(connection: Connection, progress: Progress | None = None) -> None:
    """Everything derived, computed again (in the caller's write transaction). The deadline
    keys cost the rules' time, about 1.5 ms of CPU a client (docs/register.md): a large
    register takes minutes, so it is said at the start, every PROGRESS_STEP clients (the log,
    and ``progress``) and at the end."""
    total = int(connection.execute(select(func.count()).select_from(clients)).scalar_one())
    if total:
        log.info("updating the register's deadline index, %d clients", total)
    if progress is not None:
        progress(0, total)
    # The latest flags: first cleared, then set on each (client, kind)'s newest check.
    connection.execute(update(checks).where(checks.c.latest).values(latest=False))
    newer = checks.alias("newer")
    is_newest = ~select(newer.c.id).where(
        newer.c.client_id == checks.c.client_id, newer.c.card_kind == checks.c.card_kind,
        (newer.c.checked_at > checks.c.checked_at)
        | and_(newer.c.checked_at == checks.c.checked_at, newer.c.id > checks.c.id)
    ).exists()
    connection.execute(update(checks).where(is_newest).values(latest=True))
    last_id = done = 0
    while True:
        batch = connection.execute(
            select(clients.c.id, clients.c.reference, clients.c.display_name)
            .where(clients.c.id > last_id).order_by(clients.c.id).limit(_BATCH)).all()
        if not batch:
            break
        ids = [row[0] for row in batch]
        connection.execute(
            update(clients).where(clients.c.id == bindparam("client_id")).values(
                reference_key=bindparam("reference_key")),
            [{"client_id": client_id, "reference_key": search_key(reference)}
             for client_id, reference, _ in batch])
        connection.execute(delete(name_words).where(name_words.c.client_id.in_(ids)))
        words = [{"client_id": client_id, "word": word}
                 for client_id, _, display_name in batch for word in search_words(display_name)]
        if words:
            connection.execute(insert(name_words), words)
        refresh_keys(connection, ids)
        last_id = batch[-1][0]
        before, done = done, done + len(batch)
        if done // PROGRESS_STEP > before // PROGRESS_STEP and done < total:
            log.info("deadline index: %d of %d clients", done, total)
            if progress is not None:
                progress(done, total)
    if total:
        log.info("deadline index updated, %d clients", done)
    if progress is not None:
        progress(done, total)
    fingerprint = rules_fingerprint()
    if stored_fingerprint(connection) is None:
        connection.execute(insert(register_meta).values(key=DERIVED_KEY, value=fingerprint))
    else:
        connection.execute(update(register_meta).where(register_meta.c.key == DERIVED_KEY)
                           .values(value=fingerprint))


__all__ = ["PROGRESS_STEP", "Progress", "is_current", "latest_checks", "mark_latest", "refresh_all", "refresh_keys",
           "set_search_keys"]
