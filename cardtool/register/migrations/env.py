"""Alembic's entry point, run by ``cardtool.register.migrate`` only: the caller opens the
connection and the transaction (``config.attributes["connection"]``), so the whole upgrade
commits or rolls back as one, and a register is never left half migrated."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from cardtool.register.schema import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("cardtool's register migrations run through cardtool.register.migrate")

# render_as_batch: SQLite alters tables by copying them; later revisions get it for free.
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
