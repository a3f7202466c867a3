"""The residence reader against the virtual residence cards, in process: every family and
persona reads correctly, and every bad input is one clear error with nothing half-done."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from PIL import Image

from apdu import tlv
from apdu.command import CommandApdu
from apdu.errors import ApduError, MalformedData
from apdu.session import Session
from apdu.transport.virtual import CardSimulator, VirtualTransport
from cardtool.card_kind import CardKind
from cardtool.cards.detect import detect, probe_specified
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.cards.residence import ids
from cardtool.cards.residence.auth import CardNumberMismatch
from cardtool.cards.residence.certificate import load_anchor_file
from cardtool.cards.residence.reader import read_card_type
from cardtool.cards.residence.signature import SignatureStatus
from cardtool.cards.residence.specified import SecureMessagingError
from cardtool.images import ImageUndecodable
from cardtool.jst import today_jst
from cardtool.secret_format import PinFormatError
from cardtool.services.read_residence import (
    ResidenceOptions,
    ResidenceResult,
    SpecifiedCardTypeUnreadable,
    read_residence,
    write_images,
)
from cardtool.virtual import make_virtual_card
from cardtool.virtual.card_os import EF, sw
from cardtool.virtual.faults import FaultPlan, FaultyCard
from cardtool.virtual.persona import load_persona
from cardtool.virtual.residence import CardCrypto, ResidenceCard, anchor_paths
from cardtool.virtual.specified import SpecifiedCard

ANCHORS = tuple(load_anchor_file(p) for p in anchor_paths())
Card = ResidenceCard | SpecifiedCard

# (kind, persona, card type)
PERSONAS = [
    ("residence", "residence-default", "1"), ("residence", "residence-sp", "2"),
    ("residence", "residence-renewal", "1"), ("residence", "residence-cp932", "1"),
    ("residence", "residence-longname", "1"),
    ("residence2", "residence2-default", "05"), ("residence2", "residence2-sp", "06"),
    ("residence2", "residence2-renewal", "05"), ("residence2", "residence2-soon", "05"),
    ("residence2", "residence2-expired", "05"), ("residence2", "residence2-longname", "05"),
    ("residence2", "residence2-longaddress", "05"), ("residence2", "residence2-ber", "05"),
    ("specified", "specified-default", "07"), ("specified", "specified-sp", "08"),
]


def number_of(kind: str, persona: str) -> str:
    number = load_persona(persona, kind).card_number
    assert number is not None
    return number


def read(card: CardSimulator, number: str,
         anchors: tuple[x509.Certificate, ...] = ANCHORS) -> ResidenceResult:
    """Read as `cardtool read` does; a 特定在留カード's type comes from detection (the AP)."""
    session = Session(VirtualTransport(card))
    card_type = None
    if getattr(card, "kind", None) == "specified":
        session.select_df(ids.RESIDENCE_AP_AID)
        card_type = read_card_type(session)
    # The front's dates by OCR are tests/cards/test_card_facts.py's and test_front_dates.py's
    # subject; here the chip's answers are, so the front is read as on a PC without Tesseract.
    return read_residence(session, lambda: number, ResidenceOptions(anchors, ocr=False),
                          card_type=card_type)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(("kind", "persona", "code"), PERSONAS)
def test_every_persona_reads_with_a_valid_signature(kind: str, persona: str, code: str) -> None:
    p = load_persona(persona, kind)
    card = make_virtual_card(f"{kind}:{persona}")
    result = read(card, number_of(kind, persona).lower())
    assert result.card_type.value == code
    assert result.signature.status is SignatureStatus.VALID, result.signature.reason_en
    out = result.to_json()
    today = today_jst()
    images = result.images()
    if kind == "residence":
        assert result.first is not None and out["generation"] == "first"
        assert out["residence_expiry"] is None and "front image" in out["note"]
        front = decode(images["front"])
        assert front.format == "TIFF" and front.info.get("compression") == "group4"
        assert decode(images["photo"]).format == "JPEG2000"
        assert result.first.addresses[0].address == p.address
        special = code == "2"
        assert (result.first.renewal_pending is None) == special
        if not special:
            assert result.first.renewal_pending is p.extra["renewal_pending"]
    else:
        assert result.second is not None and result.card_number_matches is True
        e = result.second.entries
        assert e.card_expiry.date == p.card_expiry and e.birth_date.date == p.birth_date
        assert out["card_expiry_days_left"] == (p.card_expiry - today).days
        if code in ("05", "07"):
            assert p.residence_expiry is not None and e.residence_expiry is not None
            assert e.residence_expiry.date == p.residence_expiry
            assert out["residence_expiry_days_left"] == (p.residence_expiry - today).days
            assert result.renewal_pending is p.extra["renewal_pending"]
            assert e.work_restriction == p.extra["work_restriction"]
        else:
            assert e.residence_expiry is None and out["residence_expiry"] is None
        assert e.nationality == p.extra["nationality"] and e.status == p.extra["status"]
        assert e.sex == {"male": "1", "female": "2"}[p.sex]
        for name in ("name", "address"):
            image = decode(images[name])
            assert image.format == "TIFF" and image.info.get("compression") == "group4"
        assert decode(images["photo"]).format == "JPEG2000"
    assert p.card_number is not None
    assert out["card_number"] == p.card_number[:2] + "********" + p.card_number[-2:]
    assert p.card_number not in repr(result) and p.card_number not in str(out)


