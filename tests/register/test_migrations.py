"""Migrations: they build exactly the schema the code uses, run once when a register is
opened, and a register migrated by a newer cardtool is refused untouched."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import column, create_engine, func, inspect, select, table, update

from cardtool.errors import EXIT_REGISTER
from cardtool.register import Register, RegisterTooNew, RegisterUnavailable
from cardtool.register.engine import resolve_url
from cardtool.register.migrate import alembic_config, current_revision, head_revision
from cardtool.register.schema import HMAC_KEY, checks, clients, metadata, register_meta
from tests.register.facts import TODAY, mynumber, residence

alembic_version = table("alembic_version", column("version_num"))


def test_the_migrations_build_the_schema_the_code_uses(register: Register) -> None:
    with register.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
        assert current_revision(connection) == head_revision()
    assert differences == []


def test_a_register_newer_than_the_code_is_refused_untouched(register_url: str) -> None:
    with Register.open(register_url) as register, register.engine.begin() as connection:
        connection.execute(update(alembic_version).values(version_num="r9999_future"))
        shown = register.url_for_display
    with pytest.raises(RegisterTooNew) as raised:
        Register.open(register_url)
    assert raised.value.exit_code == EXIT_REGISTER
    message = raised.value.render("en")
    assert "r9999_future" in message and head_revision() in message and shown in message
    assert "Update cardtool" in message
    engine = create_engine(resolve_url(register_url))
    with engine.connect() as connection:
        assert connection.execute(select(alembic_version.c.version_num)).scalar_one() == \
            "r9999_future"
        assert connection.execute(select(func.count()).select_from(clients)).scalar_one() == 0
    engine.dispose()


def test_desks_opening_a_new_register_at_once_migrate_it_once(register_url: str) -> None:
    opened: list[Register] = []
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def open_one() -> None:
        start.wait()
        try:
            opened.append(Register.open(register_url))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
        assert len({r.number_hmac("AB12345678CD") for r in opened}) == 1  # one secret
        with opened[0].engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(register_meta)
                                      .where(register_meta.c.key == HMAC_KEY)).scalar_one() == 1
    finally:
        for register in opened:
            register.close()


def test_a_file_that_is_not_a_register_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_bytes(b"not a database, just some notes " * 100)
    with pytest.raises(RegisterUnavailable) as raised:
        Register.open(str(path))
    assert "not a SQLite database" in raised.value.render("en")
    assert raised.value.exit_code == EXIT_REGISTER


def test_an_unreachable_server_names_the_url_without_its_password() -> None:
    # Port 9 (discard) on loopback: nothing listens there.
    url = "postgresql://office:s3cret@127.0.0.1:9/cardtool?connect_timeout=2"
    with pytest.raises(RegisterUnavailable) as raised:
        Register.open(url)
    for lang in ("en", "ja"):
        message = raised.value.render(lang)
        assert "s3cret" not in message
        assert "postgresql+psycopg://office:***@127.0.0.1:9/cardtool" in message
    assert "PostgreSQL server is running" in raised.value.render("en")


def test_unsupported_and_memory_urls_are_refused() -> None:
    with pytest.raises(RegisterUnavailable, match="not supported"):
        Register.open("mysql://u:p@host/db")
    # A scheme SQLAlchemy knows no dialect for: the same refusal, not an internal error.
    with pytest.raises(RegisterUnavailable, match="not supported"):
        Register.open("foo://bar")
    with pytest.raises(RegisterUnavailable, match="must be a file"):
        Register.open("sqlite://")


def test_r0002_upgrades_a_register_of_r0001_with_its_data(register_url: str) -> None:
    """A register written before r0002 (made here by going down to r0001 with data) gets
    its latest checks, search keys and deadline keys when it is opened, and lists exactly
    what it listed."""
    at = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    with Register.open(register_url) as register:
        first = register.create_client("A-0001", "Test Hanako", desk="desk-1")
        second = register.create_client("B-0002", None, desk="desk-1")
        register.save_check(first.id, residence(20), desk="desk-1", at=at)
        register.save_check(first.id, residence(200), desk="desk-1", at=at + dt.timedelta(1))
        register.save_check(first.id, mynumber(100), desk="desk-1", at=at)
        register.save_check(second.id, residence(-3, pending=True), desk="desk-1", at=at)
        expected = register.deadlines(TODAY)
        with register.engine.connect() as connection, connection.begin():
            command.downgrade(alembic_config(connection), "0001")
        with register.engine.connect() as connection:
            assert current_revision(connection) == "0001"
            assert not inspect(connection).has_table("deadline_keys")
    with Register.open(register_url) as register:
        with register.engine.connect() as connection:
            assert current_revision(connection) == head_revision()
            flagged = connection.execute(select(checks.c.client_id, checks.c.card_kind)
                                         .where(checks.c.latest)).all()
        assert sorted(flagged) == sorted([(first.id, "mynumber"),
                                          (first.id, "residence-second"),
                                          (second.id, "residence-second")])
        assert register.deadlines(TODAY) == expected
        assert [r.reference for r in expected[:2]] == ["B-0002", "A-0001"]
        assert [c.id for c in register.find_clients("hanako")] == [first.id]
        assert [c.id for c in register.find_clients("b-")] == [second.id]
