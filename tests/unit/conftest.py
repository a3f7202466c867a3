"""Fixtures shared by the unit tests of the check session and the desk's confirm step."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cardtool.register import Register


@pytest.fixture
def register(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Register]:
    """A fresh SQLite register in the test's own folder (its data folder too)."""
    monkeypatch.setenv("CARDTOOL_DATA_DIR", str(tmp_path / "data"))
    opened = Register.open(str(tmp_path / "register.sqlite3"))
    try:
        yield opened
    finally:
        opened.close()
