"""The main job: read what a card says, with as few APDUs as the answer needs.

Without any secret: card kind, card expiry (and where it came from), the authentication
certificate's validity, issuer, serial, whether a signing certificate exists, and the
tries left of every PIN (read with the empty VERIFY: none consumed). With secrets (asked
only when needed, through ``ask``): 基本4情報 and the My Number (text PIN), the card face
(照合番号A or B), the signing certificate (signing password).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apdu.errors import ApduError, MalformedData
from apdu.session import Session
from apdu.sw import SW
from apdu.trace import is_redacted_fill
from apdu.transport import Transport
from cardtool import import_ahead
from cardtool.authenticity import Authenticity, combine, verdict
from cardtool.card_kind import CardKind
from cardtool.cards.certificate import (
    CertificateInfo,
    MaskedCertificate,
    certificate_or_mask,
    parse_certificate,
)
from cardtool.cards.detect import Detection, detect, probe_specified
from cardtool.cards.mynumber import ids
from cardtool.cards.mynumber.anchors import CvKeyStore
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.cards.mynumber.card_expiry import CardExpiry, ExpirySource, common_record_expiry
from cardtool.cards.mynumber.jpki import (
    CERT_LABELS,
    CertKind,
    has_signing_certificate,
    read_certificate,
)
from cardtool.cards.mynumber.text import (
    BasicInfo,
    MyNumber,
    parse_basic_info,
    parse_my_number,
    read_attributes_ef,
    read_my_number_ef,
)
from cardtool.cards.mynumber.verify import (
    Findings,
    check_ap_certificate,
    check_jpki_auth_certificate,
    note_card_data_unchecked,
    verify_text_ap,
    verify_visual_ap,
)
from cardtool.cards.mynumber.visual import CardFace, parse_card_face, read_card_face_ef
from cardtool.cards.residence_ap import RESIDENCE_AP_AID
from cardtool.jst import days_left, today_jst
from cardtool.material import test_pki_file
from cardtool.policy.guard import AskSecret, KeyStatus, PinGuard
from cardtool.policy.table import SECRETS

if TYPE_CHECKING:
    # Imported where a residence card is read (read_card), so reading a My Number card
    # never loads the residence reader.
    from cardtool.services.read_residence import (
        CardNumberSource,
        ResidenceOptions,
        ResidenceResult,
    )

#: The PINs `cardtool read` reports, in order: (secret name, application).
REPORTED_PINS: tuple[tuple[str, str], ...] = (
    ("auth", "jpki"), ("sign", "jpki"), ("text", "text"), ("juki", "juki"))

#: Why ``card_expiry`` is null: the card answers neither GET DATA F2 nor has the 共通 DF
#: record (both unauthenticated), and no 照合番号 opened the card face (DF29). Never a guess.
EXPIRY_NEEDS_CARD_FACE = "no-source-without-card-face"
#: The card face was read but its DF29 holds no date.
EXPIRY_NOT_ON_CARD_FACE = "card-face-without-expiry"


def import_cryptography() -> None:
    """What a read needs of cryptography (X.509, RSA signatures), imported on a second thread
    while the first APDUs travel (``import_ahead``); ``import_ahead.wait()`` comes before the
    first use: the certificates' parsing, or the residence reader."""
    from cryptography import x509  # noqa: F401
    from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: F401


def cv_key_store(allow_test: bool) -> CvKeyStore:
    """The My Number CA keys a verdict may rest on: the bundled J-LIS keys, and with
    ``allow_test`` the test hierarchies too (J-LIS's, and our virtual cards' own TEST keys
    from cardtool/virtual/pki), which give test-anchor at best."""
    if not allow_test:
        return CvKeyStore()
    ours = test_pki_file("mynumber-cv-TEST.json")
    return CvKeyStore(allow_test=True, extra_file=ours if ours.exists() else None)


@dataclass(frozen=True)
class ReadOptions:
    text: bool = False
    face: bool = False
    face_key: str = "number-b"  # or "number-a"
    sign_cert: bool = False
    force: bool = False
    today: dt.date | None = None
    #: Images were asked for: on a plain My Number card that means the card face too.
    images: bool = False
    #: Read the tries left of every PIN (the expiry check skips them: not needed).
    pin_status: bool = True
    #: Check the signed data read (authenticity verdict); the expiry check skips it.
    verify: bool = True
    #: Trust test CA keys too (a virtual card, or the user asked): at best test-anchor.
    allow_test_keys: bool = False
    #: Read whether a signing certificate exists (JPKI EF 0008); the expiry check skips it.
    signing_flag: bool = True

    @property
    def key_store(self) -> CvKeyStore:
        return cv_key_store(self.allow_test_keys)


