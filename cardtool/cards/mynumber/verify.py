"""Checks of the My Number card's signed data (spec §2.5): each returns named checks for the
one verdict (``cardtool.authenticity``), never raises on bad card data (a record that does
not parse is a failed check naming why).

The chain: a J-LIS CA key (``anchors``) signs the CV certificate in an AP's EF 0004, which
certifies that AP's signing key; that key signs the AP's records (text: the integrity record
EF 0003 over EF 0001/0002, and EF 0007 holding the card key; visual: DF28 over the card face,
whose DF24 is the card key). The chip challenge proves the card in hand holds the card key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apdu import tlv
from apdu.command import CommandApdu, ResponseApdu
from apdu.errors import ApduError, MalformedData
from apdu.sw import SW
from cardtool.authenticity import Anchor, AnchorProfile, AuthenticityCheck, failed, passed, skipped
from cardtool.cards.mynumber import ids, records
from cardtool.cards.mynumber.anchors import CvKeyStore
from cardtool.cards.mynumber.card import MyNumberCard

if TYPE_CHECKING:
    # cryptography is imported where it is used: a read starts importing it on a second
    # thread while the card talks (cardtool.import_ahead) and waits for it before the first use.
    from cryptography.hazmat.primitives.asymmetric import rsa

CHIP_CHALLENGE_RANDOM_BYTES = 32
AP_NAMES = {ids.TEXT_AID: ("text AP", "券面事項入力補助AP"),
            ids.VISUAL_AID: ("visual AP", "券面事項確認AP")}


@dataclass(frozen=True)
class CvCertificate:
    issuer_key_id: bytes
    subject_key_id: bytes
    public_key: rsa.RSAPublicKey
    body: bytes
    signature: bytes


def parse_card_public_key(raw: bytes, what: str) -> rsa.RSAPublicKey:
    """The card's own key encoding: ``90 <exponent> 91 <modulus>`` (not DER)."""
    items = tlv.parse_all(raw, what=what)
    exponent = tlv.require(items, records.RSA_EXPONENT_TAG, what).value
    modulus = tlv.require(items, records.RSA_MODULUS_TAG, what).value
    if len(modulus) != records.RSA_MODULUS_LENGTH or not exponent:
        raise MalformedData(what, 0, f"a {len(modulus) * 8}-bit modulus, not RSA-2048")
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        return rsa.RSAPublicNumbers(int.from_bytes(exponent, "big"),
                                    int.from_bytes(modulus, "big")).public_key()
    except ValueError as exc:
        raise MalformedData(what, 0, f"not an RSA key ({exc})") from None


def parse_cv_certificate(data: bytes) -> CvCertificate:
    what = "CV certificate (EF 0004)"
    outer = tlv.parse_one(data, what=what)
    if outer.tag != records.CvTag.CERTIFICATE:
        raise MalformedData(what, 0, f"tag {outer.tag:X} instead of 7F21")
    if any(b not in (0x00, 0xFF) for b in data[outer.end:]):
        # As for the signed records (_record): only padding may follow the certificate.
        raise MalformedData(what, outer.end, "bytes other than padding after the certificate")
    children = outer.children()
    body = tlv.require(children, records.CvTag.BODY, what).value
    signature = tlv.require(children, records.CvTag.SIGNATURE, what).value
    if len(body) != records.CV_BODY_LENGTH:
        raise MalformedData(what, 0, f"body of {len(body)} bytes, not {records.CV_BODY_LENGTH}")
    key_end = 2 * records.KEY_ID_LENGTH
    return CvCertificate(body[:records.KEY_ID_LENGTH], body[records.KEY_ID_LENGTH:key_end],
                         parse_card_public_key(body[key_end:], what), body, signature)