def test_without_anchors_the_status_is_no_anchor() -> None:
    result = read(make_virtual_card("residence2"), number_of("residence2", "residence2-default"),
                  anchors=())
    assert result.signature.status is SignatureStatus.NO_ANCHOR
    wrong = read(make_virtual_card("residence"), number_of("residence", "residence-default"),
                 anchors=(ANCHORS[1],))
    assert wrong.signature.status is SignatureStatus.NO_ANCHOR


def tamper(card: Card, aid: bytes, fid: int, position: int) -> None:
    ef = card.dfs[aid].files[fid]
    data = bytearray(ef.data)
    data[position] ^= 0x01
    ef.data = bytes(data)


@pytest.mark.parametrize(("kind", "fid", "at"), [
    ("residence", 0x0001, 40), ("residence", 0x0002, 40), ("residence2", 0x0003, 40),
    ("residence2", 0x0003, 2600), ("residence2", 0x0002, 3), ("specified", 0x0003, 40)])
def test_a_tampered_signed_file_makes_the_signature_invalid(kind: str, fid: int, at: int) -> None:
    card = make_virtual_card(kind)
    assert isinstance(card, ResidenceCard | SpecifiedCard)
    tamper(card, ids.DF1_AID, fid, at)
    result = read(card, number_of(kind, f"{kind}-default"))
    assert result.signature.status is SignatureStatus.INVALID
    assert "altered" in result.signature.reason_en


@pytest.mark.parametrize("kind", ["residence", "residence2", "specified"])
def test_wrong_number_then_right_number_on_the_same_card(kind: str) -> None:
    card = make_virtual_card(kind)
    assert isinstance(card, ResidenceCard | SpecifiedCard)
    right = number_of(kind, f"{kind}-default")
    wrong = right[:-1] + ("A" if right[-1] != "A" else "B")
    with pytest.raises(CardNumberMismatch) as info:
        read(card, wrong)
    message = str(info.value)
    assert "card number does not match" in message and wrong not in message and right not in message
    assert info.value.exit_code == 4
    assert "一致しません" in info.value.render("ja")
    step = "VERIFY" if kind == "specified" else "MUTUAL AUTHENTICATE"
    assert step in message
    assert read(card, right).signature.status is SignatureStatus.VALID


@pytest.mark.parametrize("kind", ["residence", "residence2", "specified"])
@pytest.mark.parametrize("typed", ["AB1234567CD", "A112345678CD", "AB12345678C1", "ＡＢ12345678CD",
                                   "", "AB12345678CDE"])
def test_malformed_card_number_sends_no_authentication_apdu(kind: str, typed: str) -> None:
    card = make_virtual_card(kind)
    assert isinstance(card, ResidenceCard | SpecifiedCard)
    with pytest.raises(PinFormatError) as info:
        read(card, typed)
    assert "2 letters, 8 digits, 2 letters" in str(info.value)
    sent = [c[:2].hex().upper() for c in card.log]
    assert not any(ins in ("0084", "0082", "0820", "80AE", "0C20") for ins in sent), sent
    assert all(c[1] in (0xB0, 0xA4) for c in card.log)  # public reads and selects only


def exchange_index(card: Card, prefix: str) -> int:
    """1-based number of the first exchange starting with ``prefix`` in a normal read."""
    for i, command in enumerate(card.log, start=1):
        if command.hex().upper().startswith(prefix):
            return i
    raise AssertionError(f"{prefix} never sent")


