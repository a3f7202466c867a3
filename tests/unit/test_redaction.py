from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from apdu import tlv
from apdu.command import CommandApdu
from apdu.transport.replay import redacted_to_bytes
from cardtool.cards.mynumber import ids
from cardtool.cards.residence import ids as rids
from cardtool.redaction import CardRedactor

MY_NUMBER = b"123456789018"


def select(aid: bytes) -> bytes:
    return bytes.fromhex("00A4040C") + bytes((len(aid),)) + aid


def test_my_number_value_redacted_structure_kept() -> None:
    r = CardRedactor()
    r.redact(select(ids.TEXT_AID), b"\x90\x00")
    r.redact(bytes.fromhex("00A4020C020001"), b"\x90\x00")
    response = bytes.fromhex("FF100C") + MY_NUMBER + b"\xff\xff\x90\x00"
    _cmd, rsp, applied = r.redact(bytes.fromhex("00B0000000"), response)
    assert MY_NUMBER.hex().upper() not in rsp
    assert rsp.startswith("FF100C") and rsp.endswith("9000") and len(rsp) == 2 * len(response)
    assert applied == ("personal",)
    assert redacted_to_bytes(rsp)[3:15] == b"*" * 12


def test_attributes_leaves_redacted() -> None:
    r = CardRedactor()
    r.redact(select(ids.TEXT_AID), b"\x90\x00")
    r.redact(bytes.fromhex("00A4020C020002"), b"\x90\x00")
    body = tlv.build_all([(0xDF21, b"\x00" * 8), (0xDF22, "山田 太郎".encode()),
                          (0xDF24, b"19800101"), (0xDF25, b"1")])
    data = tlv.build(0xFF20, body)
    _cmd, rsp, _ = r.redact(bytes.fromhex("00B0000000"), data + b"\x90\x00")
    replayed = redacted_to_bytes(rsp)[:-2]
    (outer,) = tlv.parse_all(replayed)
    kids = outer.children()
    assert [k.tag for k in kids] == [0xDF21, 0xDF22, 0xDF24, 0xDF25]
    assert all(set(k.value) == {0x2A} for k in kids)


def test_auth_certificate_and_pin_status_are_kept() -> None:
    r = CardRedactor()
    r.redact(select(ids.JPKI_AID), b"\x90\x00")
    r.redact(bytes.fromhex("00A4020C02000A"), b"\x90\x00")
    _cmd, rsp, applied = r.redact(bytes.fromhex("00B0000004"), bytes.fromhex("308206209000"))
    assert rsp == "308206209000" and applied == ()
    cmd, _rsp, applied = r.redact(bytes.fromhex("0020008004") + b"1234", b"\x63\xc2")
    assert cmd == "0020008004XXXXXXXX" and applied == ("secret",)


def test_residence_df2_plain_read_redacted_sm_kept() -> None:
    r = CardRedactor()
    r.redact(select(rids.DF2_AID), b"\x90\x00")
    address = tlv.build(0xD4, "東京都千代田区".encode())
    _cmd, rsp, applied = r.redact(bytes.fromhex("00B0810000"), address + b"\x90\x00")
    assert applied == ("personal",) and "E69DB1" not in rsp
    r.redact(select(rids.DF1_AID), b"\x90\x00")
    sm = bytes.fromhex("8611" + "01" + "AB" * 16 + "9000")
    _cmd, rsp, applied = r.redact(bytes.fromhex("08B08500000004960200000000"), sm)
    assert applied == () and rsp == sm.hex().upper()


def test_unparseable_personal_response_redacted_whole() -> None:
    r = CardRedactor()
    r.redact(select(ids.VISUAL_AID), b"\x90\x00")
    r.redact(bytes.fromhex("00A4020C020002"), b"\x90\x00")
    _cmd, rsp, _ = r.redact(bytes.fromhex("00B0010000"), b"\x12\x34\x56\x90\x00")
    assert rsp == "XXXXXX9000"


def test_chunked_reads_keep_structure_only_from_known_boundaries() -> None:
    body = tlv.build_all([(0xDF21, bytes(8)), (0xDF22, "試験 花子".encode()),
                          (0xDF23, ("東京都" * 60).encode()), (0xDF24, b"19850401"),
                          (0xDF25, b"2")])
    data = tlv.build(0xFF20, body)
    r = CardRedactor()
    r.redact(select(ids.TEXT_AID), b"\x90\x00")
    r.redact(bytes.fromhex("00A4020C020002"), b"\x90\x00")
    # header read of 5 bytes, then the value from where it starts (as read_tlv_file does)
    _, head, _ = r.redact(bytes.fromhex("00B0000005"), data[:5] + b"\x90\x00")
    value_start = 4 if data[2] == 0x81 else 5
    assert head[: 2 * value_start] == data[:value_start].hex().upper()
    cmd = bytes.fromhex("00B0") + value_start.to_bytes(2, "big") + b"\x00" + (
        len(data) - value_start).to_bytes(2, "big")
    _, rest, _ = r.redact(cmd, data[value_start:] + b"\x90\x00")
    replayed = data[:value_start] + redacted_to_bytes(rest)[:-2]
    (outer,) = tlv.parse_all(replayed)
    assert [k.tag for k in outer.children()] == [0xDF21, 0xDF22, 0xDF23, 0xDF24, 0xDF25]
    assert "東京都".encode().hex().upper() not in rest
    # A 256-byte chunk that starts mid-value is redacted whole: nothing leaks.
    _, mid, _ = r.redact(bytes.fromhex("00B0010000"), data[256:] + b"\x90\x00")
    assert set(mid[:-4]) == {"X"}




def _header_positions(data: bytes) -> set[int]:
    """Byte positions that are TLV headers in the true structure of ``data``."""
    positions: set[int] = set()

    def walk(start: int, end: int) -> None:
        pos = start
        while pos < end:
            tag, length, value_start = tlv.read_header(data, pos, end)
            positions.update(range(pos, value_start))
            if tag == 0xFF20:
                walk(value_start, value_start + length)
            pos = value_start + length

    walk(0, len(data))
    return positions


@given(st.lists(st.tuples(st.sampled_from([0xDF21, 0xDF22, 0xDF23, 0xDF24, 0xDF25]),
                          st.binary(min_size=1, max_size=300)), min_size=1, max_size=5),
       st.lists(st.integers(1, 600), max_size=6))
def test_no_value_byte_survives_any_chunking(items: list[tuple[int, bytes]],
                                             cuts: list[int]) -> None:
    data = tlv.build(0xFF20, tlv.build_all(items))
    headers = _header_positions(data)
    r = CardRedactor()
    r.redact(select(ids.TEXT_AID), b"\x90\x00")
    r.redact(bytes.fromhex("00A4020C020002"), b"\x90\x00")
    points = sorted({0, len(data), *[c for c in cuts if c < len(data)]})
    for start, end in itertools.pairwise(points):
        cmd = CommandApdu(0, 0xB0, start >> 8, start & 0xFF, le=end - start).to_bytes()
        _, rsp, _ = r.redact(cmd, data[start:end] + b"\x90\x00")
        for i in range(end - start):
            if rsp[2 * i : 2 * i + 2] != "XX":
                assert start + i in headers
