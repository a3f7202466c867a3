"""The quirk-tolerant My Number reader at the byte level: every refusal the issue names makes
it fall back to the plain form once and remember that; a VERIFY is never sent twice; a card
that keeps refusing gives one clear error naming the command and status word."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from apdu import tlv
from apdu.command import CommandApdu
from apdu.errors import ApduError
from apdu.session import Session
from apdu.sw import SW
from apdu.transport.virtual import VirtualTransport, WrappedCard
from cardtool.cards.mynumber import ids
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.cards.mynumber.text import parse_basic_info, parse_my_number
from cardtool.policy.guard import PinGuard, WrongPin
from cardtool.policy.table import SECRETS
from cardtool.services.read import ReadOptions, read_mynumber
from cardtool.virtual import make_virtual_card
from cardtool.virtual.card_os import CardOS
from tests.support.cli import cardtool, one_line_error

REFUSALS = [0x6986, 0x6A81, 0x6A82, 0x6A86, 0x6A88, 0x6D00, 0x6E00, 0x6700]


class Refusing(WrappedCard):
    """A virtual My Number card that answers ``sw`` to every command ``refuse`` picks."""

    def __init__(self, refuse: Callable[[CommandApdu], bool], sw: int,
                 spec: str = "mynumber") -> None:
        card = make_virtual_card(spec)
        assert isinstance(card, CardOS)
        super().__init__(card)
        self.card = card
        self.refuse = refuse
        self.sw = sw
        self.log: list[bytes] = []

    def process_apdu(self, command: bytes) -> bytes:
        self.log.append(command)
        if self.refuse(CommandApdu.parse(command)):
            return self.sw.to_bytes(2, "big")
        return self.card.process_apdu(command)


def _read_by_short_id(cmd: CommandApdu) -> bool:
    return cmd.ins == 0xB0 and bool(cmd.p1 & 0x80)


def _verify_by_short_id(cmd: CommandApdu) -> bool:
    return cmd.ins == 0x20 and bool(cmd.p2 & 0x1F)


def _card(card: Refusing) -> MyNumberCard:
    return MyNumberCard(Session(VirtualTransport(card)))


def _verifies_with_data(log: list[bytes]) -> int:
    return sum(1 for c in log if c[1] == 0x20 and len(c) > 4)


@pytest.mark.parametrize("sw", REFUSALS, ids=lambda sw: f"{sw:04X}")
def test_every_refusal_of_a_short_id_read_falls_back_once_and_is_remembered(sw: int) -> None:
    sim = Refusing(_read_by_short_id, sw)
    card = _card(sim)
    token = card.read(ids.JPKI_AID, ids.JpkiEF.TOKEN_INFO, 32)
    assert token.startswith(ids.TOKEN_MYNUMBER_CARD.encode())
    assert card.read_by_sfi is False
    cert = card.read_object(ids.JPKI_AID, ids.JpkiEF.AUTH_CERT, header_bytes=4, what="cert")
    assert cert[:2] == b"\x30\x82"
    short_id_reads = [c for c in sim.log if c[1] == 0xB0 and c[2] & 0x80]
    assert len(short_id_reads) == 1  # tried once, then never again in this card session
    assert [c[:4].hex() for c in sim.log if c[1] == 0xA4 and c[2] == 0x02] == [
        "00a4020c", "00a4020c"]


@pytest.mark.parametrize("sw", REFUSALS, ids=lambda sw: f"{sw:04X}")
def test_a_refused_verify_by_short_id_costs_no_try_and_is_not_sent_twice(sw: int) -> None:
    sim = Refusing(_verify_by_short_id, sw)
    guard = PinGuard(_card(sim))
    secret = SECRETS["auth"]
    key = secret.key_in("jpki")
    before = guard.status(secret, key)
    assert before.remaining == 3
    after = guard.verify(secret, key, "1234", before=before)
    assert after.remaining == 3
    assert _verifies_with_data(sim.log) == 1
    # The refused form was an empty VERIFY (no try used); the PIN went by SELECT + P2=80.
    refused = [c for c in sim.log if _verify_by_short_id(CommandApdu.parse(c))]
    assert refused and all(len(c) == 4 for c in refused)


def test_63cx_to_a_verify_by_short_id_is_a_real_try_and_never_retried() -> None:
    sim = Refusing(lambda cmd: False, 0x9000)
    guard = PinGuard(_card(sim))
    secret = SECRETS["auth"]
    with pytest.raises(WrongPin) as caught:
        guard.verify(secret, secret.key_in("jpki"), "0000")
    assert caught.value.remaining == 2
    assert _verifies_with_data(sim.log) == 1
    assert sim.card.dfs[ids.JPKI_AID].pins[ids.JpkiEF.AUTH_PIN].remaining == 2


def test_6cxx_to_a_verify_is_not_resent() -> None:
    sim = Refusing(lambda cmd: cmd.ins == 0x20 and bool(cmd.data), 0x6C10)
    card = _card(sim)
    response = card.verify(ids.JPKI_AID, ids.JpkiEF.AUTH_PIN, b"1234")
    assert response.sw == 0x6C10
    assert _verifies_with_data(sim.log) == 1


def test_a_card_that_keeps_refusing_after_the_fallback_names_command_and_sw() -> None:
    sim = Refusing(lambda cmd: cmd.ins == 0xB0, SW.COMMAND_NOT_ALLOWED)
    session = Session(VirtualTransport(sim))
    with pytest.raises(ApduError) as caught:
        read_mynumber(session, sim.atr, ReadOptions(), lambda s: "")
    assert caught.value.sw == 0x6986
    text = caught.value.render("en")
    assert "69 86" in text and "READ BINARY" in text


def test_cli_one_line_and_exit_3_when_the_card_keeps_refusing(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # The card refuses the short-id read (its quirk), and then the plain READ BINARY too.
    import cardtool.virtual
    from cardtool.cli import main

    def stubborn(spec: str) -> Refusing:
        return Refusing(lambda cmd: cmd.ins == 0xB0 and not cmd.p1 & 0x80,
                        SW.COMMAND_NOT_ALLOWED, "mynumber:+no-short-ef-id")

    monkeypatch.setattr(cardtool.virtual, "make_virtual_card", stubborn)
    with pytest.raises(SystemExit) as exited:
        main(["--lang", "en", "read", "--virtual", "mynumber"])
    assert exited.value.code == 3
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in lines[0]
    assert "69 86" in lines[0] and "READ BINARY" in lines[0]


def test_a_blocked_pin_on_a_quirky_card_is_refused_before_anything_is_sent() -> None:
    out = cardtool("read", "--virtual", "mynumber:blocked+no-short-ef-id+no-get-data",
                   "--no-extended", "--text", "--pin-stdin", stdin="0000\n")
    assert out.returncode == 4
    assert "blocked" in one_line_error(out).lower()


@pytest.mark.parametrize("filler", [b"", b"\x00\x00", b"\xff\xff", b"\x00\xff\x00"])
def test_text_records_found_behind_filler(filler: bytes) -> None:
    number = tlv.build(ids.TextTag.MY_NUMBER, b"123456789018") + b"\xff\xff"
    assert parse_my_number(filler + number).digits == "123456789018"
    attributes = tlv.build(ids.TextTag.ATTRIBUTES, tlv.build_all([
        (ids.TextTag.OFFSETS, bytes(8)), (ids.TextTag.NAME, "試験 花子".encode()),
        (ids.TextTag.ADDRESS, "東京都".encode()), (ids.TextTag.BIRTH_DATE, b"19850401"),
        (ids.TextTag.SEX, b"2")]))
    info = parse_basic_info(filler + attributes)
    assert info.name == "試験 花子" and info.birth_date_text == "19850401"


def test_session_skips_filler_before_an_expected_tlv_and_strips_it() -> None:
    class FillerCard(Refusing):
        def process_apdu(self, command: bytes) -> bytes:
            cmd = CommandApdu.parse(command)
            if cmd.ins == 0xB0 and not cmd.p1 & 0x80:
                offset = (cmd.p1 << 8) | cmd.p2
                data = b"\x00\x00" + tlv.build(0xFF20, b"\xdf\x22\x02AB")
                le = cmd.le or 256
                return data[offset:offset + le] + b"\x90\x00"
            return self.card.process_apdu(command)

    sim = FillerCard(lambda cmd: False, 0x9000)
    session = Session(VirtualTransport(sim))
    data = session.read_tlv_file(header_bytes=5, expect_tag=0xFF20, what="record")
    assert data == tlv.build(0xFF20, b"\xdf\x22\x02AB")