@dataclass
class MyNumberReport:
    detection: Detection
    today: dt.date
    card_expiry: CardExpiry | None = None
    #: When card_expiry is None: why (EXPIRY_NEEDS_CARD_FACE or EXPIRY_NOT_ON_CARD_FACE).
    card_expiry_unavailable: str | None = None
    auth_certificate: CertificateInfo | None = None
    signing_certificate_present: bool | None = None
    pins: dict[str, KeyStatus] = field(default_factory=dict)
    my_number: MyNumber | None = None
    basic_info: BasicInfo | None = None
    face: CardFace | None = None
    signing_certificate: CertificateInfo | MaskedCertificate | None = None
    #: The verdict on the signed data read (None: not asked, e.g. the expiry check).
    authenticity: Authenticity | None = None
    apdu_count: int = 0

    def to_json(self, *, show_number: bool = False) -> dict[str, Any]:
        today = self.today
        out: dict[str, Any] = {
            "kind": self.detection.kind.value,
            "atr": self.detection.atr.hex().upper(),
            "token": self.detection.token.label if self.detection.token else None,
            "card_expiry": self.card_expiry.date.isoformat() if self.card_expiry else None,
            "card_expiry_days_left": (days_left(self.card_expiry.date, today)
                                      if self.card_expiry else None),
            "card_expiry_source": self.card_expiry.source.value if self.card_expiry else None,
            **({"card_expiry_unavailable": self.card_expiry_unavailable}
               if self.card_expiry_unavailable else {}),
            "auth_certificate": (self.auth_certificate.to_json(today)
                                 if self.auth_certificate else None),
            "signing_certificate_present": self.signing_certificate_present,
            "pins": {name: {"remaining": s.remaining, "max": s.key.max_tries,
                            "blocked": s.blocked}
                     for name, s in self.pins.items()},
            "apdu_count": self.apdu_count,
        }
        if self.authenticity is not None:
            out["authenticity"] = self.authenticity.to_json()
        if self.my_number is not None or self.basic_info is not None:
            text: dict[str, Any] = {}
            if self.my_number is not None:
                text["my_number"] = (self.my_number.digits if show_number
                                     else self.my_number.masked())
                text["my_number_check_digit_ok"] = self.my_number.check_digit_ok
            if self.basic_info is not None:
                b = self.basic_info
                text.update(name=b.name, address=b.address,
                            birth_date=b.birth_date.isoformat() if b.birth_date
                            else b.birth_date_text, sex=b.sex)
            out["text"] = text
        if self.face is not None:
            f = self.face
            out["face"] = {
                "birth_date": f.birth_date.isoformat() if f.birth_date else f.birth_date_text,
                "sex": f.sex,
                "card_expiry": f.card_expiry.isoformat() if f.card_expiry else f.card_expiry_text,
                "images": {k: len(v) for k, v in f.images().items()},
            }
        if self.signing_certificate is not None:
            out["signing_certificate"] = self.signing_certificate.to_json(today)
        return out


def _card_expiry(card: MyNumberCard, detection: Detection) -> CardExpiry | None:
    if detection.early_expiry is not None:
        return detection.early_expiry
    date = common_record_expiry(card)
    return CardExpiry(date, ExpirySource.COMMON_RECORD) if date else None


def read_pin_statuses(card: MyNumberCard, guard: PinGuard, application: str | None = None
                      ) -> dict[str, KeyStatus]:
    """The tries left of the reported PINs (of one application, or all), by the empty
    VERIFY: none is used."""
    statuses: dict[str, KeyStatus] = {}
    for name, where in REPORTED_PINS:
        if application is None or where == application:
            secret = SECRETS[name]
            statuses[name] = guard.status(secret, secret.key_in(where))
    return statuses


