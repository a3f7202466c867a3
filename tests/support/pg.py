"""A throwaway PostgreSQL schema: the register tests' ``pg_schema_url`` fixtures and
``bench/register_scale.py`` each work in a fresh schema of a server and drop it after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, make_url
from sqlalchemy.schema import CreateSchema, DropSchema


@contextmanager
def throwaway_schema(server_url: str, prefix: str = "cardtool_test") -> Iterator[str]:
    """A URL whose connections work in a new schema of ``server_url``'s database (its
    ``search_path``); the schema and all it holds are dropped when the block ends."""
    base = make_url(server_url)
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(CreateSchema(schema))
    try:
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(DropSchema(schema, cascade=True))
        admin.dispose()
