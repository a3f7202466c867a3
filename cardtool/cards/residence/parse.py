"""Parse the residence cards' files (BER-TLV with the ``DFD1`` two-byte tag) into dataclasses.

Parsers are total over bytes: any structure they cannot read raises ``MalformedData`` (one
clear line), and unexpected values (an unknown code, a masked value from a redacted trace)
are kept as text rather than rejected, so a replayed trace still shows its fields.

Text: UTF-8 first, then CP932 (the first-generation encoding is disputed, spec §2/§13).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from apdu import tlv
from apdu.errors import MalformedData
from cardtool.cards.residence import ids
from cardtool.cards.residence.ids import Tag
from cardtool.jst import parse_yyyymmdd

RULE = tlv.TagRule.TWO_BYTE


def decode_text(raw: bytes) -> str:
    """Card text without NUL/space padding: UTF-8, else CP932, else UTF-8 with U+FFFD."""
    trimmed = raw.rstrip(b"\x00").strip(b" ")
    for encoding in ("utf-8", "cp932"):
        try:
            return trimmed.decode(encoding)
        except UnicodeDecodeError:
            continue
    return trimmed.decode("utf-8", "replace")


@dataclass(frozen=True)
class CardDate:
    """A YYYYMMDD field: the text as read and the date when it is one."""

    text: str
    date: dt.date | None

    @classmethod
    def of(cls, raw: bytes) -> CardDate:
        return cls(decode_text(raw), parse_yyyymmdd(raw))

    def iso(self) -> str | None:
        """ISO date, the raw text if it is not a date, None if empty."""
        if self.date is not None:
            return self.date.isoformat()
        return self.text or None


def parse_items(data: bytes, what: str) -> list[tlv.Tlv]:
    return tlv.parse_all(data, rule=RULE, what=what)


def _value(items: list[tlv.Tlv], tag: int) -> bytes | None:
    item = tlv.find(items, tag)
    return None if item is None else item.value


def _required(items: list[tlv.Tlv], tag: int, what: str) -> bytes:
    return tlv.require(items, tag, what).value


def _flag(raw: bytes | None) -> bool | None:
    """'0'/'1' flags; None when absent or not one of them (e.g. masked)."""
    if raw is None:
        return None
    return ids.YES_NO_CODES.get(decode_text(raw))


# --- MF ------------------------------------------------------------------------------


def parse_card_type_value(data: bytes) -> str:
    """The C1 value of MF/EF02 as text ('1', '2', '05'...)."""
    item = tlv.parse_one(data, rule=RULE, what="card type (MF/EF02)")
    if item.tag != Tag.CARD_TYPE:
        raise MalformedData("card type (MF/EF02)", 0, f"expected tag C1, found {item.tag:X}")
    try:
        return item.value.decode("ascii")
    except UnicodeDecodeError:
        raise MalformedData("card type (MF/EF02)", item.header_length,
                            "the value is not ASCII") from None


def parse_spec_version(data: bytes) -> str | None:
    items = parse_items(data, "common data (MF/EF01)")
    raw = _value(items, Tag.SPEC_VERSION)
    return None if raw is None else decode_text(raw)


# --- images and signature --------------------------------------------------------------


def parse_images(data: bytes, what: str) -> dict[int, bytes]:
    """Image objects by tag (D0, D1, DFD1), values as stored (possibly NUL-padded)."""
    return {item.tag: item.value for item in parse_items(data, what)}


@dataclass(frozen=True)
class SignatureBlock:
    """DF3/EF01: the check code (signature value) and the signer's certificate."""

    check_code: bytes
    certificate: bytes


def parse_signature_file(data: bytes, generation: ids.Generation) -> SignatureBlock:
    what = "signature (DF3/EF01)"
    items = parse_items(data, what)
    if generation is ids.Generation.FIRST:
        return SignatureBlock(_required(items, Tag.CHECK_CODE, what),
                              _required(items, Tag.CERTIFICATE_1, what))
    return SignatureBlock(_required(items, Tag.SIGNATURE_2, what),
                          _required(items, Tag.CERTIFICATE_2, what))


# --- first generation ---------------------------------------------------------------


