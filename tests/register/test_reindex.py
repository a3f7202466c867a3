"""The deadline index computed again when it is stale (after migration r0002, or when the
rules' fingerprint changed): once, to the very keys a save writes, and never in silence —
the register logs it and calls ``progress``, the CLI says it on stderr."""

from __future__ import annotations

import logging
import os
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from bench.register_scale import plan, populate
from cardtool.register import Register, derived
from cardtool.register.schema import DERIVED_KEY, deadline_keys, register_meta
from tests.support.cli import cardtool

CLIENTS = 25


def _keys(register: Register) -> list[dict[str, Any]]:
    with register.engine.connect() as connection:
        rows = connection.execute(select(deadline_keys).order_by(
            deadline_keys.c.client_id, deadline_keys.c.id)).mappings()
        return [{k: v for k, v in row.items() if k != "id"} for row in rows]


def _make_stale(register: Register) -> None:
    """As a register looks to a newer cardtool whose rules moved a level: another
    fingerprint, and (so the test sees them rebuilt) no keys at all."""
    with register.engine.begin() as connection:
        connection.execute(delete(deadline_keys))
        connection.execute(update(register_meta).where(register_meta.c.key == DERIVED_KEY)
                           .values(value="rules-of-an-older-cardtool"))


def test_a_stale_index_is_computed_again_once_and_said(
        register_url: str, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    with Register.open(register_url) as register:
        populate(register, plan(CLIENTS, seed=3))
        saved = _keys(register)
        _make_stale(register)
        assert _keys(register) == []
    monkeypatch.setattr(derived, "PROGRESS_STEP", 10)
    monkeypatch.setattr(derived, "_BATCH", 5)  # clients per statement
    calls: list[tuple[int, int]] = []
    def note(done: int, total: int) -> None:
        calls.append((done, total))

    with (caplog.at_level(logging.INFO, logger="cardtool.register"),
          Register.open(register_url, progress=note) as register):
        assert _keys(register) == saved
    assert calls == [(0, CLIENTS), (10, CLIENTS), (20, CLIENTS), (CLIENTS, CLIENTS)]
    said = [record.getMessage() for record in caplog.records]
    assert f"updating the register's deadline index, {CLIENTS} clients" in said
    assert f"deadline index updated, {CLIENTS} clients" in said
    # Once: the next opening finds the index current and says nothing.
    calls.clear()
    caplog.clear()
    with (caplog.at_level(logging.INFO, logger="cardtool.register"),
          Register.open(register_url, progress=note)):
        pass
    assert calls == []
    assert not any("deadline index" in record.getMessage() for record in caplog.records)


def test_a_new_register_says_nothing(register_url: str) -> None:
    calls: list[tuple[int, int]] = []
    with Register.open(register_url, progress=lambda done, total: calls.append((done, total))):
        pass
    assert all(total == 0 for _, total in calls)


def test_the_cli_says_it_is_updating_the_index(register_url: str) -> None:
    with Register.open(register_url) as register:
        populate(register, plan(CLIENTS, seed=4))
        _make_stale(register)
    env = {"CARDTOOL_DATA_DIR": os.environ["CARDTOOL_DATA_DIR"]}
    out = cardtool("register", "export", "--csv", "-", "--db", register_url, env=env)
    assert out.returncode == 0, out.stderr
    assert (f"Updating the register's deadline index, {CLIENTS} clients (once, after an "
            "upgrade; a large register takes a few minutes)...") in out.stderr
    assert f"Deadline index updated ({CLIENTS} clients)." in out.stderr
    again = cardtool("register", "export", "--csv", "-", "--db", register_url, env=env)
    assert again.returncode == 0, again.stderr
    assert "deadline index" not in again.stderr
    assert again.stdout == out.stdout
