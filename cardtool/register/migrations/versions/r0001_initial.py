"""The first register: clients, checks, the HMAC secret, the audit trail.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

#: 32 random bytes, hex: the key of the residence card number HMAC (schema.HMAC_KEY).
HMAC_SECRET_BYTES = 32


def upgrade() -> None:
    op.create_table(
        "clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=True),
        sa.Column("display_name", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clients")),
        sa.UniqueConstraint("reference", name=op.f("uq_clients_reference")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("desk", sa.String(length=64), nullable=False),
        sa.Column("card_kind", sa.String(length=20), nullable=False),
        sa.Column("card_expiry", sa.Date(), nullable=True),
        sa.Column("residence_expiry", sa.Date(), nullable=True),
        sa.Column("residence_expiry_source", sa.String(length=20), nullable=True),
        sa.Column("no_period", sa.Boolean(), nullable=False),
        sa.Column("certificate_expiry", sa.Date(), nullable=True),
        sa.Column("renewal_pending", sa.Boolean(), nullable=True),
        sa.Column("expiry_source", sa.String(length=40), nullable=True),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("authenticity", sa.String(length=20), nullable=True),
        sa.Column("card_number_masked", sa.String(length=12), nullable=True),
        sa.Column("number_hmac", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"],
                                name=op.f("fk_checks_client_id_clients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checks")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_checks_client_id_checked_at", "checks", ["client_id", "checked_at"])
    op.create_index("ix_checks_number_hmac", "checks", ["number_hmac"])
    op.create_index("ix_checks_checked_at", "checks", ["checked_at"])
    meta = op.create_table(
        "register_meta",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_register_meta")),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("desk", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_at", "audit", ["at"])
    # The register's own secret, made once with the tables (in the same transaction, so two
    # desks opening a new register at once cannot make two).
    op.bulk_insert(meta, [{"key": "number_hmac_key",
                           "value": secrets.token_hex(HMAC_SECRET_BYTES)}])


def downgrade() -> None:
    op.drop_index("ix_audit_at", table_name="audit")
    op.drop_table("audit")
    op.drop_table("register_meta")
    op.drop_index("ix_checks_checked_at", table_name="checks")
    op.drop_index("ix_checks_number_hmac", table_name="checks")
    op.drop_index("ix_checks_client_id_checked_at", table_name="checks")
    op.drop_table("checks")
    op.drop_table("clients")