@dataclass(frozen=True)
class AddressEntry:
    """One 住居地 entry of the back side: when it was written, the municipality, the text."""

    written: CardDate
    municipality_code: str
    address: str


@dataclass(frozen=True)
class FirstGenData:
    card_type: ids.CardType
    front_image: bytes  # D0: TIFF G4 of the front side (name, dates, status... as an image)
    photo: bytes  # D1: JPEG 2000
    addresses: tuple[AddressEntry, ...]
    comprehensive_permission: str | None  # D5 text (residence card only)
    individual_permission: str | None  # D6 text
    renewal_pending: bool | None  # D7
    renewal_pending_text: str | None


def parse_addresses(data: bytes) -> tuple[AddressEntry, ...]:
    """DF2/EF01: D2 (date), D3 (municipality code), D4 (address), possibly repeated."""
    entries: list[AddressEntry] = []
    current: dict[int, bytes] = {}

    def flush() -> None:
        if current:
            entries.append(AddressEntry(
                CardDate.of(current.get(Tag.ADDRESS_DATE, b"")),
                decode_text(current.get(Tag.ADDRESS_MUNICIPALITY, b"")),
                decode_text(current.get(Tag.ADDRESS, b""))))
            current.clear()

    for item in parse_items(data, "address (DF2/EF01)"):
        if item.tag not in (Tag.ADDRESS_DATE, Tag.ADDRESS_MUNICIPALITY, Tag.ADDRESS):
            continue
        if item.tag in current:
            flush()
        current[item.tag] = item.value
    flush()
    return tuple(entries)


def parse_text_field(data: bytes, tag: int, what: str) -> str | None:
    raw = _value(parse_items(data, what), tag)
    return None if raw is None else decode_text(raw)


def first_gen_data(card_type: ids.CardType, front: bytes, photo: bytes, address: bytes,
                   comprehensive: bytes | None, individual: bytes | None,
                   renewal: bytes | None) -> FirstGenData:
    """Assemble from the raw files (DF1 plaintexts, DF2 files; None: not on this type)."""
    front_image = _required(parse_items(front, "front image (DF1/EF01)"),
                            Tag.FRONT_OR_NAME_IMAGE, "front image (DF1/EF01)")
    photo_image = _required(parse_items(photo, "photo (DF1/EF02)"), Tag.PHOTO,
                            "photo (DF1/EF02)")
    renewal_raw = (None if renewal is None else
                   _value(parse_items(renewal, "renewal (DF2/EF04)"), Tag.RENEWAL_PENDING_1))
    return FirstGenData(
        card_type=card_type,
        front_image=front_image,
        photo=photo_image,
        addresses=parse_addresses(address),
        comprehensive_permission=(None if comprehensive is None else parse_text_field(
            comprehensive, Tag.COMPREHENSIVE_PERMISSION_1, "permission (DF2/EF02)")),
        individual_permission=(None if individual is None else parse_text_field(
            individual, Tag.INDIVIDUAL_PERMISSION_1, "permission (DF2/EF03)")),
        renewal_pending=_flag(renewal_raw),
        renewal_pending_text=None if renewal_raw is None else decode_text(renewal_raw),
    )


# --- second generation / 特定 ----------------------------------------------------------


@dataclass(frozen=True)
class PrintedEntries:
    """DF1/EF02 券面記載事項. Codes are kept as read; ``entries`` keeps (tag, value) in file
    order for the signature."""

    card_expiry: CardDate
    birth_date: CardDate
    sex: str  # code '1' male, '2' female, '3' not stated
    nationality: str  # code (ISA code table, not bundled)
    status: str  # residence status code
    period_of_stay: str  # YYMM, DDD or 0000 (indefinite)
    permission_type: str | None  # residence card only
    permission_date: CardDate | None
    work_restriction: str | None
    residence_expiry: CardDate | None  # 在留期間満了日 (residence card only)
    entries: tuple[tuple[int, bytes], ...]


