"""Expiry rules for residence cards and My Number cards, the ones foreign residents trip over.

Pure functions: every date is a JST calendar date (``cardtool.jst``), ``today`` is always
passed in, nothing here reads a card, a clock or a file. The read services fill the input
model (``CardFacts``, one per card; ``ClientRecord``, the cards of one client); ``assess``
returns the dates with their days left and level, and the findings, each with a stable code
and a ja/en message a client could be shown.

The input model carries dates and flags only (``model``): no My Number, name, image, photo
or card number can reach a report. Which rules a card gets is its kind's profile
(``cardtool.card_kind``).

Facts (``shared/spec/residence-card.md`` §6, §9, §10; ``mynumber-card.md`` §4):

- A resident with a period of stay has a My Number card (and its certificates) that end on
  the period-of-stay expiry date. Renewing the stay does not extend the card: the holder
  must do 有効期間変更 at the municipal office before the old date, or the card lapses.
- While a renewal is pending (申請中) the stay stays lawful until the decision, at the latest
  until two months after the expiry (特例期間, 入管法 20条6項); the municipality extends the
  My Number card by up to two months if asked before the card expires.
- A 特定在留カード is one card: its residence and My Number sides move together, so its own
  dates are never compared against each other.
- A first-generation residence card has its dates only in the card-face image: staff type
  the date, or the row says "check by eye".

Levels: a date ``n`` days away (0 = the date is today, still valid: a card is valid through
its expiry date) is *expired* when ``n < 0``, *urgent* when ``n <= urgent_days`` (30),
*soon* when ``n <= soon_days`` (90), else *ok*. *check* marks what the chip cannot tell.

The package: ``model`` (the input and output types, levels and thresholds), ``law``
(periods counted in months, the 特例期間), ``rules`` (``assess``), ``messages`` (every text a
finding, a date or a level is shown with, in ja and en), ``urgency`` (the one "most urgent
first" order). Import from here.
"""

from __future__ import annotations

from cardtool.day_words import days_text, format_date, relative_days
from cardtool.expiry.law import SPECIAL_PERIOD_MONTHS, months_period_end, special_period_end
from cardtool.expiry.messages import (
    FIELD_NAMES,
    FINDING_CODES,
    LEVEL_NAMES,
    MESSAGES,
    SOURCE_NAMES,
    kind_name,
    level_legend,
    level_name,
)
from cardtool.expiry.model import (
    DEFAULT_SOON_DAYS,
    DEFAULT_URGENT_DAYS,
    Assessment,
    BadCardFacts,
    BadThresholds,
    CardFacts,
    ClientRecord,
    DateCheck,
    DateField,
    Finding,
    Kind,
    Level,
    Thresholds,
    level_for,
)
from cardtool.expiry.rules import assess, assess_card, codes
from cardtool.expiry.urgency import urgency_order
from cardtool.jst import date_in_jst

__all__ = [
    "DEFAULT_SOON_DAYS",
    "DEFAULT_URGENT_DAYS",
    "FIELD_NAMES",
    "FINDING_CODES",
    "LEVEL_NAMES",
    "MESSAGES",
    "SOURCE_NAMES",
    "SPECIAL_PERIOD_MONTHS",
    "Assessment",
    "BadCardFacts",
    "BadThresholds",
    "CardFacts",
    "ClientRecord",
    "DateCheck",
    "DateField",
    "Finding",
    "Kind",
    "Level",
    "Thresholds",
    "assess",
    "assess_card",
    "codes",
    "date_in_jst",
    "days_text",
    "format_date",
    "kind_name",
    "level_for",
    "level_legend",
    "level_name",
    "months_period_end",
    "relative_days",
    "special_period_end",
    "urgency_order",
]
