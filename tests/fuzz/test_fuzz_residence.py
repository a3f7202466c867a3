"""Fuzzing the residence-card byte cores: SM unwrap, file parsers, card certificates.
Only our documented errors may come out."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apdu import tlv
from apdu.errors import MalformedData
from apdu.sm import decrypt_data_object, split_objects, unpad
from cardtool.cards.residence import ids
from cardtool.cards.residence.certificate import MalformedCardCertificate, load_certificate_bytes
from cardtool.cards.residence.crypto import suite_for
from cardtool.cards.residence.parse import (
    first_gen_data,
    parse_card_type_value,
    parse_entries,
    parse_signature_file,
    second_gen_data,
)
from tests.fuzz.conftest import FUZZ_EXAMPLES

fuzz = settings(max_examples=FUZZ_EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
residence_tlv = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda items, tail: tlv.build_all(items) + tail,
              st.lists(st.tuples(st.sampled_from([0xC1, 0xC2, 0xC5, 0xCD, 0xD0, 0xD1, 0xD4, 0xD7,
                                                  0xD8, 0xDA, 0xDB, 0xDC, 0xDD, 0xDFD1]),
                                 st.binary(max_size=60)), max_size=6),
              st.sampled_from([b"", b"\x00" * 5, b"\x80", b"\xff"])),
)


@fuzz
@given(st.binary(max_size=120), st.sampled_from([ids.Generation.FIRST, ids.Generation.SECOND]))
def test_fuzz_sm_unwrap(data: bytes, generation: ids.Generation) -> None:
    cipher = suite_for(generation).cipher(bytes(range(16)))
    for fn in (lambda: decrypt_data_object(cipher, data),
               lambda: split_objects(data, frozenset({0x86, 0x96})),
               lambda: unpad(data, cipher.block_size)):
        try:
            fn()
        except MalformedData:
            pass


@fuzz
@given(residence_tlv, residence_tlv, residence_tlv)
def test_fuzz_residence_parsers(a: bytes, b: bytes, c: bytes) -> None:
    calls = [
        lambda: parse_card_type_value(a),
        lambda: parse_entries(a),
        lambda: parse_signature_file(a, ids.Generation.FIRST),
        lambda: parse_signature_file(b, ids.Generation.SECOND),
        lambda: first_gen_data(ids.CardType.RESIDENCE_1, a, b, c, b, c, a),
        lambda: second_gen_data(ids.CardType.RESIDENCE_2, a, b, c, a, b, c, None),
    ]
    for call in calls:
        try:
            call()
        except MalformedData:
            pass


@fuzz
@given(st.one_of(st.binary(max_size=300),
                 st.builds(lambda body, pad: b"\x30\x82" + len(body).to_bytes(2, "big") + body + pad,
                           st.binary(max_size=250), st.binary(max_size=8))))
def test_fuzz_card_certificate(data: bytes) -> None:
    try:
        load_certificate_bytes(data)
    except MalformedCardCertificate:
        pass
