"""The virtual My Number card answers like the real one (shared/spec/mynumber-card.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from apdu import tlv
from apdu.command import CommandApdu
from cardtool.cards.certificate import load_der, parse_certificate
from cardtool.cards.mynumber import ids
from cardtool.era import collation_number_b
from cardtool.jst import today_jst
from cardtool.virtual import make_virtual_card
from cardtool.virtual.mynumber import VirtualMyNumberCard
from cardtool.virtual.persona import PersonaError, load_persona


@pytest.fixture()
def card() -> VirtualMyNumberCard:
    c = make_virtual_card("mynumber")
    assert isinstance(c, VirtualMyNumberCard)
    c.power_on()
    return c


def tx(card: VirtualMyNumberCard, hex_text: str) -> str:
    return card.process_apdu(bytes.fromhex(hex_text.replace(" ", ""))).hex().upper()


def select(card: VirtualMyNumberCard, aid: bytes) -> None:
    assert tx(card, "00A4040C" + f"{len(aid):02X}" + aid.hex()) == "9000"


def test_get_data_expiry_only_right_after_reset(card: VirtualMyNumberCard) -> None:
    expiry = card.persona.card_expiry.strftime("%Y%m%d").encode().hex().upper()
    assert tx(card, "00CA00F200") == expiry + "9000"
    select(card, ids.JPKI_AID)
    assert tx(card, "00CA00F200") == "6985"
    card.reset()
    assert tx(card, "00CA00F200") == expiry + "9000"


def test_token_and_certificates_without_pin(card: VirtualMyNumberCard) -> None:
    select(card, ids.JPKI_AID)
    assert tx(card, "00A4020C020006") == "9000"
    token = bytes.fromhex(tx(card, "00B0000020")[:-4])
    assert token == b"JPKIAPICCTOKEN2".ljust(32)
    assert tx(card, "00A4020C02000A") == "9000"
    head = tx(card, "00B0000004")
    assert head.startswith("3082") and head.endswith("9000")
    size = int(head[4:8], 16) + 4
    rest = bytes.fromhex(tx(card, f"00B00004 00{size - 4:04X}")[:-4])
    der = bytes.fromhex(head[:8]) + rest
    info = parse_certificate(der)
    assert "O=JPKI-TEST" in info.issuer and info.subject.startswith("C=JP, CN=")
    assert info.not_after.date() == card.persona.certificate_expiry
    assert tx(card, "00B0080000")[-4:] == "6B00"  # offset past the end of the EF


def test_signing_certificate_needs_the_password(card: VirtualMyNumberCard) -> None:
    select(card, ids.JPKI_AID)
    assert tx(card, "00A4020C020001") == "9000"
    assert tx(card, "00B0000004") == "6982"
    assert tx(card, "00A4020C02001B") == "9000"
    assert tx(card, "0020008008" + b"TEST2026".hex()) == "9000"
    assert tx(card, "00A4020C020001") == "9000"
    assert tx(card, "00B0000004").startswith("3082")


def test_pin_counters_block_and_reset(card: VirtualMyNumberCard) -> None:
    select(card, ids.JPKI_AID)
    tx(card, "00A4020C020018")
    assert [tx(card, "00200080")] == ["63C3"]
    assert [tx(card, "0020008004" + b"0000".hex()) for _ in range(3)] == ["63C2", "63C1", "63C0"]
    assert tx(card, "0020008004" + b"1234".hex()) == "6984"
    assert tx(card, "00200080") == "63C0"
    card.power_off()
    card.power_on()
    select(card, ids.JPKI_AID)
    assert tx(card, "00200098") == "63C0"  # the block survives power cycles


def test_text_ap_access_rules(card: VirtualMyNumberCard) -> None:
    p = card.persona
    select(card, ids.TEXT_AID)
    assert tx(card, "00B0810000") == "6982"  # My Number by SFI without PIN
    tx(card, "00A4020C020014")
    assert tx(card, "002000800C" + p.my_number.encode().hex()) == "9000"  # 照合番号A
    assert bytes.fromhex(tx(card, "00B0810000")[:-4]) == b"\xff\x10\x0c" + p.my_number.encode() + b"\xff\xff"
    assert tx(card, "00B0820000") == "6982"  # A does not open 基本4情報
    card.reset()
    select(card, ids.TEXT_AID)
    tx(card, "00A4020C020015")
    b = collation_number_b(p.birth_date, p.card_expiry, p.security_code or "")
    assert tx(card, "002000800E" + b.encode().hex()) == "9000"
    assert tx(card, "00B0820000").endswith("9000")
    assert tx(card, "00B0810000") == "6982"  # B does not open the My Number
    card.reset()
    select(card, ids.TEXT_AID)
    tx(card, "00A4020C020011")
    assert tx(card, "0020008004" + b"5678".hex()) == "9000"  # the PIN opens both
    assert tx(card, "00B0810000").endswith("9000") and tx(card, "00B0820000").endswith("9000")


def test_attributes_offsets_point_at_the_fields(card: VirtualMyNumberCard) -> None:
    select(card, ids.TEXT_AID)
    tx(card, "00A4020C020011")
    tx(card, "0020008004" + b"5678".hex())
    data = bytes.fromhex(tx(card, "00B08200000000")[:-4])
    (outer,) = tlv.parse_all(data)
    kids = outer.children()
    table = kids[0].value
    offsets = [int.from_bytes(table[i:i + 2], "big") for i in range(0, 8, 2)]
    assert offsets == [k.offset for k in kids[1:]]


def test_visual_face_and_municipality(card: VirtualMyNumberCard) -> None:
    select(card, ids.VISUAL_AID)
    assert tx(card, "00B0830000").endswith("9000")  # EF 0003 without PIN
    assert tx(card, "00B0820000") == "6982"
    tx(card, "00A4020C020013")
    assert tx(card, "002000800C" + card.persona.my_number.encode().hex()) == "9000"
    face = bytes.fromhex(tx(card, "00B08200000000")[:-4])
    fields = tlv.to_dict(tlv.parse_all(face)[0].children())
    assert fields[ids.VisualTag.CARD_EXPIRY] == card.persona.card_expiry.strftime("%Y%m%d").encode()
    assert fields[ids.VisualTag.PHOTO][:12] == bytes.fromhex("0000000C6A5020200D0A870A")


def test_compute_digital_signature_pkcs1(card: VirtualMyNumberCard) -> None:
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + bytes(range(32))
    select(card, ids.JPKI_AID)
    tx(card, "00A4020C020017")
    command = CommandApdu(0x80, 0x2A, 0x00, 0x80, digest_info, le=256).to_bytes().hex()
    assert tx(card, command) == "6982"  # PIN not verified
    assert tx(card, "0020009804" + b"1234".hex()) == "9000"
    tx(card, "00A4020C020017")
    signature = bytes.fromhex(tx(card, command)[:-4])
    tx(card, "00A4020C02000A")
    head = bytes.fromhex(tx(card, "00B0000004")[:-4])
    der = head + bytes.fromhex(tx(card, f"00B0000400{int.from_bytes(head[2:4], 'big'):04X}")[:-4])
    public = load_der(der).public_key()
    public.verify(signature, bytes(range(32)), padding.PKCS1v15(),  # type: ignore[union-attr]
                  __import__("cryptography.hazmat.primitives.asymmetric.utils",
                             fromlist=["Prehashed"]).Prehashed(hashes.SHA256()))


def test_common_record_uid_and_bad_apdus(card: VirtualMyNumberCard) -> None:
    select(card, ids.COMMON_AID)
    record = bytes.fromhex(tx(card, "00B2010C00")[:-4])
    assert record[:2] == b"\x01\x1c" and record[-8:] == card.persona.card_expiry.strftime("%Y%m%d").encode()
    assert len(bytes.fromhex(tx(card, "FFCA000000"))) == 6
    assert tx(card, "00A4") == "6700"
    assert tx(card, "00A4040C05D3") == "6700"
    assert tx(card, "00A4040C0AD392F000260100000009") == "6A82"
    assert tx(card, "00A4090C0AD392F000260100000001") == "6A86"
    assert tx(card, "00EE000000") == "6D00"
    assert tx(card, "B0B0000004") == "6E00"


def test_under15_card_has_no_signing_certificate() -> None:
    c = make_virtual_card("mynumber:under15")
    assert isinstance(c, VirtualMyNumberCard)
    c.power_on()
    select(c, ids.JPKI_AID)
    assert tx(c, "00B0880003")[:2] == "00"


def test_persona_errors_are_clear(tmp_path: object) -> None:
    from pathlib import Path

    d = Path(str(tmp_path))
    (d / "bad.json").write_text('{"kind": "mynumber"')
    with pytest.raises(PersonaError, match="not JSON"):
        load_persona(str(d / "bad.json"), "mynumber")
    (d / "pins.json").write_text('{"kind":"mynumber","name":"x","address":"y","birth_date":"1990-01-01",'
                                 '"sex":"male","my_number":"123456789018","security_code":"1234",'
                                 '"pins":{"auth":"12","sign":"A1B2C3","text":"1234","juki":"1234"},'
                                 '"card_expiry":"+10d","certificate_expiry":"+10d"}')
    with pytest.raises(PersonaError, match=r"pins\.auth must be exactly 4 digits"):
        load_persona(str(d / "pins.json"), "mynumber")
    with pytest.raises(PersonaError, match="no such persona"):
        load_persona("nobody", "mynumber")
    p = load_persona("expiring-soon", "mynumber")
    assert "soon" in p.id and (p.card_expiry - today_jst()).days == 45
    assert p.card_expiry > dt.date(2026, 1, 1)
