"""The rows of an office session's report: one per client, what every file of the
session holds (``office_files`` writes the CSV and the JSON, ``office_html`` the printed
report).

A row holds the client reference, card kinds, dates, days left, level and findings, and the
weakest authenticity verdict of the client's cards (``invalid`` rows come first,
``cardtool.expiry.urgency_order``). It never holds a My Number, a name, an image, a photo or
a card number: the input model cannot carry them, ``ROW_KEYS`` lists every key a row may
have, and ``cardtool.typed_text.clean_reference`` refuses a reference that looks like a My
Number or a residence card number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypedDict

from cardtool import excel_csv
from cardtool.card_kind import kind_profile
from cardtool.expiry import Assessment, DateCheck, DateField, Level, urgency_order
from cardtool.typed_text import clean_reference

#: Every key a CSV row has, in column order. Nothing else is ever written.
ROW_KEYS: tuple[str, ...] = (
    "no", "read_at", "as_of", "reference", "kinds", "level",
    "residence_expiry", "residence_days_left", "residence_expiry_source", "renewal_pending",
    "residence_card_expiry", "residence_card_days_left", "residence_card_expiry_source",
    "mynumber_card_expiry", "mynumber_card_days_left",
    "certificate_expiry", "certificate_days_left",
    "findings", "messages_ja", "messages_en",
    "authenticity", "authenticity_failures",
)
#: A JSON row: the same, with the findings as objects carrying their messages.
JSON_ROW_KEYS: tuple[str, ...] = tuple(k for k in ROW_KEYS
                                       if k not in ("messages_ja", "messages_en"))
FINDING_KEYS: tuple[str, ...] = ("code", "level", "date", "message_ja", "message_en")

LEVEL_BY_CODE: dict[str, Level] = {level.code: level for level in Level}


# --- rows --------------------------------------------------------------------------------


class FindingRow(TypedDict):
    code: str
    level: str  # Level.code
    date: str | None  # ISO date
    message_ja: str
    message_en: str


class OfficeRow(TypedDict):
    """One client's row, as written to the JSON report (``JSON_ROW_KEYS``) and read back when
    a report is continued. Dates are ISO strings (JSON has no date type)."""

    no: int
    read_at: str
    as_of: str
    reference: str
    kinds: list[str]
    level: str
    residence_expiry: str | None
    residence_days_left: int | None
    residence_expiry_source: str
    renewal_pending: bool | None
    residence_card_expiry: str | None
    residence_card_days_left: int | None
    residence_card_expiry_source: str
    mynumber_card_expiry: str | None
    mynumber_card_days_left: int | None
    certificate_expiry: str | None
    certificate_days_left: int | None
    findings: list[FindingRow]
    authenticity: str | None
    authenticity_failures: list[str]


def _pick(dates: Iterable[DateCheck], latest: bool = False) -> DateCheck | None:
    chosen = sorted(dates, key=lambda c: (c.date, c.card_index))
    if not chosen:
        return None
    return chosen[-1] if latest else chosen[0]


def row_from_assessment(assessment: Assessment, number: int, read_at: dt.datetime
                        ) -> OfficeRow:
    """The JSON form of a client's row (``JSON_ROW_KEYS``)."""
    dates = assessment.dates
    # The newest residence card tells the stay (a client may bring the old one too); for
    # every other date the earliest is the one to act on.
    residence = _pick((c for c in dates if c.field is DateField.RESIDENCE), latest=True)
    residence_card = _pick(c for c in dates
                           if c.field is DateField.CARD and kind_profile(c.kind).is_residence)
    mynumber_card = _pick(c for c in dates
                          if c.field is DateField.CARD and kind_profile(c.kind).has_mynumber)
    certificate = _pick(c for c in dates if c.field is DateField.CERTIFICATE)
    if residence is not None:
        residence_source = residence.source or ""
    elif any(f.code == "residence-check-by-eye" for f in assessment.findings):
        # (a first-generation card of a permanent resident has no period: nothing to check)
        residence_source = "check-by-eye"
    else:
        residence_source = ""

    def day(c: DateCheck | None) -> str | None:
        return c.date.isoformat() if c else None

    def left(c: DateCheck | None) -> int | None:
        return c.days_left if c else None

    auth = assessment.authenticity

    return {
        "no": number,
        "read_at": read_at.isoformat(timespec="seconds"),
        "as_of": assessment.today.isoformat(),
        # Checked again here: whatever the caller did, no number-like reference is written.
        "reference": clean_reference(assessment.reference) or "",
        "kinds": list(assessment.kinds),
        "level": assessment.level.code,
        "residence_expiry": day(residence),
        "residence_days_left": left(residence),
        "residence_expiry_source": residence_source,
        "renewal_pending": assessment.renewal_pending,
        "residence_card_expiry": day(residence_card),
        "residence_card_days_left": left(residence_card),
        "residence_card_expiry_source": (residence_card.source or "") if residence_card else "",
        "mynumber_card_expiry": day(mynumber_card),
        "mynumber_card_days_left": left(mynumber_card),
        "certificate_expiry": day(certificate),
        "certificate_days_left": left(certificate),
        "findings": [
            {"code": f.code, "level": f.level.code,
             "date": f.date.isoformat() if f.date else None,
             "message_ja": f.message_ja, "message_en": f.message_en}
            for f in assessment.findings
        ],
        # The weakest verdict of the client's cards (None: no card gave one), and the
        # names of the checks that failed (e.g. "signature").
        "authenticity": auth.status.value if auth is not None else None,
        "authenticity_failures": sorted({c.name for a in assessment.authenticities
                                         if a is not None for c in a.failures()}),
    }


