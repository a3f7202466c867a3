"""Virtual residence cards on the card OS: ``residence`` (first generation, type 1/2) and
``residence2`` (second generation, type 05/06), built from a persona.

The card derives its keys from the persona's card number, answers a wrong number with
``63 00`` (at MUTUAL AUTHENTICATE or VERIFY) and stays usable; DF1 is readable only under
secure messaging after VERIFY, DF2/DF3 in plain after VERIFY, the MF's public EFs always.
Images are drawn (``residence_images``) and signed with the committed TEST PKI.

The card-side cryptography is written here on its own (other formulations than the
reader's, e.g. a hand-made AES-CMAC), so a reader bug and a card bug cannot hide each other.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from apdu import tlv
from apdu.command import CommandApdu
from apdu.errors import MalformedData
from apdu.ins import INS
from apdu.sw import SW
from cardtool.cards.residence import ids
from cardtool.cards.residence.ids import Tag
from cardtool.errors import EXIT_BAD_INPUT, CardtoolError
from cardtool.install import REINSTALL_HINT, REINSTALL_HINT_JA
from cardtool.material import test_pki_file
from cardtool.virtual import register
from cardtool.virtual.card_os import DF, EF, CardOS, after, always, never, sw
from cardtool.virtual.front_family import (
    FaceLayout,
    FontMissing,
    front_image_in_layout,
    random_layout,
)
from cardtool.virtual.persona import Persona, PersonaError, load_persona
from cardtool.virtual.residence_images import (
    FrontFace,
    ImageTooLarge,
    front_image,
    photo,
    text_image,
)

CARD_NUMBER_KEY = (b"", ids.CARD_NUMBER_KEY_REFERENCE)  # "card number verified" state
RandomSource = Callable[[int], bytes]


class MissingSignerPki(CardtoolError):
    en = "The TEST PKI of the virtual residence cards is missing ({path}): " + REINSTALL_HINT + "."
    ja = "仮想在留カードのテスト用PKIがありません({path})。" + REINSTALL_HINT_JA + "。"
    exit_code = EXIT_BAD_INPUT


def contactless_atr(historical: bytes) -> bytes:
    """An ATR as PC/SC readers synthesize for contactless cards: 3B 8n 80 01 hist TCK."""
    body = bytes((0x80 | len(historical), 0x80, 0x01)) + historical
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes((tck,))


# Type B-style historical bytes (application data, protocol info, MBLI): synthetic.
ATR_FIRST = contactless_atr(bytes.fromhex("0000000000817181"))
ATR_SECOND = contactless_atr(bytes.fromhex("0000000000827181"))


# --- card-side cryptography -------------------------------------------------------------


def _pad(data: bytes, block: int) -> bytes:
    out = bytearray(data)
    out.append(0x80)
    while len(out) % block:
        out.append(0)
    return bytes(out)


def _unpad(data: bytes, block: int) -> bytes | None:
    stripped = data.rstrip(b"\x00")
    if not data or len(data) % block or not stripped or stripped[-1] != 0x80 or \
            len(data) - len(stripped) >= block:
        return None
    return stripped[:-1]


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def _shift_left(block: bytes) -> bytes:
    value = (int.from_bytes(block, "big") << 1) & ((1 << 128) - 1)
    return value.to_bytes(16, "big")


class CardCrypto:
    """Encryption (CBC, zero IV) and the 8-byte MAC of one generation under one key."""

    def __init__(self, generation: ids.Generation, key: bytes) -> None:
        self.aes = generation is not ids.Generation.FIRST
        self.key = key
        self.block = 16 if self.aes else 8

    def _algorithm(self, key: bytes) -> algorithms.AES | TripleDES:
        return algorithms.AES(key) if self.aes else TripleDES(key + key[:8])

    def encrypt(self, data: bytes, iv: bytes | None = None) -> bytes:
        mode = modes.CBC(iv or bytes(self.block))
        enc = Cipher(self._algorithm(self.key), mode).encryptor()
        return enc.update(data) + enc.finalize()

    def decrypt(self, data: bytes, iv: bytes | None = None) -> bytes:
        mode = modes.CBC(iv or bytes(self.block))
        dec = Cipher(self._algorithm(self.key), mode).decryptor()
        return dec.update(data) + dec.finalize()

    def ecb(self, block: bytes) -> bytes:
        return self._ecb(self._algorithm(self.key), block)

    def _ecb(self, algorithm: algorithms.AES | TripleDES, block: bytes) -> bytes:
        enc = Cipher(algorithm, modes.ECB()).encryptor()
        return enc.update(block) + enc.finalize()

    def mac(self, data: bytes) -> bytes:
        return self._cmac(data) if self.aes else self._retail_mac(data)

    def _retail_mac(self, data: bytes) -> bytes:
        # ISO 9797-1 alg. 3 written as: single-DES CBC-MAC (K1) over all blocks but the last,
        # then one two-key 3DES encryption of the last block xor that chaining value.
        padded = _pad(data, 8)
        k1 = self.key[:8]
        chained = bytes(8)
        if len(padded) > 8:
            enc = Cipher(TripleDES(k1 * 3), modes.CBC(bytes(8))).encryptor()
            chained = (enc.update(padded[:-8]) + enc.finalize())[-8:]
        return self._ecb(TripleDES(self.key + k1), _xor(chained, padded[-8:]))

    def _cmac(self, data: bytes) -> bytes:
        # RFC 4493 by hand (the reader uses cryptography's CMAC).
        aes = algorithms.AES(self.key)
        rb = bytes(15) + b"\x87"
        zero = self._ecb(aes, bytes(16))
        k1 = _shift_left(zero) if not zero[0] & 0x80 else _xor(_shift_left(zero), rb)
        k2 = _shift_left(k1) if not k1[0] & 0x80 else _xor(_shift_left(k1), rb)
        if data and len(data) % 16 == 0:
            blocks, last = data[:-16], _xor(data[-16:], k1)
        else:
            cut = len(data) - len(data) % 16
            blocks, last = data[:cut], _xor(_pad(data[cut:], 16), k2)
        state = bytes(16)
        for i in range(0, len(blocks), 16):
            state = self._ecb(aes, _xor(state, blocks[i : i + 16]))
        return self._ecb(aes, _xor(state, last))[:8]


def card_number_key(card_number: bytes) -> bytes:
    return hashlib.sha1(card_number).digest()[:16]


def card_session_key(k_ifd: bytes, k_icc: bytes) -> bytes:
    return hashlib.sha1(_xor(k_ifd, k_icc) + b"\x00\x00\x00\x01").digest()[:16]


def sm_cryptogram(data: bytes, block: int) -> bytes | None:
    """The cryptogram of data that starts with one 86 object (indicator 01); None if the
    data objects are malformed."""
    if len(data) < 3 or data[0] != 0x86:
        return None
    try:
        item = tlv.parse_one(data)
    except MalformedData:
        return None
    if not item.value or item.value[0] != 0x01:
        return None
    cryptogram = item.value[1:]
    return cryptogram if cryptogram and len(cryptogram) % block == 0 else None


def sm_read_content(os_: CardOS, cmd: CommandApdu, expected_length: bytes) -> bytes | int:
    """What an SM READ BINARY returns in plain (the EF from the offset, cut to the expected
    length), or the status word refusing it. Only DF1's EFs are read under SM."""
    ef, error = os_._target_ef(cmd.p1)
    if ef is None:
        return error or SW.COMMAND_NOT_ALLOWED
    if os_.current_df.aid != ids.DF1_AID:
        return SW.SECURE_MESSAGING_NOT_SUPPORTED
    if CARD_NUMBER_KEY not in os_.verified:
        return SW.SECURITY_STATUS_NOT_SATISFIED
    data = expected_length
    if len(data) not in (3, 4) or data[0] != 0x96 or data[1] != len(data) - 2:
        return SW.SM_DATA_INCORRECT
    expected = int.from_bytes(data[2:], "big")
    offset = cmd.p2 if cmd.p1 & 0x80 else (cmd.p1 << 8) | cmd.p2
    if offset >= len(ef.data):
        return SW.WRONG_PARAMETERS
    content = ef.data[offset:]
    return content[:expected] if expected else content


