"""The register's tables (SQLAlchemy Core). The migrations in ``migrations/versions`` create
them; a test compares the two so they cannot drift apart.

What is never stored, by construction: no column can hold a My Number, a PIN or 照合番号, an
image or a name read from a chip. A residence card's number is kept only masked
(``AB********CD``) and as an HMAC under the register's own secret (``register_meta``), which
recognises the same card on the next visit without the number being recoverable from the
database.

Times are naive UTC (``DateTime`` without a time zone): SQLite has no time-zone type, and one
convention on both backends keeps the queries the same; ``store`` attaches UTC on the way
out. Card dates are JST calendar dates (``Date``).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from cardtool.typed_text import MAX_REFERENCE_LENGTH

#: Constraint names fixed by convention, so later migrations (batch mode on SQLite) can name
#: what they alter.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

REFERENCE_LENGTH = MAX_REFERENCE_LENGTH  # the one limit, where references are cleaned
DISPLAY_NAME_LENGTH = 100
DESK_LENGTH = 64
AUDIT_TEXT_LENGTH = 200

metadata = MetaData(naming_convention=NAMING_CONVENTION)

clients = Table(
    "clients", metadata,
    Column("id", Integer, primary_key=True),
    # The office's file number (unique when given); a client may have none yet.
    Column("reference", String(REFERENCE_LENGTH), unique=True, nullable=True),
    # Typed by staff, never read from a chip.
    Column("display_name", String(DISPLAY_NAME_LENGTH), nullable=True),
    Column("created_at", DateTime, nullable=False),
    # AUTOINCREMENT: an id is never reused after a purge, so the audit trail's "client:12"
    # names one client for ever.
    sqlite_autoincrement=True,
)

checks = Table(
    "checks", metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", Integer, ForeignKey("clients.id"), nullable=False),
    Column("checked_at", DateTime, nullable=False),
    Column("desk", String(DESK_LENGTH), nullable=False),
    Column("card_kind", String(20), nullable=False),
    Column("card_expiry", Date, nullable=True),
    # 在留期間満了日: from the chip, or (first generation) read from the face / typed.
    Column("residence_expiry", Date, nullable=True),
    # Where residence_expiry came from (cardtool.date_sources): "chip", "typed",
    # "ocr-confirmed"; "ocr" (read from the image, not confirmed) and "eye" (check by eye)
    # give no deadline.
    Column("residence_expiry_source", String(20), nullable=True),
    # First generation: the face shows no period of stay (永住者, 特別永住者証明書).
    Column("no_period", Boolean, nullable=False),
    Column("certificate_expiry", Date, nullable=True),
    Column("renewal_pending", Boolean, nullable=True),
    Column("expiry_source", String(40), nullable=True),
    # Where card_expiry came from, in the same words as residence_expiry_source (r0003).
    Column("card_expiry_source", String(20), nullable=True),
    # The finding codes of the check on its day, as a JSON list of strings.
    Column("findings", Text, nullable=False),
    Column("authenticity", String(20), nullable=True),
    Column("card_number_masked", String(12), nullable=True),
    # hex HMAC-SHA256(register secret, card number): recognises a card, does not reveal it.
    Column("number_hmac", String(64), nullable=True),
    Index("ix_checks_client_id_checked_at", "client_id", "checked_at"),
    Index("ix_checks_number_hmac", "number_hmac"),
    Index("ix_checks_checked_at", "checked_at"),
    sqlite_autoincrement=True,
)

register_meta = Table(
    "register_meta", metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)

audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("desk", String(DESK_LENGTH), nullable=False),
    Column("action", String(40), nullable=False),
    # What was acted on, by id ("client:12", "deadlines"): never a personal value.
    Column("subject", String(AUDIT_TEXT_LENGTH), nullable=False),
    Index("ix_audit_at", "at"),
    sqlite_autoincrement=True,
)

#: register_meta key of the HMAC secret, created once by the first migration.
HMAC_KEY = "number_hmac_key"

__all__ = ["HMAC_KEY", "audit", "checks", "clients", "metadata", "register_meta"]
