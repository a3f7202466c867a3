"""特定在留カード / 特定特別永住者証明書 (card types 07/08): a My Number card chip carrying the
residence application (在留AP). Access (spec §9): SELECT the 在留AP, SET SESSION KEY
(session keys delivered under an ISA RSA-2048 key with RSA-OAEP), VERIFY of the card number
under secure messaging, then the same DF1/DF2/DF3 files as the second generation.

UNVERIFIED. Spec §9 rests on one source that describes the flow but not its bytes. Every
detail the sources do not give is a guess, listed and numbered in ONE block in
``cardtool/cards/residence/ids.py`` ("特定在留カード: UNVERIFIED") so it can be corrected in
one place once the ISA specification (001460712.pdf) can be read. The virtual 特定在留カード
(``cardtool/virtual/specified.py``) follows the same block, so tests prove the reader and
the card agree with each other, not with a real card.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from apdu import tlv
from apdu.command import MAX_EXTENDED_LE, CommandApdu
from apdu.errors import ApduError
from apdu.session import Session
from apdu.sm import TAG_ENCRYPTED, cryptogram_of, pad, protect, split_objects, unpad
from apdu.sw import SW
from cardtool.cards.residence import ids
from cardtool.cards.residence.auth import verify_card_number
from cardtool.cards.residence.crypto import aes_cmac8
from cardtool.errors import EXIT_BAD_INPUT, EXIT_CARD, CardtoolError
from cardtool.material import test_pki_file

OAEP_HASH_NAME = ids.SPECIFIED_OAEP_HASH
SM_CLA = ids.SPECIFIED_SM_CLA
COUNTER_LENGTH = ids.SPECIFIED_COUNTER_LENGTH
TAG_MAC = ids.SPECIFIED_TAG_MAC
DELIVERY_KEY_ENV = "CARDTOOL_SPECIFIED_DELIVERY_KEY"  # detail 9 in ids.py
DELIVERY_KEY_TEST = "specified-delivery-TEST.pub.bin"

_SEED_LABEL = b"cardtool specified session keys v1"


class DeliveryKeyError(CardtoolError):
    en = "Cannot use the 特定在留カード key-delivery public key {path}: {detail}."
    ja = "特定在留カードの鍵配送用公開鍵 {path} を使用できません: {detail}。"
    exit_code = EXIT_BAD_INPUT


class SecureMessagingError(CardtoolError):
    en = "The card's secure-messaging response failed the check ({detail}). Try again."
    ja = "カードのセキュアメッセージング応答を検証できませんでした({detail})。再実行してください。"
    exit_code = EXIT_CARD


def select_residence_ap(session: Session) -> None:
    session.select_df(ids.RESIDENCE_AP_AID)


def delivery_key_path() -> Path:
    env = os.environ.get(DELIVERY_KEY_ENV, "").strip()
    if env:
        return Path(env)
    return test_pki_file(DELIVERY_KEY_TEST)


def load_delivery_key(path: Path | None = None) -> rsa.RSAPublicKey:
    """The raw 256-byte modulus (e = 65537), or a PEM/DER SubjectPublicKeyInfo."""
    p = path or delivery_key_path()
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise DeliveryKeyError(path=str(p), detail=exc.strerror or "cannot be read") from None
    if len(data) == 256:
        return rsa.RSAPublicNumbers(ids.SPECIFIED_DELIVERY_EXPONENT, int.from_bytes(data, "big")).public_key()
    try:
        key = (serialization.load_pem_public_key(data) if data.startswith(b"-----")
               else serialization.load_der_public_key(data))
    except ValueError as exc:
        raise DeliveryKeyError(path=str(p), detail=f"not a public key ({exc})") from None
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size != 2048:
        raise DeliveryKeyError(path=str(p), detail="not an RSA-2048 public key")
    return key


def _mgf1(seed: bytes, length: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.new(OAEP_HASH_NAME, seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:length]


def oaep_encrypt(key: rsa.RSAPublicKey, message: bytes, seed: bytes) -> bytes:
    """RSAES-OAEP (RFC 8017 §7.1.1) with the seed given, so a trace can replay it."""
    numbers = key.public_numbers()
    k = (numbers.n.bit_length() + 7) // 8
    h_len = hashlib.new(OAEP_HASH_NAME).digest_size
    if len(seed) != h_len or len(message) > k - 2 * h_len - 2:
        raise ValueError("OAEP: wrong seed or message length")
    label_hash = hashlib.new(OAEP_HASH_NAME, b"").digest()
    db = label_hash + bytes(k - len(message) - 2 * h_len - 2) + b"\x01" + message
    masked_db = bytes(a ^ b for a, b in zip(db, _mgf1(seed, k - h_len - 1), strict=True))
    masked_seed = bytes(a ^ b for a, b in zip(seed, _mgf1(masked_db, h_len), strict=True))
    encoded = int.from_bytes(b"\x00" + masked_seed + masked_db, "big")
    return pow(encoded, numbers.e, numbers.n).to_bytes(k, "big")


def _aes_ecb(key: bytes, block: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


@dataclass
class _IvCipher:
    """AES-128-CBC with a per-message IV (detail 7)."""

    key: bytes
    iv: bytes
    block_size: int = 16

    def encrypt(self, data: bytes) -> bytes:
        enc = Cipher(algorithms.AES(self.key), modes.CBC(self.iv)).encryptor()
        return enc.update(data) + enc.finalize()

    def decrypt(self, data: bytes) -> bytes:
        dec = Cipher(algorithms.AES(self.key), modes.CBC(self.iv)).decryptor()
        return dec.update(data) + dec.finalize()


@dataclass
class SpecifiedChannel:
    """Secure messaging of the 特定在留カード (details 5-8)."""

    ks_enc: bytes
    ks_mac: bytes
    counter: int = field(default=0)

    def _step(self) -> bytes:
        self.counter += 1
        return self.counter.to_bytes(COUNTER_LENGTH, "big")

    def command(self, ins: int, p1: int, p2: int, data: bytes = b"",
                expected: int | None = None) -> CommandApdu:
        ssc = self._step()
        cipher = _IvCipher(self.ks_enc, _aes_ecb(self.ks_enc, ssc))
        objects = protect(cipher, data, expected)
        header = bytes((SM_CLA, ins, p1, p2))
        objects += tlv.build(TAG_MAC, aes_cmac8(self.ks_mac, ssc + pad(header, 16) + objects))
        if expected is None:  # the answer holds at least the MAC: always an Le
            return CommandApdu(SM_CLA, ins, p1, p2, objects, le=256)
        return CommandApdu(SM_CLA, ins, p1, p2, objects, le=MAX_EXTENDED_LE, extended=True)

    def response(self, data: bytes, what: str) -> bytes:
        ssc = self._step()
        objects = split_objects(data, frozenset({TAG_ENCRYPTED, TAG_MAC}), what)
        if TAG_MAC not in objects:
            raise SecureMessagingError(detail=f"{what}: no MAC (8E)")
        mac_object = tlv.build(TAG_MAC, objects[TAG_MAC])
        if not data.endswith(mac_object):
            raise SecureMessagingError(detail=f"{what}: the MAC (8E) is not the last object")
        covered = data[: len(data) - len(mac_object)]
        if aes_cmac8(self.ks_mac, ssc + covered) != objects[TAG_MAC]:
            raise SecureMessagingError(detail=f"{what}: the MAC does not match")
        encrypted = objects.get(TAG_ENCRYPTED)
        if encrypted is None:
            return b""
        cipher = _IvCipher(self.ks_enc, _aes_ecb(self.ks_enc, ssc))
        cryptogram = cryptogram_of(tlv.build(TAG_ENCRYPTED, encrypted), cipher.block_size, what)
        return unpad(cipher.decrypt(cryptogram), cipher.block_size, f"{what} plaintext")


def session_keys(seed: bytes, card_number: bytes) -> tuple[bytes, bytes]:
    """KSenc, KSmac from a recorded seed and the card number (host-side choice: the trace
    then replays only with the card number and does not hold the session keys in clear)."""
    material = hashlib.sha256(_SEED_LABEL + seed + card_number).digest()
    assert len(material) == ids.SPECIFIED_SESSION_KEY_MATERIAL
    return material[:16], material[16:]


def set_session_key(session: Session, card_number: bytes,
                    key: rsa.RSAPublicKey | None = None) -> SpecifiedChannel:
    delivery = key or load_delivery_key()
    seed = session.host_random(32, "session seed")
    ks_enc, ks_mac = session_keys(seed, card_number)
    oaep_seed = session.host_random(hashlib.new(OAEP_HASH_NAME).digest_size, "OAEP seed")
    cryptogram = oaep_encrypt(delivery, ks_enc + ks_mac, oaep_seed)
    response = session.transmit(CommandApdu(ids.SET_SESSION_KEY_CLA, ids.SET_SESSION_KEY_INS,
                                            0x00, 0x00, cryptogram))
    if response.sw != SW.OK:
        raise ApduError(response.sw, "SET SESSION KEY", response.data)
    return SpecifiedChannel(ks_enc, ks_mac)


def authenticate(session: Session, card_number: bytes,
                 key: rsa.RSAPublicKey | None = None) -> SpecifiedChannel:
    """SET SESSION KEY, then VERIFY of the (format-checked) card number; the 在留AP must be
    selected."""
    channel = set_session_key(session, card_number, key)
    verify_card_number(session, channel, card_number)
    return channel