# --- the first- and second-generation card -------------------------------------------------


class ResidenceCard(CardOS):
    """A first- or second-generation residence card. ``random`` gives the card's own
    randomness (RND.ICC, K.ICC); tests pass a fixed source."""

    def __init__(self, card_type: ids.CardType, card_number: bytes, *,
                 random: RandomSource = os.urandom, atr: bytes | None = None) -> None:
        self.card_type = card_type
        self.generation = ids.GENERATION_OF[card_type]
        self.card_number = card_number
        self.random = random
        self.challenge: bytes | None = None
        self.session_key: bytes | None = None
        default_atr = ATR_FIRST if self.generation is ids.Generation.FIRST else ATR_SECOND
        super().__init__(atr or default_atr)
        self.base = CardCrypto(self.generation, card_number_key(card_number))
        self.handlers[(0x00, INS.GET_CHALLENGE)] = self.get_challenge
        self.handlers[(0x00, INS.MUTUAL_AUTHENTICATE)] = self.mutual_authenticate
        self.handlers[(ids.SM_CLA, INS.VERIFY)] = self.sm_verify
        self.handlers[(ids.SM_CLA, INS.READ_BINARY)] = self.sm_read_binary

    def clear_volatile_state(self) -> None:
        super().clear_volatile_state()
        self.challenge = None
        self.session_key = None

    @property
    def number_verified(self) -> bool:
        return CARD_NUMBER_KEY in self.verified

    def select(self, cmd: CommandApdu) -> bytes:
        if cmd.p1 == 0x00 and cmd.data == ids.MF_FID:
            self.current_df, self.current_ef, self.selected_key = self.mf, None, None
            return sw(SW.OK)
        return super().select(cmd)

    # -- authentication ---------------------------------------------------------------

    def get_challenge(self, cmd: CommandApdu) -> bytes:
        if cmd.p1 or cmd.p2:
            return sw(SW.INCORRECT_P1P2)
        if cmd.data or cmd.le is None or cmd.le < ids.CHALLENGE_LENGTH:
            return sw(SW.WRONG_LENGTH)
        self.challenge = self.random(ids.CHALLENGE_LENGTH)
        return sw(SW.OK, self.challenge)

    def mutual_authenticate(self, cmd: CommandApdu) -> bytes:
        if cmd.p1 or cmd.p2:
            return sw(SW.INCORRECT_P1P2)
        if len(cmd.data) != 40:
            return sw(SW.WRONG_LENGTH)
        challenge, self.challenge = self.challenge, None
        self.session_key = None
        self.verified.discard(CARD_NUMBER_KEY)
        if challenge is None:
            return sw(SW.CONDITIONS_NOT_SATISFIED)
        e_ifd, m_ifd = cmd.data[:32], cmd.data[32:]
        if not hmac.compare_digest(self.base.mac(e_ifd), m_ifd):
            return sw(SW.VERIFY_FAILED)
        plain = self.base.decrypt(e_ifd)
        if plain[8:16] != challenge:
            return sw(SW.VERIFY_FAILED)
        rnd_ifd, k_ifd = plain[:8], plain[16:]
        k_icc = self.random(ids.KEY_LENGTH)
        e_icc = self.base.encrypt(challenge + rnd_ifd + k_icc)
        self.session_key = card_session_key(k_ifd, k_icc)
        return sw(SW.OK, e_icc + self.base.mac(e_icc))

    def _session(self) -> CardCrypto | None:
        return None if self.session_key is None else CardCrypto(self.generation,
                                                                 self.session_key)

    def sm_verify(self, cmd: CommandApdu) -> bytes:
        if cmd.p1 != 0x00 or cmd.p2 != ids.CARD_NUMBER_KEY_REFERENCE:
            return sw(SW.INCORRECT_P1P2)
        session = self._session()
        if session is None:
            return sw(SW.SECURITY_STATUS_NOT_SATISFIED)
        cryptogram = sm_cryptogram(cmd.data, session.block)
        if cryptogram is not None and len(tlv.build(0x86, b"\x01" + cryptogram)) != len(cmd.data):
            cryptogram = None  # more than the one 86 object
        plain = None if cryptogram is None else _unpad(session.decrypt(cryptogram),
                                                       session.block)
        if plain is None:
            return sw(SW.SM_DATA_INCORRECT)
        if hmac.compare_digest(plain, self.card_number):
            self.verified.add(CARD_NUMBER_KEY)
            return sw(SW.OK)
        self.verified.discard(CARD_NUMBER_KEY)
        return sw(SW.VERIFY_FAILED)

    def sm_read_binary(self, cmd: CommandApdu) -> bytes:
        session = self._session()
        if session is None:
            return sw(SW.SECURITY_STATUS_NOT_SATISFIED)
        content = sm_read_content(self, cmd, cmd.data)
        if isinstance(content, int):
            return sw(content)
        cryptogram = session.encrypt(_pad(content, session.block))
        return sw(SW.OK, tlv.build(0x86, b"\x01" + cryptogram))