def read_mynumber(session: Session, atr: bytes, options: ReadOptions, ask: AskSecret,
                  *, card: MyNumberCard | None = None, detection: Detection | None = None
                  ) -> MyNumberReport:
    """The read plan (docs/read-plan.md): each application is selected once and everything
    this read needs from it is done while it is selected, in the order JPKI (selected by
    detection), text AP, 住基AP, visual AP, then the 共通 DF only when GET DATA gave no
    expiry, and the 在留AP probe last, so a 特定在留カード's residence read goes on in the
    application the probe left selected. Only ``--images`` (whose meaning depends on the
    card kind) probes earlier, after JPKI's own reads."""
    card = card or MyNumberCard(session)
    detection = detection or detect(card, atr, probe_residence=False)
    report = MyNumberReport(detection, options.today or today_jst())
    if detection.kind is CardKind.JPKI_SMARTPHONE or not detection.has_mynumber_applications:
        report.apdu_count = session.apdu_count
        return report
    guard = PinGuard(card, force=options.force)
    found = Findings([], [])
    pin_status = options.pin_status or options.text or options.sign_cert
    pins: dict[str, KeyStatus] = {}

    # 公的個人認証AP, selected by detection.
    label_en, label_ja = CERT_LABELS[CertKind.AUTH]
    auth_der = read_certificate(card, CertKind.AUTH)
    import_ahead.wait()
    report.auth_certificate = parse_certificate(auth_der, label_en, label_ja)
    if options.signing_flag or options.sign_cert:
        report.signing_certificate_present = has_signing_certificate(card)
    if pin_status:
        pins.update(read_pin_statuses(card, guard, "jpki"))
    if options.sign_cert:
        from cardtool.services.certificates import read_signing_certificate

        pins["sign"], sign_der = read_signing_certificate(
            card, guard, pins["sign"], ask, present=report.signing_certificate_present)
        report.signing_certificate = certificate_or_mask(sign_der, *CERT_LABELS[CertKind.SIGN])
    # --images means the card face on a My Number card, the residence images on a
    # 特定在留カード: only then is the 在留AP probed this early (the checks depend on it; a
    # 特定在留カード then selects JPKI and the 在留AP once more).
    face = options.face
    probed = False
    if options.images and not face:
        detection = probe_specified(card, detection)
        probed = True
        face = detection.kind is CardKind.MYNUMBER
    # Without a secret, the checks are the JPKI certificate pair and both CV certificates.
    no_secret_checks = options.verify and not (options.text or face)
    if no_secret_checks:
        found.checks.append(check_jpki_auth_certificate(
            auth_der, _optional_auth_ca_certificate(card)))

    # 券面事項入力補助AP.
    if pin_status:
        pins.update(read_pin_statuses(card, guard, "text"))
    if options.text:
        pins["text"] = guard.ask_and_verify(pins["text"], ask)
        number_ef, attributes_ef = read_my_number_ef(card), read_attributes_ef(card)
        report.my_number = parse_my_number(number_ef)
        report.basic_info = parse_basic_info(attributes_ef)
        if options.verify:
            verify_text_ap(card, options.key_store, number_ef, attributes_ef, found,
                           redacted=report.my_number.redacted)
    if no_secret_checks:
        check_ap_certificate(card, ids.TEXT_AID, options.key_store, found)

    # 住基AP.
    if pin_status:
        pins.update(read_pin_statuses(card, guard, "juki"))
    if pin_status:
        report.pins = pins

    # 券面事項確認AP.
    if face:
        secret = SECRETS[options.face_key]
        guard.ask_and_verify(guard.status(secret, secret.key_in("visual")), ask)
        face_ef = read_card_face_ef(card)
        report.face = parse_card_face(face_ef)
        if options.verify:
            verify_visual_ap(card, options.key_store, face_ef, found,
                             redacted=is_redacted_fill(report.face.birth_date_text))
    if no_secret_checks:
        check_ap_certificate(card, ids.VISUAL_AID, options.key_store, found)
        note_card_data_unchecked(found)
    if options.verify:
        report.authenticity = verdict(found.checks, found.weakest_anchor(),
                                      chip_challenge=found.chip_challenge)

    # The card's own expiry: GET DATA (detection), else the 共通 DF, else the card face.
    report.card_expiry = _card_expiry(card, detection)
    if report.card_expiry is None and report.face is not None and report.face.card_expiry:
        report.card_expiry = CardExpiry(report.face.card_expiry, ExpirySource.CARD_FACE)
    if report.card_expiry is None:
        report.card_expiry_unavailable = (EXPIRY_NEEDS_CARD_FACE if report.face is None
                                          else EXPIRY_NOT_ON_CARD_FACE)

    # The 在留AP probe, last: a 特定在留カード's residence read starts where it ends.
    report.detection = detection if probed else probe_specified(card, detection)
    report.apdu_count = session.apdu_count
    return report


