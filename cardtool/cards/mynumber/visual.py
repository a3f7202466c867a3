"""券面事項確認AP: the card face (birth date, sex, card expiry as text; name, address,
photo and security code as images) and the municipality code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apdu import tlv
from cardtool.cards.mynumber import ids
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.cards.mynumber.text import SEX_CODES
from cardtool.jst import parse_yyyymmdd

if TYPE_CHECKING:
    # The image specs (and file writing) are loaded where the images are used: a read
    # without --face never needs them.
    from cardtool.images import CardImage

FACE_HEADER_BYTES = 5  # FF 20 82 LL LL


@dataclass(frozen=True)
class CardFace:
    birth_date: dt.date | None
    birth_date_text: str
    sex: str
    card_expiry: dt.date | None
    card_expiry_text: str
    name_png: bytes
    address_png: bytes
    photo_jp2: bytes
    security_code_png: bytes
    signature: bytes

    def __repr__(self) -> str:
        return "CardFace(<personal data>)"

    def card_images(self) -> list[CardImage]:
        """The images as stored on the card, each with the spec its decode is held to."""
        from cardtool.images import (
            MYNUMBER_ADDRESS,
            MYNUMBER_NAME,
            MYNUMBER_PHOTO,
            MYNUMBER_SECURITY_CODE,
            CardImage,
        )

        return [CardImage("name", MYNUMBER_NAME, self.name_png),
                CardImage("address", MYNUMBER_ADDRESS, self.address_png),
                CardImage("photo", MYNUMBER_PHOTO, self.photo_jp2),
                CardImage("security-code", MYNUMBER_SECURITY_CODE, self.security_code_png)]

    def images(self) -> dict[str, bytes]:
        """Image name -> encoded bytes, as stored on the card."""
        return {image.name: image.data for image in self.card_images()}


def parse_card_face(data: bytes) -> CardFace:
    fields = tlv.container_fields(data, ids.VisualTag.FACE, what="券面事項 (card face)")
    birth = fields.text(ids.VisualTag.BIRTH_DATE)
    expiry = fields.text(ids.VisualTag.CARD_EXPIRY)
    field = fields.require
    return CardFace(
        birth_date=parse_yyyymmdd(birth),
        birth_date_text=birth,
        sex=SEX_CODES.get(fields.text(ids.VisualTag.SEX), "unknown"),
        card_expiry=parse_yyyymmdd(expiry),
        card_expiry_text=expiry,
        name_png=field(ids.VisualTag.NAME_IMAGE),
        address_png=field(ids.VisualTag.ADDRESS_IMAGE),
        photo_jp2=field(ids.VisualTag.PHOTO),
        security_code_png=fields.get(ids.VisualTag.SECURITY_CODE_IMAGE),
        signature=fields.get(ids.VisualTag.SIGNATURE),
    )


def read_card_face_ef(card: MyNumberCard) -> bytes:
    """EF 0002's FF20 object as stored (what DF28 covers, in part)."""
    return card.read_object(ids.VISUAL_AID, ids.VisualEF.FACE, header_bytes=FACE_HEADER_BYTES,
                            what="券面事項 (card face)", expect_tag=ids.VisualTag.FACE)


def read_card_face(card: MyNumberCard) -> CardFace:
    return parse_card_face(read_card_face_ef(card))