def _verifies(key: rsa.RSAPublicKey, signature: bytes, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def _raw_digest_info(key: rsa.RSAPublicKey, signature: bytes) -> bytes | None:
    """The DigestInfo inside a PKCS#1 v1.5 signature block, or None if it is not one (the
    card face's DF28 wraps a non-standard DigestInfo that no library verifies as such)."""
    numbers = key.public_numbers()
    k = (numbers.n.bit_length() + 7) // 8
    if len(signature) != k or int.from_bytes(signature, "big") >= numbers.n:
        return None
    em = pow(int.from_bytes(signature, "big"), numbers.e, numbers.n).to_bytes(k, "big")
    if em[:2] != b"\x00\x01":
        return None
    end = em.find(b"\x00", 2)
    if end < 10 or any(b != 0xFF for b in em[2:end]):
        return None
    return em[end + 1:]


@dataclass(frozen=True)
class ApKey:
    """An AP's signing key as certified by its EF 0004, and what the chain ended in."""

    public_key: rsa.RSAPublicKey | None  # None: the certificate did not verify
    anchor: Anchor | None
    checks: tuple[AuthenticityCheck, ...]


def check_cv_certificate(aid: bytes, data: bytes, store: CvKeyStore) -> ApKey:
    en, ja = AP_NAMES[aid]
    name = f"cv-certificate-{'text' if aid == ids.TEXT_AID else 'visual'}"
    try:
        cert = parse_cv_certificate(data)
    except MalformedData as exc:
        return ApKey(None, None, (failed(name, f"{en} EF 0004 does not parse: {_reason(exc)}",
                                         f"{ja} EF 0004 を解析できません"),))
    issuer = records.key_id_text(cert.issuer_key_id)
    ca = store.find(cert.issuer_key_id)
    if ca is None:
        hint_en = ("a test key (J-LIS test cards, cardtool's virtual cards), trusted only for "
                   "virtual cards or with --allow-test-keys"
                   if cert.issuer_key_id[:1] == records.KEY_ID_TEST_PREFIX.encode() else
                   "a key cardtool does not know (update cardtool, or report the card)")
        return ApKey(cert.public_key, None, (skipped(
            name, f"{en} CV certificate names CA {issuer}, {hint_en}: its chain was not checked",
            f"{ja}のCV証明書の発行者 {issuer} は検証できない鍵です(チェーン未検証)"),))
    if not _verifies(ca.public_key, cert.signature, cert.body):
        return ApKey(None, ca.anchor, (failed(
            name, f"{en} CV certificate's signature does not verify with CA {issuer}",
            f"{ja}のCV証明書の署名が発行者 {issuer} の鍵で検証できません"),))
    return ApKey(cert.public_key, ca.anchor, (passed(
        name, f"{en} CV certificate signed by {ca.anchor.description}",
        f"{ja}のCV証明書は {ca.anchor.description} の署名付きです"),))


def _reason(exc: MalformedData) -> object:
    """What was wrong with a record, for a failed check's detail."""
    return exc.params.get("detail", exc)


def _tlv_bytes(data: bytes, item: tlv.Tlv) -> bytes:
    return data[item.offset:item.end]


def _record(data: bytes, tag: int, what: str, start: int = 0) -> tlv.Tlv:
    """The record's container object, which must carry the spec's tag (its value is what
    the signature covers; a record under another tag is not the card's)."""
    record = tlv.parse_one(data, start, what=what)
    if record.tag != tag:
        raise MalformedData(what, start, f"tag {record.tag:X} instead of {tag:X}")
    if any(b not in (0x00, 0xFF) for b in data[record.end:]):
        raise MalformedData(what, record.end, "bytes other than padding after the record")
    return record


def check_text_integrity(number_ef: bytes, attributes_ef: bytes, integrity_ef: bytes,
                         ap_key: rsa.RSAPublicKey) -> AuthenticityCheck:
    """EF 0003: DF31 = SHA-256 of EF 0001 as stored, DF32 = SHA-256 of the FF20 value after
    its DF21 TLV, DF33 = the AP key's signature over the DF31 and DF32 TLVs."""
    name = "text-integrity"
    try:
        record = _record(integrity_ef, records.IntegrityTag.CONTAINER,
                         "integrity record (EF 0003)")
        value = record.value
        items = tlv.parse_all(value, what="integrity record (EF 0003)")
        d31 = tlv.require(items, records.IntegrityTag.MY_NUMBER_DIGEST, "EF 0003")
        d32 = tlv.require(items, records.IntegrityTag.ATTRIBUTES_DIGEST, "EF 0003")
        d33 = tlv.require(items, records.IntegrityTag.SIGNATURE, "EF 0003")
        start = tlv.filler_before(attributes_ef, ids.TextTag.ATTRIBUTES)
        container = _record(attributes_ef, ids.TextTag.ATTRIBUTES, "基本4情報", start)
        fields = container.children()
        offsets = tlv.require(fields, ids.TextTag.OFFSETS, "基本4情報")
        after_offsets = attributes_ef[offsets.end:container.end]
    except MalformedData as exc:
        return failed(name, f"a text AP record does not parse ({_reason(exc)})",
                      "券面事項入力補助APの記録を解析できません")
    if hashlib.sha256(number_ef).digest() != d31.value:
        return failed(name, "the My Number record does not match its digest (DF31): altered",
                      "個人番号の記録がダイジェスト(DF31)と一致しません(改ざん)")
    if hashlib.sha256(after_offsets).digest() != d32.value:
        return failed(name, "name, address, birth date or sex do not match their digest (DF32): "
                            "altered", "基本4情報がダイジェスト(DF32)と一致しません(改ざん)")
    signed = _tlv_bytes(value, d31) + _tlv_bytes(value, d32)
    if not _verifies(ap_key, d33.value, signed):
        return failed(name, "the integrity record's signature (DF33) does not verify with the "
                            "certified text AP key", "完全性記録の署名(DF33)が検証できません")
    return passed(name, "My Number and 基本4情報 match the signed integrity record",
                  "個人番号と基本4情報は署名付きの完全性記録と一致します")


def check_signed_card_key(signed_key_ef: bytes, ap_key: rsa.RSAPublicKey
                          ) -> tuple[AuthenticityCheck, rsa.RSAPublicKey | None]:
    """Text EF 0007: the card key (DF51) signed by the AP key (DF52)."""
    name = "card-key-text"
    try:
        record = _record(signed_key_ef, records.SignedKeyTag.CONTAINER, "EF 0007")
        items = tlv.parse_all(record.value, what="EF 0007")
        key_tlv = tlv.require(items, records.SignedKeyTag.PUBLIC_KEY, "EF 0007")
        signature = tlv.require(items, records.SignedKeyTag.SIGNATURE, "EF 0007").value
        card_key = parse_card_public_key(key_tlv.value, "EF 0007 card key")
    except MalformedData as exc:
        return failed(name, f"EF 0007 does not parse ({_reason(exc)})",
                      "EF 0007 を解析できません"), None
    if not _verifies(ap_key, signature, _tlv_bytes(record.value, key_tlv)):
        return failed(name, "the card key in EF 0007 is not signed by the certified text AP key",
                      "EF 0007 のカード鍵は証明された鍵で署名されていません"), None
    return passed(name, "the card key (EF 0007) is signed by the certified text AP key",
                  "カード鍵(EF 0007)は証明された券面事項入力補助APの鍵で署名されています"), card_key


def check_card_face(face_ef: bytes, ap_key: rsa.RSAPublicKey
                    ) -> tuple[AuthenticityCheck, rsa.RSAPublicKey | None]:
    """Visual EF 0002: DF28 over SHA-256 of the three groups (the DigestInfo compared raw);
    DF24 is the card key. DF29 (expiry) and DF2A (security code) are not signed."""
    name = "card-face"
    try:
        start = tlv.filler_before(face_ef, ids.VisualTag.FACE)
        container = _record(face_ef, ids.VisualTag.FACE, "券面事項", start)
        fields = {c.tag: c for c in container.children()}
        signature = fields[ids.VisualTag.SIGNATURE].value
        digests = b"".join(
            hashlib.sha256(b"".join(_tlv_bytes(face_ef, fields[tag]) for tag in group)).digest()
            for group in records.FACE_SIGNED_GROUPS)
        card_key = parse_card_public_key(fields[ids.VisualTag.PUBLIC_KEY].value, "DF24")
    except (MalformedData, KeyError) as exc:
        return failed(name, f"the card face does not parse ({exc})", "券面事項を解析できません"), None
    if _raw_digest_info(ap_key, signature) != records.FACE_DIGEST_INFO_PREFIX + digests:
        return failed(name, "the card face (birth date, sex, name, address, photo) does not match "
                            "its signature (DF28): altered", "券面事項が署名(DF28)と一致しません(改ざん)"), None
    return passed(name, "birth date, sex, name, address and photo images match the signature "
                        "(DF28); the card expiry (DF29) is not signed",
                  "生年月日・性別・氏名・住所・顔写真は署名(DF28)と一致します(有効期限 DF29 は署名対象外)"), card_key


def send_chip_challenge(card: MyNumberCard, aid: bytes) -> tuple[bytes, ResponseApdu]:
    """``80 2A 00 00`` over a DigestInfo of fresh host randomness (drawn through the
    transport, so a recorded session replays): the randomness and the card's answer."""
    random = card.session.host_random(CHIP_CHALLENGE_RANDOM_BYTES, "chip-challenge")
    digest_info = records.SHA256_DIGEST_INFO_PREFIX + hashlib.sha256(random).digest()
    card.select(aid)
    return random, card.session.transmit(CommandApdu(
        records.CHIP_CHALLENGE_CLA, records.CHIP_CHALLENGE_INS, records.CHIP_CHALLENGE_P1,
        records.CHIP_CHALLENGE_P2, digest_info, le=256))


def check_chip_challenge(card: MyNumberCard, aid: bytes, card_key: rsa.RSAPublicKey) -> AuthenticityCheck:
    """The card signs fresh host randomness with its own key (no PIN): only the chip holding
    the certified card key can. The randomness comes from the transport, so a recorded
    session replays."""
    name = "chip-challenge"
    try:
        random, response = send_chip_challenge(card, aid)
    except MalformedData as exc:
        return failed(name, f"the chip's answer is malformed ({_reason(exc)})",
                      "チップの応答が不正です")
    if response.sw != SW.OK:
        return failed(name, f"the chip refused the challenge ({response.sw:04X})",
                      f"チップがチャレンジを拒否しました({response.sw:04X})")
    if not _verifies(card_key, response.data, random):
        return failed(name, "the chip's answer does not verify with the certified card key: "
                            "the files may be copied onto another chip (clone)",
                      "チップの応答が証明されたカード鍵で検証できません(複製の可能性)")
    return passed(name, "the chip signed a fresh challenge with the certified card key",
                  "チップは新しいチャレンジに証明されたカード鍵で署名しました")


def read_optional(card: MyNumberCard, aid: bytes, fid: int, length: int | None = None
                  ) -> bytes | None:
    """A record for a check: None when the card does not give it (the check is skipped)."""
    try:
        return card.read(aid, fid, length)
    except ApduError as exc:
        if exc.sw in (SW.FILE_NOT_FOUND, SW.SECURITY_STATUS_NOT_SATISFIED):
            return None
        raise


def check_jpki_auth_certificate(auth_der: bytes, ca_der: bytes | None) -> AuthenticityCheck:
    """The JPKI authentication certificate against the CA certificate on the same card.
    Proves only that the two belong together: the CA itself is not checked against a root."""
    name = "jpki-auth-certificate"
    if ca_der is None:
        return skipped(name, "the card gives no authentication CA certificate",
                       "カードに利用者証明用CA証明書がありません")
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature

    try:
        cert = x509.load_der_x509_certificate(auth_der)
        ca = x509.load_der_x509_certificate(ca_der)
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature) as exc:
        return failed(name, f"the authentication certificate is not signed by the card's CA "
                            f"certificate ({type(exc).__name__})",
                      "利用者証明用証明書がカード上のCA証明書で署名されていません")
    return passed(name, "the authentication certificate is signed by the CA certificate on the "
                        "card (that CA is not checked against a J-LIS root here)",
                  "利用者証明用証明書はカード上のCA証明書で署名されています(CA自体はルート未検証)")


