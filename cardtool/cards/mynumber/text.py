"""券面事項入力補助AP: the My Number and 基本4情報 (name, address, birth date, sex)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from apdu import tlv
from apdu.errors import MalformedData
from apdu.trace import is_redacted_fill
from cardtool.cards.mynumber import ids
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.jst import parse_yyyymmdd
from cardtool.mynumber_digits import is_valid_my_number

SEX_CODES = {"1": "male", "2": "female", "9": "not-applicable", "0": "unknown"}
ATTRIBUTES_HEADER_BYTES = 5  # FF 20 82 LL LL at most


@dataclass(frozen=True)
class MyNumber:
    """The 個人番号. Never logged, never stored; shown masked unless asked."""

    digits: str

    @property
    def redacted(self) -> bool:
        """Replayed from a redacted trace (every digit came back as '*')."""
        return is_redacted_fill(self.digits)

    @property
    def check_digit_ok(self) -> bool:
        return is_valid_my_number(self.digits)

    def masked(self) -> str:
        return "*" * len(self.digits)

    def __repr__(self) -> str:  # keep it out of tracebacks and debug output
        return f"MyNumber({self.masked()})"


@dataclass(frozen=True)
class BasicInfo:
    name: str
    address: str
    birth_date: dt.date | None
    birth_date_text: str
    sex: str  # male | female | not-applicable | unknown

    def __repr__(self) -> str:
        return "BasicInfo(<personal data>)"


def _text(value: bytes, what: str) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedData(what, exc.start, "text is not UTF-8") from None


def parse_my_number(data: bytes) -> MyNumber:
    skip = tlv.filler_before(data, ids.TextTag.MY_NUMBER)
    item = tlv.find(tlv.parse_all(data[skip:], what="My Number EF"), ids.TextTag.MY_NUMBER)
    if item is None:
        raise MalformedData("My Number EF", 0, "tag FF10 missing")
    digits = item.value.decode("ascii", "replace")
    if len(digits) != 12:
        raise MalformedData("My Number EF", 3, f"{len(digits)} characters instead of 12")
    return MyNumber(digits)


def parse_basic_info(data: bytes) -> BasicInfo:
    what = "基本4情報"
    fields = tlv.container_fields(data, ids.TextTag.ATTRIBUTES, what=what)
    birth_text = fields.text(ids.TextTag.BIRTH_DATE)
    sex = SEX_CODES.get(fields.text(ids.TextTag.SEX), "unknown")
    return BasicInfo(
        name=_text(fields.require(ids.TextTag.NAME), what),
        address=_text(fields.require(ids.TextTag.ADDRESS), what),
        birth_date=parse_yyyymmdd(birth_text),
        birth_date_text=birth_text,
        sex=sex,
    )


def read_my_number_ef(card: MyNumberCard) -> bytes:
    """EF 0001 as stored (what the integrity record's DF31 hashes)."""
    return card.read(ids.TEXT_AID, ids.TextEF.MY_NUMBER)


def read_attributes_ef(card: MyNumberCard) -> bytes:
    """EF 0002's FF20 object (filler before it left out)."""
    return card.read_object(ids.TEXT_AID, ids.TextEF.ATTRIBUTES,
                            header_bytes=ATTRIBUTES_HEADER_BYTES, what="基本4情報",
                            expect_tag=ids.TextTag.ATTRIBUTES)


def read_my_number(card: MyNumberCard) -> MyNumber:
    return parse_my_number(read_my_number_ef(card))


def read_basic_info(card: MyNumberCard) -> BasicInfo:
    return parse_basic_info(read_attributes_ef(card))
