from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apdu import tlv
from apdu.command import CommandApdu
from apdu.importers import import_log, redact_trace, to_trace
from apdu.trace import Trace
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
    # A 256-byte chunk that starts mid-value is redacted up to the first boundary an earlier
    # chunk made known (the end of DF23, from its header); the headers after it are kept.
    _, mid, _ = r.redact(bytes.fromhex("00B0010000"), data[256:] + b"\x90\x00")
    df23_end = data.index(b"\xdf\x24\x08")
    assert set(mid[: 2 * (df23_end - 256)]) == {"X"}
    assert mid[2 * (df23_end - 256):].startswith("DF2408" + "XX" * 8 + "DF2501XX")
    assert "東京都".encode().hex().upper() not in mid




@given(st.lists(st.tuples(st.sampled_from([0xDF21, 0xDF22, 0xDF23, 0xDF24, 0xDF25]),
                          st.binary(min_size=1, max_size=300)), min_size=1, max_size=5),
       st.lists(st.integers(1, 600), max_size=6))
def test_no_value_byte_survives_any_chunking(items: list[tuple[int, bytes]],
                                             cuts: list[int]) -> None:
    data = tlv.build(0xFF20, tlv.build_all(items))
    headers = _true_headers(data)
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


# -- data through GET RESPONSE (ISO/IEC 7816-4 §5.1.3) and chunks on a short-APDU reader --

NAME = "試験 花子".encode()
ADDRESS = "東京都千代田区霞が関一丁目".encode()
BIRTH = b"19850401"
PHOTO = bytes(range(256)) * 3  # 768 bytes of "image", no run an accident could match


def get_response(le: int) -> bytes:
    return bytes((0x00, 0xC0, 0x00, 0x00, le & 0xFF))


def read_binary(offset: int, le: int, short_ef: int | None = None) -> bytes:
    """READ BINARY with a short Le (0: 256 bytes, or as many as there are)."""
    p1, p2 = (0x80 | short_ef, offset) if short_ef is not None else (offset >> 8, offset & 0xFF)
    return bytes((0x00, 0xB0, p1, p2, le & 0xFF))


def sw61(remaining: int) -> bytes:
    return bytes((0x61, remaining & 0xFF))


def _certificate() -> bytes:
    """A DER certificate-shaped object whose subject holds the name and the address."""
    subject = tlv.build(0x30, tlv.build(0x31, tlv.build(0x30, tlv.build(0x06, b"\x55\x04\x03")
                                                        + tlv.build(0x0C, NAME)))
                        + tlv.build(0x31, tlv.build(0x30, tlv.build(0x06, b"\x55\x04\x09")
                                                    + tlv.build(0x0C, ADDRESS))))
    tbs = tlv.build(0x30, tlv.build(0xA0, tlv.build(0x02, b"\x02")) + tlv.build(0x02, b"\x05")
                    + subject + tlv.build(0x04, PHOTO[:300]))
    return tlv.build(0x30, tbs + tlv.build(0x30, tlv.build(0x06, b"\x2a\x86\x48"))
                     + tlv.build(0x03, PHOTO[300:556]))


#: (name, AP, EF (None: read by short EF id 1), tag rule, the file, its personal values)
PERSONAL_KINDS = [
    ("my-number", ids.TEXT_AID, int(ids.TextEF.MY_NUMBER), tlv.TagRule.BER,
     tlv.build(0xFF10, MY_NUMBER) + b"\xff\xff", [MY_NUMBER]),
    ("attributes", ids.TEXT_AID, int(ids.TextEF.ATTRIBUTES), tlv.TagRule.BER,
     tlv.build(0xFF20, tlv.build_all([(0xDF21, bytes(8)), (0xDF22, NAME), (0xDF23, ADDRESS),
                                      (0xDF24, BIRTH), (0xDF25, b"2")])),
     [NAME, ADDRESS, BIRTH]),
    ("face", ids.VISUAL_AID, int(ids.VisualEF.FACE), tlv.TagRule.BER,
     tlv.build(0xFF20, tlv.build_all([(0xDF21, bytes(16)), (0xDF22, BIRTH), (0xDF23, b"2"),
                                      (0xDF25, PHOTO[:400]), (0xDF27, PHOTO)])),
     [BIRTH, PHOTO[:400], PHOTO]),
    ("signing-certificate", ids.JPKI_AID, int(ids.JpkiEF.SIGN_CERT), tlv.TagRule.BER,
     _certificate(), [NAME, ADDRESS, PHOTO[:300], PHOTO[300:556]]),
    ("residence-df2", rids.DF2_AID, None, tlv.TagRule.TWO_BYTE,
     tlv.build(0xD4, ADDRESS + BIRTH) + tlv.build(0xD5, NAME), [ADDRESS + BIRTH, NAME]),
]


