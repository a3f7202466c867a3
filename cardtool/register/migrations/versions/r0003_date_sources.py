"""Each date's source (issue 24: nothing read by OCR is a deadline until a person confirmed
it): a new column ``checks.card_expiry_source`` beside ``residence_expiry_source``, both in
the words of ``cardtool.date_sources`` (chip, typed, ocr-confirmed; ocr and eye give no
deadline).

What the existing rows become (docs/register.md, "Where each date came from"):
- ``residence_expiry_source`` "confirmed" (office: staff confirmed the OCR'd date) becomes
  "ocr-confirmed"; "ocr" stays "ocr": read from the card image, **never confirmed**. It is
  kept as it was read, and from now on it is not a deadline: the client's row says
  "check by eye / confirm at the next check". Turning it into a confirmed date would claim
  a check nobody made.
- ``card_expiry_source``: a first-generation card's expiry came from the image: "confirmed"
  becomes "ocr-confirmed", anything else "ocr" (unconfirmed, as above); every other card's
  expiry came from its chip: "chip".

Downgrade drops the column and turns "ocr-confirmed" back into "confirmed" (the words of
r0001/r0002); "eye" becomes NULL there (no date, as before).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_checks = sa.table("checks", sa.column("card_kind", sa.String()),
                   sa.column("card_expiry", sa.Date()),
                   sa.column("residence_expiry_source", sa.String()),
                   sa.column("expiry_source", sa.String()),
                   sa.column("card_expiry_source", sa.String()))
_FIRST = _checks.c.card_kind == "residence-first"


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy of the table on SQLite: other tables' foreign keys
    # point at checks, and a nullable column needs no copy).
    op.add_column("checks", sa.Column("card_expiry_source", sa.String(length=20),
                                      nullable=True))
    op.execute(_checks.update().where(_checks.c.residence_expiry_source == "confirmed")
               .values(residence_expiry_source="ocr-confirmed"))
    has_date = _checks.c.card_expiry.is_not(None)
    op.execute(_checks.update().where(_FIRST, has_date)
               .values(card_expiry_source=sa.case(
                   (_checks.c.expiry_source == "confirmed", "ocr-confirmed"), else_="ocr")))
    op.execute(_checks.update().where(~_FIRST, has_date).values(card_expiry_source="chip"))


def downgrade() -> None:
    op.execute(_checks.update().where(_checks.c.residence_expiry_source == "ocr-confirmed")
               .values(residence_expiry_source="confirmed"))
    op.execute(_checks.update().where(_checks.c.residence_expiry_source == "eye")
               .values(residence_expiry_source=None))
    # ALTER TABLE DROP COLUMN (SQLite 3.35 and later; Python's own SQLite is newer).
    op.drop_column("checks", "card_expiry_source")
