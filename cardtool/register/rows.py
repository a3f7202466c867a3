"""Values in and out of the register's rows: times (stored naive UTC), typed text as stored,
search keys, and the mapping of rows to ``Client`` and ``Check``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import CursorResult, RowMapping

from cardtool import date_sources
from cardtool.card_kind import DateSource, kind_profile
from cardtool.expiry import CardFacts, assess_card, codes, date_in_jst
from cardtool.jst import JST
from cardtool.register.errors import RegisterUsageError
from cardtool.register.model import Check, Client, as_kind
from cardtool.register.schema import DESK_LENGTH
from cardtool.typed_text import clean_text as typed_clean_text
from cardtool.typed_text import typed_characters


def utc_naive(moment: dt.datetime | None) -> dt.datetime:
    """How times are stored (schema: naive UTC). Naive input means UTC; None is now."""
    if moment is None:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def aware(stored: dt.datetime) -> dt.datetime:
    return stored.replace(tzinfo=dt.UTC)


def start_of_jst_day(day: dt.date) -> dt.datetime:
    return utc_naive(dt.datetime.combine(day, dt.time(), tzinfo=JST))


def clean_text(value: str | None, limit: int, what: str, what_ja: str) -> str | None:
    """Typed text as stored (``cardtool.typed_text.clean_text``, the one cleaner)."""
    return typed_clean_text(value, limit, (what, what_ja), rejected=RegisterUsageError)


def clean_desk(desk: str) -> str:
    cleaned = clean_text(desk, DESK_LENGTH, "desk name", "端末名")
    if cleaned is None:
        raise RegisterUsageError("A desk name is needed (who saved or read this).",
                                 "端末名が必要です(誰が保存・閲覧したかの記録)。")
    return cleaned


def search_key(text: str | None) -> str | None:
    """What a search compares: NFKC (full-width as half-width), case-folded, without control
    characters or line separators (typed_text.typed_characters), trimmed. The stored keys and
    the typed query go through this one function."""
    if text is None:
        return None
    folded = typed_characters(text).casefold().strip()
    # Case folding can lengthen a text (ß -> ss): the column holds the stored text's length.
    return folded or None


def search_words(display_name: str | None) -> list[str]:
    """The search keys of a display name: the whole name and each of its words."""
    whole = search_key(display_name)
    if whole is None:
        return []
    return sorted({whole, *whole.split()})


def client_of(row: RowMapping) -> Client:
    return Client(row["id"], row["reference"], row["display_name"], aware(row["created_at"]))


def check_of(row: Mapping[Any, Any]) -> Check:
    return Check(
        id=row["id"], client_id=row["client_id"], checked_at=aware(row["checked_at"]),
        desk=row["desk"], card_kind=as_kind(row["card_kind"]), card_expiry=row["card_expiry"],
        residence_expiry=row["residence_expiry"],
        residence_expiry_source=row["residence_expiry_source"], no_period=row["no_period"],
        certificate_expiry=row["certificate_expiry"], renewal_pending=row["renewal_pending"],
        expiry_source=row["expiry_source"], findings=tuple(json.loads(row["findings"])),
        authenticity=row["authenticity"], card_number_masked=row["card_number_masked"],
        card_expiry_source=row["card_expiry_source"])


def check_values(facts: CardFacts) -> dict[str, Any]:
    """The columns a card's facts fill."""
    # A card whose validity is printed on its face only (first generation): its dates are
    # typed or read from the image, and each says which (cardtool.date_sources).
    face_dates = kind_profile(facts.kind).card_expiry is DateSource.FACE
    if facts.residence_expiry is not None:
        source: str | None = date_sources.CHIP
    elif facts.typed_residence_expiry is not None:
        source = facts.face_source or date_sources.TYPED
    else:  # no date: "eye", "ocr" (a 無期限 not confirmed), "ocr-confirmed" (無期限), none
        source = facts.face_source if face_dates else None
    if face_dates:
        card_source = (facts.expiry_source if facts.expiry_source in date_sources.FACE_SOURCES
                       else None)
        if facts.card_expiry is not None and card_source is None:
            card_source = date_sources.OCR_UNCONFIRMED  # nobody said otherwise: not a deadline
    else:
        card_source = date_sources.CHIP if facts.card_expiry is not None else None
    return {
        "card_kind": facts.kind,
        "card_expiry": facts.card_expiry,
        "residence_expiry": facts.known_residence_expiry,
        "residence_expiry_source": source,
        "card_expiry_source": card_source,
        "no_period": facts.no_period,
        "certificate_expiry": facts.certificate_expiry,
        "renewal_pending": facts.renewal_pending,
        "expiry_source": facts.expiry_source,
        "authenticity": facts.authenticity.status.value if facts.authenticity else None,
    }


def saved_check_values(facts: CardFacts, checked_at: dt.datetime) -> dict[str, Any]:
    """The columns a saved check of a card fills (``check_values``) with its findings on the
    day of the check (JST), as the history shows them: ``Register.save_check`` writes these,
    and so does the scale bench's bulk load (one home for what a check row holds)."""
    found = codes(assess_card(facts, date_in_jst(aware(checked_at))).findings)
    return {**check_values(facts), "findings": json.dumps(found)}


def new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None, "an insert returns its primary key"
    return int(key[0])


__all__ = ["aware", "check_of", "check_values", "clean_desk", "clean_text", "client_of",
           "new_id", "saved_check_values", "search_key", "search_words", "start_of_jst_day", "utc_naive"]