def _opened(aid: bytes, ef: int | None) -> CardRedactor:
    r = CardRedactor()
    r.redact(select(aid), b"\x90\x00")
    if ef is not None:
        r.redact(bytes.fromhex("00A4020C02") + ef.to_bytes(2, "big"), b"\x90\x00")
    return r


def _leaks(values: list[bytes], responses: list[str]) -> list[bytes]:
    """Personal values (or any 8 bytes of one) found in the responses' data, alone or
    joined (a value may straddle two answers)."""
    joined = "".join(rsp[:-4] for rsp in responses)
    found = []
    for value in values:
        pieces = [value] if len(value) <= 8 else [value[i : i + 8] for i in range(len(value) - 7)]
        if any(p.hex().upper() in joined for p in pieces):
            found.append(value)
    return found


def _structure(data: bytes, rule: tlv.TagRule) -> list[tuple[int, int]]:
    """(tag, length) of every object, depth first, walking every constructed value (FF10,
    the My Number's digits, excepted); filler after the last object is left out."""
    out: list[tuple[int, int]] = []

    def walk(chunk: bytes, top: bool) -> None:
        pos = 0
        while pos < len(chunk):
            if top and set(chunk[pos:]) <= {0xFF}:
                return
            obj = tlv.parse_one(chunk, pos, rule=rule)
            out.append((obj.tag, len(obj.value)))
            if obj.constructed and obj.tag != 0xFF10:
                walk(obj.value, False)
            pos = obj.end
    walk(data, True)
    return out


@pytest.mark.parametrize("kind", PERSONAL_KINDS, ids=[k[0] for k in PERSONAL_KINDS])
@pytest.mark.parametrize("with_read", [0, 10], ids=["61xx-only", "partial-then-61xx"])
def test_personal_data_through_get_response_is_redacted(
        kind: tuple[str, bytes, int | None, tlv.TagRule, bytes, list[bytes]],
        with_read: int) -> None:
    """A READ answered 61 xx (with no data, or with its first bytes), then the rest in GET
    RESPONSE answers of 7 bytes and then all that is left: every value is gone, every header
    is kept, and the replayed file parses to the same structure."""
    _name, aid, ef, rule, data, values = kind
    r = _opened(aid, ef)
    short_ef = 1 if ef is None else None
    cmd = read_binary(0, 0, short_ef)
    responses = [r.redact(cmd, data[:with_read] + sw61(len(data) - with_read))[1]]
    pos = with_read
    for le in (7, len(data) - with_read - 7):
        if le <= 0:
            continue
        chunk = data[pos : pos + le]
        pos += le
        last = pos >= len(data)
        _, rsp, applied = r.redact(get_response(le), chunk + (b"\x90\x00" if last
                                                              else sw61(len(data) - pos)))
        assert applied == ("personal",)
        responses.append(rsp)
    assert _leaks(values, responses) == []
    replayed = b"".join(redacted_to_bytes(rsp)[:-2] for rsp in responses)
    assert len(replayed) == len(data)
    assert _structure(replayed, rule) == _structure(data, rule)


def test_get_response_after_a_non_personal_read_is_kept() -> None:
    r = _opened(ids.JPKI_AID, int(ids.JpkiEF.AUTH_CERT))
    cert = _certificate()
    _, rsp, applied = r.redact(read_binary(0, 0), b"\x61\x00")
    assert rsp == "6100" and applied == ()
    _, rsp, applied = r.redact(get_response(0), cert[:256] + sw61(len(cert) - 256))
    assert rsp == (cert[:256] + sw61(len(cert) - 256)).hex().upper() and applied == ()
    _, rsp, applied = r.redact(get_response(len(cert) - 256), cert[256:] + b"\x90\x00")
    assert rsp == (cert[256:] + b"\x90\x00").hex().upper() and applied == ()