def faulty(kind: str, prefix: str, fault: str) -> tuple[FaultyCard, str]:
    number = number_of(kind, f"{kind}-default")
    probe = make_virtual_card(kind)
    assert isinstance(probe, ResidenceCard | SpecifiedCard)
    read(probe, number)
    at = exchange_index(probe, prefix)
    return FaultyCard(make_virtual_card(kind), FaultPlan.parse(fault.format(at=at))), number


@pytest.mark.parametrize("kind", ["residence", "residence2"])
def test_6300_at_verify_is_a_mismatch(kind: str) -> None:
    card, number = faulty(kind, "0820", "sw@{at}=6300")
    with pytest.raises(CardNumberMismatch, match="VERIFY"):
        read(card, number)


@pytest.mark.parametrize(("kind", "prefix", "word", "command"), [
    ("residence", "08B0", "6982", "READ BINARY"), ("residence2", "08B0", "6982", "READ BINARY"),
    ("residence", "0820", "6988", "VERIFY"), ("residence2", "0082", "6988", "MUTUAL"),
    ("specified", "0CB0", "6982", "READ BINARY"), ("specified", "80AE", "6A80", "SET SESSION"),
])
def test_card_errors_are_one_line(kind: str, prefix: str, word: str, command: str) -> None:
    card, number = faulty(kind, prefix, "sw@{at}=" + word)
    with pytest.raises(ApduError) as info:
        read(card, number)
    text = str(info.value)
    assert f"{word[:2]} {word[2:]}" in text and command in text and "\n" not in text
    assert info.value.exit_code == 3


class TornCard:
    """Answers SM READ BINARY with only the first ``keep`` data bytes and 90 00, as a link
    that lost the rest would."""

    def __init__(self, inner: CardSimulator, keep: int) -> None:
        self.inner = inner
        self.keep = keep

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def process_apdu(self, command: bytes) -> bytes:
        response = self.inner.process_apdu(command)
        if command[1] == 0xB0 and command[0] in (0x08, 0x0C) and len(response) > self.keep + 2:
            return response[: self.keep] + response[-2:]
        return response


@pytest.mark.parametrize("kind", ["residence", "residence2", "specified"])
@pytest.mark.parametrize("keep", [0, 2, 3, 100])
def test_torn_sm_response_is_malformed(kind: str, keep: int) -> None:
    card = TornCard(make_virtual_card(kind), keep)
    with pytest.raises((MalformedData, SecureMessagingError), match="SM response") as info:
        read(card, number_of(kind, f"{kind}-default"))
    assert "\n" not in str(info.value) and info.value.exit_code == 3


@pytest.mark.parametrize("kind", ["residence", "residence2"])
def test_truncated_response_with_its_status_word_cut_is_one_line(kind: str) -> None:
    card, number = faulty(kind, "08B0", "truncate@{at}=100")
    with pytest.raises((MalformedData, ApduError)) as info:
        read(card, number)
    assert "\n" not in str(info.value) and info.value.exit_code == 3


class BadPaddingCard:
    """Re-encrypts every SM READ BINARY answer with the padding removed (ends in data)."""

    def __init__(self, inner: ResidenceCard) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def process_apdu(self, command: bytes) -> bytes:
        response = self.inner.process_apdu(command)
        if command[:2] != b"\x08\xb0" or response[-2:] != b"\x90\x00":
            return response
        assert self.inner.session_key is not None
        crypto = CardCrypto(self.inner.generation, self.inner.session_key)
        plain = crypto.decrypt(response[5:-2] if response[1] == 0x82 else response[3:-2])
        broken = plain[:-crypto.block] + bytes(crypto.block)  # no 80 left
        return tlv.build(0x86, b"\x01" + crypto.encrypt(broken)) + b"\x90\x00"


@pytest.mark.parametrize("kind", ["residence", "residence2"])
def test_wrong_padding_is_malformed(kind: str) -> None:
    card = make_virtual_card(kind)
    assert isinstance(card, ResidenceCard)
    with pytest.raises(MalformedData, match="padding"):
        read(BadPaddingCard(card), number_of(kind, f"{kind}-default"))  # type: ignore[arg-type]


