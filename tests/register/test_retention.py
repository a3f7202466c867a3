"""The office's retention: purge old checks (and the clients left with none), and back up a
SQLite register."""

from __future__ import annotations

import datetime as dt
import stat
import threading
from pathlib import Path

import pytest

from cardtool.jst import JST
from cardtool.register import BackupUnsupported, Register
from tests.register.facts import TODAY, mynumber, residence


def jst(day: dt.date, hour: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=JST)


CUTOFF = dt.date(2025, 4, 1)


def test_purge_deletes_old_checks_and_the_clients_left_with_none(register: Register) -> None:
    gone = register.create_client("A-gone", "Old Client", desk="d")
    kept = register.create_client("A-kept", None, desk="d")
    register.save_check(gone.id, residence(10), desk="d", at=jst(dt.date(2024, 5, 1)))
    register.save_check(kept.id, residence(10), desk="d", at=jst(dt.date(2024, 5, 1)))
    # 2025-03-31 23:30 JST is still before the cutoff day in Japan (14:30 UTC the same day).
    register.save_check(kept.id, mynumber(10), desk="d", at=jst(dt.date(2025, 3, 31), 23))
    recent = register.save_check(kept.id, residence(400), desk="d",
                                 at=jst(CUTOFF))  # 00:00 JST on the cutoff day: kept
    fresh = register.create_client("A-fresh", None, desk="d")  # no check yet, but new

    assert register.count_older_than(CUTOFF) == 3
    assert register.purge(CUTOFF, desk="admin") == 3
    assert register.history(kept.id) == [recent]
    assert {c.id for c in register.find_clients("")} == {kept.id, fresh.id}
    assert register.client_for_card_number("AB12345678CD") is None
    assert [r.check_id for r in register.deadlines(TODAY)] == [recent.id]
    (_, desk, action, subject) = register.audit_trail(limit=1)[0]
    assert (desk, action) == ("admin", "register.purge")
    assert subject == "before:2025-04-01 checks:3 clients:1"
    assert register.purge(CUTOFF, desk="admin") == 0


def test_purged_values_leave_the_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "register.sqlite3"
    with Register.open(str(path)) as register:
        client = register.create_client("A-0001", "ZZ-Purged-Name-ZZ", desk="d")
        register.save_check(client.id, residence(10), desk="d", at=jst(dt.date(2024, 1, 1)),
                            card_number="QQ12345678QQ")
        register.purge(CUTOFF, desk="admin")
        files = [p for p in tmp_path.iterdir() if p.name.startswith("register.sqlite3")]
        for file in files:
            data = file.read_bytes()
            assert b"ZZ-Purged-Name-ZZ" not in data and b"QQ********QQ" not in data, file


def test_backup_is_a_consistent_private_copy(tmp_path: Path) -> None:
    source = tmp_path / "register.sqlite3"
    target = tmp_path / "backups" / "register-2026-11-30.sqlite3"
    target.parent.mkdir()
    with Register.open(str(source)) as register:
        client = register.create_client("A-0001", None, desk="d")
        saved = register.save_check(client.id, residence(100), desk="d",
                                    card_number="AB12345678CD")
        # A desk keeps saving while the backup runs: the copy is whole either way.
        writer = threading.Thread(target=lambda: [
            register.save_check(client.id, mynumber(100), desk="d2") for _ in range(20)])
        writer.start()
        register.backup(target)
        writer.join()
        target_mode = stat.S_IMODE(target.stat().st_mode)
        secret_check = register.number_hmac("AB12345678CD")
    assert target_mode == 0o600
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temp file left
    with Register.open(str(target)) as copy:
        history = copy.history(client.id)
        assert saved in history
        assert copy.client_for_card_number("AB12345678CD") == copy.client(client.id)
        assert copy.number_hmac("AB12345678CD") == secret_check


def test_a_backup_into_a_missing_folder_fails_cleanly(tmp_path: Path) -> None:
    from cardtool.errors import BadInputFile

    with Register.open(str(tmp_path / "r.sqlite3")) as register, pytest.raises(BadInputFile):
        register.backup(tmp_path / "no-such-folder" / "copy.sqlite3")


def test_postgresql_backups_are_pg_dump_s_job(pg_schema_url: str, tmp_path: Path) -> None:
    with Register.open(pg_schema_url) as register, \
            pytest.raises(BackupUnsupported, match="pg_dump"):
        register.backup(tmp_path / "copy.sqlite3")
    assert not list(tmp_path.iterdir())
