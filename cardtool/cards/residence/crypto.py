"""The residence cards' cryptography (spec §3-§4): keys from the card number, the two cipher
suites (first generation: two-key 3DES-CBC + retail MAC; second generation and 特定:
AES-128-CBC + AES-CMAC), the session key, all with an all-zero IV.

Two-key 3DES is given to ``cryptography`` as the equivalent 24-byte key K1‖K2‖K1 and single
DES as K‖K‖K (spec §14): the results are identical and no deprecation warning is raised.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

from apdu.sm import CbcCipher, pad
from cardtool.cards.residence import ids

DES_BLOCK = 8
AES_BLOCK = 16
MAC_LENGTH = 8


def base_key(card_number: bytes) -> bytes:
    """Kenc = Kmac = SHA-1(card number ASCII)[:16]."""
    if len(card_number) != ids.CARD_NUMBER_LENGTH:
        raise ValueError("a card number has 12 characters")
    return hashlib.sha1(card_number).digest()[: ids.KEY_LENGTH]


def session_key(k_ifd: bytes, k_icc: bytes) -> bytes:
    """KSenc = SHA-1((K.IFD xor K.ICC) ‖ 00000001)[:16]."""
    if len(k_ifd) != ids.KEY_LENGTH or len(k_icc) != ids.KEY_LENGTH:
        raise ValueError("K.IFD and K.ICC have 16 bytes")
    shared = bytes(a ^ b for a, b in zip(k_ifd, k_icc, strict=True))
    return hashlib.sha1(shared + ids.SESSION_KEY_COUNTER).digest()[: ids.KEY_LENGTH]


def _des3_key(key16: bytes) -> bytes:
    if len(key16) != 16:
        raise ValueError("two-key 3DES needs 16 bytes")
    return key16 + key16[:8]


def _single_des_key(key8: bytes) -> bytes:
    return key8 * 3


class _Cbc:
    """CBC with an all-zero IV on whole blocks (the residence cards never chain IVs)."""

    def __init__(self, algorithm: algorithms.AES | TripleDES, block_size: int) -> None:
        self._algorithm = algorithm
        self._block_size = block_size

    @property
    def block_size(self) -> int:
        return self._block_size

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(self._algorithm, modes.CBC(bytes(self._block_size)))

    def encrypt(self, data: bytes) -> bytes:
        if len(data) % self._block_size:
            raise ValueError("CBC input must be whole blocks")
        enc = self._cipher().encryptor()
        return enc.update(data) + enc.finalize()

    def decrypt(self, data: bytes) -> bytes:
        if len(data) % self._block_size:
            raise ValueError("CBC input must be whole blocks")
        dec = self._cipher().decryptor()
        return dec.update(data) + dec.finalize()


def tdes_cbc(key16: bytes) -> CbcCipher:
    return _Cbc(TripleDES(_des3_key(key16)), DES_BLOCK)


def aes_cbc(key16: bytes) -> CbcCipher:
    if len(key16) != 16:
        raise ValueError("AES-128 needs 16 bytes")
    return _Cbc(algorithms.AES(key16), AES_BLOCK)


def _des_ecb(key8: bytes, block: bytes, *, decrypt: bool = False) -> bytes:
    cipher = Cipher(TripleDES(_single_des_key(key8)), modes.ECB())
    ctx = cipher.decryptor() if decrypt else cipher.encryptor()
    return ctx.update(block) + ctx.finalize()


def retail_mac(key16: bytes, data: bytes) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 with padding method 2: single-DES CBC-MAC under K1,
    then decrypt with K2 and encrypt with K1 on the last block."""
    k1, k2 = key16[:8], key16[8:16]
    chained = bytes(DES_BLOCK)
    padded = pad(data, DES_BLOCK)
    for i in range(0, len(padded), DES_BLOCK):
        block = bytes(a ^ b for a, b in zip(chained, padded[i : i + DES_BLOCK], strict=True))
        chained = _des_ecb(k1, block)
    return _des_ecb(k1, _des_ecb(k2, chained, decrypt=True))


def aes_cmac8(key16: bytes, data: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key16))
    mac.update(data)
    return mac.finalize()[:MAC_LENGTH]


class Suite(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def block_size(self) -> int: ...

    def cipher(self, key16: bytes) -> CbcCipher: ...

    def mac(self, key16: bytes, data: bytes) -> bytes: ...


@dataclass(frozen=True)
class _TdesSuite:
    name: str = "3DES-CBC + retail MAC"
    block_size: int = DES_BLOCK

    def cipher(self, key16: bytes) -> CbcCipher:
        return tdes_cbc(key16)

    def mac(self, key16: bytes, data: bytes) -> bytes:
        return retail_mac(key16, data)


@dataclass(frozen=True)
class _AesSuite:
    name: str = "AES-128-CBC + AES-CMAC"
    block_size: int = AES_BLOCK

    def cipher(self, key16: bytes) -> CbcCipher:
        return aes_cbc(key16)

    def mac(self, key16: bytes, data: bytes) -> bytes:
        return aes_cmac8(key16, data)


TDES: Suite = _TdesSuite()
AES: Suite = _AesSuite()


def suite_for(generation: ids.Generation) -> Suite:
    return TDES if generation is ids.Generation.FIRST else AES
