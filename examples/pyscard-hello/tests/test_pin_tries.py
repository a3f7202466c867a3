"""Tests of pin_tries.py against cards served by the cardtool pytest plugin: no card, no
reader, but the real pcscd and the program's real PC/SC code path."""

from __future__ import annotations

from pathlib import Path

import pytest
from pin_tries import CardError, auth_pin_tries

from cardtool.pytest_plugin import VpcdCards

HERE = Path(__file__).resolve().parent


def test_a_virtual_my_number_card(cardtool_reader: str) -> None:
    assert auth_pin_tries(cardtool_reader) == 3


@pytest.mark.cardtool_card("mynumber:default+no-get-data+get-response-always")
def test_a_stricter_card_with_quirks(cardtool_reader: str) -> None:
    assert auth_pin_tries(cardtool_reader) == 3


def test_a_card_with_one_try_left(cardtool_vpcd: VpcdCards) -> None:
    card = cardtool_vpcd.virtual("mynumber:one-try-left")
    assert auth_pin_tries(card.reader) == 1


@pytest.mark.cardtool_card(replay="pin-tries.jsonl")
def test_a_recorded_session(cardtool_reader: str) -> None:
    # pin-tries.jsonl: `cardtool emulate mynumber --record tests/pin-tries.jsonl` while
    # `python pin_tries.py "Virtual PCD 00 00"` ran.
    assert auth_pin_tries(cardtool_reader) == 3


def test_a_program_that_changed_is_caught(cardtool_vpcd: VpcdCards) -> None:
    card = cardtool_vpcd.replay(HERE / "pin-tries.jsonl")
    with pytest.raises(CardError, match="6F00"):
        _other_program(card.reader)
    error = card.take_error()  # expected here; otherwise it fails the test at teardown
    assert error is not None and "exchange 2" in str(error)


def _other_program(reader_name: str) -> None:
    """pin_tries with another PIN: SELECTs the signing PIN's EF (001B), not 0018."""
    import pin_tries

    original = pin_tries.SELECT_AUTH_PIN
    pin_tries.SELECT_AUTH_PIN = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x1B]
    try:
        pin_tries.auth_pin_tries(reader_name)
    finally:
        pin_tries.SELECT_AUTH_PIN = original
