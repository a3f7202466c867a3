"""The live PIN guard against the card OS: never a VERIFY it should not send."""

from __future__ import annotations

import pytest

from apdu.session import Session
from apdu.transport.virtual import VirtualTransport
from cardtool.cards.mynumber import ids
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.policy.guard import (
    LastTryRefused,
    PinBlocked,
    PinGuard,
    TriesUnknown,
    WrongPin,
    WrongPinNowBlocked,
)
from cardtool.policy.table import SECRETS
from cardtool.secret_format import PinFormatError
from cardtool.virtual.card_os import DF, CardOS, PinObject

AUTH = SECRETS["auth"]
SIGN = SECRETS["sign"]


def make(auth_tries: int = 3, sign_tries: int = 5) -> tuple[CardOS, MyNumberCard]:
    os = CardOS(bytes.fromhex("3B8880010000000000000000"))
    df = os.add_df(DF(ids.JPKI_AID))
    df.pins[ids.JpkiEF.AUTH_PIN] = PinObject(b"1234", 3, auth_tries)
    df.pins[ids.JpkiEF.SIGN_PIN] = PinObject(b"ABC123", 5, sign_tries)
    return os, MyNumberCard(Session(VirtualTransport(os)))


def verifies_with_data(os_log: list[bytes]) -> list[bytes]:
    return [c for c in os_log if c[1] == 0x20 and len(c) > 4]


def logged(os: CardOS) -> list[bytes]:
    log: list[bytes] = []
    original = os.process_apdu

    def process(command: bytes) -> bytes:
        log.append(bytes(command))
        return original(command)

    os.process_apdu = process  # type: ignore[method-assign]
    return log


def test_right_pin_after_status_read() -> None:
    os, card = make()
    log = logged(os)
    status = PinGuard(card).verify(AUTH, AUTH.keys[0], "1234")
    assert status.remaining == 3
    assert [c.hex() for c in log] == ["00a4040c0ad392f000260100000001", "00200098",
                                      "0020009804" + b"1234".hex()]


def test_malformed_pin_never_reaches_the_card() -> None:
    os, card = make()
    log = logged(os)
    with pytest.raises(PinFormatError):
        PinGuard(card).verify(AUTH, AUTH.keys[0], "12345")
    with pytest.raises(PinFormatError):
        PinGuard(card).verify(SIGN, SIGN.keys[0], "abcdef")
    assert log == []


def test_wrong_pin_reports_tries_and_no_retry() -> None:
    os, card = make()
    log = logged(os)
    with pytest.raises(WrongPin) as info:
        PinGuard(card).verify(AUTH, AUTH.keys[0], "0000")
    assert info.value.remaining == 2
    assert "2 tries left" in str(info.value) and "残り 2 回" in info.value.render("ja")
    assert len(verifies_with_data(log)) == 1
    assert "0000" not in str(info.value)


def test_one_try_left_refused_unless_forced() -> None:
    os, card = make(auth_tries=1)
    log = logged(os)
    with pytest.raises(LastTryRefused):
        PinGuard(card).verify(AUTH, AUTH.keys[0], "1234")
    assert verifies_with_data(log) == []
    assert PinGuard(card, force=True).verify(AUTH, AUTH.keys[0], "1234").remaining == 3


def test_blocked_pin_sends_nothing_and_last_wrong_blocks() -> None:
    os, card = make(auth_tries=0)
    log = logged(os)
    with pytest.raises(PinBlocked):
        PinGuard(card, force=True).verify(AUTH, AUTH.keys[0], "1234")
    assert verifies_with_data(log) == []
    os2, card2 = make(auth_tries=1)
    with pytest.raises(WrongPinNowBlocked):
        PinGuard(card2, force=True).verify(AUTH, AUTH.keys[0], "9999")
    assert os2.dfs[ids.JPKI_AID].pins[ids.JpkiEF.AUTH_PIN].remaining == 0


def test_ask_is_not_called_when_the_guard_would_refuse() -> None:
    _os, card = make(auth_tries=1)
    guard = PinGuard(card)
    asked: list[str] = []

    def ask(secret: object) -> str:
        asked.append("asked")
        return "1234"

    with pytest.raises(LastTryRefused):
        guard.ask_and_verify(guard.status(AUTH, AUTH.keys[0]), ask)
    assert asked == []


def test_card_that_hides_the_counter_is_refused_unless_forced() -> None:
    os, card = make()

    def hide(command: bytes, _orig=os.process_apdu) -> bytes:  # type: ignore[no-untyped-def]
        if command[1] == 0x20 and len(command) == 4:
            return b"\x90\x00"
        return _orig(command)

    os.process_apdu = hide  # type: ignore[method-assign]
    with pytest.raises(TriesUnknown):
        PinGuard(card).verify(AUTH, AUTH.keys[0], "1234")
    assert PinGuard(card, force=True).verify(AUTH, AUTH.keys[0], "1234").remaining == 3


def test_select_fallback_when_card_refuses_sfi_verify() -> None:
    os, card = make()
    original = os.process_apdu

    def no_sfi(command: bytes) -> bytes:
        if command[1] == 0x20 and command[3] != 0x80:
            return b"\x6a\x86"
        return original(command)

    os.process_apdu = no_sfi  # type: ignore[method-assign]
    log = logged(os)
    PinGuard(card).verify(AUTH, AUTH.keys[0], "1234")
    assert [c.hex()[:8] for c in log] == ["00a4040c", "00200098", "00a4020c", "00200080",
                                          "00200080"]
    assert len(verifies_with_data(log)) == 1
