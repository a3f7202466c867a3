"""Lists that scale: the latest check of each card kind flagged, the clients' search keys (reference, name words),
and the deadline keys (the days each deadline row's level rises), with their indexes.

The derived values themselves are computed by ``cardtool.register.derived.refresh_all`` when
the register is opened (the same Python rules that keep them at each save, run once over
the existing rows): a migration that imported the rules would compute with whatever rules a
later cardtool has, against a schema of this revision.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _ordered(length: int) -> sa.types.TypeEngine[str]:
    # As schema.ordered_text: code point order on PostgreSQL too.
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("reference_key", _ordered(300), nullable=True))
        batch.create_index("ix_clients_reference_key", ["reference_key"])
    op.create_table(
        "name_words",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("word", _ordered(300), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"],
                                name=op.f("fk_name_words_client_id_clients")),
        sa.PrimaryKeyConstraint("client_id", "word", name=op.f("pk_name_words")),
    )
    op.create_index("ix_name_words_word", "name_words", ["word"])
    with op.batch_alter_table("checks") as batch:
        batch.add_column(sa.Column("latest", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_index("ix_checks_latest", "checks", ["client_id", "card_kind"], unique=True,
                    sqlite_where=sa.text("latest"), postgresql_where=sa.text("latest"))
    op.create_table(
        "deadline_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("date_kind", sa.String(length=20), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("finding_code", sa.String(length=60), nullable=True),
        sa.Column("level_floor", sa.Integer(), nullable=False),
        sa.Column("soon_from", sa.Date(), nullable=True),
        sa.Column("urgent_from", sa.Date(), nullable=True),
        sa.Column("expired_from", sa.Date(), nullable=True),
        sa.Column("renewal_pending", sa.Boolean(), nullable=True),
        sa.Column("authenticity_rank", sa.Integer(), nullable=False),
        sa.Column("reference_order", _ordered(40), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"],
                                name=op.f("fk_deadline_keys_client_id_clients")),
        sa.ForeignKeyConstraint(["check_id"], ["checks.id"],
                                name=op.f("fk_deadline_keys_check_id_checks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_keys")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_deadline_keys_client_id", "deadline_keys", ["client_id"])
    op.create_index("ix_deadline_keys_check_id", "deadline_keys", ["check_id"])
    op.create_index("ix_deadline_keys_order", "deadline_keys",
                    ["date", "reference_order", "client_id", "expired_from", "renewal_pending",
                     "authenticity_rank"])
    op.create_index("ix_deadline_keys_expired_from", "deadline_keys",
                    ["expired_from", "date", "authenticity_rank"])
    op.create_index("ix_deadline_keys_urgent_from", "deadline_keys",
                    ["urgent_from", "expired_from", "date", "authenticity_rank"])
    op.create_index("ix_deadline_keys_soon_from", "deadline_keys",
                    ["soon_from", "urgent_from", "date", "authenticity_rank"])
    op.create_index("ix_deadline_keys_level_floor", "deadline_keys",
                    ["level_floor", "soon_from", "date", "authenticity_rank"])
    op.create_index("ix_deadline_keys_authenticity_rank", "deadline_keys",
                    ["authenticity_rank"])
    op.create_index("ix_deadline_keys_pending", "deadline_keys", ["renewal_pending"])
    _forget_derived()


def _forget_derived() -> None:
    """No fingerprint: the register computes the derived values when it is opened."""
    meta = sa.table("register_meta", sa.column("key", sa.String()))
    op.execute(meta.delete().where(meta.c.key == "derived_fingerprint"))


def downgrade() -> None:
    _forget_derived()
    op.drop_table("deadline_keys")
    op.drop_table("name_words")
    op.drop_index("ix_checks_latest", table_name="checks")
    op.drop_index("ix_clients_reference_key", table_name="clients")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy of "clients" would drop
    # a table other tables' foreign keys point to.
    op.drop_column("checks", "latest")
    op.drop_column("clients", "reference_key")