def test_undecodable_image_writes_nothing(tmp_path: Path) -> None:
    card = make_virtual_card("residence2")
    assert isinstance(card, ResidenceCard)
    ef = card.dfs[ids.DF1_AID].files[0x0003]
    photo_at = 4 + 2500 + 4  # D0 82 09C4 <2500> D1 82 0BB8 <3000>
    ef.data = ef.data[:photo_at] + bytes(64) + ef.data[photo_at + 64:]
    result = read(card, number_of("residence2", "residence2-default"))
    assert result.signature.status is SignatureStatus.INVALID
    target = tmp_path / "out"
    with pytest.raises(ImageUndecodable, match="photo") as info:
        write_images(result, target)
    assert info.value.exit_code == 3
    assert not target.exists() or list(target.iterdir()) == []


def test_write_images_writes_pngs(tmp_path: Path) -> None:
    result = read(make_virtual_card("residence"), number_of("residence", "residence-default"))
    paths = write_images(result, tmp_path)
    assert sorted(p.name for p in paths) == ["residence-front.png", "residence-photo.png"]
    for path in paths:
        assert decode(path.read_bytes()).format == "PNG"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


@pytest.mark.parametrize(("kind", "expected"), [
    ("residence", CardKind.RESIDENCE_FIRST), ("residence2", CardKind.RESIDENCE_SECOND),
    ("specified", CardKind.SPECIFIED), ("mynumber", CardKind.MYNUMBER)])
def test_detection(kind: str, expected: CardKind) -> None:
    card = make_virtual_card(kind)
    session = Session(VirtualTransport(card))
    mn = MyNumberCard(session)
    detection = probe_specified(mn, detect(mn, card.atr, probe_residence=False))
    assert detection.kind is expected
    if kind != "mynumber":
        assert detection.residence_type is not None
        assert ids.GENERATION_OF[detection.residence_type].value in ("first", "second",
                                                                     "specified")


def test_card_type_read_never_uses_a_fixed_le() -> None:
    for kind, length in (("residence", 1), ("residence2", 2)):
        card = make_virtual_card(kind)
        assert isinstance(card, ResidenceCard)
        read(card, number_of(kind, f"{kind}-default"))
        first, second = card.log[0], card.log[1]
        assert first.hex().upper() == "00B08A0002"  # the TLV header only
        assert second.hex().upper() == f"00B00002{length:02X}"  # then exactly the value


def test_specified_session_is_dropped_on_reset_and_on_a_bad_mac() -> None:
    card = make_virtual_card("specified")
    assert isinstance(card, SpecifiedCard)
    read(card, number_of("specified", "specified-default"))
    assert card.ks_enc is not None and card.number_verified
    card.reset()
    assert card.ks_enc is None and card.ks_mac is None and not card.number_verified
    # An SM command without a session is refused.
    assert card.process_apdu(bytes.fromhex("0C20008603") + b"\x8e\x01\x00" + b"\x00")[-2:] == \
        bytes.fromhex("6982")


def test_persona_errors_are_clear(tmp_path: Path) -> None:
    from cardtool.virtual.persona import PersonaError

    base = (Path(__file__).resolve().parents[2] / "cardtool" / "virtual" / "personas" /
            "residence2-default.json").read_text(encoding="utf-8")
    cases: list[tuple[Callable[[str], str], str]] = [
        (lambda s: s.replace('"work_restriction": "2"', '"work_restriction": "7"'),
         "extra.work_restriction must be one of 1, 2, 4, 9"),
        (lambda s: s.replace('"nationality": "UTO"', '"nationality": "UTOPIA"'),
         "extra.nationality must be at most 3 bytes"),
        (lambda s: s.replace('"card_type": "05"', '"card_type": "1"'),
         "extra.card_type must be one of 05, 06"),
        (lambda s: s.replace('"residence_expiry": "+1400d",', ""),
         "'residence_expiry' is required"),
    ]
    for edit, message in cases:
        path = tmp_path / "p.json"
        path.write_text(edit(base), encoding="utf-8")
        with pytest.raises(PersonaError, match=message.replace("(", r"\(")):
            make_virtual_card(f"residence2:{path}")


def test_specified_card_without_a_readable_card_type_is_one_clear_error() -> None:
    card = make_virtual_card("specified")
    assert isinstance(card, SpecifiedCard)
    del card.dfs[ids.RESIDENCE_AP_AID].files[0x0002]  # the card-type EF (unverified place)
    session = Session(VirtualTransport(card))
    mn = MyNumberCard(session)
    detection = probe_specified(mn, detect(mn, card.atr, probe_residence=False))
    assert detection.kind is CardKind.SPECIFIED and detection.residence_type is None
    session.select_df(ids.RESIDENCE_AP_AID)
    with pytest.raises(SpecifiedCardTypeUnreadable, match="unverified") as info:
        read_residence(session, lambda: "TK12345678AP", specified=True)
    assert info.value.exit_code == 3
    assert not any(c[1] in (0x20, 0xAE) for c in card.log)  # no number sent, no key delivered