@dataclass
class Findings:
    """Checks gathered while reading one card, and what their chains ended in."""

    checks: list[AuthenticityCheck]
    anchors: list[Anchor | None]
    #: True: the chip answered; False: the card has a challenge but it was not run.
    chip_challenge: bool = False

    def weakest_anchor(self) -> Anchor | None:
        """The verdict rests on the weakest chain: none if any chain has no anchor, else a
        test anchor if any is one."""
        if not self.anchors or any(a is None for a in self.anchors):
            return None
        chosen = [a for a in self.anchors if a is not None]
        order = {AnchorProfile.UNOFFICIAL: 0, AnchorProfile.TEST: 1, AnchorProfile.PRODUCTION: 2}
        return min(chosen, key=lambda a: order[a.profile])


def _ap_key(card: MyNumberCard, aid: bytes, store: CvKeyStore, found: Findings
            ) -> rsa.RSAPublicKey | None:
    fid = ids.TextEF.CV_CERT if aid == ids.TEXT_AID else ids.VisualEF.CV_CERT
    data = read_optional(card, aid, fid, records.CV_CERTIFICATE_LENGTH)
    if data is None:
        found.checks.append(skipped("cv-certificate", "the card gives no EF 0004",
                                    "EF 0004 がありません"))
        found.anchors.append(None)
        return None
    result = check_cv_certificate(aid, data, store)
    found.checks.extend(result.checks)
    found.anchors.append(result.anchor)
    return result.public_key


