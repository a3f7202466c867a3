"""Migration r0003 (each date's source): a register with checks saved by an older cardtool
(the revision before r0003) is upgraded when opened; an unconfirmed OCR date stays
unconfirmed ("ocr", no deadline), a date staff confirmed becomes "ocr-confirmed", a chip
date "chip"; downgrading gives the old words back."""

from __future__ import annotations

import datetime as dt

import pytest

pytest.importorskip("sqlalchemy")

import sqlalchemy as sa
from alembic import command

from cardtool.jst import today_jst
from cardtool.register import Register
from cardtool.register.engine import resolve_url
from cardtool.register.migrate import alembic_config, current_revision, script_directory

_clients = sa.table("clients", sa.column("id", sa.Integer()),
                    sa.column("reference", sa.String()), sa.column("display_name", sa.String()),
                    sa.column("created_at", sa.DateTime()))
#: The columns of r0001 (later revisions before r0003 only add columns with defaults).
_checks = sa.table("checks", *(sa.column(name) for name in (
    "id", "client_id", "checked_at", "desk", "card_kind", "card_expiry", "residence_expiry",
    "residence_expiry_source", "no_period", "certificate_expiry", "renewal_pending",
    "expiry_source", "findings", "authenticity", "card_number_masked", "number_hmac")))


def _before_r0003() -> str:
    previous = script_directory().get_revision("0003").down_revision
    assert isinstance(previous, str)
    return previous


def _old_register(url: str) -> sa.engine.Engine:
    engine = sa.create_engine(resolve_url(url))
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), _before_r0003())
    return engine


def _check(check_id: int, client_id: int, kind: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": check_id, "client_id": client_id, "checked_at": dt.datetime(2026, 1, 5, 1, 0),
        "desk": "old", "card_kind": kind, "card_expiry": None, "residence_expiry": None,
        "residence_expiry_source": None, "no_period": False, "certificate_expiry": None,
        "renewal_pending": None, "expiry_source": None, "findings": "[]",
        "authenticity": None, "card_number_masked": None, "number_hmac": None}
    row.update(values)
    return row


def test_old_checks_keep_what_they_were_and_unconfirmed_ocr_is_no_deadline(
        register_url: str) -> None:
    url = register_url
    engine = _old_register(url)
    today = today_jst()
    stay, card = today + dt.timedelta(days=40), today + dt.timedelta(days=50)
    with engine.begin() as connection:
        connection.execute(sa.insert(_clients), [
            {"id": n, "reference": ref, "display_name": None,
             "created_at": dt.datetime(2026, 1, 5)}
            for n, ref in ((1, "OCR-1"), (2, "CONF-2"), (3, "TYPED-3"), (4, "CHIP-4"))])
        connection.execute(sa.insert(_checks), [
            # office before r0003 saved OCR'd dates nobody confirmed as "ocr"
            _check(1, 1, "residence-first", residence_expiry=stay,
                   residence_expiry_source="ocr", card_expiry=card, expiry_source="ocr"),
            # office: staff pressed Enter at the question: "confirmed"
            _check(2, 2, "residence-first", residence_expiry=stay,
                   residence_expiry_source="confirmed", card_expiry=card,
                   expiry_source="confirmed"),
            # typed period of stay; the card date still the OCR's
            _check(3, 3, "residence-first", residence_expiry=stay,
                   residence_expiry_source="typed", card_expiry=card, expiry_source="ocr"),
            _check(4, 4, "residence-second", residence_expiry=stay,
                   residence_expiry_source="chip", card_expiry=card, expiry_source="chip"),
        ])
    engine.dispose()

    with Register.open(url) as register:
        with register.engine.connect() as connection:
            assert current_revision(connection) == script_directory().get_current_head()
        sources = {c.client_id: (c.residence_expiry_source, c.card_expiry_source)
                   for n in (1, 2, 3, 4) for c in register.history(n)}
        assert sources == {1: ("ocr", "ocr"), 2: ("ocr-confirmed", "ocr-confirmed"),
                           3: ("typed", "ocr"), 4: ("chip", "chip")}
        # The dates themselves are kept as they were read.
        (old_ocr,) = register.history(1)
        assert (old_ocr.residence_expiry, old_ocr.card_expiry) == (stay, card)
        rows = register.deadlines(today)
        by_client: dict[str | None, set[tuple[str | None, dt.date | None, str | None]]] = {}
        for r in rows:
            what = r.date_kind or " ".join(r.findings)
            by_client.setdefault(r.reference, set()).add((what, r.date, r.source))
        # Unconfirmed: no deadline from either date, two things to check by eye.
        assert by_client["OCR-1"] == {("residence-check-by-eye", None, "ocr"),
                                      ("residence-card-check-by-eye", None, "ocr")}
        assert by_client["CONF-2"] == {("residence-expiry", stay, "ocr-confirmed"),
                                       ("card-expiry", card, "ocr-confirmed")}
        assert by_client["TYPED-3"] == {("residence-expiry", stay, "typed"),
                                        ("residence-card-check-by-eye", None, "ocr")}
        assert by_client["CHIP-4"] == {("residence-expiry", stay, "chip"),
                                       ("card-expiry", card, "chip")}
        csv_text = register.deadlines_csv(today).decode("utf-8-sig")
        assert csv_text.splitlines()[0].endswith(",date_source")
        assert "ocr-confirmed" in csv_text

    # Downgrade: the old words come back, the new column goes.
    engine = sa.create_engine(resolve_url(url))
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), _before_r0003())
    with engine.connect() as connection:
        got = dict(connection.execute(sa.select(_checks.c.id, _checks.c.residence_expiry_source)
                                      ).all())
        assert got == {1: "ocr", 2: "confirmed", 3: "typed", 4: "chip"}
        names = {c["name"] for c in sa.inspect(connection).get_columns("checks")}
        assert "card_expiry_source" not in names
    engine.dispose()