def _optional_auth_ca_certificate(card: MyNumberCard) -> bytes | None:
    """The authentication CA certificate for the no-secret check: None when the card does
    not give it (the check is then skipped); a broken one is returned for the check to fail
    with its reason."""
    try:
        return read_certificate(card, CertKind.AUTH_CA)
    except ApduError as exc:
        if exc.sw in (SW.FILE_NOT_FOUND, SW.SECURITY_STATUS_NOT_SATISFIED):
            return None
        raise
    except MalformedData:
        return b""


@dataclass
class CardReport:
    """What `cardtool read` found: the My Number part, the residence part, or both."""

    detection: Detection
    mynumber: MyNumberReport | None = None
    residence: ResidenceResult | None = None

    @property
    def authenticity(self) -> Authenticity | None:
        """The card's one verdict: a 特定在留カード is as genuine as its weaker side."""
        return combine(self.mynumber.authenticity if self.mynumber is not None else None,
                       self.residence.authenticity if self.residence is not None else None)

    def to_json(self, *, show_number: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = (self.mynumber.to_json(show_number=show_number)
                               if self.mynumber is not None else
                               {"kind": self.detection.kind.value,
                                "atr": self.detection.atr.hex().upper()})
        if self.residence is not None:
            out["residence"] = self.residence.to_json()
        verdict = self.authenticity
        if verdict is not None:  # the one verdict for the card, whatever its kind
            out["authenticity"] = verdict.to_json()
        return out


def read_card(transport: Transport, options: ReadOptions, ask: AskSecret,
              card_number: CardNumberSource, residence_options: ResidenceOptions | None = None
              ) -> CardReport:
    """Detect the card and read it: residence cards need the card number (asked only
    then); My Number cards what ``options`` asks; a 特定在留カード both.
    ``residence_options`` None: the defaults (no trust anchor). A simulated card (virtual,
    or a trace of one) may rest its verdict on test keys: it says test-anchor then."""
    if transport.simulated and not options.allow_test_keys:
        options = replace(options, allow_test_keys=True)
    import_ahead.start(import_cryptography)
    result = _read_card(Session(transport), transport.atr, options, ask, card_number,
                        residence_options)
    transport.note_card(result.detection.kind.value)
    return result


def write_card_images(result: CardReport, directory: str) -> list[Path]:
    """The images a read brought (a residence card's, or the My Number card face), written
    as PNG files to ``directory``; returns the paths written."""
    written: list[Path] = []
    if result.residence is not None:
        from cardtool.services.read_residence import write_images

        written += write_images(result.residence, directory)
    if result.mynumber is not None and result.mynumber.face is not None:
        from cardtool.images import write_pngs

        written += write_pngs(result.mynumber.face.card_images(), directory)
    return written


def _read_card(session: Session, atr: bytes, options: ReadOptions, ask: AskSecret,
               card_number: CardNumberSource, residence_options: ResidenceOptions | None
               ) -> CardReport:
    card = MyNumberCard(session)
    # The 在留AP of a 特定在留カード is probed last (by read_mynumber), so a plain My Number
    # card costs no extra SELECT in between.
    detection = detect(card, atr, probe_residence=False)
    if detection.kind in (CardKind.RESIDENCE_FIRST, CardKind.RESIDENCE_SECOND):
        import_ahead.wait()
        from cardtool.services.read_residence import read_residence

        residence = read_residence(session, card_number, residence_options,
                                   card_type=detection.residence_type)
        return CardReport(detection, residence=residence)
    report = read_mynumber(session, atr, options, ask, card=card, detection=detection)
    result = CardReport(report.detection, mynumber=report)
    if report.detection.kind is CardKind.SPECIFIED:
        from cardtool.services.read_residence import read_residence

        # The probe that found the 在留AP was the My Number read's last step, unless
        # --images moved it before the visual AP: then the AP is selected again.
        ap_selected = (card.current_aid == RESIDENCE_AP_AID
                       and report.detection.residence_type is not None)
        result.residence = read_residence(session, card_number, residence_options,
                                          card_type=report.detection.residence_type,
                                          specified=True, ap_selected=ap_selected)
    return result


__all__ = ["EXPIRY_NEEDS_CARD_FACE", "EXPIRY_NOT_ON_CARD_FACE", "AskSecret", "CardReport", "KeyStatus", "MaskedCertificate", "MyNumberReport", "ReadOptions", "read_card",
           "read_mynumber", "write_card_images"]