REDACTED_EN = ("the trace redacted the personal data, so it cannot be re-checked (a trace "
               "recorded with --no-redact can)")
REDACTED_JA = "トレースで個人情報が伏せられているため再検証できません(--no-redact で記録したトレースなら可能)"


def verify_text_ap(card: MyNumberCard, store: CvKeyStore, number_ef: bytes,
                   attributes_ef: bytes, found: Findings, *, redacted: bool = False) -> None:
    """After the text PIN: EF 0004's chain, the integrity record over EF 0001/0002, the card
    key in EF 0007 and the chip challenge with it. ``redacted``: the records came from a
    redacted trace (the same APDUs are sent, but nothing is claimed about the data)."""
    ap_key = _ap_key(card, ids.TEXT_AID, store, found)
    if ap_key is None:
        return
    integrity = read_optional(card, ids.TEXT_AID, ids.TextEF.INTEGRITY)
    if redacted:
        found.checks.append(skipped("text-integrity", REDACTED_EN, REDACTED_JA))
    else:
        found.checks.append(check_text_integrity(number_ef, attributes_ef, integrity, ap_key)
                            if integrity is not None else
                            failed("text-integrity", "the card gives no integrity record "
                                   "(EF 0003)", "完全性記録(EF 0003)がありません"))
    signed_key = read_optional(card, ids.TEXT_AID, ids.TextEF.SIGNED_KEY)
    if signed_key is None:
        found.checks.append(skipped("card-key-text", "the card gives no EF 0007",
                                    "EF 0007 がありません"))
        return
    check, card_key = check_signed_card_key(signed_key, ap_key)
    found.checks.append(check)
    if card_key is not None:
        found.checks.append(check_chip_challenge(card, ids.TEXT_AID, card_key))
        found.chip_challenge = not redacted