def test_a_select_answered_61xx_selects_and_its_fci_is_kept() -> None:
    r = CardRedactor()
    fci = bytes.fromhex("6F0A840AD392F000260100000001")
    assert r.redact(select(ids.TEXT_AID), sw61(len(fci)))[1] == "61" + f"{len(fci):02X}"
    assert r.redact(get_response(len(fci)), fci + b"\x90\x00")[1] == fci.hex().upper() + "9000"
    r.redact(bytes.fromhex("00A4020C020001"), b"\x90\x00")
    _, rsp, _ = r.redact(read_binary(0, 0), tlv.build(0xFF10, MY_NUMBER) + b"\x90\x00")
    assert MY_NUMBER.hex().upper() not in rsp


def test_get_response_that_cannot_be_placed_is_redacted_whole() -> None:
    r = CardRedactor()
    data = tlv.build(0xFF10, MY_NUMBER)
    # nothing announced it
    assert r.redact(get_response(len(data)), data + b"\x90\x00")[1] == "XX" * len(data) + "9000"
    # announced by a command that does not parse
    r = _opened(ids.TEXT_AID, int(ids.TextEF.MY_NUMBER))
    r.redact(bytes.fromhex("00B0"), sw61(len(data)))
    assert r.redact(get_response(len(data)), data + b"\x90\x00")[1] == "XX" * len(data) + "9000"
    # another command came in between: the card dropped the data, nothing can be placed
    r = _opened(ids.TEXT_AID, int(ids.TextEF.MY_NUMBER))
    r.redact(read_binary(0, 0), sw61(len(data)))
    r.redact(bytes.fromhex("00200080"), b"\x63\xc3")
    assert r.redact(get_response(len(data)), data + b"\x90\x00")[1] == "XX" * len(data) + "9000"


def test_6cxx_resend_and_get_response_with_a_wrong_le() -> None:
    data = tlv.build(0xFF10, MY_NUMBER) + b"\xff\xff"
    r = _opened(ids.TEXT_AID, int(ids.TextEF.MY_NUMBER))
    # 6C xx to a READ: the re-sent READ is a new read at the same offset
    assert r.redact(read_binary(0, 0x20), bytes((0x6C, len(data))))[1] == f"6C{len(data):02X}"
    _, rsp, _ = r.redact(read_binary(0, len(data)), data + b"\x90\x00")
    assert rsp == "FF100C" + "XX" * 12 + "FFFF9000"
    # 6C xx to a GET RESPONSE: the data still waits for the GET RESPONSE sent again
    r.redact(read_binary(0, 0), sw61(len(data)))
    assert r.redact(get_response(0x20), bytes((0x6C, len(data))))[1] == f"6C{len(data):02X}"
    _, rsp, _ = r.redact(get_response(len(data)), data + b"\x90\x00")
    assert rsp == "FF100C" + "XX" * 12 + "FFFF9000"


def test_short_reader_face_chunks_keep_headers_after_the_first_known_boundary() -> None:
    """The card face read in 256-byte chunks, as on a short-APDU reader: a chunk that starts
    inside the photo is redacted up to the photo's end (known from its header, two chunks
    back), and the headers after it are kept, so the replayed face parses."""
    face = tlv.build(0xFF20, tlv.build_all([(0xDF21, bytes(16)), (0xDF22, BIRTH),
                                            (0xDF27, PHOTO), (0xDF28, PHOTO[:256]),
                                            (0xDF29, b"20350401")]))
    r = _opened(ids.VISUAL_AID, int(ids.VisualEF.FACE))
    responses = []
    for start in range(0, len(face), 256):
        chunk = face[start : start + 256]
        responses.append(r.redact(read_binary(start, len(chunk)), chunk + b"\x90\x00")[1])
    replayed = b"".join(redacted_to_bytes(rsp)[:-2] for rsp in responses)
    (outer,) = tlv.parse_all(replayed)
    assert [(k.tag, len(k.value)) for k in outer.children()] == [
        (0xDF21, 16), (0xDF22, 8), (0xDF27, len(PHOTO)), (0xDF28, 256), (0xDF29, 8)]
    assert all(set(k.value) == {0x2A} for k in outer.children())
    assert _leaks([BIRTH, PHOTO, b"20350401"], responses) == []


