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
    Assessment,
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


@dataclass(frozen=True)
class Slot:
    """One deadline row of an assessment before it is worded: a date of one card (its
    equal dates are one), or a finding without a date."""

    card_index: int
    date_kind: str | None
    date: dt.date | None
    days_left: int | None
    level: Level
    findings: tuple[Finding, ...]

    @property
    def identity(self) -> tuple[int, str | None, dt.date | None, str | None]:
        """What names the slot on any day: its card and date, or its card and finding."""
        undated_code = self.findings[0].code if self.date_kind is None else None
        return (self.card_index, self.date_kind, self.date, undated_code)


def slots(assessment: Assessment) -> list[Slot]:
    """The assessment's rows, in the order a client's rows are listed."""
    today = assessment.today
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
    out: list[Slot] = []
    for key, date_check in first.items():
        found = about[key]
        level = max((f.level for f in found), default=date_check.level)
        out.append(Slot(date_check.card_index, date_check.field.value, date_check.date,
                        date_check.days_left, level, tuple(found)))
    for finding in undated:
        index = finding.card_index if finding.card_index is not None else 0
        left = days_left(finding.date, today) if finding.date is not None else None
        out.append(Slot(index, None, finding.date, left, finding.level, (finding,)))
    return out


def assess_latest(client: Client, latest: Sequence[Check], today: dt.date,
                  thresholds: Thresholds) -> Assessment:
    return assess(ClientRecord(client.reference, tuple(c.facts() for c in latest)), today,
                  thresholds)


def client_deadlines(client: Client, latest: Sequence[Check], today: dt.date,
                     thresholds: Thresholds) -> list[DeadlineRow]:
    """The rows of one client, from the latest check of each card kind."""
    if not latest:
        return []
    assessment = assess_latest(client, latest, today, thresholds)
    pending = assessment.renewal_pending
    return [_row(client, latest[slot.card_index], pending, slot.date_kind, slot.date,
                 slot.days_left, slot.level, slot.findings, thresholds,
                 _slot_source(latest[slot.card_index], slot))
            for slot in slots(assessment)]


def _slot_source(check: Check, slot: Slot) -> str | None:
    """Where a slot's date came from; an undated slot: the first-generation date it stands
    for (its unconfirmed state)."""
    if slot.date_kind is not None:
        return _source(check, slot.date_kind)
    return _source(check, _UNDATED_SOURCE.get(slot.findings[0].code, ""))


def select_and_sort(rows: Iterable[DeadlineRow], keep: DeadlineFilter) -> list[DeadlineRow]:
    return sorted((row for row in rows if keep.keeps(row)), key=urgency)


__all__ = ["DeadlineFilter", "Slot", "assess_latest", "client_deadlines", "select_and_sort",
           "slots", "urgency"]