def verify_visual_ap(card: MyNumberCard, store: CvKeyStore, face_ef: bytes,
                     found: Findings, *, redacted: bool = False) -> None:
    """After 照合番号A/B: EF 0004's chain, DF28 over the card face, and the chip challenge
    with the card key in DF24 (``redacted``: as for the text AP)."""
    ap_key = _ap_key(card, ids.VISUAL_AID, store, found)
    if ap_key is None:
        return
    if redacted:
        # The card key (DF24) is redacted with the face: the challenge is sent as recorded
        # but cannot be checked.
        found.checks.append(skipped("card-face", REDACTED_EN, REDACTED_JA))
        send_chip_challenge(card, ids.VISUAL_AID)
        return
    check, card_key = check_card_face(face_ef, ap_key)
    found.checks.append(check)
    if card_key is not None:
        found.checks.append(check_chip_challenge(card, ids.VISUAL_AID, card_key))
        found.chip_challenge = True


def check_ap_certificate(card: MyNumberCard, aid: bytes, store: CvKeyStore,
                         found: Findings) -> None:
    """The no-secret check of one AP (text or visual): its EF 0004's chain. The read plan
    calls it while that AP is selected for its other work (one SELECT per AP)."""
    _ap_key(card, aid, store, found)


def note_card_data_unchecked(found: Findings) -> None:
    """The last of the no-secret checks: the card data and the chip were not checked."""
    found.checks.append(skipped(
        "card-data", "no PIN or collation number was given, so the card data and the chip were "
                     "not checked: use --face (照合番号B) or --text (PIN)",
        "暗証番号・照合番号がないため、カードのデータとチップは未検証です(--face または --text)"))