def test_structure_from_an_unknown_position_is_not_trusted() -> None:
    """A chunk read from an offset no earlier chunk made known is redacted whole, even where
    its bytes look like TLVs (they may be a value that happens to parse)."""
    value = tlv.build_all([(0xDF22, NAME), (0xDF23, ADDRESS)])  # a value shaped like TLVs
    face = tlv.build(0xFF20, tlv.build(0xDF27, value))
    r = _opened(ids.VISUAL_AID, int(ids.VisualEF.FACE))
    inner = face.index(value)
    _, rsp, _ = r.redact(read_binary(inner, len(value)), value + b"\x90\x00")
    assert rsp == "XX" * len(value) + "9000"


def test_redacting_a_trace_again_places_nothing_after_an_already_redacted_read() -> None:
    """``redact_trace`` passes exchanges that hold X already; the GET RESPONSE after one is
    still redacted (whole: its place in the file is lost)."""
    data = tlv.build(0xFF10, MY_NUMBER)
    header = {"format": "cardtool-trace", "version": 1, "created": "", "tool": "t",
              "source": "s", "atr": "3B00", "card": None, "redactions": ["secrets"]}
    events = [
        {"type": "exchange", "n": 1, "command": select(ids.TEXT_AID).hex().upper(),
         "response": "9000", "us": 1},
        {"type": "exchange", "n": 2, "command": "00A4020C020001", "response": "9000", "us": 1},
        {"type": "exchange", "n": 3, "command": "00B0000004",
         "response": "FF100CXX" + f"61{len(data) - 4:02X}", "us": 1},
        {"type": "exchange", "n": 4, "command": get_response(len(data) - 4).hex().upper(),
         "response": (data[4:] + b"\x90\x00").hex().upper(), "us": 1}]
    again = redact_trace(Trace("t", header, events=events), CardRedactor())
    assert again.events[3]["response"] == "XX" * (len(data) - 4) + "9000"
    assert again.events[2]["response"] == events[2]["response"]


def test_imported_foreign_log_with_61xx_is_redacted() -> None:
    """An apdu4j dump of a card that answers through GET RESPONSE, imported with the card
    redactor (as ``cardtool trace import`` does by default)."""
    data = tlv.build(0xFF20, tlv.build_all([(0xDF21, bytes(8)), (0xDF22, NAME),
                                            (0xDF23, ADDRESS), (0xDF24, BIRTH),
                                            (0xDF25, b"2")]))
    exchanges = [(select(ids.TEXT_AID), b"\x90\x00"), (bytes.fromhex("00A4020C020002"),
                                                        b"\x90\x00"),
                 (read_binary(0, 0), sw61(len(data))),
                 (get_response(len(data)), data + b"\x90\x00")]
    lines = ["# Generated by apdu4j", "# Using Virtual PCD 00 00", "# ATR: 3B00", "#"]
    for command, response in exchanges:
        lines += ["# Sent", command.hex().upper(), "# Received in 1ms", response.hex().upper()]
    log = import_log("\n".join(lines) + "\n", "s.dump")
    trace = to_trace(log, CardRedactor())
    responses = [e["response"] for e in trace.exchanges()]
    assert _leaks([NAME, ADDRESS, BIRTH], responses) == []
    assert trace.events[3]["redacted"] == ["personal"]
    replayed = redacted_to_bytes(responses[3])[:-2]
    assert _structure(replayed, tlv.TagRule.BER) == _structure(data, tlv.TagRule.BER)


# -- any chunking, any 61 xx split -------------------------------------------------------

_PRIMITIVE_TAGS = st.sampled_from([0xDF21, 0xDF22, 0xDF23, 0xDF24, 0xDF25, 0x5F20, 0x04])
_leaf = st.tuples(_PRIMITIVE_TAGS, st.binary(min_size=0, max_size=300))
_item = st.one_of(_leaf, st.lists(_leaf, min_size=0, max_size=3).map(
    lambda kids: (0xFF30, tlv.build_all(kids))))


