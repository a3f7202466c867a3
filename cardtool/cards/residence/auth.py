"""Card-number authentication of the first- and second-generation residence cards (spec §3):
GET CHALLENGE, MUTUAL AUTHENTICATE (both sides prove they derived the key from the printed
card number), the session key, and VERIFY of the card number under secure messaging.

Host randomness (RND.IFD, K.IFD) comes only from ``Session.host_random``, so a recorded
session replays byte for byte when the same card number is supplied again.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Protocol

from apdu.command import MAX_EXTENDED_LE, CommandApdu
from apdu.errors import ApduError, MalformedData
from apdu.ins import INS
from apdu.session import Session
from apdu.sm import CbcCipher, decrypt_data_object, protect
from apdu.sw import SW
from cardtool.cards.residence import ids
from cardtool.cards.residence.crypto import MAC_LENGTH, Suite, base_key, session_key
from cardtool.errors import EXIT_CARD, EXIT_PIN, CardtoolError
from cardtool.secret_format import RESIDENCE_CARD_NUMBER, encode_secret

CRYPTOGRAM_LENGTH = ids.CHALLENGE_LENGTH * 2 + ids.KEY_LENGTH  # RND ‖ RND ‖ K = 32 bytes


class CardNumberMismatch(CardtoolError):
    """The card refused the card number (``63 00``). Never carries the number."""

    en = ("The card number does not match this card ({step}). Check the 12 characters "
          "printed on the card and try again.")
    ja = ("在留カード番号がこのカードと一致しません({step})。券面に記載された12文字を確認して"
          "再実行してください。")
    exit_code = EXIT_PIN

    def __init__(self, step: str) -> None:
        super().__init__(step=step)


class CardAuthenticationFailed(CardtoolError):
    """The card's own cryptogram did not check out: not our card's key, or corrupted data."""

    en = ("The card's answer to MUTUAL AUTHENTICATE failed the check ({detail}). The card "
          "may not be genuine or the data was corrupted on the way; try again.")
    ja = ("相互認証に対するカードの応答を検証できませんでした({detail})。カードが正規でないか、"
          "通信中にデータが壊れた可能性があります。再実行してください。")
    exit_code = EXIT_CARD


class Channel(Protocol):
    """Secure messaging after key agreement: turns a plain command into its SM form and an
    SM response into plaintext. Implemented by ``SecureChannel`` (first and second
    generation) and by the 特定在留カード channel (``specified``)."""

    def command(self, ins: int, p1: int, p2: int, data: bytes = b"",
                expected: int | None = None) -> CommandApdu: ...

    def response(self, data: bytes, what: str) -> bytes: ...


@dataclass(frozen=True)
class SecureChannel:
    """First and second generation: KSenc, CBC with an all-zero IV for every message, no
    MAC and no counter (spec §3-§4)."""

    suite: Suite
    ks_enc: bytes

    def cipher(self) -> CbcCipher:
        return self.suite.cipher(self.ks_enc)

    def command(self, ins: int, p1: int, p2: int, data: bytes = b"",
                expected: int | None = None) -> CommandApdu:
        """``08 INS P1 P2`` with ``86`` (data) and ``96`` (expected length; 0 = all); a
        command expecting data is sent extended with Le ``00 00``."""
        field = protect(self.cipher(), data, expected)
        if expected is None:
            return CommandApdu(ids.SM_CLA, ins, p1, p2, field)
        return CommandApdu(ids.SM_CLA, ins, p1, p2, field, le=MAX_EXTENDED_LE, extended=True)

    def response(self, data: bytes, what: str) -> bytes:
        return decrypt_data_object(self.cipher(), data, what)


def check_card_number(typed: str) -> bytes:
    """Upper-case and format-check a typed card number (2 letters, 8 digits, 2 letters);
    raise PinFormatError before anything reaches a card."""
    return encode_secret(RESIDENCE_CARD_NUMBER, typed)


def host_cryptogram(suite: Suite, key: bytes, rnd_ifd: bytes, rnd_icc: bytes,
                    k_ifd: bytes) -> bytes:
    """E.IFD ‖ M.IFD: RND.IFD ‖ RND.ICC ‖ K.IFD encrypted, then MACed."""
    e_ifd = suite.cipher(key).encrypt(rnd_ifd + rnd_icc + k_ifd)
    return e_ifd + suite.mac(key, e_ifd)


def open_card_cryptogram(suite: Suite, key: bytes, answer: bytes, rnd_ifd: bytes,
                         rnd_icc: bytes) -> bytes:
    """Check M.ICC and both randoms in E.ICC; return K.ICC."""
    if len(answer) != CRYPTOGRAM_LENGTH + MAC_LENGTH:
        raise MalformedData("MUTUAL AUTHENTICATE response", len(answer),
                            f"expected {CRYPTOGRAM_LENGTH + MAC_LENGTH} bytes, got {len(answer)}")
    e_icc, m_icc = answer[:CRYPTOGRAM_LENGTH], answer[CRYPTOGRAM_LENGTH:]
    if not hmac.compare_digest(suite.mac(key, e_icc), m_icc):
        raise CardAuthenticationFailed(detail="M.ICC does not match")
    plain = suite.cipher(key).decrypt(e_icc)
    n = ids.CHALLENGE_LENGTH
    if plain[:n] != rnd_icc:
        raise CardAuthenticationFailed(detail="RND.ICC does not match the challenge")
    if plain[n : 2 * n] != rnd_ifd:
        raise CardAuthenticationFailed(detail="RND.IFD does not match ours")
    return plain[2 * n :]


def verify_command(channel: Channel, card_number: bytes) -> CommandApdu:
    """``08 20 00 86 13 86 11 01 <cryptogram>``: the card number, padded and encrypted."""
    return channel.command(INS.VERIFY, 0x00, ids.CARD_NUMBER_KEY_REFERENCE, card_number)


def get_challenge(session: Session) -> bytes:
    response = session.transmit(
        CommandApdu(0x00, INS.GET_CHALLENGE, 0x00, 0x00, le=ids.CHALLENGE_LENGTH))
    if response.sw != SW.OK:
        raise ApduError(response.sw, "GET CHALLENGE", response.data)
    if len(response.data) != ids.CHALLENGE_LENGTH:
        raise MalformedData("GET CHALLENGE response", len(response.data),
                            f"expected {ids.CHALLENGE_LENGTH} bytes")
    return response.data


def mutual_authenticate(session: Session, suite: Suite, card_number: bytes) -> SecureChannel:
    """GET CHALLENGE + MUTUAL AUTHENTICATE; returns the channel holding KSenc."""
    key = base_key(card_number)
    rnd_icc = get_challenge(session)
    rnd_ifd = session.host_random(ids.CHALLENGE_LENGTH, "RND.IFD")
    k_ifd = session.host_random(ids.KEY_LENGTH, "K.IFD")
    command = CommandApdu(0x00, INS.MUTUAL_AUTHENTICATE, 0x00, 0x00,
                          host_cryptogram(suite, key, rnd_ifd, rnd_icc, k_ifd), le=256)
    response = session.transmit(command)
    if response.sw == SW.VERIFY_FAILED:
        raise CardNumberMismatch("MUTUAL AUTHENTICATE")
    if response.sw != SW.OK:
        raise ApduError(response.sw, "MUTUAL AUTHENTICATE", response.data)
    k_icc = open_card_cryptogram(suite, key, response.data, rnd_ifd, rnd_icc)
    return SecureChannel(suite, session_key(k_ifd, k_icc))


def verify_card_number(session: Session, channel: Channel, card_number: bytes) -> None:
    response = session.transmit(verify_command(channel, card_number))
    if response.sw == SW.VERIFY_FAILED:
        raise CardNumberMismatch("VERIFY")
    if response.sw != SW.OK:
        raise ApduError(response.sw, "VERIFY", response.data)
    if response.data:
        channel.response(response.data, "SM response to VERIFY")


def authenticate(session: Session, suite: Suite, card_number: bytes) -> SecureChannel:
    """The whole card-number authentication; ``card_number`` must be format-checked
    (``check_card_number``)."""
    channel = mutual_authenticate(session, suite, card_number)
    verify_card_number(session, channel, card_number)
    return channel
