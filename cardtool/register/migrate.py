"""Bring a register's schema to this code's revision when it is opened.

Alembic runs from the package's own ``migrations/`` directory with a configuration built here
(users have no alembic.ini). The whole upgrade is one transaction: on SQLite it holds the write
lock (BEGIN IMMEDIATE), on PostgreSQL an advisory lock, so two desks opening a new register
at once migrate it once. A register at a revision this code does not know was migrated by a
newer cardtool: it is refused (``RegisterTooNew``), never "upgraded" or touched.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from cardtool.register.engine import WRITE_OPTION
from cardtool.register.errors import RegisterTooNew

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: pg_advisory_xact_lock key of the migration ("cardtool" in ASCII, as a 64-bit integer).
PG_MIGRATION_LOCK = int.from_bytes(b"cardtool", "big") & 0x7FFF_FFFF_FFFF_FFFF


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    # Config values go through configparser interpolation: a "%" in the path must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None, "the register has no migrations"
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None for an empty database."""
    return MigrationContext.configure(connection).get_current_revision()


def _refuse_unknown(script: ScriptDirectory, current: str | None, url_for_display: str) -> None:
    if current is None:
        return
    known = {revision.revision for revision in script.walk_revisions()}
    if current not in known:
        raise RegisterTooNew(url=url_for_display, found=current,
                             head=script.get_current_head())


def upgrade(engine: Engine, url_for_display: str) -> None:
    """Migrate to the head revision, unless already there (then nothing is written, so a
    read-only register opens too)."""
    script = script_directory()
    head = script.get_current_head()
    with engine.connect() as connection:
        current = current_revision(connection)
    if current == head:
        return
    _refuse_unknown(script, current, url_for_display)
    with engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(select(func.pg_advisory_xact_lock(PG_MIGRATION_LOCK)))
            # Under the lock: another desk may have migrated meanwhile.
            current = current_revision(connection)
            if current == head:
                return
            _refuse_unknown(script, current, url_for_display)
            command.upgrade(alembic_config(connection), "head")


__all__ = ["MIGRATIONS_DIR", "alembic_config", "current_revision", "head_revision", "upgrade"]