def _true_headers(data: bytes) -> set[int]:
    """Byte positions that are TLV headers in the true structure of a synthetic file
    (containers: FF20 and FF30)."""
    positions: set[int] = set()

    def walk(start: int, end: int) -> None:
        pos = start
        while pos < end:
            tag, length, value_start = tlv.read_header(data, pos, end)
            positions.update(range(pos, value_start))
            if tag in (0xFF20, 0xFF30):
                walk(value_start, value_start + length)
            pos = value_start + length

    walk(0, len(data))
    return positions


def _send_read(r: CardRedactor, data: bytes, start: int, end: int, first: int,
               splits: list[int]) -> list[tuple[int, str]]:
    """A READ of ``data[start:end]`` answered with its first ``first`` bytes (all of them
    with 90 00 if there are no ``splits``) then GET RESPONSEs cut at ``splits``. Returns
    (file offset, redacted response) of each answer."""
    first = min(first, end - start) if splits else end - start
    points = sorted({start + first, end, *[s for s in splits if start + first < s < end]})
    out = []
    cmd = read_binary(start, end - start)
    answers = [(cmd, start, start + first)]
    answers += [(get_response(b - a), a, b) for a, b in itertools.pairwise(points)]
    for i, (command, a, b) in enumerate(answers):
        last = i == len(answers) - 1
        status = b"\x90\x00" if last else sw61(end - b)
        out.append((a, r.redact(command, data[a:b] + status)[1]))
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(_item, min_size=1, max_size=5),
       st.lists(st.tuples(st.integers(0, 2000), st.integers(1, 600), st.integers(0, 300),
                          st.lists(st.integers(0, 2000), max_size=3)), max_size=8))
def test_no_value_byte_survives_any_reads_and_get_responses(
        items: list[tuple[int, bytes]], reads: list[tuple[int, int, int, list[int]]]) -> None:
    """Reads at random offsets and lengths, in any order, each answered partly or wholly
    through GET RESPONSE at random splits: whatever is kept is a true header byte."""
    data = tlv.build(0xFF20, tlv.build_all(items))
    headers = _true_headers(data)
    r = _opened(ids.TEXT_AID, int(ids.TextEF.ATTRIBUTES))
    for start, length, first, splits in reads:
        start %= len(data)
        end = min(start + length, len(data))
        for offset, rsp in _send_read(r, data, start, end, first, splits):
            kept = [offset + i for i in range(len(rsp) // 2 - 2) if rsp[2 * i : 2 * i + 2] != "XX"]
            assert set(kept) <= headers


@settings(max_examples=200, deadline=None)
@given(st.lists(_item, min_size=1, max_size=5),
       st.lists(st.integers(1, 2000), max_size=6),
       st.lists(st.tuples(st.integers(0, 300), st.lists(st.integers(0, 2000), max_size=3)),
                min_size=7, max_size=7))
def test_a_file_read_in_order_keeps_every_header_and_no_value(
        items: list[tuple[int, bytes]], cuts: list[int],
        answers: list[tuple[int, list[int]]]) -> None:
    """A file read from its start in consecutive chunks (as a short-APDU reader does), each
    answered partly or wholly through GET RESPONSE: every boundary is known when its chunk
    comes (a header cut by a chunk end is completed by the next), so exactly the headers are
    kept, and the replayed file has the same structure."""
    data = tlv.build(0xFF20, tlv.build_all(items))
    headers = _true_headers(data)
    r = _opened(ids.TEXT_AID, int(ids.TextEF.ATTRIBUTES))
    points = sorted({0, len(data), *[c for c in cuts if c < len(data)]})
    replayed = bytearray()
    for (start, end), (first, splits) in zip(itertools.pairwise(points), answers, strict=False):
        for offset, rsp in _send_read(r, data, start, end, first, splits):
            assert offset == len(replayed)
            kept = {offset + i for i in range(len(rsp) // 2 - 2) if rsp[2 * i : 2 * i + 2] != "XX"}
            assert kept == {p for p in headers if offset <= p < offset + len(rsp) // 2 - 2}
            replayed += redacted_to_bytes(rsp)[:-2]
    assert _structure(bytes(replayed), tlv.TagRule.BER) == _structure(data, tlv.TagRule.BER)
