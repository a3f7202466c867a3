"""Residence-card authentication cryptography against the published worked examples, on the
reader side and on the virtual-card side, plus an independent AES computation.

First generation: spec §12 (card number AA12345678BB). Second generation: the spec's
appendix example as transcribed by source A (rc2_second_generation_implementation_spec.md).
The AES check at the end computes every cryptogram here with raw `cryptography` primitives
and hashlib, never through cardtool's helpers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

from apdu.command import CommandApdu
from apdu.session import Session
from apdu.transport.virtual import VirtualTransport
from cardtool.cards.residence import crypto, ids
from cardtool.cards.residence.auth import (
    CardAuthenticationFailed,
    SecureChannel,
    authenticate,
    host_cryptogram,
    open_card_cryptogram,
    verify_command,
)
from cardtool.virtual.card_os import DF, EF
from cardtool.virtual.residence import CardCrypto, ResidenceCard

h = bytes.fromhex
NUMBER = b"AA12345678BB"
KEY = h("6522B4E171195BB218223A976C040111")
RND_IFD = h("1122334455667788")
K_IFD = h("404142434445464748494A4B4C4D4E4F")

FIRST = {
    "rnd_icc": h("5A6E7E385162B7A3"),
    "e_ifd": h("937745C20883A1BAD1E04193722A1592378F81A8F1DC589157AEB0F7544FA1BA"),
    "m_ifd": h("1AD7FB6A3389E017"),
    "e_icc": h("5860775B4D032CC564BA204B8EA868F694A74E7475A8FEF240588BDA1AF496CE"),
    "m_icc": h("59388FD6CD45248B"),
    "k_icc": h("19D049490FFF52EEDBFCB930BC810ED0"),
    "ks_enc": h("CE94938E19E3B97DF96EABCEDC1715CC"),
    "verify": h("1AA82973DB959A811F9711D728F0EEF6"),
}
SECOND = {
    "rnd_icc": h("921CE277323DA057"),
    "e_ifd": h("4AD3C7B6BB484A52771977DED618B41DF841FA0476A05FBE041DEAD6109E773B"),
    "m_ifd": h("AC854617634F5397"),
    "e_icc": h("289A96B1DA6AE3DA87770419BFD14F0BDAD15F36432B5A946C188C7221759A62"),
    "m_icc": h("FA942EC51E62FF5F"),
    "k_icc": h("2CC6AF9B8B607C662FDCAD27B401D08B"),
    "ks_enc": h("C19CF13D3D7FBEE9EA293D834C88952F"),
    "verify": h("EE0B31EF877F68D071C56D58C72E6748"),
}
CASES = [(ids.Generation.FIRST, crypto.TDES, FIRST), (ids.Generation.SECOND, crypto.AES, SECOND)]


def fixed(*chunks: bytes) -> Callable[[int], bytes]:
    queue = list(chunks)

    def draw(n: int) -> bytes:
        value = queue.pop(0)
        assert len(value) == n
        return value

    return draw


class FixedRandomTransport(VirtualTransport):
    """The host's randomness fixed to the worked example's RND.IFD and K.IFD."""

    def __init__(self, card: ResidenceCard) -> None:
        super().__init__(card)
        self.draws = {"RND.IFD": RND_IFD, "K.IFD": K_IFD}

    def host_random(self, length: int, purpose: str) -> bytes:
        value = self.draws[purpose]
        assert len(value) == length
        return value


@pytest.mark.filterwarnings("error")  # 3DES must not raise deprecation warnings (spec §14)
@pytest.mark.parametrize(("generation", "suite", "v"), CASES)
def test_reader_side_worked_example(generation: ids.Generation, suite: crypto.Suite,
                                    v: dict[str, bytes]) -> None:
    assert crypto.base_key(NUMBER) == KEY
    assert host_cryptogram(suite, KEY, RND_IFD, v["rnd_icc"], K_IFD) == v["e_ifd"] + v["m_ifd"]
    k_icc = open_card_cryptogram(suite, KEY, v["e_icc"] + v["m_icc"], RND_IFD, v["rnd_icc"])
    assert k_icc == v["k_icc"]
    ks_enc = crypto.session_key(K_IFD, k_icc)
    assert ks_enc == v["ks_enc"]
    command = verify_command(SecureChannel(suite, ks_enc), NUMBER)
    assert command.to_bytes() == h("0820008613861101") + v["verify"]
    assert crypto.suite_for(generation) is suite


@pytest.mark.parametrize(("generation", "suite", "v"), CASES)
def test_reader_rejects_a_bad_card_cryptogram(generation: ids.Generation, suite: crypto.Suite,
                                              v: dict[str, bytes]) -> None:
    bad_mac = v["e_icc"] + bytes(8)
    with pytest.raises(CardAuthenticationFailed, match=r"M\.ICC"):
        open_card_cryptogram(suite, KEY, bad_mac, RND_IFD, v["rnd_icc"])
    with pytest.raises(CardAuthenticationFailed, match=r"RND\.ICC"):
        open_card_cryptogram(suite, KEY, v["e_icc"] + v["m_icc"], RND_IFD, bytes(8))
    with pytest.raises(CardAuthenticationFailed, match=r"RND\.IFD"):
        open_card_cryptogram(suite, KEY, v["e_icc"] + v["m_icc"], bytes(8), v["rnd_icc"])


def card(generation: ids.Generation, v: dict[str, bytes]) -> ResidenceCard:
    card_type = ids.CardType.RESIDENCE_1 if generation is ids.Generation.FIRST else \
        ids.CardType.RESIDENCE_2
    c = ResidenceCard(card_type, NUMBER, random=fixed(v["rnd_icc"], v["k_icc"]))
    c.power_on()
    return c


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(("generation", "suite", "v"), CASES)
def test_card_side_worked_example(generation: ids.Generation, suite: crypto.Suite,
                                  v: dict[str, bytes]) -> None:
    c = card(generation, v)
    assert c.process_apdu(h("0084000008")) == v["rnd_icc"] + h("9000")
    answer = c.process_apdu(h("0082000028") + v["e_ifd"] + v["m_ifd"] + h("00"))
    assert answer == v["e_icc"] + v["m_icc"] + h("9000")
    assert c.session_key == v["ks_enc"]
    assert not c.number_verified
    assert c.process_apdu(h("0820008613861101") + v["verify"]) == h("9000")
    assert c.number_verified


@pytest.mark.parametrize(("generation", "suite", "v"), CASES)
def test_card_refuses_a_wrong_key_with_6300_and_stays_usable(
        generation: ids.Generation, suite: crypto.Suite, v: dict[str, bytes]) -> None:
    c = card(generation, v)
    c.random = fixed(v["rnd_icc"], v["rnd_icc"], v["k_icc"])
    c.process_apdu(h("0084000008"))
    wrong = crypto.base_key(b"AA12345678BC")
    attempt = host_cryptogram(suite, wrong, RND_IFD, v["rnd_icc"], K_IFD)
    assert c.process_apdu(h("0082000028") + attempt + h("00")) == h("6300")
    assert c.session_key is None
    # MUTUAL AUTHENTICATE without a fresh challenge is refused, not answered.
    assert c.process_apdu(h("0082000028") + v["e_ifd"] + v["m_ifd"] + h("00")) == h("6985")
    c.process_apdu(h("0084000008"))
    assert c.process_apdu(h("0082000028") + v["e_ifd"] + v["m_ifd"] + h("00"))[-2:] == h("9000")


@pytest.mark.parametrize(("generation", "suite", "v"), CASES)
def test_card_verify_wrong_number_and_malformed_data(
        generation: ids.Generation, suite: crypto.Suite, v: dict[str, bytes]) -> None:
    c = card(generation, v)
    c.process_apdu(h("0084000008"))
    c.process_apdu(h("0082000028") + v["e_ifd"] + v["m_ifd"] + h("00"))
    wrong = verify_command(SecureChannel(suite, v["ks_enc"]), b"AA12345678BC").to_bytes()
    assert c.process_apdu(wrong) == h("6300")
    assert c.process_apdu(h("08200086038601") + h("02")) == h("6988")  # bad indicator
    assert c.process_apdu(h("0820008613861101") + bytes(16)) == h("6988")  # padding wrong
    assert c.process_apdu(h("0820008613861101") + v["verify"]) == h("9000")


@pytest.mark.parametrize(("generation", "suite", "v"), CASES)
def test_reset_drops_the_session_key(generation: ids.Generation, suite: crypto.Suite,
                                     v: dict[str, bytes]) -> None:
    c = card(generation, v)
    session = Session(FixedRandomTransport(c))
    authenticate(session, suite, NUMBER)
    assert c.session_key == v["ks_enc"] and c.number_verified
    c.add_df(DF(ids.DF1_AID)).add(EF(1, b"\xc2\x0c" + NUMBER, sfi=1))
    c.reset()
    assert c.session_key is None and not c.number_verified
    assert c.process_apdu(h("0820008613861101") + v["verify"]) == h("6982")
    session.select_df(ids.DF1_AID)
    read = CommandApdu(0x08, 0xB0, 0x81, 0, h("96020000"), le=65536, extended=True)
    assert c.process_apdu(read.to_bytes()) == h("6982")


def test_full_authentication_over_a_transport_uses_host_random() -> None:
    c = card(ids.Generation.FIRST, FIRST)
    session = Session(FixedRandomTransport(c))
    channel = authenticate(session, crypto.TDES, NUMBER)
    assert channel.ks_enc == FIRST["ks_enc"]
    assert c.log[1] == h("0082000028") + FIRST["e_ifd"] + FIRST["m_ifd"] + h("00")


# --- independent AES check -----------------------------------------------------------------


def raw_aes_cbc(key: bytes, data: bytes, decrypt: bool = False) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CBC(bytes(16)))
    ctx = cipher.decryptor() if decrypt else cipher.encryptor()
    return ctx.update(data) + ctx.finalize()


def raw_cmac8(key: bytes, data: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()[:8]


def test_aes_path_against_an_independent_computation() -> None:
    number = b"XY24681357ZW"
    rnd_icc, k_icc = h("0102030405060708"), h("F0E1D2C3B4A5968778695A4B3C2D1E0F")
    key = hashlib.sha1(number).digest()[:16]
    e_ifd = raw_aes_cbc(key, RND_IFD + rnd_icc + K_IFD)
    m_ifd = raw_cmac8(key, e_ifd)
    e_icc = raw_aes_cbc(key, rnd_icc + RND_IFD + k_icc)
    m_icc = raw_cmac8(key, e_icc)
    shared = bytes(a ^ b for a, b in zip(K_IFD, k_icc, strict=True))
    ks_enc = hashlib.sha1(shared + h("00000001")).digest()[:16]
    verify = raw_aes_cbc(ks_enc, number + h("80000000"))

    # reader side
    assert host_cryptogram(crypto.AES, key, RND_IFD, rnd_icc, K_IFD) == e_ifd + m_ifd
    assert open_card_cryptogram(crypto.AES, key, e_icc + m_icc, RND_IFD, rnd_icc) == k_icc
    assert verify_command(SecureChannel(crypto.AES, ks_enc), number).data == \
        h("861101") + verify
    # card side (its own hand-made CMAC)
    c = ResidenceCard(ids.CardType.RESIDENCE_2, number, random=fixed(rnd_icc, k_icc))
    c.power_on()
    assert c.process_apdu(h("0084000008")) == rnd_icc + h("9000")
    assert c.process_apdu(h("0082000028") + e_ifd + m_ifd + h("00")) == \
        e_icc + m_icc + h("9000")
    assert c.process_apdu(h("0820008613861101") + verify) == h("9000")
    # SM READ BINARY of the card's DF1/EF01 decrypts with KSenc and a zero IV
    c.add_df(DF(ids.DF1_AID)).add(EF(1, b"\xc2\x0c" + number, sfi=1))
    c.process_apdu(h("00A4040C10") + ids.DF1_AID)
    answer = c.process_apdu(h("08B0810000000496020000") + h("0000"))
    assert answer[-2:] == h("9000") and answer[:3] == h("861101")
    assert raw_aes_cbc(ks_enc, answer[3:-2], decrypt=True) == b"\xc2\x0c" + number + h("8000")


@pytest.mark.parametrize("data", [b"", b"x", bytes(15), bytes(16), bytes(17), bytes(40)])
def test_card_cmac_equals_the_library_cmac(data: bytes) -> None:
    key = h("2B7E151628AED2A6ABF7158809CF4F3C")  # RFC 4493 key
    assert CardCrypto(ids.Generation.SECOND, key).mac(data) == raw_cmac8(key, data)


def test_rfc4493_cmac_vector_on_the_card_side() -> None:
    key = h("2B7E151628AED2A6ABF7158809CF4F3C")
    message = h("6BC1BEE22E409F96E93D7E117393172A")
    assert CardCrypto(ids.Generation.SECOND, key).mac(message) == h("070A16B46B4D4144")
