"""Register paths on every OS (cardtool.register.engine): SQLite ``file:`` URIs for POSIX,
drive-letter and UNC (network drive) paths, and read-only media told by the refusal's
reason, not by POSIX's statvfs."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

import cardtool.register.engine as engine
from cardtool.register import Register
from cardtool.register.engine import on_read_only_media, sqlite_file_uri


@pytest.mark.parametrize(("path", "uri"), [
    (PurePosixPath("/srv/office/register.sqlite3"), "file:///srv/office/register.sqlite3"),
    (PurePosixPath("/tmp/a #1/50%?/r.db"), "file:///tmp/a%20%231/50%25%3F/r.db"),
    (PureWindowsPath(r"C:\Users\staff\AppData\Local\cardtool\register.sqlite3"),
     "file:///C:/Users/staff/AppData/Local/cardtool/register.sqlite3"),
    (PureWindowsPath(r"\\fileserver\office\cardtool\register.sqlite3"),
     "file:////fileserver/office/cardtool/register.sqlite3"),
    (PureWindowsPath(r"Z:\顧客\register.sqlite3"),
     "file:///Z:/%E9%A1%A7%E5%AE%A2/register.sqlite3"),
])
def test_sqlite_file_uris(path: Path, uri: str) -> None:
    assert sqlite_file_uri(path) == uri


def test_a_register_in_a_folder_with_uri_characters_opens_read_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A "#" or "%" in a folder name would cut a hand-built ``file:`` URI short: the
    read-only register there must open the same file (its clients show)."""
    folder = tmp_path / "desk #2 (50%)"
    folder.mkdir()
    path = folder / "register.sqlite3"
    with Register.open(str(path)) as register:
        client = register.create_client("A-0001", None, desk="d")
    monkeypatch.setattr(engine, "on_read_only_media", lambda _path: True)
    url = engine.read_only_media_url(engine.resolve_url(str(path)))
    assert url.query["mode"] == "ro"
    with Register.open(str(path)) as register:
        assert register.client(client.id).reference == "A-0001"


def _refusing(monkeypatch: pytest.MonkeyPatch, error: OSError) -> None:
    real_open = os.open

    def refuse(file: str | os.PathLike[str], flags: int, *args: int) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR):
            raise error
        return real_open(file, flags, *args)

    monkeypatch.setattr(engine.os, "open", refuse)


def test_only_a_file_system_refusal_counts_as_read_only_media(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """EROFS (POSIX) and ERROR_WRITE_PROTECT (Windows: a locked SD card, a CD) are read-only
    media; a mere permission refusal is not (someone else may write the file, so it must not
    be opened immutable)."""
    path = tmp_path / "register.sqlite3"
    path.write_bytes(b"")
    assert not on_read_only_media(path)
    _refusing(monkeypatch, OSError(errno.EROFS, "Read-only file system"))
    assert on_read_only_media(path)
    _refusing(monkeypatch, PermissionError(errno.EACCES, "Permission denied"))
    assert not on_read_only_media(path)
    write_protected = PermissionError(errno.EACCES, "The media is write protected")
    write_protected.winerror = 19  # type: ignore[attr-defined]  # set by Windows' OSError
    _refusing(monkeypatch, write_protected)
    assert on_read_only_media(path)


def test_network_drives_are_told_on_windows() -> None:
    """A UNC path or a drive letter mapped to a share (GetDriveTypeW: DRIVE_REMOTE) is a
    network drive: the register there keeps a rollback journal, as WAL needs one machine."""
    from cardtool.register.engine import on_network_drive

    asked: list[str] = []

    def drive_type(remote: set[str]) -> Callable[[str], int]:
        def probe(root: str) -> int:
            asked.append(root)
            return 4 if root in remote else 3  # DRIVE_REMOTE, DRIVE_FIXED
        return probe

    unc = PureWindowsPath(r"\\fileserver\office\register.sqlite3")
    assert on_network_drive(unc, platform="win32", drive_type=drive_type(set()))
    assert asked == []  # a UNC path needs no question
    mapped = PureWindowsPath(r"Z:\cardtool\register.sqlite3")
    assert on_network_drive(mapped, platform="win32", drive_type=drive_type({"Z:\\"}))
    assert not on_network_drive(PureWindowsPath(r"C:\Users\s\register.sqlite3"),
                                platform="win32", drive_type=drive_type({"Z:\\"}))
    assert asked == ["Z:\\", "C:\\"]
    assert not on_network_drive(PurePosixPath("/mnt/share/register.sqlite3"), platform="linux")


def test_a_register_on_a_network_drive_keeps_a_rollback_journal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opened through the real engine: the journal mode SQLite reports is what the path
    asks for (DELETE on a network drive, WAL elsewhere), and the register works."""
    import sqlite3

    path = tmp_path / "register.sqlite3"
    monkeypatch.setattr(engine, "on_network_drive", lambda _path: True)
    with Register.open(str(path)) as register:
        client = register.create_client("A-0001", None, desk="d")
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    monkeypatch.setattr(engine, "on_network_drive", lambda _path: False)
    with Register.open(str(path)) as register:
        assert register.client(client.id).reference == "A-0001"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
