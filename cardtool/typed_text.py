"""The one cleaner of text staff type: client references, display names, desk names and
audit subjects, wherever they are typed (``cardtool office``, the desk, ``cardtool register``).

Typed text is kept as NFKC (full-width digits and letters as half-width, so a search finds
them), without control characters or line/paragraph separators (a reference is one line in a
CSV cell, a table and a calendar event), trimmed; empty is None. Text shaped like a My
Number or a residence card number is refused: those must never reach a report or the
register (a reference names a client by the office's own file number).
"""

from __future__ import annotations

import re
import unicodedata

from cardtool.errors import UsageError
from cardtool.i18n import Text
from cardtool.secret_format import CARD_NUMBER_PATTERN

#: The longest client reference (the register's column is this wide).
MAX_REFERENCE_LENGTH = 40
_MY_NUMBER_LIKE = re.compile(r"\d{12}")
_CARD_NUMBER_LIKE = re.compile(CARD_NUMBER_PATTERN)
_REFERENCE: Text = ("client reference", "参照番号")


class TypedTextRejected(UsageError):
    """Typed text that cannot be kept (too long, or shaped like a number never stored)."""


class ReferenceRejected(TypedTextRejected):
    pass


def looks_like_a_number(text: str) -> bool:
    """Whether ``text`` holds something shaped like a My Number or a residence card number,
    ignoring spaces, dashes, dots and slashes between the characters."""
    compact = re.sub(r"[\s\-‐_./]", "", unicodedata.normalize("NFKC", text)).upper()
    return bool(_MY_NUMBER_LIKE.search(compact) or _CARD_NUMBER_LIKE.search(compact))


def _kept(c: str) -> bool:
    category = unicodedata.category(c)
    return category[0] != "C" and category not in ("Zl", "Zp")


def typed_characters(value: str) -> str:
    """``value`` as NFKC without the characters typed text never keeps (control characters,
    line and paragraph separators); not trimmed. What ``clean_text`` keeps, and what a
    search compares (the register's search keys)."""
    return "".join(c for c in unicodedata.normalize("NFKC", value) if _kept(c))


def clean_text(value: str | None, limit: int, what: Text, *,
               rejected: type[UsageError] = TypedTextRejected) -> str | None:
    """Typed text as kept (see the module), or None when empty. Raises ``rejected`` when it
    is longer than ``limit`` or looks like a My Number or a card number; ``what`` names the
    field (en, ja) in the message."""
    if value is None:
        return None
    cleaned = typed_characters(value).strip()
    if not cleaned:
        return None
    what_en, what_ja = what
    if looks_like_a_number(cleaned):
        raise rejected(
            f"The {what_en} looks like a My Number or a card number; those are never kept. "
            "Use the office's file number instead.",
            f"{what_ja}がマイナンバーまたはカード番号のように見えます(保存しません)。"
            "事務所の管理番号を入力してください。")
    if len(cleaned) > limit:
        raise rejected(f"The {what_en} is longer than {limit} characters.",
                       f"{what_ja}が{limit}文字を超えています。")
    return cleaned


def clean_reference(text: str | None) -> str | None:
    """The office's file number for a client, or None when empty (``clean_text`` with the
    reference's limit; raises ``ReferenceRejected``)."""
    return clean_text(text, MAX_REFERENCE_LENGTH, _REFERENCE, rejected=ReferenceRejected)


__all__ = ["MAX_REFERENCE_LENGTH", "ReferenceRejected", "TypedTextRejected", "clean_reference",
           "clean_text", "looks_like_a_number", "typed_characters"]
