"""The virtual My Number card: every application in shared/spec/mynumber-card.md on the
card OS, filled from a persona (synthetic person, PINs, counters, dates).

What a real card answers, byte for byte where the spec knows it: SELECT by AID and by EF,
READ BINARY (short, extended, by SFI), READ RECORD, the empty VERIFY (63 Cx, no try used),
blocking (63 C0, then 69 84), COMPUTE DIGITAL SIGNATURE (80 2A 00 80), MF-level GET DATA
for the expiry right after reset, the contactless UID pseudo-APDU, and 67 00 / 6A 82 /
6A 86 / 6B 00 / 6D 00 / 6E 00 for bad requests.

The 券面 applications hold the records of spec §2.5 byte for byte in structure (layout
constants: cardtool/cards/mynumber/records.py), signed by a TEST hierarchy of our own
(cardtool/virtual/pki/mynumber-cv-TEST.json): each application's records by the municipality key its
EF 0004 certifies, that certificate by the application's TEST CA; the per-card key
(DF12/DF24/DF42/DF51) answers the chip challenge ``80 2A 00 00`` in both applications.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from apdu import tlv
from apdu.command import CommandApdu
from apdu.ins import INS
from apdu.sw import SW
from cardtool.cards.mynumber import ids, records
from cardtool.era import collation_number_b, era_yymmdd
from cardtool.policy.table import SECRETS
from cardtool.secret_format import Secret
from cardtool.virtual import jpki_pki, register
from cardtool.virtual.card_os import DF, EF, CardOS, PinObject, after, always, never, sw
from cardtool.virtual.drawing import photo_jp2, text_png
from cardtool.virtual.persona import Persona, load_persona
from cardtool.virtual.quirks import Forgery, Quirk

#: A contactless My Number card ATR (PC/SC part 3 form; pcsc-tools smartcard_list).
ATR = bytes.fromhex("3B888001000005E0B381A1007F")
CERT_EF_SIZE = 0x800  # certificates sit at the start of a larger EF
TOKEN_EF_SIZE = 160
SEX_DIGIT = {"male": "1", "female": "2", "unknown": "9"}
NO_SIGNING_CERTIFICATE = "no_signing_certificate"
MUNICIPALITY_CODE = "13999"  # synthetic 全国地方公共団体コード (TEST)

#: Key ids the AP-info files name but that sign nothing (spec §2.5; MC saw 6000034/001,
#: 6000024/001 and 5900025/001 on a test card). TEST values of our hierarchy, never real ids.
TEXT_AP_INFO_KEY_ID = records.key_id("6990034", "001")
VISUAL_AP_INFO_KEY_ID = records.key_id("6990024", "001")
VISUAL_AP_OPAQUE_KEY_ID = records.key_id("6990025", "001")
#: Filler after the object in a fixed-size EF (text EF 0005 is read as 256 bytes).
EF_FILLER = 0xFF

#: Persona option: 2 filler bytes before the FF10/FF20 object of text EF 0001 and EF 0002
#: (ISO 7816-4 allows 00/FF padding before BER-TLV objects). Our choice, made here only: the
#: filler is part of the file as stored, so DF21's offsets count from the file start (filler
#: included) and DF31 hashes the physical EF 0001 (filler included); DF32 is unaffected.
FILLER_BEFORE_TLV_OPTION = Quirk.FILLER_BEFORE_TLV.value
FILLER_BEFORE_TLV = b"\x00\x00"


FORGED_TEXT = Forgery.FORGED_TEXT.value
FORGED_FACE = Forgery.FORGED_FACE.value
UNKNOWN_CA = Forgery.UNKNOWN_CA.value
PRODUCTION_ID = Forgery.PRODUCTION_ID.value
CLONED_CHIP = Forgery.CLONED_CHIP.value
UNKNOWN_CA_ID = records.key_id("6990099", "001")
PRODUCTION_CA_IDS = {"text": records.key_id("5000033", "001"),
                     "visual": records.key_id("5000023", "001")}


def _claimed_issuer(p: Persona, ap: str) -> bytes | None:
    if p.has(UNKNOWN_CA):
        return UNKNOWN_CA_ID
    if p.has(PRODUCTION_ID):
        return PRODUCTION_CA_IDS[ap]
    return None


def _altered(data: bytes, value: bytes) -> bytes:
    """``data`` with the first occurrence of ``value`` changed in its last byte (lengths,
    offsets and every signature stay as they were: a forgery)."""
    at = data.index(value) + len(value) - 1
    return data[:at] + bytes(((data[at] + 1) & 0xFF or 1,)) + data[at + 1:]


def _padded(data: bytes, size: int, fill: int = 0x00) -> bytes:
    return data + bytes((fill,)) * max(0, size - len(data))


def _token_info(label: str) -> bytes:
    fields = (label.encode().ljust(32, b" ") + b"J-LIS TEST".ljust(32, b" ")
              + b"VIRTUAL".ljust(16, b" ") + b"0000000000000000")
    return _padded(fields, TOKEN_EF_SIZE)


def _with_offsets(lead: bytes, outer_tag: int, table_tag: int, fields: list[bytes]) -> bytes:
    """``lead ‖ outer { table, fields... }`` where the table holds one 16-bit offset per field
    TLV, counted from the start of the file (``lead`` included)."""
    table_length = len(tlv.build(table_tag, bytes(records.OFFSET_SIZE * len(fields))))
    body_length = table_length + sum(len(f) for f in fields)
    pos = len(lead) + len(tlv.encode_tag(outer_tag)) + len(tlv.encode_length(body_length))
    pos += table_length
    table = b""
    for field in fields:
        table += pos.to_bytes(records.OFFSET_SIZE, "big")
        pos += len(field)
    return lead + tlv.build(outer_tag, tlv.build(table_tag, table) + b"".join(fields))


def _attributes(p: Persona, lead: bytes) -> tuple[bytes, bytes]:
    """基本4情報 EF 0002: ``lead ‖ FF20 {DF21 offset table, DF22 name, DF23 address, DF24
    birth, DF25 sex}``, and what DF32 hashes (the FF20 value after the DF21 TLV)."""
    values = {ids.TextTag.NAME: p.name.encode(), ids.TextTag.ADDRESS: p.address.encode(),
              ids.TextTag.BIRTH_DATE: p.birth_date.strftime("%Y%m%d").encode(),
              ids.TextTag.SEX: SEX_DIGIT[p.sex].encode()}
    fields = [tlv.build(tag, values[tag]) for tag in records.ATTRIBUTE_FIELDS]
    data = _with_offsets(lead, ids.TextTag.ATTRIBUTES, ids.TextTag.OFFSETS, fields)
    return data, b"".join(fields)


def _sign_blob(key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    """RSA PKCS#1 v1.5 with SHA-256 over ``data`` (how every §2.5 record is signed, DF28
    excepted)."""
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _card_face(p: Persona, signer: rsa.RSAPrivateKey, card_key: rsa.RSAPublicKey) -> bytes:
    """EF 0002: ``FF20 {DF21 offsets, DF22..DF27, DF28 signature, DF29 expiry, DF2A code}``.

    DF28 is the raw PKCS#1 v1.5 signature (by the key certified in EF 0004) over the
    non-standard DigestInfo holding SHA-256 of each of the three signed groups."""
    name_png = text_png(p.name + (f"\n({p.alias})" if p.alias else ""))
    address_png = text_png(p.address[:40] + ("\n" + p.address[40:80] if len(p.address) > 40 else ""),
                           width=640, height=96)
    values = {ids.VisualTag.BIRTH_DATE: p.birth_date.strftime("%Y%m%d").encode(),
              ids.VisualTag.SEX: SEX_DIGIT[p.sex].encode(),
              ids.VisualTag.PUBLIC_KEY: jpki_pki.card_public_key(card_key),
              ids.VisualTag.NAME_IMAGE: name_png, ids.VisualTag.ADDRESS_IMAGE: address_png,
              ids.VisualTag.PHOTO: photo_jp2(p.id),
              ids.VisualTag.CARD_EXPIRY: p.card_expiry.strftime("%Y%m%d").encode(),
              ids.VisualTag.SECURITY_CODE_IMAGE: text_png(p.security_code or "", 160, 40, 24)}
    digests = b"".join(hashlib.sha256(b"".join(tlv.build(tag, values[tag]) for tag in group))
                       .digest() for group in records.FACE_SIGNED_GROUPS)
    values[ids.VisualTag.SIGNATURE] = _raw_rsa_pkcs1(signer,
                                                     records.FACE_DIGEST_INFO_PREFIX + digests)
    fields = [tlv.build(tag, values[tag]) for tag in records.FACE_FIELDS]
    return _with_offsets(b"", ids.VisualTag.FACE, ids.VisualTag.HEADER, fields)


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
        self.chip_key = jpki_pki.chip_key(p)  # the 券面 APs' per-card key
        self.has_signing_certificate = not p.has(NO_SIGNING_CERTIFICATE)
        self._build_jpki()
        self._build_text()
        self._build_visual()
        self._build_juki_and_common()
        self.apply_quirks(p.options)
        if Quirk.NO_COMMON_DF in self.quirks:
            del self.dfs[ids.COMMON_AID]
        self.handlers[(0x80, ids.SIGN_INS)] = self._sign_dispatch
        self.handlers[(0x00, INS.GET_DATA)] = self._get_data
        self.handlers[(0xFF, INS.GET_DATA)] = self._uid

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
        lead = FILLER_BEFORE_TLV if p.has(FILLER_BEFORE_TLV_OPTION) else b""
        # EF 0001 as stored: FF 10 0C + 12 digits + FF FF (17 bytes), after any lead filler.
        number_ef = (lead + tlv.build(ids.TextTag.MY_NUMBER, p.my_number.encode())
                     + records.MY_NUMBER_FILLER)
        attributes, attributes_signed = _attributes(p, lead)
        text.add(EF(ids.TextEF.MY_NUMBER, number_ef, read=after(pin, key_a)))
        if p.has(FORGED_TEXT):  # after the digests below were taken from the genuine bytes
            stored_attributes = _altered(attributes, p.birth_date.strftime("%Y%m%d").encode())
        else:
            stored_attributes = attributes
        text.add(EF(ids.TextEF.ATTRIBUTES, stored_attributes, read=after(pin, key_b)))
        signer = jpki_pki.cv_key("text", "municipality").private_key
        digests = tlv.build_all([
            (records.IntegrityTag.MY_NUMBER_DIGEST, hashlib.sha256(number_ef).digest()),
            (records.IntegrityTag.ATTRIBUTES_DIGEST, hashlib.sha256(attributes_signed).digest())])
        integrity = tlv.build(records.IntegrityTag.CONTAINER, digests + tlv.build(
            records.IntegrityTag.SIGNATURE, _sign_blob(signer, digests)))
        text.add(EF(ids.TextEF.INTEGRITY, integrity, read=after(pin, key_a, key_b)))
        text.add(EF(ids.TextEF.CV_CERT,
                    jpki_pki.cv_certificate("text", _claimed_issuer(p, "text"))))
        opaque = hashlib.sha256(f"text-ap-info/{p.id}".encode()).digest()
        text.add(EF(ids.TextEF.AP_INFO, _padded(tlv.build(
            records.TextApInfoTag.CONTAINER, tlv.build_all([
                (records.TextApInfoTag.IDENTIFICATION, records.TEXT_AP_IDENTIFICATION),
                (records.TextApInfoTag.KEY_ID, TEXT_AP_INFO_KEY_ID),
                (records.TextApInfoTag.OPAQUE,
                 _padded(opaque, records.TEXT_AP_OPAQUE_LENGTH, EF_FILLER))])),
            records.TEXT_AP_INFO_EF_LENGTH, EF_FILLER)))
        card_key_tlv = tlv.build(records.SignedKeyTag.PUBLIC_KEY,
                                 jpki_pki.card_public_key(self.chip_key.public_key()))
        text.add(EF(ids.TextEF.SIGNED_KEY, tlv.build(records.SignedKeyTag.CONTAINER, card_key_tlv
                 + tlv.build(records.SignedKeyTag.SIGNATURE, _sign_blob(signer, card_key_tlv))),
                    read=after(pin, key_a, key_b)))
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
        signer = jpki_pki.cv_key("visual", "municipality").private_key
        card_key = self.chip_key.public_key()
        age = tlv.build_all([(records.AgeTag.BIRTH_DATE, p.birth_date.strftime("%Y%m%d").encode()),
                             (records.AgeTag.PUBLIC_KEY, jpki_pki.card_public_key(card_key))])
        visual.add(EF(ids.VisualEF.AGE, tlv.build(records.AgeTag.CONTAINER, age + tlv.build(
            records.AgeTag.SIGNATURE, _sign_blob(signer, age))), read=after(birth_key)))
        face = _card_face(p, signer, card_key)
        if p.has(FORGED_FACE):  # after DF28 was computed over the genuine bytes
            face = _altered(face, p.birth_date.strftime("%Y%m%d").encode())
        visual.add(EF(ids.VisualEF.FACE, face, read=after(key_a, key_b)))
        opaque = hashlib.shake_256(f"visual-ap-info/{p.id}".encode()).digest(
            records.VISUAL_AP_OPAQUE_LENGTH - records.KEY_ID_LENGTH)
        visual.add(EF(ids.VisualEF.AP_INFO, tlv.build(records.VisualApInfoField.CONTAINER,
                                                      tlv.build_all([
            (records.VisualApInfoField.IDENTIFICATION, records.VISUAL_AP_IDENTIFICATION),
            (records.VisualApInfoField.KEY_ID, VISUAL_AP_INFO_KEY_ID),
            (records.VisualApInfoField.VERSION, records.VISUAL_AP_VERSION),
            (records.VisualApInfoField.MUNICIPALITY, MUNICIPALITY_CODE.encode()),
            (records.VisualApInfoField.OPAQUE, VISUAL_AP_OPAQUE_KEY_ID + opaque)]))))
        visual.add(EF(ids.VisualEF.CV_CERT,
                      jpki_pki.cv_certificate("visual", _claimed_issuer(p, "visual"))))
        number_png = text_png(" ".join(p.my_number[i:i + 4] for i in (0, 4, 8)), 320, 40, 24)
        image = tlv.build_all([(records.NumberImageTag.IMAGE, number_png),
                               (records.NumberImageTag.PUBLIC_KEY,
                                jpki_pki.card_public_key(card_key))])
        visual.add(EF(ids.VisualEF.NUMBER_IMAGE, tlv.build(records.NumberImageTag.CONTAINER,
                                                           image + tlv.build(
            records.NumberImageTag.SIGNATURE, _sign_blob(signer, image))), read=after(key_a)))
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

    def _sign_dispatch(self, cmd: CommandApdu) -> bytes:
        """``80 2A``: the chip challenge (P1-P2 = 00 00) in the text and visual APs, else
        JPKI's COMPUTE DIGITAL SIGNATURE (P2 = 80 or 80|SFI, PIN-protected), unchanged."""
        if (self.current_df.aid in records.CHIP_CHALLENGE_APPLICATIONS
                and (cmd.p1, cmd.p2) == (records.CHIP_CHALLENGE_P1, records.CHIP_CHALLENGE_P2)):
            return self._chip_challenge(cmd)
        return self._compute_signature(cmd)

    def _chip_challenge(self, cmd: CommandApdu) -> bytes:
        """Sign the caller's DigestInfo with the per-card key, no PIN (spec §2.5; MC
        ``TextAp::sign`` / ``SurfaceAp::sign``). The card hashes nothing."""
        if not cmd.data:
            return sw(SW.WRONG_LENGTH)
        # A clone carries the genuine card's files but not its key.
        key = (jpki_pki.card_key(self.persona, "clone") if self.persona.has(CLONED_CHIP)
               else self.chip_key)
        try:
            signature = _raw_rsa_pkcs1(key, cmd.data)
        except ValueError:
            return sw(SW.WRONG_DATA)
        return sw(SW.OK, signature)

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


def virtual_secret(card: object, secret: Secret) -> str | None:
    """The value of ``secret`` on a virtual My Number card (from its persona), or None (not
    a virtual My Number card, or no such secret): how a conformance run on a virtual card
    is handed its secrets (``cardtool.services.conform``)."""
    if not isinstance(card, VirtualMyNumberCard):
        return None
    persona = card.persona
    if secret.name in persona.pins:
        return persona.pins[secret.name]
    if secret.name == "number-a":
        return persona.my_number
    if secret.name == "number-b":
        return card.collation_b
    if secret.name == "birth":
        return era_yymmdd(persona.birth_date)
    return None


def make_card(persona_spec: str | None) -> VirtualMyNumberCard:
    return VirtualMyNumberCard(load_persona(persona_spec, "mynumber"))


register("mynumber", make_card)
