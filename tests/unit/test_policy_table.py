from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cardtool.cards.mynumber import ids
from cardtool.policy.table import KEYS, SECRETS, secret
from cardtool.secret_format import RESIDENCE_CARD_NUMBER, PinFormatError, encode_secret


@pytest.mark.parametrize(
    ("name", "typed", "sent"),
    [
        ("auth", "1234", b"1234"),
        ("text", "0000", b"0000"),
        ("sign", "abc123", b"ABC123"),  # lower case is upper-cased before checking
        ("sign", "A1B2C3D4E5F6G7H8", b"A1B2C3D4E5F6G7H8"),
        ("number-a", "123456789012", b"123456789012"),
        ("number-b", "55021720352285", b"55021720352285"),
        ("birth", "550217", b"550217"),
    ],
)
def test_valid_secrets(name: str, typed: str, sent: bytes) -> None:
    assert encode_secret(secret(name), typed) == sent


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("auth", "123"), ("auth", "12345"), ("auth", "12a4"), ("auth", "１２３４"),
        ("sign", "ABCDEF"), ("sign", "123456"), ("sign", "AB12"), ("sign", "A" * 16 + "1"),
        ("sign", "ABC-123"), ("number-a", "12345678901"), ("number-b", "5502172035228"),
    ],
)
def test_invalid_secrets_never_echo_the_value(name: str, typed: str) -> None:
    with pytest.raises(PinFormatError) as info:
        encode_secret(secret(name), typed)
    for lang in ("en", "ja"):
        assert typed not in info.value.render(lang)
    assert info.value.exit_code == 4


def test_sign_rule_message() -> None:
    with pytest.raises(PinFormatError) as info:
        encode_secret(secret("sign"), "abcdef")
    assert "at least one letter and one digit" in str(info.value)
    assert "英字と数字" in info.value.render("ja")


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=6, max_size=16))
def test_sign_rule_is_exactly_mixed_alnum(candidate: str) -> None:
    has_both = any(c.isalpha() for c in candidate) and any(c.isdigit() for c in candidate)
    assert secret("sign").rule.matches(candidate.encode()) == has_both


def test_table_is_the_one_source() -> None:
    assert SECRETS["auth"].max_tries == 3 and SECRETS["sign"].max_tries == 5
    assert KEYS[(ids.JPKI_AID, ids.JpkiEF.AUTH_PIN)][0].name == "auth"
    assert KEYS[(ids.TEXT_AID, ids.TextEF.KEY_A)][0].name == "number-a"
    assert KEYS[(ids.VISUAL_AID, ids.VisualEF.KEY_A)][0].name == "number-a"
    assert encode_secret(RESIDENCE_CARD_NUMBER, "aa12345678bb") == b"AA12345678BB"
    with pytest.raises(PinFormatError):
        encode_secret(RESIDENCE_CARD_NUMBER, "AA1234567BBB")
