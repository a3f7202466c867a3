"""The virtual 特定在留カード (kind ``specified``): the virtual My Number card plus the
residence application (在留AP) holding the second-generation files (card type 07/08).

Access to the 在留AP follows the UNVERIFIED block of ``cardtool/cards/residence/ids.py``
(SET SESSION KEY with RSA-OAEP under the TEST delivery key, SM with a counter, per-message
IVs and AES-CMAC). The card side is written here on its own: OAEP decryption by
``cryptography`` (the reader encodes OAEP by hand), the MAC by the hand-made CMAC of
``virtual.residence``; so the tests show the two sides agree on one reading of the notes.
"""

from __future__ import annotations

import hmac
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from apdu import tlv
from apdu.command import CommandApdu
from apdu.errors import MalformedData
from apdu.ins import INS
from apdu.sw import SW
from cardtool.cards.residence import ids
from cardtool.material import test_pki_file
from cardtool.virtual import register
from cardtool.virtual.card_os import DF, sw
from cardtool.virtual.mynumber import VirtualMyNumberCard
from cardtool.virtual.persona import Persona, load_persona
from cardtool.virtual.residence import (
    CARD_NUMBER_KEY,
    CardCrypto,
    MissingSignerPki,
    RandomSource,
    _Extra,
    _pad,
    _unpad,
    add_second_generation_files,
    sm_read_content,
)

#: Security-state marker: a session key was delivered since power-on (reset drops it).
SESSION_KEY = (ids.RESIDENCE_AP_AID, ids.SET_SESSION_KEY_INS)
DELIVERY_PRIVATE_KEY = "specified-delivery-TEST.key.pem"
_MAC_LENGTH = 8


def load_delivery_private_key() -> rsa.RSAPrivateKey:
    path = test_pki_file(DELIVERY_PRIVATE_KEY)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError:
        raise MissingSignerPki(path=str(path)) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise MissingSignerPki(path=str(path))
    return key


