"""Every client's deadlines, judged by the expiry rules on the day asked for.

A client's cards are the latest check of each card kind; ``cardtool.expiry.assess`` judges
them together (a My Number card against the residence card, the 特例期間 while a renewal is
pending), exactly as the office check does for cards on the reader. Each date of the
assessment becomes one row, carrying the findings about it (their level wins over the date's
own: e.g. a passed expiry with a renewal pending is urgent, not expired); a finding without
a date (check by eye) is a row of its own. One card's equal dates are one deadline (a
second-generation card valid exactly as long as the stay), as the rules report them once.

Each row says where its date came from (``DeadlineRow.source``: chip, typed, ocr-confirmed).
A first-generation card's date that nobody confirmed (read by OCR, source ``ocr``, or
marked ``eye``) is never a dated row (``Check.facts`` leaves it out): its row is a check by
eye, carrying that source, so the list says "confirm at the next check".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cardtool.date_sources import CHIP
from cardtool.expiry import (
    ClientRecord,
    DateCheck,
    Finding,
    Level,
    Thresholds,
    assess,
    level_legend,
    urgency_order,
)
from cardtool.jst import days_left
from cardtool.register.model import Check, Client, DeadlineRow


@dataclass(frozen=True)
class DeadlineFilter:
    """Which rows a list shows; every given condition must hold."""

    #: Dates at most this many days away, overdue ones included (they are due too).
    within_days: int | None = None
    #: Only what is past its date by the rules (level expired).
    overdue_only: bool = False
    #: Only clients whose residence card says 申請中.
    pending_only: bool = False

    def keeps(self, row: DeadlineRow) -> bool:
        if self.within_days is not None and (row.days_left is None
                                             or row.days_left > self.within_days):
            return False
        if self.overdue_only and row.level is not Level.EXPIRED:
            return False
        return not (self.pending_only and row.renewal_pending is not True)


def urgency(row: DeadlineRow) -> tuple[int, int, int, int, str, int]:
    """Most urgent first (``cardtool.expiry.urgency_order``, the order the office report uses too:
    a card that is not genuine, the level, the fewest days left, no date after the dated
    rows of its level), then the client."""
    return (*urgency_order(row.level, row.days_left, row.authenticity), row.reference or "",
            row.client_id)


#: A row without a date stands for this date of a first-generation card (its source: the
#: unconfirmed state, "ocr" or "eye", or none when nothing was read).
_UNDATED_SOURCE = {"residence-check-by-eye": "residence-expiry",
                   "residence-card-check-by-eye": "card-expiry"}


def _source(check: Check, date_kind: str | None) -> str | None:
    """Where a row's date came from; a row without a date: the unconfirmed state of the
    first-generation date it stands for."""
    if date_kind == "card-expiry":
        return check.card_expiry_source or (CHIP if check.card_expiry else None)
    if date_kind == "certificate-expiry":
        return CHIP
    return check.residence_expiry_source if date_kind == "residence-expiry" else None


def _row(client: Client, check: Check, pending: bool | None, date_kind: str | None,
         date: dt.date | None, left: int | None, level: Level, findings: Sequence[Finding],
         thresholds: Thresholds, source: str | None = None) -> DeadlineRow:
    if findings:
        action_ja = "\n".join(f.message_ja for f in findings)
        action_en = "\n".join(f.message_en for f in findings)
    else:
        # Nothing found about this date: what its level means ("plan the procedure", ...).
        action_ja = level_legend(level, "ja", thresholds)
        action_en = level_legend(level, "en", thresholds)
    return DeadlineRow(client.id, client.reference, client.display_name, check.card_kind,
                       date_kind, date, left, level, tuple(f.code for f in findings),
                       action_ja, action_en, pending, check.authenticity, check.id,
                       check.checked_at, source)


def client_deadlines(client: Client, latest: Sequence[Check], today: dt.date,
                     thresholds: Thresholds) -> list[DeadlineRow]:
    """The rows of one client, from the latest check of each card kind."""
    if not latest:
        return []
    assessment = assess(ClientRecord(client.reference, tuple(c.facts() for c in latest)),
                        today, thresholds)
    pending = assessment.renewal_pending
    # The first date check of each (card, date): equal dates of one card are one deadline.
    first: dict[tuple[int, dt.date], DateCheck] = {}
    for date_check in assessment.dates:
        first.setdefault((date_check.card_index, date_check.date), date_check)
    about: dict[tuple[int, dt.date], list[Finding]] = {key: [] for key in first}
    undated: list[Finding] = []
    for finding in assessment.findings:
        if finding.card_index is not None and finding.date is not None:
            matching = about.get((finding.card_index, finding.date))
            if matching is not None:
                matching.append(finding)
                continue
        undated.append(finding)
    rows: list[DeadlineRow] = []
    for key, date_check in first.items():
        found = about[key]
        level = max((f.level for f in found), default=date_check.level)
        check = latest[date_check.card_index]
        rows.append(_row(client, check, pending, date_check.field.value, date_check.date,
                         date_check.days_left, level, found, thresholds,
                         _source(check, date_check.field.value)))
    for finding in undated:
        index = finding.card_index if finding.card_index is not None else 0
        left = days_left(finding.date, today) if finding.date is not None else None
        check = latest[index]
        rows.append(_row(client, check, pending, None, finding.date, left,
                         finding.level, (finding,), thresholds,
                         _source(check, _UNDATED_SOURCE.get(finding.code, ""))))
    return rows


def select_and_sort(rows: Iterable[DeadlineRow], keep: DeadlineFilter) -> list[DeadlineRow]:
    return sorted((row for row in rows if keep.keeps(row)), key=urgency)


__all__ = ["DeadlineFilter", "client_deadlines", "select_and_sort", "urgency"]
