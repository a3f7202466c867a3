"""The virtual My Number card: every application in shared/spec/mynumber-card.md on the
card OS, filled from a persona (synthetic person, PINs, counters, dates).

What a real card answers, byte for byte where the spec knows it: SELECT by AID and by EF,
READ BINARY (short, extended, by SFI), READ RECORD, the empty VERIFY (63 Cx, no try used),
blocking (63 C0, then 69 84), COMPUTE DIGITAL SIGNATURE (80 2A 00 80), MF-level GET DATA
for the expiry right after reset, the contactless UID pseudo-APDU, and 67 00 / 6A 82 /
6A 86 / 6B 00 / 6D 00 / 6E 00 for bad requests.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from apdu import tlv
from apdu.command import CommandApdu
from apdu.sw import SW
from cardtool.cards.mynumber import ids
from cardtool.era import collation_number_b, era_yymmdd
from cardtool.policy.table import SECRETS
from cardtool.virtual import jpki_pki, register
from cardtool.virtual.card_os import DF, EF, CardOS, PinObject, after, always, never, sw
from cardtool.virtual.drawing import photo_jp2, text_png
from cardtool.virtual.persona import Persona, load_persona
from cardtool.virtual.quirks import Quirk

#: A contactless My Number card ATR (PC/SC part 3 form; pcsc-tools smartcard_list).
ATR = bytes.fromhex("3B888001000005E0B381A1007F")
CERT_EF_SIZE = 0x800  # certificates sit at the start of a larger EF
TOKEN_EF_SIZE = 160
SEX_DIGIT = {"male": "1", "female": "2", "unknown": "9"}
NO_SIGNING_CERTIFICATE = "no_signing_certificate"
MUNICIPALITY_CODE = "13999"  # synthetic 全国地方公共団体コード (TEST)


def _padded(data: bytes, size: int, fill: int = 0x00) -> bytes:
    return data + bytes((fill,)) * max(0, size - len(data))


def _token_info(label: str) -> bytes:
    fields = (label.encode().ljust(32, b" ") + b"J-LIS TEST".ljust(32, b" ")
              + b"VIRTUAL".ljust(16, b" ") + b"0000000000000000")
    return _padded(fields, TOKEN_EF_SIZE)


def _cv_certificate(seed: str) -> bytes:
    """A card-verifiable certificate shaped like the real ones (7F21 {5F4E 297, 5F37 256})."""
    stream = hashlib.shake_256(seed.encode()).digest(297 + 256)
    return tlv.build(0x7F21, tlv.build(0x5F4E, stream[:297]) + tlv.build(0x5F37, stream[297:]))


def _rsa_public_tlv(key: rsa.RSAPublicKey) -> bytes:
    numbers = key.public_numbers()
    return (tlv.build(0x90, numbers.e.to_bytes(3, "big"))
            + tlv.build(0x91, numbers.n.to_bytes(256, "big")))


def _attributes(p: Persona) -> bytes:
    """基本4情報: FF20 {DF21 offset table, DF22 name, DF23 address, DF24 birth, DF25 sex}."""
    values = [(ids.TextTag.NAME, p.name.encode()), (ids.TextTag.ADDRESS, p.address.encode()),
              (ids.TextTag.BIRTH_DATE, p.birth_date.strftime("%Y%m%d").encode()),
              (ids.TextTag.SEX, SEX_DIGIT[p.sex].encode())]
    offsets_tlv_len = 2 + 1 + 8
    body_after_offsets = tlv.build_all(values)
    total_body = offsets_tlv_len + len(body_after_offsets)
    header_len = 2 + len(tlv.encode_length(total_body))
    # The offset table gives where each field's TLV starts, counted from the file start.
    pos = header_len + offsets_tlv_len
    table = b""
    for tag, value in values:
        table += pos.to_bytes(2, "big")
        pos += len(tlv.build(tag, value))
    return tlv.build(ids.TextTag.ATTRIBUTES, tlv.build(ids.TextTag.OFFSETS, table)
                     + body_after_offsets)


def _sign_blob(key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _card_face(p: Persona, face_key: rsa.RSAPrivateKey) -> bytes:
    birth = p.birth_date.strftime("%Y%m%d").encode()
    name_png = text_png(p.name + (f"\n({p.alias})" if p.alias else ""))
    address_png = text_png(p.address[:40] + ("\n" + p.address[40:80] if len(p.address) > 40 else ""),
                           width=640, height=96)
    photo = photo_jp2(p.id)
    signed = [(ids.VisualTag.BIRTH_DATE, birth), (ids.VisualTag.SEX, SEX_DIGIT[p.sex].encode()),
              (ids.VisualTag.PUBLIC_KEY, _rsa_public_tlv(face_key.public_key())),
              (ids.VisualTag.NAME_IMAGE, name_png), (ids.VisualTag.ADDRESS_IMAGE, address_png),
              (ids.VisualTag.PHOTO, photo)]
    signature = _sign_blob(face_key, b"".join(v for _, v in signed))
    rest = [(ids.VisualTag.SIGNATURE, signature),
            (ids.VisualTag.CARD_EXPIRY, p.card_expiry.strftime("%Y%m%d").encode()),
            (ids.VisualTag.SECURITY_CODE_IMAGE, text_png(p.security_code or "", 160, 40, 24))]
    header = bytes(12)  # DF21: card-face header (layout unpublished; zeros here)
    return tlv.build(ids.VisualTag.FACE, tlv.build(ids.VisualTag.HEADER, header)
                     + tlv.build_all(signed + rest))


def _raw_rsa_pkcs1(key: rsa.RSAPrivateKey, digest_info: bytes) -> bytes:
    """EMSA-PKCS1-v1_5 over a caller-made DigestInfo, then the raw private-key operation
    (what the card's COMPUTE DIGITAL SIGNATURE does)."""
    k = key.key_size // 8
    if len(digest_info) > k - 11:
        raise ValueError("DigestInfo too long")
    em = b"\x00\x01" + b"\xff" * (k - 3 - len(digest_info)) + b"\x00" + digest_info
    numbers = key.private_numbers()
    n = numbers.public_numbers.n
    return pow(int.from_bytes(em, "big"), numbers.d, n).to_bytes(k, "big")


class VirtualMyNumberCard(CardOS):
    """A My Number card for one persona. PIN counters persist for the object's life."""

    kind = "mynumber"

    def __init__(self, persona: Persona) -> None:
        super().__init__(ATR)
        self.persona = persona
        p = persona
        self.signing_key: dict[int, rsa.RSAPrivateKey] = {
            ids.JpkiEF.AUTH_KEY: jpki_pki.card_key(p, "auth"),
            ids.JpkiEF.SIGN_KEY: jpki_pki.card_key(p, "sign")}
        self.has_signing_certificate = not p.has(NO_SIGNING_CERTIFICATE)
        self._build_jpki()
        self._build_text()
        self._build_visual()
        self._build_juki_and_common()
        self.apply_quirks(p.options)
        if Quirk.NO_COMMON_DF in self.quirks:
            del self.dfs[ids.COMMON_AID]
        self.handlers[(0x80, ids.SIGN_INS)] = self._compute_signature
        self.handlers[(0x00, 0xCA)] = self._get_data
        self.handlers[(0xFF, 0xCA)] = self._uid

    # -- applications ------------------------------------------------------------------

    def _pin(self, name: str, value: str | None = None, tries: int | None = None) -> PinObject:
        secret = SECRETS[name]
        remaining = self.persona.tries.get(name, secret.max_tries) if tries is None else tries
        raw = (value if value is not None else self.persona.pins[name]).encode("ascii")
        return PinObject(raw, secret.max_tries, remaining)

    def _build_jpki(self) -> None:
        p = self.persona
        jpki = self.add_df(DF(ids.JPKI_AID))
        jpki.add(EF(ids.JpkiEF.TOKEN_INFO, _token_info(ids.TOKEN_MYNUMBER_CARD)))
        flags = bytes((ids.CERT_FLAG_PRESENT if self.has_signing_certificate else 0x00,
                       ids.CERT_FLAG_PRESENT, 0x00))
        jpki.add(EF(ids.JpkiEF.CERT_FLAGS, flags))
        jpki.add(EF(ids.JpkiEF.AUTH_CERT, _padded(jpki_pki.auth_certificate(p), CERT_EF_SIZE)))
        jpki.add(EF(ids.JpkiEF.AUTH_CA_CERT, _padded(jpki_pki.ca_der("auth"), CERT_EF_SIZE)))
        jpki.add(EF(ids.JpkiEF.SIGN_CA_CERT, _padded(jpki_pki.ca_der("sign"), CERT_EF_SIZE)))
        sign_opened = after((ids.JPKI_AID, ids.JpkiEF.SIGN_PIN))
        if self.has_signing_certificate:
            jpki.add(EF(ids.JpkiEF.SIGN_CERT, _padded(jpki_pki.sign_certificate(p), CERT_EF_SIZE),
                        read=sign_opened))
        else:
            jpki.add(EF(ids.JpkiEF.SIGN_CERT, b"", read=sign_opened))
        jpki.add(EF(ids.JpkiEF.AUTH_KEY, read=never))
        jpki.add(EF(ids.JpkiEF.SIGN_KEY, read=never))
        jpki.pins[ids.JpkiEF.AUTH_PIN] = self._pin("auth")
        jpki.pins[ids.JpkiEF.SIGN_PIN] = self._pin("sign")

    def _build_text(self) -> None:
        p = self.persona
        assert p.my_number is not None
        text = self.add_df(DF(ids.TEXT_AID))
        pin, key_a, key_b = ((ids.TEXT_AID, ids.TextEF.PIN), (ids.TEXT_AID, ids.TextEF.KEY_A),
                             (ids.TEXT_AID, ids.TextEF.KEY_B))
        number_ef = tlv.build(ids.TextTag.MY_NUMBER, p.my_number.encode()) + b"\xff\xff"
        attributes = _attributes(p)
        text.add(EF(ids.TextEF.MY_NUMBER, number_ef, read=after(pin, key_a)))
        text.add(EF(ids.TextEF.ATTRIBUTES, attributes, read=after(pin, key_b)))
        integrity_key = jpki_pki.card_key(p, "integrity")
        integrity = tlv.build(0xFF30, tlv.build_all([
            (0xDF31, hashlib.sha256(number_ef[:15]).digest()),
            (0xDF32, hashlib.sha256(attributes).digest()),
            (0xDF33, _sign_blob(integrity_key, number_ef[:15] + attributes))]))
        text.add(EF(ids.TextEF.INTEGRITY, integrity, read=after(pin, key_a, key_b)))
        text.add(EF(ids.TextEF.CV_CERT, _cv_certificate(f"text-cv/{p.id}")))
        text.add(EF(ids.TextEF.AP_INFO, _padded(tlv.build(0xFF40, tlv.build_all([
            (0xDF41, b"\x00\x00\x00\x01"),
            (0xDF42, hashlib.sha256(f"text-key/{p.id}".encode()).digest()[:16])])), 256)))
        text.pins[ids.TextEF.PIN] = self._pin("text")
        max_code = SECRETS["number-a"].max_tries
        text.pins[ids.TextEF.KEY_A] = PinObject(p.my_number.encode(), max_code, max_code)
        text.pins[ids.TextEF.KEY_B] = PinObject(self.collation_b.encode(), max_code, max_code)

    @property
    def collation_b(self) -> str:
        p = self.persona
        return collation_number_b(p.birth_date, p.card_expiry, p.security_code or "0000")

    def _build_visual(self) -> None:
        p = self.persona
        assert p.my_number is not None
        visual = self.add_df(DF(ids.VISUAL_AID))
        key_a, key_b = (ids.VISUAL_AID, ids.VisualEF.KEY_A), (ids.VISUAL_AID, ids.VisualEF.KEY_B)
        birth_key = (ids.VISUAL_AID, ids.VisualEF.BIRTH_KEY)
        age_key = jpki_pki.card_key(p, "age")
        birth = p.birth_date.strftime("%Y%m%d").encode()
        visual.add(EF(ids.VisualEF.AGE, tlv.build(0xFF10, tlv.build_all([
            (0xDF11, birth), (0xDF12, _rsa_public_tlv(age_key.public_key())),
            (0xDF13, _sign_blob(age_key, birth))])), read=after(birth_key)))
        visual.add(EF(ids.VisualEF.FACE, _card_face(p, jpki_pki.card_key(p, "face")),
                      read=after(key_a, key_b)))
        visual.add(EF(ids.VisualEF.AP_INFO, tlv.build(ids.VisualApInfoTag.CONTAINER, tlv.build_all([
            (0xDF31, b"\x00\x00\x00\x02"),
            (0xDF32, hashlib.sha256(f"visual-key/{p.id}".encode()).digest()[:16]),
            (0xDF33, b"\x01"),
            (ids.VisualApInfoTag.MUNICIPALITY, MUNICIPALITY_CODE.encode()),
            (0xDF35, b"\x00" * 4)]))))
        visual.add(EF(ids.VisualEF.CV_CERT, _cv_certificate(f"visual-cv/{p.id}")))
        number_png = text_png(" ".join(p.my_number[i:i + 4] for i in (0, 4, 8)), 320, 40, 24)
        visual.add(EF(ids.VisualEF.NUMBER_IMAGE, tlv.build(0xFF40, tlv.build_all([
            (0xDF41, number_png), (0xDF42, _rsa_public_tlv(age_key.public_key())),
            (0xDF43, _sign_blob(age_key, number_png))])), read=after(key_a)))
        max_code = SECRETS["number-a"].max_tries
        visual.pins[ids.VisualEF.KEY_A] = PinObject(p.my_number.encode(), max_code, max_code)
        visual.pins[ids.VisualEF.KEY_B] = PinObject(self.collation_b.encode(), max_code, max_code)
        visual.pins[ids.VisualEF.BIRTH_KEY] = PinObject(era_yymmdd(p.birth_date).encode(),
                                                        SECRETS["birth"].max_tries,
                                                        SECRETS["birth"].max_tries)

    def _build_juki_and_common(self) -> None:
        p = self.persona
        juki = self.add_df(DF(ids.JUKI_AID))
        juki.add(EF(ids.JukiEF.RECORD, records=[bytes.fromhex("0108") + b"00000000"],
                    read=after((ids.JUKI_AID, ids.JukiEF.PIN))))
        juki.pins[ids.JukiEF.PIN] = self._pin("juki")
        common = self.add_df(DF(ids.COMMON_AID))
        serial = str(int.from_bytes(hashlib.sha256(f"serial/{p.id}".encode()).digest()[:8],
                                    "big"))[:15].rjust(15, "0")
        digits = serial + MUNICIPALITY_CODE + p.card_expiry.strftime("%Y%m%d")
        common.add(EF(ids.CommonEF.CARD_INFO, records=[tlv.build(ids.COMMON_RECORD_TAG,
                                                                 digits.encode())], read=always))
        common.pins[ids.CommonEF.PIN] = self._pin("juki")

    # -- card-specific instructions ------------------------------------------------------

    def _get_data(self, cmd: CommandApdu) -> bytes:
        tag = (cmd.p1 << 8) | cmd.p2
        if cmd.data:
            return sw(SW.WRONG_LENGTH)
        if not self.fresh_after_reset:
            # Spec §2.4: the MF-level objects answer only before the first SELECT.
            return sw(SW.CONDITIONS_NOT_SATISFIED)
        if tag == ids.GET_DATA_EXPIRY:
            return sw(SW.OK, self.persona.card_expiry.strftime("%Y%m%d").encode())
        if tag == ids.GET_DATA_MUNICIPALITY:
            return sw(SW.OK, MUNICIPALITY_CODE.encode())
        return sw(SW.REFERENCE_NOT_FOUND)

    def _uid(self, cmd: CommandApdu) -> bytes:
        if (cmd.p1, cmd.p2) != (0x00, 0x00):
            return sw(SW.INCORRECT_P1P2)
        uid = hashlib.sha256(f"pupi/{self.persona.id}".encode()).digest()[:4]
        return sw(SW.OK, uid)

    def _compute_signature(self, cmd: CommandApdu) -> bytes:
        if self.current_df.aid != ids.JPKI_AID:
            return sw(SW.CONDITIONS_NOT_SATISFIED)
        if cmd.p1 != ids.SIGN_P1:
            return sw(SW.INCORRECT_P1P2)
        if cmd.p2 == ids.SIGN_P2:
            key_ef = self.current_ef.fid if self.current_ef is not None else None
        elif cmd.p2 & 0xE0 == 0x80:
            key_ef = cmd.p2 & 0x1F
        else:
            return sw(SW.INCORRECT_P1P2)
        pin_for: dict[int, int] = {ids.JpkiEF.AUTH_KEY: ids.JpkiEF.AUTH_PIN,
                                   ids.JpkiEF.SIGN_KEY: ids.JpkiEF.SIGN_PIN}
        if key_ef not in pin_for:
            return sw(SW.CONDITIONS_NOT_SATISFIED)
        if key_ef == ids.JpkiEF.SIGN_KEY and not self.has_signing_certificate:
            return sw(SW.REFERENCE_DATA_UNUSABLE)
        if (ids.JPKI_AID, pin_for[key_ef]) not in self.verified:
            return sw(SW.SECURITY_STATUS_NOT_SATISFIED)
        if not cmd.data:
            return sw(SW.WRONG_LENGTH)
        try:
            signature = _raw_rsa_pkcs1(self.signing_key[key_ef], cmd.data)
        except ValueError:
            return sw(SW.WRONG_DATA)
        return sw(SW.OK, signature)


def make_card(persona_spec: str | None) -> VirtualMyNumberCard:
    return VirtualMyNumberCard(load_persona(persona_spec, "mynumber"))


register("mynumber", make_card)
