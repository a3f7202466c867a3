"""Clients and their checks: create, find, edit, history, and recognising a residence card by
its number without storing it."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from cardtool.errors import UsageError
from cardtool.expiry import CardFacts
from cardtool.register import (
    ClientNotFound,
    DuplicateReference,
    Register,
    RegisterUsageError,
)
from cardtool.register.schema import audit, checks, clients, register_meta
from cardtool.secret_format import PinFormatError
from tests.register.facts import TODAY, as_kept, card_facts, mynumber, residence

NUMBER = "AB12345678CD"


def test_create_find_and_update_clients(register: Register) -> None:
    first = register.create_client("A-0001", "Yamada Test", desk="desk-1")
    second = register.create_client("A-0002", "Ｔｅｓｔ Ｈａｎａｋｏ", desk="desk-1")
    register.create_client(None, None, desk="desk-1")

    # Found by a prefix of the reference, in reference order (an index range, not a scan).
    assert [c.id for c in register.find_clients("a-000")] == [first.id, second.id]
    assert [c.id for c in register.find_clients("YAMADA")] == [first.id]
    # Full-width letters typed by staff are stored as their half-width forms.
    assert [c.id for c in register.find_clients("hanako")] == [second.id]
    assert register.find_clients("%") == []  # a LIKE wildcard is a character, not a pattern
    assert len(register.find_clients("")) == 3
    assert len(register.find_clients("", limit=2)) == 2

    edited = register.update_client(first.id, "A-0009", None, desk="desk-2")
    assert (edited.reference, edited.display_name) == ("A-0009", None)
    assert register.client(first.id) == edited
    assert register.find_clients("A-0001") == []


def test_a_reference_is_unique_and_never_a_number(register: Register) -> None:
    first = register.create_client("A-0001", None, desk="d")
    other = register.create_client("A-0002", None, desk="d")
    with pytest.raises(DuplicateReference):
        register.create_client("A-0001", None, desk="d")
    with pytest.raises(DuplicateReference):
        register.update_client(other.id, "A-0001", None, desk="d")
    assert register.update_client(first.id, "A-0001", "kept", desk="d").display_name == "kept"
    with pytest.raises(UsageError):
        register.create_client("1234 5678 9012", None, desk="d")  # a My Number's shape
    with pytest.raises(RegisterUsageError):
        register.create_client("A-0003", "AB12345678CD", desk="d")  # a card number's shape
    with pytest.raises(ClientNotFound):
        register.client(999)
    with pytest.raises(ClientNotFound):
        register.update_client(999, "A-0005", None, desk="d")


def test_history_is_newest_first_and_keeps_every_field(register: Register) -> None:
    client = register.create_client("A-0001", None, desk="d")
    at = dt.datetime(2026, 11, 1, 1, 0, tzinfo=dt.UTC)
    older = register.save_check(client.id, residence(400), desk="desk-1", at=at)
    newer = register.save_check(client.id, mynumber(20), desk="desk-2",
                                at=at + dt.timedelta(days=3))
    history = register.history(client.id)
    assert history == [newer, older]
    assert newer.findings == ("mynumber-card-expiring",)  # judged on the day of the check
    assert older.residence_expiry == residence(400).residence_expiry
    assert older.residence_expiry_source == "chip"
    assert older.checked_at == at
    assert history[1].facts() == residence(400)
    with pytest.raises(ClientNotFound):
        register.save_check(999, mynumber(20), desk="d")
    with pytest.raises(ClientNotFound):
        register.history(999)


def test_a_residence_card_is_recognised_by_its_number_which_is_not_stored(
        register: Register, backend: str, tmp_path: Path) -> None:
    client = register.create_client("A-0001", None, desk="d")
    check = register.save_check(client.id, residence(100), desk="d", card_number=NUMBER)
    register.create_client("A-0002", None, desk="d")

    assert check.card_number_masked == "AB********CD"
    assert register.client_for_card_number(NUMBER.lower()) == client
    assert register.client_for_card_number("AB12345678CE") is None

    # The number appears in no column of any table...
    with register.engine.connect() as connection:
        values = [str(v) for table in (clients, checks, register_meta, audit)
                  for row in connection.execute(select(table)) for v in row]
    assert not [v for v in values if "12345678" in v]
    # ...nor anywhere in the database files.
    if backend == "sqlite":
        assert register.url.database is not None
        db = Path(register.url.database)
        for path in (db, db.with_name(db.name + "-wal")):
            if path.exists():
                assert b"12345678" not in path.read_bytes()


def test_each_register_has_its_own_secret(tmp_path: Path) -> None:
    with Register.open(str(tmp_path / "one.sqlite3")) as one, \
            Register.open(str(tmp_path / "two.sqlite3")) as two:
        assert one.number_hmac(NUMBER) != two.number_hmac(NUMBER)
    with Register.open(str(tmp_path / "one.sqlite3")) as again:
        assert again.number_hmac(NUMBER) == one.number_hmac(NUMBER)


def test_numbers_that_are_not_residence_card_numbers_are_refused(register: Register) -> None:
    client = register.create_client("A-0001", None, desk="d")
    with pytest.raises(PinFormatError):
        register.save_check(client.id, residence(100), desk="d", card_number="AB1234")
    with pytest.raises(RegisterUsageError):  # never attach a number to a My Number card
        register.save_check(client.id, mynumber(100), desk="d", card_number=NUMBER)
    assert register.history(client.id) == []


def test_writes_are_audited_without_personal_values(register: Register) -> None:
    client = register.create_client("A-0001", "Yamada Test", desk="desk-1")
    register.save_check(client.id, residence(100), desk="desk-2", card_number=NUMBER)
    register.record_audit(desk="desk-3", action="deadlines.export-csv", subject="deadlines")
    trail = register.audit_trail()
    assert [(desk, action) for _, desk, action, _ in trail] == [
        ("desk-3", "deadlines.export-csv"), ("desk-2", "check.save"),
        ("desk-1", "client.create")]
    assert all("Yamada" not in s and "A-0001" not in s and "5678" not in s
               for _, _, _, s in trail)
    with pytest.raises(RegisterUsageError):
        register.record_audit(desk="d", action="client.view", subject=f"card {NUMBER}")
    with pytest.raises(RegisterUsageError):
        register.record_audit(desk=" ", action="client.view", subject="client:1")


def test_the_default_register_is_private(monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    directory = tmp_path / "new" / "cardtool"
    monkeypatch.setenv("CARDTOOL_DATA_DIR", str(directory))
    old_umask = os.umask(0o022)
    try:
        with Register.open() as register:
            client = register.create_client("A-0001", None, desk="d")
            register.save_check(client.id, residence(100), desk="d")
            files = sorted(p.name for p in directory.iterdir())
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir()}
    finally:
        os.umask(old_umask)
    assert "register.sqlite3" in files and "register.sqlite3-wal" in files
    assert set(modes.values()) == {0o600}, modes  # the WAL and shm files too
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert TODAY  # the facts are synthetic


def test_the_url_is_shown_without_its_password() -> None:
    from cardtool.register.engine import display_url, resolve_url

    shown = display_url(resolve_url("postgresql://office:s3cret@db.example/cardtool"))
    assert "s3cret" not in shown and shown.startswith("postgresql+psycopg://office:***@")
    assert "s3cret" not in display_url("weird://office:s3cret@db:x:y/")


def test_a_stored_check_gives_back_the_card_it_was(register: Register) -> None:
    client = register.create_client("A-0001", None, desk="d")

    @settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(card_facts(with_authenticity=True))
    def round_trip(facts: CardFacts) -> None:
        saved = register.save_check(client.id, facts, desk="d")
        (stored,) = [c for c in register.history(client.id) if c.id == saved.id]
        assert stored == saved
        # Only the verdict's status is kept; everything the rules use comes back, except
        # a first-generation date nobody confirmed (never a deadline).
        assert stored.facts() == as_kept(facts)
        assert stored.authenticity == (facts.authenticity.status.value
                                       if facts.authenticity else None)

    round_trip()
