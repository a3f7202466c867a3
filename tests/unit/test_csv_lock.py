"""The office CSV's writers take turns through a file lock that works on every OS
(filelock, not fcntl): a second writer waits for the first; one that waits too long gets
one clear line, and nothing already written is lost."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import filelock
import pytest

import cardtool.services.office_files as office_report
from cardtool.errors import BadInputFile
from cardtool.services.office_files import CsvLog, _lock_path, read_csv_rows
from tests.support.office_demo import demo_rows


def test_the_lock_lives_outside_the_office_folder(tmp_path: Path) -> None:
    path = tmp_path / "office.csv"
    log = CsvLog(path)
    log.append(demo_rows()[0])
    log.close()
    assert [p.name for p in tmp_path.iterdir()] == ["office.csv"]
    assert _lock_path(path) == _lock_path(tmp_path / "." / "office.csv")
    assert _lock_path(path) != _lock_path(tmp_path / "other.csv")


def test_a_writer_held_too_long_gets_one_clear_line(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "office.csv"
    rows = demo_rows()
    monkeypatch.setattr(office_report, "LOCK_TIMEOUT_SECONDS", 0.3)
    log = CsvLog(path)
    log.append(rows[0])
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time, filelock
            with filelock.FileLock({str(_lock_path(path))!r}):
                print("held", flush=True)
                sys.stdin.read()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(BadInputFile) as raised:
            log.append(rows[1])
        assert "another program has held it" in raised.value.render("en")
    finally:
        holder.communicate("")
    log.append(rows[1])  # the holder is gone: the row goes in
    log.close()
    assert [r["reference"] for r in read_csv_rows(path)] == [rows[0]["reference"],
                                                             rows[1]["reference"]]


def test_a_second_writer_waits_its_turn(tmp_path: Path) -> None:
    path = tmp_path / "office.csv"
    rows = demo_rows()
    log = CsvLog(path)
    other = filelock.FileLock(_lock_path(path))
    other.acquire()
    done = threading.Event()

    def write() -> None:
        log.append(rows[0])
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.3)
    waited = not done.is_set()
    other.release()
    writer.join(5)
    log.close()
    assert waited and done.is_set()
    assert [r["reference"] for r in read_csv_rows(path)] == [rows[0]["reference"]]
