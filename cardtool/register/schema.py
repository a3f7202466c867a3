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
    false,
    text,
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
SEARCH_KEY_LENGTH = 3 * DISPLAY_NAME_LENGTH


def ordered_text(length: int) -> String:
    """A text column compared by code point, as Python compares strings: SQLite's default
    (BINARY) already does; PostgreSQL's database collation would not (it sorts by language
    rules), so there it is collated "C". Sort keys and search keys use it, so an ordering or
    a prefix range in SQL means what it means in Python."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


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
    # The reference's search key (cardtool.register.rows.search_key: NFKC, case-folded): a
    # search is a prefix range over its index, never a scan. Case folding may lengthen a
    # text (ß -> ss): room for three times the typed length.
    Column("reference_key", ordered_text(SEARCH_KEY_LENGTH), nullable=True),
    Index("ix_clients_reference_key", "reference_key"),
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
    # The client's latest check of this card kind (newest checked_at, then id): kept at save,
    # so the deadlines read one row per card kind instead of the whole history.
    Column("latest", Boolean, nullable=False, server_default=false()),
    Index("ix_checks_client_id_checked_at", "client_id", "checked_at"),
    Index("ix_checks_number_hmac", "number_hmac"),
    Index("ix_checks_checked_at", "checked_at"),
    Index("ix_checks_latest", "client_id", "card_kind", unique=True,
          sqlite_where=text("latest"), postgresql_where=text("latest")),
    sqlite_autoincrement=True,
)

#: One row per deadline row of a client (cardtool.register.deadlines.client_deadlines over the
#: latest checks), with the days its level rises: its urgency on any day, so the deadlines
#: list is ordered, filtered and paged in SQL. The days are found by evaluating
#: ``cardtool.expiry.assess`` itself (``cardtool.register.deadline_keys``), never by a SQL
#: copy of the rules; what a row says (level, days left, findings, action) is assessed again
#: when it is shown.
deadline_keys = Table(
    "deadline_keys", metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", Integer, ForeignKey("clients.id"), nullable=False),
    Column("check_id", Integer, ForeignKey("checks.id"), nullable=False),
    # cardtool.expiry.DateField value, None for a finding without a date (check by eye).
    Column("date_kind", String(20), nullable=True),
    Column("date", Date, nullable=True),
    # The code of a finding without a date; None for a dated row.
    Column("finding_code", String(60), nullable=True),
    # The level before any rise (cardtool.expiry.Level: 0 ok, 1 check by eye).
    Column("level_floor", Integer, nullable=False),
    # The first JST day the row is at least soon / urgent / expired; None: never.
    Column("soon_from", Date, nullable=True),
    Column("urgent_from", Date, nullable=True),
    Column("expired_from", Date, nullable=True),
    # Any of the client's residence cards said 申請中 (assessment.renewal_pending).
    Column("renewal_pending", Boolean, nullable=True),
    # The first part of the order (cardtool.expiry.urgency_order of the check's authenticity:
    # a card that is not genuine comes first, whatever its dates).
    Column("authenticity_rank", Integer, nullable=False),
    # The client's reference ("" when none), the tie-break of the order after the date.
    Column("reference_order", ordered_text(REFERENCE_LENGTH), nullable=False),
    Index("ix_deadline_keys_client_id", "client_id"),
    Index("ix_deadline_keys_check_id", "check_id"),
    # The list's order inside a level, and the "within N days" filter (date first); the
    # conditions of the expired level in it, so a page of them is read from it alone.
    Index("ix_deadline_keys_order", "date", "reference_order", "client_id", "expired_from",
          "renewal_pending", "authenticity_rank"),
    Index("ix_deadline_keys_expired_from", "expired_from", "date", "authenticity_rank"),
    # Each level's rows on a day are a range of one of these (listing.bands), which hold
    # what its count reads: a page's counts never touch the table.
    Index("ix_deadline_keys_urgent_from", "urgent_from", "expired_from", "date",
          "authenticity_rank"),
    Index("ix_deadline_keys_soon_from", "soon_from", "urgent_from", "date", "authenticity_rank"),
    Index("ix_deadline_keys_level_floor", "level_floor", "soon_from", "date",
          "authenticity_rank"),
    Index("ix_deadline_keys_authenticity_rank", "authenticity_rank"),
    Index("ix_deadline_keys_pending", "renewal_pending"),
    sqlite_autoincrement=True,
)

#: The search keys of a client's display name: the whole name and each word of it, so a
#: search finds "Test Hanako" by "test h" or by "hanako" with a prefix range over the index.
name_words = Table(
    "name_words", metadata,
    Column("client_id", Integer, ForeignKey("clients.id"), primary_key=True),
    Column("word", ordered_text(SEARCH_KEY_LENGTH), primary_key=True),
    Index("ix_name_words_word", "word"),
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
#: register_meta key of the fingerprint of the rules the derived columns were computed by
#: (latest flags, search keys, deadline keys): another value means they are computed again.
DERIVED_KEY = "derived_fingerprint"

__all__ = ["DERIVED_KEY", "HMAC_KEY", "audit", "checks", "clients", "deadline_keys", "metadata",
           "name_words",
           "ordered_text", "register_meta"]
