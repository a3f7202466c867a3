"""Alembic migrations of the client register, run by ``cardtool.register.migrate`` when a
register is opened (users need no alembic.ini).

A new revision: copy the newest file in ``versions/`` to the next number (``r0002_...``), set
``revision`` and ``down_revision``, write ``upgrade``, and change ``cardtool.register.schema``
to match: ``tests/register/test_migrations.py`` fails while the two differ."""
