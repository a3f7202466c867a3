from __future__ import annotations

import pytest

from apdu.command import CommandApdu
from apdu.errors import ApduError, MalformedData, TransmitFailed
from apdu.session import Session
from apdu.transport.virtual import VirtualTransport
from tests.support.scripted import EchoFileCard, ScriptedCard


def _session(card: EchoFileCard) -> Session:
    s = Session(VirtualTransport(card))
    s.select_df(EchoFileCard.AID)
    return s


def test_extended_read_is_one_apdu() -> None:
    card = EchoFileCard(1000)
    s = _session(card)
    assert s.read_binary(1000) == card.content
    assert s.extended_works is True
    reads = [c for c in card.log if c[1] == 0xB0]
    assert len(reads) == 1 and reads[0].hex() == "00b00000" + "0003e8"


def test_fallback_to_short_reads_is_remembered() -> None:
    card = EchoFileCard(1000, extended=False)
    s = _session(card)
    assert s.read_binary(1000) == card.content
    assert s.extended_works is False
    reads = [c for c in card.log if c[1] == 0xB0]
    # one refused extended attempt, then 256+256+256+232 short reads
    assert [len(r) for r in reads] == [7, 5, 5, 5, 5]
    assert reads[-1].hex() == "00b00300e8"
    card.log.clear()
    assert s.read_binary(600, offset=10) == card.content[10:610]
    assert all(len(r) == 5 for r in card.log)  # no second extended attempt


def test_transport_that_cannot_carry_extended_falls_back() -> None:
    card = EchoFileCard(700)

    class NoExtended(VirtualTransport):
        def transmit(self, command: bytes) -> bytes:
            if len(command) > 5 and command[4] == 0 and command[1] == 0xB0:
                raise TransmitFailed(detail="reader refused")
            return super().transmit(command)

    s = Session(NoExtended(card))
    s.select_df(EchoFileCard.AID)
    assert s.read_binary(700) == card.content
    assert s.extended_works is False


def test_get_response_chain_61xx() -> None:
    card = EchoFileCard(1000, chain_61=True, extended=True)
    s = _session(card)
    assert s.read_binary(900) == card.content[:900]
    get_responses = [c for c in card.log if c[1] == 0xC0]
    assert get_responses and get_responses[0].hex() == "00c0000000"
    assert s.apdu_count == 1 + 1 + len(get_responses)


def test_wrong_le_6cxx_is_resent_with_exact_le() -> None:
    card = EchoFileCard(300, strict_le=True, extended=False)
    s = _session(card)
    card.log.clear()
    response = s.transmit(CommandApdu(0, 0xB0, 0x01, 0x00, le=200))
    assert response.sw == 0x9000 and response.data == card.content[256:300]
    assert [c.hex() for c in card.log] == ["00b00100c8", "00b001002c"]


def test_unknown_length_reads_to_the_end() -> None:
    card = EchoFileCard(600, extended=False)
    s = _session(card)
    assert s.read_binary() == card.content


def test_6b00_after_data_ends_the_file() -> None:
    card = EchoFileCard(512, extended=False)
    s = _session(card)
    assert s.read_binary() == card.content  # third chunk answers 6B00


def test_error_status_raises_with_sw() -> None:
    card = EchoFileCard(10)
    s = Session(VirtualTransport(card))
    with pytest.raises(ApduError) as info:
        s.read_binary(4)  # nothing selected
    assert info.value.sw == 0x6986
    assert "69 86" in str(info.value) and "READ BINARY" in str(info.value)
    assert "コマンド不許可" in info.value.render("ja")


def test_read_tlv_file_uses_header_then_one_read() -> None:
    cert = bytes.fromhex("30820400") + bytes(range(256)) * 4
    def answer(raw: bytes) -> bytes:
        cmd = CommandApdu.parse(raw)
        offset = (cmd.p1 << 8) | cmd.p2
        return cert[offset : offset + (cmd.le or 256)] + b"\x90\x00"
    card = ScriptedCard(answer)
    s = Session(VirtualTransport(card))
    assert s.read_tlv_file(what="certificate") == cert
    assert [c.hex() for c in card.log] == ["00b0000004", "00b00004000400"]


def test_read_tlv_file_detects_truncation() -> None:
    cert = bytes.fromhex("30820400") + b"\x00" * 100
    def answer(raw: bytes) -> bytes:
        cmd = CommandApdu.parse(raw)
        offset = (cmd.p1 << 8) | cmd.p2
        return cert[offset : offset + (cmd.le or 256)] + b"\x90\x00"
    s = Session(VirtualTransport(ScriptedCard(answer)))
    with pytest.raises(MalformedData, match="declares 1028 bytes"):
        s.read_tlv_file(what="certificate")


def test_sfi_read_addresses_first_chunk_by_sfi() -> None:
    data = bytes(range(256)) * 2
    def answer(raw: bytes) -> bytes:
        cmd = CommandApdu.parse(raw)
        offset = cmd.p2 if cmd.p1 & 0x80 else (cmd.p1 << 8) | cmd.p2
        return data[offset : offset + (cmd.le or 256)] + b"\x90\x00"
    card = ScriptedCard(answer)
    s = Session(VirtualTransport(card))
    s.extended_works = False
    assert s.read_binary(300, sfi=0x0B) == data[:300]
    assert [c.hex() for c in card.log] == ["00b08b0000", "00b001002c"]