# --- building a card from a persona ------------------------------------------------------


@dataclass(frozen=True)
class SignerPki:
    signer_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: bytes


def _pki_path(name: str) -> Path:
    return test_pki_file(name)


#: Forged cards (persona ``extra.forgery``), each made to fail one authenticity check:
#:   altered-entries  2nd gen / 特定: DF1/EF02 holds later expiry dates than were signed
#:                    (``extra.signed_card_expiry`` / ``signed_residence_expiry``)
#:   altered-front    1st gen: the front image shows later dates than the signed one
#:   altered-photo    the photo is another face than the signed one
#:   unknown-ca       the signer certificate is issued by a CA nobody trusts
#:   impersonated-ca  the signer certificate names the TEST CA as issuer, but a rogue CA
#:                    signed it
FORGERIES = ("altered-entries", "altered-front", "altered-photo", "unknown-ca",
             "impersonated-ca")


@lru_cache(maxsize=8)
def load_signer_pki(generation: ids.Generation, ber_certificate: bool = False,
                    forgery: str | None = None) -> SignerPki:
    prefix = "residence1" if generation is ids.Generation.FIRST else "residence2"
    key_name = f"{prefix}-signer-TEST.key.pem"
    cert_name = f"{prefix}-signer-ber-TEST.crt.der" if ber_certificate else \
        f"{prefix}-signer-TEST.crt.der"
    if forgery in ("unknown-ca", "impersonated-ca"):
        key_name = f"{prefix}-rogue-signer-TEST.key.pem"
        cert_name = f"{prefix}-rogue-signer-TEST.crt.der" if forgery == "unknown-ca" else \
            f"{prefix}-impostor-signer-TEST.crt.der"
    try:
        key_pem = _pki_path(key_name).read_bytes()
        certificate = _pki_path(cert_name).read_bytes()
    except OSError:
        raise MissingSignerPki(path=str(_pki_path(cert_name))) from None
    key = serialization.load_pem_private_key(key_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise MissingSignerPki(path=str(_pki_path(key_name)))
    return SignerPki(key, certificate)


def anchor_paths() -> list[Path]:
    """The TEST CA certificates that issued the virtual cards' signers."""
    return [_pki_path("residence1-ca-TEST.crt.pem"), _pki_path("residence2-ca-TEST.crt.pem")]


def load_anchor(generation: ids.Generation) -> x509.Certificate:
    path = anchor_paths()[0 if generation is ids.Generation.FIRST else 1]
    return x509.load_pem_x509_certificate(path.read_bytes())


class _Extra:
    """Typed access to a persona's ``extra`` fields with clear errors."""

    def __init__(self, persona: Persona) -> None:
        self.persona = persona
        self.data = persona.extra

    def fail(self, detail: str) -> PersonaError:
        return PersonaError(path=self.persona.path, detail=detail)

    def text(self, key: str, default: str | None = None, *, max_bytes: int | None = None,
             ascii_only: bool = False) -> str:
        value = self.data.get(key, default)
        if value is None:
            raise self.fail(f"extra.{key} is required for this card type")
        if not isinstance(value, str):
            raise self.fail(f"extra.{key} must be a string")
        if ascii_only and not value.isascii():
            raise self.fail(f"extra.{key} must be ASCII")
        if max_bytes is not None and len(value.encode("utf-8")) > max_bytes:
            raise self.fail(f"extra.{key} must be at most {max_bytes} bytes")
        return value

    def code(self, key: str, allowed: tuple[str, ...] | dict[str, Any],
             default: str | None = None) -> str:
        value = self.text(key, default)
        if value not in allowed:
            raise self.fail(f"extra.{key} must be one of {', '.join(allowed)}")
        return value

    def forgery(self, allowed: tuple[str, ...]) -> str | None:
        if "forgery" not in self.data:
            return None
        return self.code("forgery", allowed)

    def flag(self, key: str) -> bool:
        value = self.data.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(f"extra.{key} must be true or false")
        return value

    def date(self, key: str, default: dt.date | None = None) -> dt.date | None:
        from cardtool.jst import today_jst
        from cardtool.virtual.persona import resolve_date

        value = self.data.get(key)
        if value is None:
            return default
        return resolve_date(value, f"extra.{key}", self.persona.path, today_jst())


def _ymd(day: dt.date) -> bytes:
    return day.strftime("%Y%m%d").encode("ascii")


def _file(items: Sequence[tuple[int, bytes]], size: int | None = None) -> bytes:
    data = tlv.build_all(list(items))
    return data if size is None or len(data) >= size else data + bytes(size - len(data))


def _sign(pki: SignerPki, data: bytes) -> bytes:
    if isinstance(pki.signer_key, rsa.RSAPrivateKey):
        return pki.signer_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    der = pki.signer_key.sign(data, ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return r.to_bytes(48, "big") + s.to_bytes(48, "big")


def _nul(value: bytes, size: int) -> bytes:
    return value + bytes(size - len(value))


def _check_image(persona: Persona, draw: Callable[[], bytes], what: str) -> bytes:
    try:
        return draw()
    except ImageTooLarge as exc:
        raise PersonaError(path=persona.path, detail=f"the {what} does not fit the card ({exc})"
                           ) from None


def _public_files(where: DF, card_type: ids.CardType, version: str) -> None:
    where.add(EF(0x0001, _file([(Tag.SPEC_VERSION, version.encode("ascii"))], 6),
                 sfi=ids.SFI_COMMON, read=always))
    # C1 01 '1' on first-generation cards, C1 02 "05" on later ones (spec §1).
    where.add(EF(0x0002, tlv.build(Tag.CARD_TYPE, card_type.value.encode("ascii")),
                 sfi=ids.SFI_CARD_TYPE, read=always))


_INDEFINITE = ("無期限", "INDEFINITE", "PERMANENT")
_PERIOD_WORDS = re.compile(r"(\d+)\s*(YEARS?|MONTHS?|DAYS?)", re.IGNORECASE)


def _indefinite(period: str) -> bool:
    return period.strip().upper() in _INDEFINITE


def _period_ja(period: str) -> str:
    """"5 YEARS" -> 5年, "1 YEAR 3 MONTHS" -> 1年3月: how the card face prints the period."""
    if _indefinite(period):
        return "無期限"
    parts = _PERIOD_WORDS.findall(period)
    if not parts:
        return period
    unit = {"Y": "年", "M": "月", "D": "日"}
    return "".join(f"{int(n)}{unit[word[0].upper()]}" for n, word in parts)


def first_generation_face(persona: Persona, x: _Extra, special: bool, nationality: str,
                          status: str, period: str, work: str) -> FrontFace:
    """What the card face shows. ``options``: ``blank_front`` (some under-16 cards carry an
    empty front image). Optional extras: permission_date, issue_date, permission_kind."""
    permanent = not special and _indefinite(period)
    default_permission = persona.card_expiry - dt.timedelta(days=365 * (7 if permanent else 5))
    permission = None if special else x.date("permission_date", default_permission)
    issue = None if special else x.date("issue_date", permission)
    assert persona.card_number is not None
    return FrontFace(
        special=special,
        name=persona.name + (f" ({persona.alias})" if persona.alias else ""),
        birth_date=persona.birth_date, sex=persona.sex, nationality=nationality,
        address=persona.address, card_expiry=persona.card_expiry,
        card_number=persona.card_number, status=status, work=work,
        period=_period_ja(period),
        residence_expiry=None if special or permanent else persona.residence_expiry,
        permission_kind="" if special else x.text(
            "permission_kind", "永住許可" if permanent else "在留期間更新許可"),
        permission_date=permission, issue_date=issue, blank=persona.has("blank_front"))


def front_face_layout(x: _Extra) -> FaceLayout | None:
    """``extra.front_layout`` (first generation): the card face drawn in a layout of the
    family (``cardtool.virtual.front_family``) instead of cardtool's classic 640 x 404 one:
    ``{"seed": 7, "font": "vl-pgothic", "width": 720, "noise": false}`` (width and noise
    optional; the image must still fit the chip's 7000 bytes)."""
    spec = x.data.get("front_layout")
    if spec is None:
        return None
    if not isinstance(spec, dict) or not isinstance(spec.get("seed"), int) \
            or not isinstance(spec.get("font"), str) \
            or not isinstance(spec.get("width", 0), int) \
            or not isinstance(spec.get("noise", False), bool) \
            or set(spec) - {"seed", "font", "width", "noise"}:
        raise x.fail("extra.front_layout must be {\"seed\": integer, \"font\": string, "
                     "\"width\": integer (optional), \"noise\": true/false (optional)}")
    width = spec.get("width")
    if width is not None and not 400 <= width <= 2000:
        raise x.fail("extra.front_layout.width must be 400..2000")
    try:
        return random_layout(spec["seed"], spec["font"], width, noise=spec.get("noise", False))
    except FontMissing as exc:
        raise x.fail(f"extra.front_layout: {exc}") from None


def build_first_generation(persona: Persona, *, random: RandomSource = os.urandom
                           ) -> ResidenceCard:
    x = _Extra(persona)
    card_type = ids.CardType(x.code("card_type", ("1", "2"), "1"))
    special = card_type is ids.CardType.SPECIAL_PERMANENT_1
    nationality = x.text("nationality")
    status = "Special Permanent Resident" if special else x.text("status")
    period = "" if special else x.text("period_of_stay")
    work = "" if special else x.text("work_restriction")
    if not special and persona.residence_expiry is None and not _indefinite(period):
        raise x.fail("'residence_expiry' is required for a residence card (type 1) "
                     "unless extra.period_of_stay is 無期限")
    encoding = "cp932" if persona.has("cp932_text") else "utf-8"
    address_date = x.date("address_date", persona.card_expiry - dt.timedelta(days=365 * 5))
    municipality = x.text("municipality_code", "131016", ascii_only=True)
    if not (len(municipality) == 6 and municipality.isdigit()):
        raise x.fail("extra.municipality_code must be 6 digits")
    assert card_type is not None and address_date is not None
    try:
        address = persona.address.encode(encoding)
    except UnicodeEncodeError:
        raise x.fail(f"'address' cannot be written in {encoding}") from None
    if len(address) > ids.FIRST_GEN_ADDRESS_MAX:
        raise x.fail(f"'address' is longer than {ids.FIRST_GEN_ADDRESS_MAX} bytes")

    forgery = x.forgery(("altered-front", "altered-photo", "unknown-ca", "impersonated-ca"))

    face_layout = front_face_layout(x)

    def draw_front(shown: Persona) -> bytes:
        shown_face = first_generation_face(shown, x, special, nationality, status, period, work)
        if face_layout is not None:
            try:
                return _check_image(shown, lambda: front_image_in_layout(
                    shown_face, face_layout, ids.FIRST_GEN_FRONT_IMAGE_MAX), "front image")
            except FontMissing as exc:
                raise x.fail(f"extra.front_layout: {exc}") from None
        return _check_image(shown, lambda: front_image(
            shown_face, ids.FIRST_GEN_FRONT_IMAGE_MAX), "front image")

    front = draw_front(persona)
    face = _check_image(persona, lambda: photo(persona.id + persona.name,
                                               ids.FIRST_GEN_PHOTO_MAX), "photo")
    signed_front, signed_face = front, face
    if forgery == "altered-front":
        # Signed: the card as issued (earlier dates); shown: the forger's later dates.
        issued = x.date("signed_card_expiry", persona.card_expiry - dt.timedelta(days=730))
        assert issued is not None
        signed_front = draw_front(dataclasses.replace(persona, card_expiry=issued))
    elif forgery == "altered-photo":
        face = _check_image(persona, lambda: photo(persona.id + "impostor",
                                                   ids.FIRST_GEN_PHOTO_MAX), "photo")
    assert persona.card_number is not None
    card = ResidenceCard(card_type, persona.card_number.encode("ascii"), random=random)
    _public_files(card.mf, card_type, x.text("spec_version", "0001", ascii_only=True))
    number_verified = after(CARD_NUMBER_KEY)
    df1 = card.add_df(DF(ids.DF1_AID))
    df1.add(EF(0x0001, tlv.build(Tag.FRONT_OR_NAME_IMAGE, front),
               sfi=ids.FirstGenSFI.FRONT_IMAGE, read=never))
    df1.add(EF(0x0002, tlv.build(Tag.PHOTO, face), sfi=ids.FirstGenSFI.PHOTO, read=never))
    df2 = card.add_df(DF(ids.DF2_AID))
    df2.add(EF(0x0001, _file([(Tag.ADDRESS_DATE, _ymd(address_date)),
                              (Tag.ADDRESS_MUNICIPALITY, municipality.encode("ascii")),
                              (Tag.ADDRESS, address)], ids.FIRST_GEN_ADDRESS_FILE),
               sfi=ids.FirstGenSFI.ADDRESS, read=number_verified))
    if not special:
        for fid, sfi, tag, key in (
                (0x0002, ids.FirstGenSFI.COMPREHENSIVE_PERMISSION,
                 Tag.COMPREHENSIVE_PERMISSION_1, "comprehensive_permission"),
                (0x0003, ids.FirstGenSFI.INDIVIDUAL_PERMISSION, Tag.INDIVIDUAL_PERMISSION_1,
                 "individual_permission")):
            try:
                value = x.text(key, "").encode(encoding)
            except UnicodeEncodeError:
                raise x.fail(f"extra.{key} cannot be written in {encoding}") from None
            if len(value) > ids.FIRST_GEN_PERMISSION_MAX:
                raise x.fail(f"extra.{key} is longer than {ids.FIRST_GEN_PERMISSION_MAX} bytes")
            df2.add(EF(fid, _file([(tag, value)], ids.FIRST_GEN_PERMISSION_FILE), sfi=sfi,
                       read=number_verified))
        renewal = b"1" if x.flag("renewal_pending") else b"0"
        df2.add(EF(0x0004, _file([(Tag.RENEWAL_PENDING_1, renewal)]),
                   sfi=ids.FirstGenSFI.RENEWAL, read=number_verified))
    pki = load_signer_pki(ids.Generation.FIRST, forgery=forgery)
    signed = (_nul(signed_front, ids.FIRST_GEN_FRONT_IMAGE_MAX)
              + _nul(signed_face, ids.FIRST_GEN_PHOTO_MAX))
    df3 = card.add_df(DF(ids.DF3_AID))
    df3.add(EF(0x0001, _file([(Tag.CHECK_CODE, _sign(pki, signed)),
                              (Tag.CERTIFICATE_1, pki.certificate)], ids.FIRST_GEN_SIGNATURE_FILE),
               sfi=ids.FirstGenSFI.SIGNATURE, read=number_verified))
    return card


_SEX_CODE = {"male": "1", "female": "2", "unknown": "3"}


def second_generation_entries(persona: Persona, x: _Extra, card_type: ids.CardType
                              ) -> list[tuple[int, bytes]]:
    """DF1/EF02 values in file order, each exactly its width (shorter codes NUL-padded)."""
    special = card_type in ids.SPECIAL_PERMANENT_TYPES
    period = x.text("period_of_stay", ids.PERIOD_INDEFINITE if special else None,
                    ascii_only=True)
    if not (period.isdigit() and len(period) in (3, 4)):
        raise x.fail("extra.period_of_stay must be YYMM, DDD or 0000")
    values: dict[int, bytes] = {
        Tag.CARD_EXPIRY: _ymd(persona.card_expiry),
        Tag.BIRTH_DATE: _ymd(persona.birth_date),
        Tag.SEX: _SEX_CODE[persona.sex].encode("ascii"),
        Tag.NATIONALITY: x.text("nationality", ascii_only=True, max_bytes=3).encode("ascii"),
        Tag.STATUS: x.text("status", ascii_only=True, max_bytes=10).encode("ascii"),
        Tag.PERIOD_OF_STAY: period.encode("ascii"),
    }
    if not special:
        if persona.residence_expiry is None:
            raise x.fail("'residence_expiry' is required for a residence card (type 05/07)")
        permission_date = x.date("permission_date")
        if permission_date is None:
            raise x.fail("extra.permission_date is required for this card type")
        values.update({
            Tag.PERMISSION_TYPE: x.text("permission_type", ascii_only=True, max_bytes=2
                                        ).encode("ascii"),
            Tag.PERMISSION_DATE: _ymd(permission_date),
            Tag.WORK_RESTRICTION: x.code("work_restriction", ids.WORK_RESTRICTION_CODES
                                         ).encode("ascii"),
            Tag.RESIDENCE_EXPIRY: _ymd(persona.residence_expiry),
        })
    return [(tag, _nul(value, ids.SECOND_GEN_ENTRY_WIDTHS[tag])) for tag, value in values.items()]


def add_second_generation_files(card: CardOS, public: DF, persona: Persona,
                                card_type: ids.CardType) -> None:
    """The second-generation file tree (also the 特定在留カード's): the public EFs into
    ``public`` (the MF, or the 在留AP), DF1-DF3 into ``card``."""
    x = _Extra(persona)
    special = card_type in ids.SPECIAL_PERMANENT_TYPES
    entries = second_generation_entries(persona, x, card_type)
    forgery = x.forgery(("altered-entries", "altered-photo", "unknown-ca", "impersonated-ca"))
    signed_entries = entries
    if forgery == "altered-entries":
        # Signed: the dates as issued; on the chip: the forger's later ones.
        issued: dict[int, dt.date | None] = {
            Tag.CARD_EXPIRY: x.date("signed_card_expiry",
                                    persona.card_expiry - dt.timedelta(days=730))}
        if persona.residence_expiry is not None:
            issued[Tag.RESIDENCE_EXPIRY] = x.date(
                "signed_residence_expiry", persona.residence_expiry - dt.timedelta(days=730))
        signed_entries = []
        for tag, value in entries:
            day = issued.get(tag)
            signed_entries.append((tag, _ymd(day) if day is not None else value))
    name_rows = [("", persona.name)] + ([("", f"({persona.alias})")] if persona.alias else [])
    name_image = _check_image(persona, lambda: text_image(
        name_rows, (520, 96), ids.SECOND_GEN_NAME_IMAGE_MAX), "name image")
    address_image = _check_image(persona, lambda: text_image(
        [("", persona.address)], (520, 120), ids.SECOND_GEN_ADDRESS_IMAGE_MAX), "address image")
    face = _check_image(persona, lambda: photo(persona.id + persona.name,
                                               ids.SECOND_GEN_PHOTO_MAX), "photo")
    signed_face_value = _nul(face, ids.SECOND_GEN_PHOTO_MAX)
    if forgery == "altered-photo":
        face = _check_image(persona, lambda: photo(persona.id + "impostor",
                                                   ids.SECOND_GEN_PHOTO_MAX), "photo")
    assert persona.card_number is not None
    _public_files(public, card_type, x.text("spec_version", "0001", ascii_only=True))
    number_verified = after(CARD_NUMBER_KEY)
    name_value = _nul(name_image, ids.SECOND_GEN_NAME_IMAGE_MAX)
    face_value = _nul(face, ids.SECOND_GEN_PHOTO_MAX)
    df1 = card.add_df(DF(ids.DF1_AID))
    df1.add(EF(0x0001, tlv.build(Tag.CARD_NUMBER, persona.card_number.encode("ascii")),
               sfi=ids.SecondGenSFI.CARD_NUMBER, read=never))
    df1.add(EF(0x0002, tlv.build_all(entries), sfi=ids.SecondGenSFI.ENTRIES, read=never))
    df1.add(EF(0x0003, tlv.build_all([(Tag.FRONT_OR_NAME_IMAGE, name_value),
                                      (Tag.PHOTO, face_value)]),
               sfi=ids.SecondGenSFI.NAME_AND_PHOTO, read=never))
    df1.add(EF(0x0004, tlv.build(Tag.ADDRESS_IMAGE,
                                 _nul(address_image, ids.SECOND_GEN_ADDRESS_IMAGE_MAX)),
               sfi=ids.SecondGenSFI.ADDRESS_IMAGE, read=never))
    df2 = card.add_df(DF(ids.DF2_AID))
    reserved = x.text("reserved_text", "", max_bytes=ids.SECOND_GEN_RESERVED_TEXT_MAX)
    other = [(Tag.COMMISSIONER_ENTRY, b"1" if x.flag("commissioner_entry") else b"0")]
    if reserved:
        other.append((Tag.RESERVED_TEXT, reserved.encode("utf-8")))
    if special:
        df2.add(EF(0x0001, _file(other, ids.SECOND_GEN_OTHER_FILE),
                   sfi=ids.SPECIAL_PERMANENT_2_OTHER_SFI, read=number_verified))
    else:
        comprehensive = x.code("comprehensive_permission", ids.COMPREHENSIVE_PERMISSION_CODES,
                               "0")
        permissions = [(Tag.COMPREHENSIVE_PERMISSION_2, comprehensive.encode("ascii"))]
        until = x.date("comprehensive_permission_expiry")
        if comprehensive != "0" and until is None:
            raise x.fail("extra.comprehensive_permission_expiry is required when "
                         "comprehensive_permission is not 0")
        permissions.append((Tag.COMPREHENSIVE_PERMISSION_EXPIRY_2,
                            _ymd(until) if until else bytes(8)))
        permissions.append((Tag.INDIVIDUAL_PERMISSION_2,
                            b"1" if x.flag("individual_permission") else b"0"))
        df2.add(EF(0x0001, _file(permissions, ids.SECOND_GEN_PERMISSIONS_FILE),
                   sfi=ids.SecondGenSFI.PERMISSIONS, read=number_verified))
        df2.add(EF(0x0002, _file([(Tag.RENEWAL_PENDING_2,
                                   b"1" if x.flag("renewal_pending") else b"0")]),
                   sfi=ids.SecondGenSFI.RENEWAL, read=number_verified))
        df2.add(EF(0x0003, _file(other, ids.SECOND_GEN_OTHER_FILE),
                   sfi=ids.SecondGenSFI.COMMISSIONER, read=number_verified))
    pki = load_signer_pki(ids.Generation.SECOND, persona.has("ber_certificate"), forgery)
    printed = b"".join(value for _tag, value in signed_entries)
    signed = (_nul(printed, ids.SECOND_GEN_ENTRIES_SIGNED_LENGTH) + signed_face_value
              + name_value)
    df3 = card.add_df(DF(ids.DF3_AID))
    df3.add(EF(0x0001, _file([(Tag.SIGNATURE_2, _sign(pki, signed)),
                              (Tag.CERTIFICATE_2, pki.certificate)],
                             ids.SECOND_GEN_SIGNATURE_FILE),
               sfi=ids.SecondGenSFI.SIGNATURE, read=number_verified))


def build_second_generation(persona: Persona, *, random: RandomSource = os.urandom
                            ) -> ResidenceCard:
    card_type = ids.CardType(_Extra(persona).code("card_type", ("05", "06"), "05"))
    assert persona.card_number is not None
    card = ResidenceCard(card_type, persona.card_number.encode("ascii"), random=random)
    add_second_generation_files(card, card.mf, persona, card_type)
    return card


def make_first_generation(spec: str | None) -> ResidenceCard:
    return build_first_generation(load_persona(spec, "residence"))


def make_second_generation(spec: str | None) -> ResidenceCard:
    return build_second_generation(load_persona(spec, "residence2"))


register("residence", make_first_generation)
register("residence2", make_second_generation)
