"""The office's retention chores on the register: what a purge would delete, the purge
itself (old checks, and the clients left with none), and a SQLite backup."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import sqlite3
from pathlib import Path

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from cardtool.errors import BadInputFile
from cardtool.register.causes import cause_of
from cardtool.register.derived import refresh_keys
from cardtool.register.rows import start_of_jst_day
from cardtool.register.schema import checks, clients, deadline_keys, name_words

#: Ids bound in one IN (...) list: well under SQLite's limit on a statement's variables.
IDS_PER_STATEMENT = 500


def count_older_than(connection: Connection, older_than: dt.date) -> int:
    return int(connection.execute(
        select(func.count()).select_from(checks)
        .where(checks.c.checked_at < start_of_jst_day(older_than))).scalar_one())


def purge(connection: Connection, older_than: dt.date) -> tuple[int, int]:
    """Delete the checks made before ``older_than`` (a JST date), and the clients left with
    no check: those whose checks all went, and those created before it that never had one (a
    client created since, with no check yet, is being served: kept). The deadline keys of
    the clients who lost a latest check are computed again. Returns (checks, clients)
    deleted."""
    cutoff = start_of_jst_day(older_than)
    old = checks.c.checked_at < cutoff
    of_client = checks.c.client_id == clients.c.id
    doomed = select(clients.c.id).where(
        ~exists().where(of_client, ~old),
        or_(clients.c.created_at < cutoff, exists().where(of_client, old)))
    # Decided before the checks go (afterwards "had old checks" cannot be seen).
    doomed_ids = list(connection.execute(doomed).scalars())
    # A latest check that goes takes every check of its kind with it (all older): those
    # clients' deadlines change.
    changed = list(connection.execute(
        select(checks.c.client_id).where(old, checks.c.latest).distinct()).scalars())
    for start in range(0, len(changed), IDS_PER_STATEMENT):
        chunk = changed[start:start + IDS_PER_STATEMENT]
        connection.execute(delete(deadline_keys).where(deadline_keys.c.client_id.in_(chunk)))
    removed_checks = connection.execute(delete(checks).where(old)).rowcount
    for start in range(0, len(doomed_ids), IDS_PER_STATEMENT):
        chunk = doomed_ids[start:start + IDS_PER_STATEMENT]
        connection.execute(delete(deadline_keys).where(deadline_keys.c.client_id.in_(chunk)))
        connection.execute(delete(name_words).where(name_words.c.client_id.in_(chunk)))
        connection.execute(delete(clients).where(clients.c.id.in_(chunk)))
    gone = set(doomed_ids)
    refresh_keys(connection, [client_id for client_id in changed if client_id not in gone])
    return int(removed_checks), len(doomed_ids)


def checkpoint(engine: Engine) -> None:
    """Copy the WAL into the file and empty it, so deleted rows do not linger there."""
    with contextlib.suppress(DBAPIError), engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _fsync_directory(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def backup_sqlite(connection: Connection, path: Path) -> None:
    """A consistent copy of a SQLite register (sqlite3's online backup: desks may keep
    saving meanwhile), written through a temp file and renamed, mode 0600."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        source = connection.connection.driver_connection
        assert isinstance(source, sqlite3.Connection)
        copy = sqlite3.connect(temporary)
        try:
            source.backup(copy)
        finally:
            copy.close()
        with open(temporary, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(temporary, target)
        _fsync_directory(target.parent)
    except (OSError, sqlite3.Error) as exc:
        temporary.unlink(missing_ok=True)
        raise BadInputFile(path=str(target), detail=cause_of(exc)[0]) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


__all__ = ["IDS_PER_STATEMENT", "backup_sqlite", "checkpoint", "count_older_than", "purge"]