def csv_cells(row: OfficeRow) -> list[str]:
    """A JSON row as CSV cells in ``ROW_KEYS`` order (``excel_csv.cell``: a typed reference
    such as ``=HYPERLINK(...)`` is written as text, never a formula)."""
    flat: dict[str, Any] = dict(row)
    findings = row["findings"]
    flat["kinds"] = " ".join(row["kinds"])
    flat["findings"] = " ".join(f["code"] for f in findings)
    flat["messages_ja"] = "\n".join(f["message_ja"] for f in findings)
    flat["messages_en"] = "\n".join(f["message_en"] for f in findings)
    flat["authenticity"] = row.get("authenticity")
    flat["authenticity_failures"] = " ".join(row.get("authenticity_failures") or [])
    # No CR inside a cell: the log's crash recovery finds rows by their CRLF ends.
    return [excel_csv.cell(v.replace("\r", "") if isinstance(v, str) else v)
            for v in (flat[key] for key in ROW_KEYS)]


def row_dates(row: OfficeRow) -> dict[str, tuple[str | None, int | None]]:
    """The row's four dates with their days left, by the date's key."""
    # .get: a report continued from an older version may lack a column.
    return {
        "residence_expiry": (row.get("residence_expiry"), row.get("residence_days_left")),
        "residence_card_expiry": (row.get("residence_card_expiry"),
                                  row.get("residence_card_days_left")),
        "mynumber_card_expiry": (row.get("mynumber_card_expiry"),
                                 row.get("mynumber_card_days_left")),
        "certificate_expiry": (row.get("certificate_expiry"), row.get("certificate_days_left")),
    }


def urgency_key(row: OfficeRow) -> tuple[int, int, int, int, int]:
    """Most urgent first (``cardtool.expiry.urgency_order``: a card that is not genuine, then the
    level, then the nearest date), then the reading order."""
    lefts = [left for _, left in row_dates(row).values() if left is not None]
    return (*urgency_order(LEVEL_BY_CODE[row["level"]], min(lefts) if lefts else None,
                     row.get("authenticity")), int(row["no"]))


__all__ = [
    "FINDING_KEYS",
    "JSON_ROW_KEYS",
    "LEVEL_BY_CODE",
    "ROW_KEYS",
    "FindingRow",
    "OfficeRow",
    "csv_cells",
    "row_dates",
    "row_from_assessment",
    "urgency_key",
]
