"""Staff confirm the dates read by OCR from a first-generation card's front image, before
anything is saved: one rule for the desk's confirm stage (``check_session``) and the office
session's questions (``office``).

Each confirmable date (the period of stay's end on a 在留カード, the card's own validity) is
shown with what the OCR read (a date, 無期限, or nothing and why) and the crop of the image
it came from; staff answer one of:

- ``date``: the date in the box is what the card shows: ``ocr-confirmed`` when it is the
  date the OCR read (confidently), ``typed`` otherwise (a corrected or typed date);
- ``indefinite`` (period of stay only): the card shows 無期限: no period, no deadline;
- ``eye``: check by eye: no date, no deadline, and the register says so.

Until every date has an answer nothing can be saved (``DatesNotConfirmed``); the facts
that come out carry each date's source (``cardtool.date_sources``). The crop is rendered
from the card's own image in memory (PNG bytes, never written anywhere).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from cardtool import date_sources
from cardtool.card_kind import CardKind
from cardtool.errors import UsageError
from cardtool.expiry import CardFacts
from cardtool.front_dates import CropUnavailable, FaceDate, FaceDates, Status, crop_png
from cardtool.i18n import pick

RESIDENCE_EXPIRY = "residence_expiry"
CARD_EXPIRY = "card_expiry"

#: (English, Japanese) names of the confirmable dates, in the order asked.
DATE_NAMES: dict[str, tuple[str, str]] = {
    RESIDENCE_EXPIRY: ("Period of stay (expiry)", "在留期間(満了日)"),
    CARD_EXPIRY: ("Card valid until", "カード有効期限"),
}
class Answer(Enum):
    DATE = "date"  # the date in the box is what the card shows (confirmed or corrected)
    INDEFINITE = "indefinite"  # the card shows 無期限 (period of stay only)
    EYE = "eye"  # check by eye: no date, no deadline


class DatesNotConfirmed(UsageError):
    """A save (or a confirm) before every OCR'd date was confirmed, corrected or marked."""

    def __init__(self, missing: list[str], bad: list[str]) -> None:
        names_en = ", ".join(DATE_NAMES[n][0] for n in missing + bad)
        names_ja = "、".join(DATE_NAMES[n][1] for n in missing + bad)
        super().__init__(
            f"Confirm, correct or mark 'check by eye' every date read from the card image "
            f"before saving ({names_en}); a date is typed like 2029-12-31.",
            f"保存する前に、カード画像から読み取った日付をすべて確認・訂正するか、"
            f"「目視確認」にしてください({names_ja})。日付は 2029-12-31 の形で入力します。")
        self.missing = missing
        self.bad = bad


@dataclass(frozen=True)
class DateToConfirm:
    """One date as the OCR left it, for staff to confirm."""

    name: str  # RESIDENCE_EXPIRY or CARD_EXPIRY
    read: FaceDate
    may_be_indefinite: bool

    @property
    def read_date(self) -> dt.date | None:
        """The date the OCR read confidently (the box is pre-filled with it)."""
        return self.read.date if self.read.status is Status.READ else None

    def label(self, lang: str) -> str:
        return pick(DATE_NAMES[self.name], lang)


@dataclass(frozen=True)
class DateAnswer:
    answer: Answer | None
    typed: str = ""  # the box's text (answer DATE)


def needs_confirmation(facts: CardFacts) -> bool:
    """A first-generation card read with its image, with a face date staff have not
    answered yet (its source is not typed, ocr-confirmed or eye)."""
    return any(_source_of(facts, item.name) not in _ANSWERED for item in dates_to_confirm(facts))


_ANSWERED = frozenset({date_sources.TYPED, date_sources.OCR_CONFIRMED, date_sources.EYE})


def _source_of(facts: CardFacts, name: str) -> str | None:
    return facts.face_source if name == RESIDENCE_EXPIRY else facts.expiry_source


def dates_to_confirm(facts: CardFacts) -> list[DateToConfirm]:
    """The dates staff answer for a first-generation card read with its image (none
    otherwise). A 特別永住者証明書 has no period of stay (its card type says so, not the
    OCR): only its card date is asked."""
    face = facts.face
    if facts.kind != CardKind.RESIDENCE_FIRST or not isinstance(face, FaceDates):
        return []
    out = []
    period = face.residence_expiry
    if period.status is not Status.ABSENT:
        out.append(DateToConfirm(RESIDENCE_EXPIRY, period, may_be_indefinite=True))
    out.append(DateToConfirm(CARD_EXPIRY, face.card_expiry, may_be_indefinite=False))
    return out


