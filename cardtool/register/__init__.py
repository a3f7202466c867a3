"""The office's client register: clients, their card checks, the deadlines that follow, and
an audit trail, in SQLite (default: a file in the user data directory) or PostgreSQL (an
office with several desks). Needs the ``office`` extra (SQLAlchemy, Alembic, psycopg,
icalendar).

    from cardtool.register import Register
    register = Register.open()            # or Register.open("postgresql+psycopg://…")
    client = register.create_client("A-0001", None, desk="desk-1")
    register.save_check(client.id, facts, desk="desk-1", card_number=typed_number)
    register.deadlines(today_jst())

The errors and the result types import without SQLAlchemy (a face can catch and show them
cheaply); ``Register`` loads SQLAlchemy when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cardtool.register.errors import (
    BackupUnsupported,
    ClientNotFound,
    DuplicateReference,
    RegisterError,
    RegisterTooNew,
    RegisterUnavailable,
    RegisterUsageError,
    RegisterWriteFailed,
)
from cardtool.register.model import Check, Client, DeadlineRow

if TYPE_CHECKING:
    from cardtool.register.store import Register


def __getattr__(name: str) -> object:
    if name == "Register":
        from cardtool.register.store import Register

        return Register
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BackupUnsupported",
    "Check",
    "Client",
    "ClientNotFound",
    "DeadlineRow",
    "DuplicateReference",
    "Register",
    "RegisterError",
    "RegisterTooNew",
    "RegisterUnavailable",
    "RegisterUsageError",
    "RegisterWriteFailed",
]