# --- type 06/08: DF2's only file (D9/DE) at short id 03 (spec §2: "DF2/EF03 (type 06:
# DF2/EF01) | 83"), with short id 01 as the fallback for cards that put it there.

SELECT_DF2 = bytes.fromhex("00A4040C10") + ids.DF2_AID
SPECIAL_2 = [("residence2", "residence2-sp"), ("specified", "specified-sp")]


def df2_reads(log: list[bytes]) -> list[int]:
    """P1 of every READ BINARY sent while DF2 was selected (up to the next SELECT)."""
    start = log.index(SELECT_DF2) + 1
    out: list[int] = []
    for command in log[start:]:
        if command[1] == 0xA4:
            break
        if command[1] == 0xB0:
            out.append(command[2])
    return out


def check_df2_values(result: ResidenceResult, kind: str, persona: str) -> None:
    p = load_persona(persona, kind)
    assert result.second is not None
    assert result.second.commissioner_entry is p.extra.get("commissioner_entry", False)
    assert result.second.reserved_text == (p.extra.get("reserved_text") or None)
    assert result.second.comprehensive_permission is None  # type 06/08: no such file
    assert result.signature.status is SignatureStatus.VALID, result.signature.reason_en


def df2_file(card: Card) -> EF:
    files = card.dfs[ids.DF2_AID].files
    assert len(files) == 1
    return next(iter(files.values()))


@pytest.mark.parametrize(("kind", "persona"), SPECIAL_2)
def test_special_permanent_df2_is_read_at_short_id_03(kind: str, persona: str) -> None:
    card = make_virtual_card(f"{kind}:{persona}")
    assert isinstance(card, ResidenceCard | SpecifiedCard)
    assert df2_file(card).sfi == 0x03  # the virtual card serves it at 03
    result = read(card, number_of(kind, persona))
    assert df2_reads(card.log) == [0x83]  # first and only: no probe at 81
    check_df2_values(result, kind, persona)


@pytest.mark.parametrize(("kind", "persona"), SPECIAL_2)
def test_special_permanent_df2_at_short_id_01_is_still_read(kind: str, persona: str) -> None:
    card = make_virtual_card(f"{kind}:{persona}")
    assert isinstance(card, ResidenceCard | SpecifiedCard)
    df2_file(card).sfi = 0x01  # a card that uses EF01's id
    result = read(card, number_of(kind, persona))
    assert df2_reads(card.log) == [0x83, 0x81]  # 83 refused with 6A 82, then 81
    check_df2_values(result, kind, persona)


def refuse_short_id(card: ResidenceCard, p1: int, word: int) -> None:
    """Make ``card`` answer a plain READ BINARY with P1 ``p1`` in DF2 by ``word`` (another
    card's way of saying "nothing there" instead of 6A 82)."""
    original = card.read_binary

    def read_binary(cmd: CommandApdu) -> bytes:
        if cmd.p1 == p1 and card.current_df.aid == ids.DF2_AID:
            return sw(word)
        return original(cmd)

    card.read_binary = read_binary  # type: ignore[method-assign]


@pytest.mark.parametrize("word", [0x6A82, 0x6A86, 0x6986], ids=lambda w: f"{w:04X}")
def test_a_refusal_of_short_id_03_moves_on_to_01(word: int) -> None:
    card = make_virtual_card("residence2:residence2-sp")
    assert isinstance(card, ResidenceCard)
    df2_file(card).sfi = 0x01
    refuse_short_id(card, 0x83, word)
    result = read(card, number_of("residence2", "residence2-sp"))
    assert df2_reads(card.log) == [0x83, 0x81]
    check_df2_values(result, "residence2", "residence2-sp")


def test_other_errors_at_short_id_03_are_not_taken_for_a_missing_file() -> None:
    card = make_virtual_card("residence2:residence2-sp")
    assert isinstance(card, ResidenceCard)
    with pytest.raises(ApduError, match="69 82") as info:
        refuse_short_id(card, 0x83, 0x6982)
        read(card, number_of("residence2", "residence2-sp"))
    assert info.value.exit_code == 3
    assert df2_reads(card.log) == [0x83]  # no guessing on after a real error