def parse_box_date(text: str) -> dt.date | None:
    """A date typed in a box (2029-12-31, 2029/12/31, 2029年12月31日, 20291231; full-width
    digits too); None when it is none."""
    from cardtool.services.office import BadTypedDate, parse_typed_date

    try:
        return parse_typed_date(text)
    except BadTypedDate:
        return None


def apply_answers(facts: CardFacts, answers: Mapping[str, DateAnswer]) -> CardFacts:
    """The card's facts with every face date as staff answered it, each with its source;
    raises ``DatesNotConfirmed`` when a date has no answer or its box holds no date."""
    asked = dates_to_confirm(facts)
    missing: list[str] = []
    bad: list[str] = []
    decided: dict[str, tuple[dt.date | None, str, bool]] = {}  # name -> (date, source, none)
    for item in asked:
        answer = answers.get(item.name, DateAnswer(None))
        if answer.answer is None or (answer.answer is Answer.INDEFINITE
                                     and not item.may_be_indefinite):
            missing.append(item.name)
        elif answer.answer is Answer.EYE:
            decided[item.name] = (None, date_sources.EYE, False)
        elif answer.answer is Answer.INDEFINITE:
            said = item.read.status is Status.INDEFINITE
            decided[item.name] = (None, date_sources.OCR_CONFIRMED if said
                                  else date_sources.TYPED, True)
        else:
            day = parse_box_date(answer.typed)
            if day is None:
                bad.append(item.name)
                continue
            same = day == item.read_date
            decided[item.name] = (day, date_sources.OCR_CONFIRMED if same
                                  else date_sources.TYPED, False)
    if missing or bad:
        raise DatesNotConfirmed(missing, bad)
    changes: dict[str, object] = {}
    if RESIDENCE_EXPIRY in decided:
        day, source, indefinite = decided[RESIDENCE_EXPIRY]
        changes.update(typed_residence_expiry=day, face_source=source, no_period=indefinite)
    if CARD_EXPIRY in decided:
        day, source, _ = decided[CARD_EXPIRY]
        changes.update(card_expiry=day, expiry_source=source)
    return dataclasses.replace(facts, **changes)  # type: ignore[arg-type]


def unconfirmed_marked(facts: CardFacts) -> CardFacts:
    """A first-generation card saved before staff answered (the office session stopped at
    its question): each date read from the image keeps its date for the record, marked
    ``ocr`` (not confirmed: no deadline); a 無期限 reading is not taken as "no period"."""
    if not needs_confirmation(facts):
        return facts
    face = facts.face
    assert isinstance(face, FaceDates)
    indefinite_read = face.residence_expiry.status is Status.INDEFINITE
    return dataclasses.replace(
        facts,
        face_source=date_sources.OCR_UNCONFIRMED if (facts.typed_residence_expiry
                                                     or indefinite_read) else None,
        expiry_source=date_sources.OCR_UNCONFIRMED if facts.card_expiry else None,
        no_period=facts.no_period and not indefinite_read)


def as_judged_before_confirmation(facts: CardFacts) -> CardFacts:
    """The card as the expiry rules may judge it while staff have not answered yet: every
    date read from the image left out (marked ``ocr``), so the page's verdict rests on no
    unconfirmed reading ("check by eye" until confirmed)."""
    marked = unconfirmed_marked(facts)
    if marked is facts:
        return facts
    stay = marked.face_source == date_sources.OCR_UNCONFIRMED
    card = marked.expiry_source == date_sources.OCR_UNCONFIRMED
    return dataclasses.replace(
        marked, typed_residence_expiry=None if stay else marked.typed_residence_expiry,
        card_expiry=None if card else marked.card_expiry)


__all__ = ["CARD_EXPIRY", "DATE_NAMES", "RESIDENCE_EXPIRY", "Answer", "CropUnavailable",
           "DateAnswer", "DateToConfirm", "DatesNotConfirmed", "apply_answers",
           "as_judged_before_confirmation", "crop_png",
           "dates_to_confirm", "needs_confirmation", "parse_box_date", "unconfirmed_marked"]
