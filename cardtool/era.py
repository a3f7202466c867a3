"""Japanese era (和暦) years, as the 照合番号B and the signing certificate's birth date use them."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple


class Era(NamedTuple):
    code: int  # JPKI birth-date era code: 1 明治 ... 5 令和
    name: str
    start: dt.date


ERAS: tuple[Era, ...] = (
    Era(1, "明治", dt.date(1868, 10, 23)),
    Era(2, "大正", dt.date(1912, 7, 30)),
    Era(3, "昭和", dt.date(1926, 12, 25)),
    Era(4, "平成", dt.date(1989, 1, 8)),
    Era(5, "令和", dt.date(2019, 5, 1)),
)


def era_of(day: dt.date) -> Era:
    for era in reversed(ERAS):
        if day >= era.start:
            return era
    raise ValueError(f"{day} is before the Meiji era")


def era_year(day: dt.date) -> int:
    """1 for the era's first (partial) year, as 元年."""
    era = era_of(day)
    return day.year - era.start.year + 1


def era_yymmdd(day: dt.date) -> str:
    """Birth date as the card's collation numbers write it: era year, month, day (6 digits)."""
    return f"{era_year(day):02d}{day.month:02d}{day.day:02d}"


def collation_number_b_from_parts(birth: dt.date, expiry_year: int, security_code: str) -> str:
    """照合番号B, built in this one place: era YYMMDD of birth + the card's expiry year + the
    4-digit security code, all three printed on the card (spec mynumber-card §3, e.g.
    1980-02-17, 2035, 2285 -> 55021720352285). Staff type the parts as printed; the era
    conversion is ours."""
    return era_yymmdd(birth) + f"{expiry_year:04d}" + security_code


def collation_number_b(birth: dt.date, card_expiry: dt.date, security_code: str) -> str:
    return collation_number_b_from_parts(birth, card_expiry.year, security_code)
