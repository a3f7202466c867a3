"""Reading residence cards: the card type without authentication, then, once the card
number is verified, the DF1 files under secure messaging and the DF2/DF3 files in plain.

The card type decides everything else (spec §1): the TLV header of MF/EF02 is read first,
because its value is 1 byte on first-generation cards and 2 on later ones; a fixed Le
truncates one or the other.
"""

from __future__ import annotations

from apdu.command import CommandApdu
from apdu.errors import ApduError
from apdu.ins import INS
from apdu.session import Session
from apdu.sw import SW
from cardtool.cards.residence import ids
from cardtool.cards.residence.auth import Channel
from cardtool.cards.residence.parse import (
    FirstGenData,
    SecondGenData,
    SignatureBlock,
    first_gen_data,
    parse_card_type_value,
    parse_signature_file,
    parse_spec_version,
    second_gen_data,
)
from cardtool.errors import EXIT_CARD, CardtoolError

#: Answers meaning "no such file here" to a read of the public EFs.
_NOT_HERE = frozenset({SW.FILE_NOT_FOUND, SW.INCORRECT_P1P2, SW.WRONG_PARAMETERS,
                       SW.COMMAND_NOT_ALLOWED, SW.FUNCTION_NOT_SUPPORTED,
                       SW.INS_NOT_SUPPORTED, SW.CLA_NOT_SUPPORTED, SW.COMMAND_INCOMPATIBLE})

#: Answers meaning "no file at this short EF id" to a READ BINARY with P1 = 80|SFI: file not
#: found, P1 (the short id) not accepted, or the command not allowed on what it addressed.
_NO_FILE_AT_SFI = frozenset({SW.FILE_NOT_FOUND, SW.INCORRECT_P1P2, SW.COMMAND_NOT_ALLOWED})


class UnknownResidenceCardType(CardtoolError):
    en = ("The card's type code is '{code}', which is not a residence card type cardtool "
          "knows (1, 2, 05-08).")
    ja = "カード種別コード '{code}' は対応している在留カード等の種別(1, 2, 05-08)ではありません。"
    exit_code = EXIT_CARD


def _read_public(session: Session, sfi: int, what: str) -> bytes | None:
    """A public TLV EF of the current DF, header first; None if the card has no such EF."""
    try:
        return session.read_tlv_file(sfi=sfi, header_bytes=ids.CARD_TYPE_HEADER_BYTES,
                                     what=what, max_size=0xFF)
    except ApduError as exc:
        if exc.sw in _NOT_HERE:
            return None
        raise


def read_card_type(session: Session, *, select_mf: bool = True) -> ids.CardType | None:
    """The residence card type from EF02 of the current DF (MF; the 在留AP on a 特定在留カード),
    selecting the MF once if the read finds nothing (unless ``select_mf`` is False: the
    current DF then stays selected). None: not a residence card (or not found here)."""
    raw = _read_public(session, ids.SFI_CARD_TYPE, "card type (MF/EF02)")
    if raw is None and not select_mf:
        return None
    if raw is None:
        response = session.transmit(CommandApdu(0x00, INS.SELECT, 0x00, 0x00, ids.MF_FID))
        if response.sw != SW.OK:
            return None
        raw = _read_public(session, ids.SFI_CARD_TYPE, "card type (MF/EF02)")
        if raw is None:
            return None
    if raw[:1] != bytes((ids.Tag.CARD_TYPE,)):
        return None  # an EF with this short id, but not a residence card's card type
    code = parse_card_type_value(raw)
    try:
        return ids.CardType(code)
    except ValueError:
        raise UnknownResidenceCardType(code=code[:8]) from None


def read_spec_version(session: Session) -> str | None:
    raw = _read_public(session, ids.SFI_COMMON, "common data (MF/EF01)")
    return None if raw is None else parse_spec_version(raw)


class ResidenceReader:
    """File access after authentication. The DF1 files need SM, DF2/DF3 plain reads."""

    def __init__(self, session: Session, channel: Channel) -> None:
        self.session = session
        self.channel = channel

    def select(self, aid: bytes) -> None:
        self.session.select_df(aid)

    def sm_read(self, sfi: int) -> bytes:
        """``08 B0 80|SFI 00 00 00 04 96 02 00 00 00 00``: the whole EF, decrypted."""
        response = self.session.transmit(self.channel.command(INS.READ_BINARY, 0x80 | sfi, 0x00,
                                                              expected=0))
        if response.sw != SW.OK:
            raise ApduError(response.sw, "READ BINARY (secure messaging)", response.data)
        return self.channel.response(response.data,
                                     f"SM response to READ BINARY of EF {sfi:02X}")

    def plain_read(self, sfi: int) -> bytes:
        return self.session.read_binary(None, sfi=sfi)

    def optional_plain_read(self, *sfis: int) -> bytes | None:
        """The first of ``sfis`` the current DF has (None if none): for files whose short id
        the sources disagree on. A refusal that means "no such file at this short id"
        (``_NO_FILE_AT_SFI``) moves on to the next; any other error is raised."""
        for sfi in sfis:
            try:
                return self.plain_read(sfi)
            except ApduError as exc:
                if exc.sw not in _NO_FILE_AT_SFI:
                    raise
        return None

    def signature(self, generation: ids.Generation) -> SignatureBlock:
        self.select(ids.DF3_AID)
        sfi = ids.FirstGenSFI.SIGNATURE if generation is ids.Generation.FIRST else \
            ids.SecondGenSFI.SIGNATURE
        return parse_signature_file(self.plain_read(sfi), generation)

    def first_generation(self, card_type: ids.CardType) -> FirstGenData:
        sfi = ids.FirstGenSFI
        self.select(ids.DF1_AID)
        front = self.sm_read(sfi.FRONT_IMAGE)
        photo = self.sm_read(sfi.PHOTO)
        self.select(ids.DF2_AID)
        address = self.plain_read(sfi.ADDRESS)
        comprehensive = individual = renewal = None
        if card_type is ids.CardType.RESIDENCE_1:  # 特別永住者証明書 has only the address
            comprehensive = self.plain_read(sfi.COMPREHENSIVE_PERMISSION)
            individual = self.plain_read(sfi.INDIVIDUAL_PERMISSION)
            renewal = self.plain_read(sfi.RENEWAL)
        return first_gen_data(card_type, front, photo, address, comprehensive, individual,
                              renewal)

    def second_generation(self, card_type: ids.CardType) -> SecondGenData:
        sfi = ids.SecondGenSFI
        self.select(ids.DF1_AID)
        number = self.sm_read(sfi.CARD_NUMBER)
        entries = self.sm_read(sfi.ENTRIES)
        images = self.sm_read(sfi.NAME_AND_PHOTO)
        address = self.sm_read(sfi.ADDRESS_IMAGE)
        self.select(ids.DF2_AID)
        permissions = renewal = other = None
        if card_type in ids.SPECIAL_PERMANENT_TYPES:
            other = self.optional_plain_read(*ids.SPECIAL_PERMANENT_2_OTHER_SFIS)
        else:
            permissions = self.plain_read(sfi.PERMISSIONS)
            renewal = self.plain_read(sfi.RENEWAL)
            other = self.plain_read(sfi.COMMISSIONER)
        return second_gen_data(card_type, number, entries, images, address, permissions,
                               renewal, other)


__all__ = ["ResidenceReader", "UnknownResidenceCardType", "read_card_type",
           "read_spec_version"]
