"""A save that fails (full disk, read-only register) raises, stores nothing of itself, and
keeps every check committed before it."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, make_url
from sqlalchemy.exc import DBAPIError

from cardtool.errors import EXIT_REGISTER
from cardtool.register import ClientNotFound, Register, RegisterUnavailable, RegisterWriteFailed
from cardtool.register.causes import cause_of as _cause
from tests.register.facts import mynumber, residence


def read_only_url(register_url: str, backend: str) -> str:
    """The same register, opened so that every write is refused by the database itself."""
    url = make_url(register_url)
    if backend == "sqlite":
        return f"sqlite:///file:{url.database}?mode=ro&uri=true"
    options = f"{url.query['options']} -cdefault_transaction_read_only=on"
    return url.update_query_dict({"options": options}).render_as_string(hide_password=False)


def test_a_read_only_register_refuses_writes_and_keeps_what_it_has(register_url: str,
                                                                    backend: str) -> None:
    with Register.open(register_url) as register:
        client = register.create_client("A-0001", None, desk="d")
        saved = register.save_check(client.id, residence(100), desk="d")
        trail = register.audit_trail()
    with Register.open(read_only_url(register_url, backend)) as read_only:
        with pytest.raises(RegisterWriteFailed) as raised:
            read_only.save_check(client.id, mynumber(100), desk="d")
        assert "read-only" in raised.value.render("en")
        assert "読み取り専用" in raised.value.render("ja")
        assert raised.value.exit_code == EXIT_REGISTER
        with pytest.raises(RegisterWriteFailed):
            read_only.create_client("A-0002", None, desk="d")
        assert read_only.history(client.id) == [saved]
    with Register.open(register_url) as register:
        assert register.history(client.id) == [saved]
        assert register.audit_trail() == trail
        assert [c.reference for c in register.find_clients("")] == ["A-0001"]


def _fill_the_disk(register: Register) -> None:
    """Every new connection may not grow the file beyond the pages it has now (SQLite's
    max_page_count: as a full disk looks to SQLite)."""
    def limit(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {int(pages)}")
        cursor.close()

    event.listen(register.engine, "connect", limit)
    register.engine.dispose()  # pooled connections were made without the limit


def test_a_full_disk_fails_the_save_loudly_and_keeps_earlier_checks(tmp_path: Path) -> None:
    path = tmp_path / "register.sqlite3"
    with Register.open(str(path)) as register:
        client = register.create_client("A-0001", None, desk="d")
        _fill_the_disk(register)
        saved = []
        with pytest.raises(RegisterWriteFailed) as raised:
            for _ in range(5000):  # the free space left in the last pages runs out first
                saved.append(register.save_check(client.id, residence(100), desk="d"))
        assert saved, "the first checks fit in the pages the file had"
        message = raised.value.render("en")
        assert "the disk is full" in message and "Free disk space" in message
        assert "earlier records are intact" in message
        assert "ディスクの空き容量がありません" in raised.value.render("ja")
    with Register.open(str(path)) as register:  # a new connection: no limit
        assert [c.id for c in register.history(client.id)] == [c.id for c in reversed(saved)]
        # The failed save's audit line went with it: one per stored check, plus the client.
        assert len(register.audit_trail(limit=10_000)) == len(saved) + 1
        register.save_check(client.id, mynumber(100), desk="d")  # space again: saves work


def test_what_a_database_error_means() -> None:
    import psycopg.errors

    def wrapped(orig: BaseException) -> DBAPIError:
        return DBAPIError("INSERT INTO clients VALUES ('A-0001', 'Secret Name')", {}, orig)

    assert _cause(wrapped(psycopg.errors.DiskFull("no space")))[0] == "the disk is full"
    assert _cause(OSError(errno.ENOSPC, "No space left on device"))[0] == "the disk is full"
    assert _cause(wrapped(psycopg.errors.ReadOnlySqlTransaction("ro")))[0] == (
        "the register is read-only")
    # Anything else: the driver's first line, never the statement or its values.
    cause = _cause(wrapped(psycopg.errors.UndefinedTable('relation "x" does not exist\nLINE 1')))
    assert cause[0] == 'relation "x" does not exist'
    assert "Secret Name" not in cause[0]


def test_no_room_for_a_new_register_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    import os

    import cardtool.register.engine as engine

    def full(*_args: object, **_kwargs: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(engine.os, "open", full)
    with pytest.raises(RegisterUnavailable) as raised:
        Register.open(str(tmp_path / "register.sqlite3"))
    monkeypatch.setattr(engine.os, "open", os.open)
    assert "the disk is full" in raised.value.render("en")
    assert raised.value.exit_code == EXIT_REGISTER
    assert not (tmp_path / "register.sqlite3").exists()


def test_a_register_on_a_read_only_file_system_opens_and_refuses_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A WAL register on read-only media cannot make its shared-memory file: it is opened
    immutable and read-only, so its checks show and a save says "read-only" (the desk's
    test mounts a real read-only tmpfs; here every open for writing says EROFS)."""
    import os

    import cardtool.register.engine as engine

    path = tmp_path / "register.sqlite3"
    with Register.open(str(path)) as register:
        client = register.create_client("A-0001", None, desk="d")
        saved = register.save_check(client.id, residence(100), desk="d")
    real_open = os.open

    def read_only_media(file: str | os.PathLike[str], flags: int, *args: int) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, "Read-only file system", str(file))
        return real_open(file, flags, *args)

    monkeypatch.setattr(engine.os, "open", read_only_media)
    with Register.open(str(path)) as register:
        assert register.history(client.id) == [saved]
        with pytest.raises(RegisterWriteFailed) as raised:
            register.save_check(client.id, mynumber(100), desk="d")
        assert "read-only" in raised.value.render("en")


@pytest.mark.parametrize("client_id", [0, -1, 2**63, 10**21])
def test_an_id_no_row_can_have_names_no_client(tmp_path: Path, client_id: int) -> None:
    """An id typed in a URL (/clients/999999999999999999999) or given to --history beyond
    the 64-bit range: "no such client", not the driver's OverflowError (an internal error,
    exit 70, found by the desk's HTTP fuzz)."""
    with Register.open(str(tmp_path / "register.sqlite3")) as register:
        with pytest.raises(ClientNotFound):
            register.client(client_id)
        with pytest.raises(ClientNotFound):
            register.history(client_id)
        with pytest.raises(ClientNotFound):
            register.save_check(client_id, mynumber(100), desk="d")
