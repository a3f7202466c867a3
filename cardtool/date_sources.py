"""Where a card date came from: the one vocabulary the expiry rules, the desk, the office
session, the register and its exports use for each date (a card's own expiry, the period
of stay's end).

- ``chip``: read from the chip (signed data of a second-generation card, a My Number card).
- ``typed``: typed by staff from the printed card (also: an OCR reading staff corrected).
- ``ocr-confirmed``: read by OCR from a first-generation card's front image and confirmed
  by staff against the printed card.
- ``ocr``: read by OCR and **not confirmed** (a register row saved before confirmation
  existed, or a check saved while staff had not answered yet). Never a deadline: the
  date is kept for the record, the client's row says "confirm at the next check".
- ``eye``: staff marked the date "check by eye" (the image could not be trusted and the
  printed date was not typed). No date, no deadline.

Only ``CONFIRMED`` sources give a deadline (``gives_deadline``): the rule "an OCR'd date is
never a deadline until a person confirmed it" lives here.
"""

from __future__ import annotations

from typing import Final

CHIP: Final = "chip"
TYPED: Final = "typed"
OCR_CONFIRMED: Final = "ocr-confirmed"
OCR_UNCONFIRMED: Final = "ocr"
EYE: Final = "eye"

#: The sources a first-generation card's face date may have.
FACE_SOURCES: Final = frozenset({TYPED, OCR_CONFIRMED, OCR_UNCONFIRMED, EYE})
#: A first-generation face date of these sources has no date for the rules: check by eye.
UNCONFIRMED_FACE_SOURCES: Final = frozenset({OCR_UNCONFIRMED, EYE})
#: The sources a person stands behind (or the chip's signature does).
CONFIRMED: Final = frozenset({CHIP, TYPED, OCR_CONFIRMED})

#: (English, Japanese) names, as the pages, reports and exports show them.
SOURCE_NAMES: Final[dict[str, tuple[str, str]]] = {
    TYPED: ("typed by staff", "手入力"),
    OCR_CONFIRMED: ("read from the card image, confirmed by staff",
                    "カード画像から読取・職員が確認済み"),
    OCR_UNCONFIRMED: ("read from the card image, not confirmed (no deadline until a person "
                      "confirms it)",
                      "カード画像から読取・未確認(確認されるまで期限として扱いません)"),
    EYE: ("check by eye (no deadline)", "目視確認(期限として扱いません)"),
    CHIP: ("chip", "ICチップ"),
}


def gives_deadline(source: str | None) -> bool:
    """Whether a date of this source may be a deadline (a first-generation face date: only
    once typed or confirmed by staff)."""
    return source in CONFIRMED


__all__ = ["CHIP", "CONFIRMED", "EYE", "FACE_SOURCES", "OCR_CONFIRMED", "OCR_UNCONFIRMED",
           "SOURCE_NAMES", "TYPED", "UNCONFIRMED_FACE_SOURCES", "gives_deadline"]
