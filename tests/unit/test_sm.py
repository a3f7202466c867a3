"""Secure-messaging helpers: round trips and strictness (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apdu.errors import MalformedData
from apdu.sm import (
    CbcCipher,
    decrypt_data_object,
    encrypted_data_object,
    expected_length_object,
    pad,
    parse_expected_length,
    protect,
    split_objects,
    unpad,
)
from cardtool.cards.residence.crypto import aes_cbc, tdes_cbc

KEYS = st.binary(min_size=16, max_size=16)
CIPHERS = st.one_of(KEYS.map(aes_cbc), KEYS.map(tdes_cbc))


@given(st.binary(max_size=600), st.sampled_from([8, 16]))
def test_pad_unpad_round_trip(data: bytes, block: int) -> None:
    padded = pad(data, block)
    assert len(padded) % block == 0 and 1 <= len(padded) - len(data) <= block
    assert padded[len(data)] == 0x80
    assert unpad(padded, block) == data


@given(st.binary(max_size=80), st.sampled_from([8, 16]))
def test_unpad_of_garbage_raises_only_malformed_data(data: bytes, block: int) -> None:
    try:
        out = unpad(data, block)
    except MalformedData:
        return
    assert pad(out, block) == data  # whatever it accepts is exactly a padded value


@pytest.mark.parametrize(("data", "why"), [
    (bytes(16), "padding"),  # no 80 at all
    (b"A" * 15 + b"\x81", "padding"),
    (b"A" * 15 + b"\x80" + bytes(16), "padding"),  # more than one block of padding
    (b"A" * 15, "multiple"),
    (b"", "multiple"),
])
def test_unpad_rejects(data: bytes, why: str) -> None:
    with pytest.raises(MalformedData, match=why):
        unpad(data, 16)


@given(CIPHERS, st.binary(max_size=3000))
def test_encrypted_object_round_trip(cipher: CbcCipher, data: bytes) -> None:
    obj = encrypted_data_object(cipher, data)
    assert obj[0] == 0x86
    assert decrypt_data_object(cipher, obj) == data


@given(CIPHERS, st.binary(max_size=300))
def test_decrypt_of_garbage_raises_only_malformed_data(cipher: CbcCipher, data: bytes) -> None:
    try:
        decrypt_data_object(cipher, data)
    except MalformedData:
        pass


@given(CIPHERS, st.binary(min_size=1, max_size=200), st.data())
def test_torn_response_is_malformed(cipher: CbcCipher, data: bytes, draw: st.DataObject) -> None:
    obj = encrypted_data_object(cipher, data)
    cut = draw.draw(st.integers(0, len(obj) - 1))
    with pytest.raises(MalformedData):
        decrypt_data_object(cipher, obj[:cut])


def test_wrong_indicator_and_trailing_bytes_are_malformed() -> None:
    cipher = aes_cbc(bytes(16))
    obj = encrypted_data_object(cipher, b"hello")
    with pytest.raises(MalformedData, match="indicator"):
        decrypt_data_object(cipher, obj[:2] + b"\x02" + obj[3:])
    with pytest.raises(MalformedData, match="unexpected bytes"):
        decrypt_data_object(cipher, obj + b"\x90")
    with pytest.raises(MalformedData, match="tag 86"):
        decrypt_data_object(cipher, b"\x87" + obj[1:])
    with pytest.raises(MalformedData, match="multiple"):
        decrypt_data_object(cipher, b"\x86\x05\x01" + bytes(4))


@given(st.integers(0, 0xFFFF))
def test_expected_length_round_trip(n: int) -> None:
    assert parse_expected_length(expected_length_object(n)) == n


@given(CIPHERS, st.binary(max_size=64), st.one_of(st.none(), st.integers(0, 0xFFFF)))
def test_protect_gives_86_then_96(cipher: CbcCipher, data: bytes, expected: int | None) -> None:
    field = protect(cipher, data, expected)
    objects = split_objects(field, frozenset({0x86, 0x96}))
    assert (0x86 in objects) == bool(data)
    assert (0x96 in objects) == (expected is not None)
    if expected is not None:
        assert int.from_bytes(objects[0x96], "big") == expected


@given(st.binary(max_size=100))
def test_split_objects_of_garbage_raises_only_malformed_data(data: bytes) -> None:
    try:
        split_objects(data, frozenset({0x86, 0x8E, 0x99}))
    except MalformedData:
        pass


def test_split_objects_rejects_duplicates_and_unknown_tags() -> None:
    with pytest.raises(MalformedData, match="twice"):
        split_objects(b"\x8e\x01\x00\x8e\x01\x00", frozenset({0x8E}))
    with pytest.raises(MalformedData, match="unexpected tag"):
        split_objects(b"\x99\x02\x90\x00", frozenset({0x8E}))
