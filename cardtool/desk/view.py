"""From the services' results to what a page shows: green / amber / red panels with the
action in plain words. Rendering only: the rules are in ``cardtool.expiry``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cardtool.authenticity import SHORT_LABELS, Authenticity, Result, Status
from cardtool.expiry import (
    FIELD_NAMES,
    SOURCE_NAMES,
    Assessment,
    CardFacts,
    Level,
    Thresholds,
    assess_card,
    days_text,
    kind_name,
    level_name,
)
from cardtool.i18n import pick
from cardtool.jst import to_jst, today_jst
from cardtool.register import Check, DeadlineRow

#: Panel tones: green (nothing to do), amber (look at it), red (act now / do not accept).
TONE_OF_LEVEL = {Level.OK: "green", Level.CHECK: "amber", Level.SOON: "amber",
                 Level.URGENT: "red", Level.EXPIRED: "red"}
TONE_OF_STATUS = {Status.GENUINE: "green", Status.DATA_GENUINE: "green",
                  Status.TEST_ANCHOR: "amber", Status.UNANCHORED: "amber",
                  Status.NOT_CHECKED: "amber", Status.INVALID: "red"}
RESULT_KEYS = {Result.PASS: "check_pass", Result.FAIL: "check_fail",
               Result.SKIPPED: "check_skipped"}


@dataclass(frozen=True)
class DateRow:
    what: str
    date: str
    days: str
    level: str
    tone: str
    source: str


@dataclass(frozen=True)
class Panel:
    tone: str
    title: str
    lines: tuple[str, ...] = ()
    checks: tuple[tuple[str, str, str], ...] = ()  # (result word, name, detail)


@dataclass(frozen=True)
class CardView:
    kind: str
    dates: tuple[DateRow, ...]
    findings: tuple[Panel, ...]
    authenticity: Panel | None
    overall: Panel
    renewal_pending: bool | None
    not_genuine: bool
    level_code: str
    extra: tuple[str, ...] = field(default=())


def authenticity_panel(auth: Authenticity, lang: str, words: dict[Result, str]) -> Panel:
    lines = [auth.advice(lang)] if auth.advice_en else []
    if auth.anchor is not None:
        lines.append(pick(("Trust anchor: ", "トラストアンカー: "), lang)
                     + auth.anchor.description)
    checks = tuple((words[c.result], c.name, c.detail(lang)) for c in auth.checks)
    return Panel(TONE_OF_STATUS[auth.status], auth.label(lang), tuple(lines), checks)


def _heading(text: str) -> str:
    """"card expiry" -> "Card expiry" (a row heading; the Japanese names are unchanged)."""
    return text[:1].upper() + text[1:]


def card_view(facts: CardFacts, lang: str, words: dict[Result, str], *,
              today: dt.date | None = None, thresholds: Thresholds | None = None) -> CardView:
    assessment: Assessment = assess_card(facts, today or today_jst(), thresholds)
    dates = tuple(
        DateRow(_heading(pick(FIELD_NAMES[d.field], lang)), d.date.isoformat(), days_text(d.days_left, lang),
                level_name(d.level, lang), TONE_OF_LEVEL[d.level],
                pick(SOURCE_NAMES.get(d.source or "", (d.source or "", d.source or "")), lang))
        for d in assessment.dates)
    findings = tuple(Panel(TONE_OF_LEVEL[f.level], level_name(f.level, lang), (f.message(lang),))
                     for f in assessment.findings)
    auth = assessment.authenticity
    level = assessment.level
    overall_tone = "red" if assessment.not_genuine else TONE_OF_LEVEL[level]
    overall = Panel(overall_tone, level_name(level, lang))
    return CardView(kind_name(facts.kind, lang), dates, findings,
                    authenticity_panel(auth, lang, words) if auth is not None else None,
                    overall, assessment.renewal_pending, assessment.not_genuine, level.code)




# --- the register's pages ---------------------------------------------------------------

DATE_KIND_NAMES: dict[str, tuple[str, str]] = {
    field.value: names for field, names in FIELD_NAMES.items()}
CHECK_BY_EYE = ("check the card by eye", "カードを目視で確認")


@dataclass(frozen=True)
class DeadlineView:
    client_id: int
    reference: str | None
    display_name: str | None
    what: str
    date: str
    days: str
    level: str
    tone: str
    todo: str
    kind: str


def deadline_view(row: DeadlineRow, lang: str) -> DeadlineView:
    what = _heading(pick(DATE_KIND_NAMES.get(row.date_kind, (row.date_kind, row.date_kind)),
                         lang) if row.date_kind else pick(CHECK_BY_EYE, lang))
    return DeadlineView(row.client_id, row.reference, row.display_name, what,
                        row.date.isoformat() if row.date else "-",
                        days_text(row.days_left, lang) if row.days_left is not None else "-",
                        level_name(row.level, lang), TONE_OF_LEVEL[row.level],
                        row.action(lang), kind_name(row.card_kind, lang))


@dataclass(frozen=True)
class HistoryView:
    when: str
    desk: str
    kind: str
    card_expiry: str | None
    residence_expiry: str | None
    renewal_pending: bool | None
    authenticity: str | None
    masked_number: str | None


def history_view(check: Check, lang: str) -> HistoryView:
    when = to_jst(check.checked_at).strftime("%Y-%m-%d %H:%M")
    auth = (pick(SHORT_LABELS.get(check.authenticity, (check.authenticity,) * 2), lang)
            if check.authenticity else None)
    return HistoryView(when, check.desk, kind_name(check.card_kind, lang),
                       check.card_expiry.isoformat() if check.card_expiry else None,
                       check.residence_expiry.isoformat() if check.residence_expiry else None,
                       check.renewal_pending, auth, check.card_number_masked)


__all__ = ["CardView", "DateRow", "DeadlineView", "HistoryView", "Panel", "card_view",
           "deadline_view", "history_view"]