def parse_entries(data: bytes) -> PrintedEntries:
    what = "printed entries (DF1/EF02)"
    items = parse_items(data, what)

    def text(tag: int) -> str:
        return decode_text(_required(items, tag, what))

    def optional_date(tag: int) -> CardDate | None:
        raw = _value(items, tag)
        return None if raw is None else CardDate.of(raw)

    def optional_text(tag: int) -> str | None:
        raw = _value(items, tag)
        return None if raw is None else decode_text(raw)

    return PrintedEntries(
        card_expiry=CardDate.of(_required(items, Tag.CARD_EXPIRY, what)),
        birth_date=CardDate.of(_required(items, Tag.BIRTH_DATE, what)),
        sex=text(Tag.SEX),
        nationality=text(Tag.NATIONALITY),
        status=text(Tag.STATUS),
        period_of_stay=text(Tag.PERIOD_OF_STAY),
        permission_type=optional_text(Tag.PERMISSION_TYPE),
        permission_date=optional_date(Tag.PERMISSION_DATE),
        work_restriction=optional_text(Tag.WORK_RESTRICTION),
        residence_expiry=optional_date(Tag.RESIDENCE_EXPIRY),
        entries=tuple((i.tag, i.value) for i in items if i.tag in ids.SECOND_GEN_ENTRY_WIDTHS),
    )


@dataclass(frozen=True)
class SecondGenData:
    card_type: ids.CardType
    card_number: str = field(repr=False)  # C2, as stored on the card (shown masked)
    entries: PrintedEntries
    name_image: bytes  # D0, TIFF G4
    photo: bytes  # D1, JPEG 2000 (absent for holders under 1 year: empty)
    address_image: bytes  # DFD1, TIFF G4
    comprehensive_permission: str | None  # D5 code 0/1/2 (type 05/07 only)
    comprehensive_permission_expiry: CardDate | None  # D6
    individual_permission: bool | None  # D7
    renewal_pending: bool | None  # D8
    renewal_pending_text: str | None
    commissioner_entry: bool | None  # D9
    reserved_text: str | None  # DE


def parse_card_number_file(data: bytes) -> str:
    return decode_text(_required(parse_items(data, "card number (DF1/EF01)"), Tag.CARD_NUMBER,
                                 "card number (DF1/EF01)"))


def second_gen_data(card_type: ids.CardType, number: bytes, entries: bytes, images: bytes,
                    address: bytes, permissions: bytes | None, renewal: bytes | None,
                    other: bytes | None) -> SecondGenData:
    pictures = parse_images(images, "name and photo (DF1/EF03)")
    if Tag.FRONT_OR_NAME_IMAGE not in pictures:
        raise MalformedData("name and photo (DF1/EF03)", 0, "required tag D0 is missing")
    address_items = parse_images(address, "address image (DF1/EF04)")
    if Tag.ADDRESS_IMAGE not in address_items:
        raise MalformedData("address image (DF1/EF04)", 0, "required tag DFD1 is missing")
    perm_items = [] if permissions is None else parse_items(permissions,
                                                            "permissions (DF2/EF01)")
    renewal_raw = None if renewal is None else _value(parse_items(renewal, "renewal (DF2/EF02)"),
                                                      Tag.RENEWAL_PENDING_2)
    other_items = [] if other is None else parse_items(other, "other (DF2)")
    comprehensive = _value(perm_items, Tag.COMPREHENSIVE_PERMISSION_2)
    expiry = _value(perm_items, Tag.COMPREHENSIVE_PERMISSION_EXPIRY_2)
    reserved = _value(other_items, Tag.RESERVED_TEXT)
    return SecondGenData(
        card_type=card_type,
        card_number=parse_card_number_file(number),
        entries=parse_entries(entries),
        name_image=pictures[Tag.FRONT_OR_NAME_IMAGE],
        photo=pictures.get(Tag.PHOTO, b""),
        address_image=address_items[Tag.ADDRESS_IMAGE],
        comprehensive_permission=None if comprehensive is None else decode_text(comprehensive),
        comprehensive_permission_expiry=(None if expiry is None or not expiry.strip(b"\x00 ")
                                         else CardDate.of(expiry)),
        individual_permission=_flag(_value(perm_items, Tag.INDIVIDUAL_PERMISSION_2)),
        renewal_pending=_flag(renewal_raw),
        renewal_pending_text=None if renewal_raw is None else decode_text(renewal_raw),
        commissioner_entry=_flag(_value(other_items, Tag.COMMISSIONER_ENTRY)),
        reserved_text=None if reserved is None else decode_text(reserved),
    )
