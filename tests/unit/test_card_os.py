from __future__ import annotations

from cardtool.virtual.card_os import DF, EF, CardOS, PinObject, after

AID = bytes.fromhex("D392F000260100000001")


def make_card() -> CardOS:
    os = CardOS(bytes.fromhex("3B888001000000000000000000"))
    df = os.add_df(DF(AID))
    df.add(EF(0x000A, b"\x30\x03\x01\x02\x03"))
    df.add(EF(0x0001, b"secret-cert", read=after((AID, 0x1B))))
    df.add(EF(0x0005, records=[b"\x01\x02AB"], sfi=5))
    df.pins[0x18] = PinObject(b"1234", 3, 3)
    df.pins[0x1B] = PinObject(b"ABC123", 5, 5)
    os.power_on()
    return os


def send(os: CardOS, hex_text: str) -> str:
    return os.process_apdu(bytes.fromhex(hex_text)).hex().upper()


def test_select_and_read() -> None:
    os = make_card()
    assert send(os, "00A4040C0AD392F000260100000001") == "9000"
    assert send(os, "00A4040C0AD392F000260100000002") == "6A82"
    assert send(os, "00A4020C02000A") == "9000"
    assert send(os, "00B0000004") == "300301029000"
    assert send(os, "00B00000000000") == "30030102039000"
    assert send(os, "00B0000500") == "6B00"
    assert send(os, "00A4020C020099") == "6A82"


def test_read_before_select_and_protected_file() -> None:
    os = make_card()
    assert send(os, "00B0000004") == "6986"
    send(os, "00A4040C0AD392F000260100000001")
    send(os, "00A4020C020001")
    assert send(os, "00B0000004") == "6982"
    assert send(os, "00B0000004") == "6982"  # still refused: only the sign PIN opens it


def test_verify_counts_blocks_and_resets() -> None:
    os = make_card()
    send(os, "00A4040C0AD392F000260100000001")
    send(os, "00A4020C020018")
    assert send(os, "00200080") == "63C3"
    assert send(os, "0020008004" + b"0000".hex()) == "63C2"
    assert send(os, "00200080") == "63C2"  # empty VERIFY consumes nothing
    assert send(os, "0020008004" + b"1234".hex()) == "9000"
    assert send(os, "00200080") == "63C3"  # success restored the counter
    for expected in ("63C2", "63C1", "63C0"):
        assert send(os, "0020008004" + b"9999".hex()) == expected
    assert send(os, "0020008004" + b"1234".hex()) == "6984"
    assert send(os, "00200080") == "63C0"
    os.power_off()
    os.power_on()
    send(os, "00A4040C0AD392F000260100000001")
    assert send(os, "00200098") == "63C0"  # block survives power-off; P2=80|SFI addressing


def test_security_state_cleared_on_reset() -> None:
    os = make_card()
    send(os, "00A4040C0AD392F000260100000001")
    send(os, "00A4020C02001B")
    assert send(os, "0020008006" + b"ABC123".hex()) == "9000"
    send(os, "00A4020C020001")
    assert send(os, "00B0000004") == b"secr".hex().upper() + "9000"
    os.reset()
    send(os, "00A4040C0AD392F000260100000001")
    send(os, "00A4020C020001")
    assert send(os, "00B0000004") == "6982"


def test_records_and_malformed() -> None:
    os = make_card()
    send(os, "00A4040C0AD392F000260100000001")
    assert send(os, "00B2012C00") == "01024142" + "9000"  # SFI 5 in P2
    assert send(os, "00B2022C00") == "6A83"
    assert send(os, "00A4") == "6700"
    assert send(os, "00A4040C05D392") == "6700"
    assert send(os, "00B0000000000400") == "6700"  # 8 bytes: not a valid encoding
    assert send(os, "0012000000") == "6D00"
    assert send(os, "80CA000000") == "6E00"  # a proprietary class this card does not use
