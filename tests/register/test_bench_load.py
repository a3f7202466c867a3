"""The scale bench's bulk load writes what the product's save path writes: a register loaded
by ``bench.register_scale.populate`` equals, row for row and column for column, one whose
checks were saved one at a time by ``Register.save_check`` (same generated clients). So the
bench measures the register an office would have, not a look-alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, select

from bench.register_scale import LONG_HISTORY, PlannedClient, plan, populate, save_one_by_one
from cardtool.authenticity import Status
from cardtool.card_kind import CardKind
from cardtool.jst import today_jst
from cardtool.register import Register
from cardtool.register.schema import (
    DERIVED_KEY,
    audit,
    checks,
    clients,
    deadline_keys,
    name_words,
    register_meta,
)
from tests.register.conftest import pg_base_url
from tests.support.pg import throwaway_schema

#: Small enough to save one by one, large enough for every card kind and several verdicts.
CLIENTS = 60


def _rows(register: Register, table: Table, order: tuple[str, ...],
          leave_out: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    with register.engine.connect() as connection:
        result = connection.execute(select(table).order_by(*(table.c[name] for name in order)))
        return [{key: value for key, value in row.items() if key not in leave_out}
                for row in result.mappings()]


def _meta(register: Register) -> str | None:
    with register.engine.connect() as connection:
        value: str | None = connection.execute(select(register_meta.c.value).where(
            register_meta.c.key == DERIVED_KEY)).scalar_one_or_none()
    return value


def _planned() -> list[PlannedClient]:
    planned = list(plan(CLIENTS, seed=7))
    # A long history in a small register: the bench's longest, cut to a few dozen checks.
    longest = max(planned, key=lambda client: len(client.visits))
    assert len(longest.visits) == LONG_HISTORY
    index = planned.index(longest)
    planned[index] = PlannedClient(longest.reference, longest.display_name,
                                   longest.visits[-40:])
    return planned


@pytest.fixture
def second_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A second register beside ``register_url`` (on PostgreSQL: a schema of its own)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/saved-one-by-one.sqlite3"
        return
    with throwaway_schema(pg_base_url()) as url:
        yield url


def test_the_bulk_load_writes_what_saving_each_check_writes(register_url: str,
                                                            second_url: str) -> None:
    planned = _planned()
    kinds = {visit.facts.kind for client in planned for visit in client.visits}
    assert kinds == {CardKind.MYNUMBER, CardKind.RESIDENCE_FIRST, CardKind.RESIDENCE_SECOND,
                     CardKind.SPECIFIED}
    verdicts = {visit.facts.authenticity.status for client in planned
                for visit in client.visits if visit.facts.authenticity is not None}
    assert {Status.GENUINE, Status.NOT_CHECKED} <= verdicts
    with Register.open(register_url) as loaded, Register.open(second_url) as saved:
        written = populate(loaded, planned)
        save_one_by_one(saved, planned)
        assert written == sum(len(client.visits) for client in planned)
        compared = [
            (clients, ("id",), ()),
            (name_words, ("client_id", "word"), ()),
            (checks, ("id",), ()),
            # A save deletes and inserts a client's keys again: their ids differ, their
            # order within a client (the rules' order, the list's last tie-break) does not.
            (deadline_keys, ("client_id", "id"), ("id",)),
            # When a line was written is the load's own time.
            (audit, ("id",), ("at",)),
        ]
        for table, order, leave_out in compared:
            bulk = _rows(loaded, table, order, leave_out)
            one_by_one = _rows(saved, table, order, leave_out)
            assert len(bulk) == len(one_by_one), table.name
            for bulk_row, saved_row in zip(bulk, one_by_one, strict=True):
                assert bulk_row == saved_row, table.name
        assert _meta(loaded) == _meta(saved) is not None
        # Something to compare: every table has rows, and the latest flags are set.
        assert all(_rows(loaded, table, order) for table, order, _ in compared)
        assert any(row["latest"] for row in _rows(loaded, checks, ("id",)))
        # The loaded register answers as the saved one does, through the store.
        today = today_jst()
        assert loaded.deadline_page(today).items == saved.deadline_page(today).items