class SpecifiedCard(VirtualMyNumberCard):
    """A My Number card whose chip also carries the 在留AP of a 特定在留カード."""

    kind = "specified"

    def __init__(self, persona: Persona, *, random: RandomSource = os.urandom) -> None:
        self._drop_session()
        super().__init__(persona)
        x = _Extra(persona)
        self.card_type = ids.CardType(x.code("card_type", ("07", "08"), "07"))
        assert persona.card_number is not None
        self.card_number = persona.card_number.encode("ascii")
        self.random = random
        ap = self.add_df(DF(ids.RESIDENCE_AP_AID))
        add_second_generation_files(self, ap, persona, self.card_type)
        self.delivery_key = load_delivery_private_key()
        self.handlers[(ids.SET_SESSION_KEY_CLA, ids.SET_SESSION_KEY_INS)] = self.set_session_key
        self.handlers[(ids.SPECIFIED_SM_CLA, INS.VERIFY)] = self.sm_verify
        self.handlers[(ids.SPECIFIED_SM_CLA, INS.READ_BINARY)] = self.sm_read_binary

    def _drop_session(self) -> None:
        self.ks_enc: bytes | None = None
        self.ks_mac: bytes | None = None
        self.counter = 0

    def clear_volatile_state(self) -> None:
        super().clear_volatile_state()
        self._drop_session()

    @property
    def number_verified(self) -> bool:
        return CARD_NUMBER_KEY in self.verified

    # -- key delivery --------------------------------------------------------------------

    def set_session_key(self, cmd: CommandApdu) -> bytes:
        if self.current_df.aid != ids.RESIDENCE_AP_AID:
            return sw(SW.CONDITIONS_NOT_SATISFIED)
        if cmd.p1 or cmd.p2:
            return sw(SW.INCORRECT_P1P2)
        if len(cmd.data) != self.delivery_key.key_size // 8 or cmd.le is not None:
            return sw(SW.WRONG_LENGTH)
        self._drop_session()
        self.verified.discard(CARD_NUMBER_KEY)
        self.verified.discard(SESSION_KEY)
        try:
            material = self.delivery_key.decrypt(cmd.data, padding.OAEP(
                padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
        except ValueError:
            return sw(SW.WRONG_DATA)
        if len(material) != ids.SPECIFIED_SESSION_KEY_MATERIAL:
            return sw(SW.WRONG_DATA)
        self.ks_enc, self.ks_mac = material[:16], material[16:]
        self.verified.add(SESSION_KEY)
        return sw(SW.OK)

    # -- secure messaging -----------------------------------------------------------------

    def _ssc(self) -> bytes:
        self.counter += 1
        return self.counter.to_bytes(ids.SPECIFIED_COUNTER_LENGTH, "big")

    def _open(self, cmd: CommandApdu) -> tuple[bytes, bytes] | int:
        """(plaintext, expected-length object) of an SM command, or the SW refusing it."""
        if self.ks_enc is None or self.ks_mac is None or SESSION_KEY not in self.verified:
            return SW.SECURITY_STATUS_NOT_SATISFIED
        ssc = self._ssc()
        objects: list[tuple[int, bytes, bytes]] = []  # tag, value, encoding
        pos = 0
        try:
            while pos < len(cmd.data):
                item = tlv.parse_one(cmd.data, pos)
                objects.append((item.tag, item.value, cmd.data[pos : item.end]))
                pos = item.end
        except MalformedData:
            return SW.SM_DATA_INCORRECT
        if not objects or objects[-1][0] != ids.SPECIFIED_TAG_MAC or \
                len(objects[-1][1]) != _MAC_LENGTH:
            return SW.SM_DATA_MISSING
        covered = b"".join(encoding for _t, _v, encoding in objects[:-1])
        header = bytes((cmd.cla, cmd.ins, cmd.p1, cmd.p2))
        mac = CardCrypto(ids.Generation.SECOND, self.ks_mac).mac(ssc + _pad(header, 16) + covered)
        if not hmac.compare_digest(mac, objects[-1][1]):
            self._drop_session()
            self.verified.discard(SESSION_KEY)
            return SW.SM_DATA_INCORRECT
        plain = b""
        expected = b""
        cipher = CardCrypto(ids.Generation.SECOND, self.ks_enc)
        for tag, value, encoding in objects[:-1]:
            if tag == 0x86:
                if not value or value[0] != 0x01 or len(value) == 1 or (len(value) - 1) % 16:
                    return SW.SM_DATA_INCORRECT
                opened = _unpad(cipher.decrypt(value[1:], iv=cipher.ecb(ssc)), 16)
                if opened is None:
                    return SW.SM_DATA_INCORRECT
                plain = opened
            elif tag == 0x96:
                expected = encoding
            else:
                return SW.SM_DATA_INCORRECT
        return plain, expected

    def _answer(self, plain: bytes | None) -> bytes:
        assert self.ks_enc is not None and self.ks_mac is not None
        ssc = self._ssc()
        objects = b""
        if plain is not None:
            cipher = CardCrypto(ids.Generation.SECOND, self.ks_enc)
            objects = tlv.build(0x86, b"\x01" + cipher.encrypt(_pad(plain, 16),
                                                                iv=cipher.ecb(ssc)))
        mac = CardCrypto(ids.Generation.SECOND, self.ks_mac).mac(ssc + objects)
        return sw(SW.OK, objects + tlv.build(ids.SPECIFIED_TAG_MAC, mac))

    def sm_verify(self, cmd: CommandApdu) -> bytes:
        if cmd.p1 != 0x00 or cmd.p2 != ids.CARD_NUMBER_KEY_REFERENCE:
            return sw(SW.INCORRECT_P1P2)
        opened = self._open(cmd)
        if isinstance(opened, int):
            return sw(opened)
        plain, _expected = opened
        if hmac.compare_digest(plain, self.card_number):
            self.verified.add(CARD_NUMBER_KEY)
            return self._answer(None)
        self.verified.discard(CARD_NUMBER_KEY)
        return sw(SW.VERIFY_FAILED)

    def sm_read_binary(self, cmd: CommandApdu) -> bytes:
        opened = self._open(cmd)
        if isinstance(opened, int):
            return sw(opened)
        _plain, expected = opened
        content = sm_read_content(self, cmd, expected)
        if isinstance(content, int):
            return sw(content)
        return self._answer(content)


def make_specified(spec: str | None) -> SpecifiedCard:
    return SpecifiedCard(load_persona(spec, "specified"))


register("specified", make_specified)
