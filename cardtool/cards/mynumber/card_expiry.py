"""The My Number card's own expiry date without a PIN (spec §2.4, unverified sources):
MF-level GET DATA ``00 CA 00 F2`` right after reset, else the 共通 DF record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from apdu import tlv
from apdu.command import CommandApdu
from apdu.errors import ApduError, MalformedData
from apdu.ins import INS
from apdu.sw import SHORTCUT_REFUSALS, SW
from cardtool.cards.mynumber import ids
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.jst import parse_yyyymmdd


class ExpirySource(Enum):
    GET_DATA = "get-data-f2"
    COMMON_RECORD = "common-df-record"
    CARD_FACE = "card-face-df29"


@dataclass(frozen=True)
class CardExpiry:
    date: dt.date
    source: ExpirySource


def get_data_expiry(card: MyNumberCard) -> dt.date | None:
    """Valid only before any SELECT after a reset; None if the card does not answer it
    (a card that refuses GET DATA is not asked again in this card session)."""
    if card.get_data_works is False:
        return None
    response = card.session.transmit(
        CommandApdu(0x00, INS.GET_DATA, 0x00, ids.GET_DATA_EXPIRY, le=256))
    if response.sw in SHORTCUT_REFUSALS:
        card.get_data_works = False
    if response.sw != SW.OK:
        return None
    card.get_data_works = True
    return parse_yyyymmdd(response.data[:8])


def common_record_expiry(card: MyNumberCard) -> dt.date | None:
    try:
        record = card.read_record(ids.COMMON_AID, ids.CommonEF.CARD_INFO, 1)
    except ApduError as exc:
        if exc.sw in (SW.FILE_NOT_FOUND, SW.RECORD_NOT_FOUND, SW.SECURITY_STATUS_NOT_SATISFIED):
            return None
        raise
    try:
        item = tlv.find(tlv.parse_all(record, what="共通 DF record"), ids.COMMON_RECORD_TAG)
    except MalformedData:
        return None
    if item is None:
        return None
    return parse_yyyymmdd(item.value[ids.COMMON_RECORD_EXPIRY])


def read_card_expiry(card: MyNumberCard, *, fresh: bool) -> CardExpiry | None:
    """``fresh``: nothing was selected since the card was powered (GET DATA works only
    then). Falls back to the 共通 DF record."""
    if fresh:
        date = get_data_expiry(card)
        if date is not None:
            return CardExpiry(date, ExpirySource.GET_DATA)
    date = common_record_expiry(card)
    if date is not None:
        return CardExpiry(date, ExpirySource.COMMON_RECORD)
    return None
