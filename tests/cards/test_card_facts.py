"""read_card_facts on every card family (in-process virtual cards): the dates the rules need,
the card number asked only for residence cards, never a My Number card PIN."""

from __future__ import annotations

import datetime as dt

import pytest

from apdu.command import CommandApdu
from apdu.transport import Transport
from apdu.transport.virtual import VirtualTransport
from cardtool.errors import UnsupportedCard
from cardtool.policy.table import SECRETS
from cardtool.services.card_facts import NoSecretInExpiryCheck, read_card_facts, refuse_secrets
from cardtool.virtual import make_virtual_card
from cardtool.virtual.persona import load_persona
from tests.support.ocr import needs_ocr
from tests.support.scripted import EchoFileCard


class Spy(VirtualTransport):
    """Keeps every command sent."""

    def __init__(self, spec: str) -> None:
        super().__init__(make_virtual_card(spec), description=spec)
        self.sent: list[bytes] = []

    def transmit(self, command: bytes) -> bytes:
        self.sent.append(bytes(command))
        return super().transmit(command)


def verifies_with_data(sent: list[bytes]) -> list[CommandApdu]:
    commands = [CommandApdu.parse(c) for c in sent]
    return [c for c in commands if c.ins == 0x20 and c.data]


def read(kind: str, persona: str | None) -> tuple[object, Spy, int]:
    p = load_persona(persona, kind)
    spy = Spy(f"{kind}:{persona}" if persona else kind)
    asked = 0

    def ask() -> str:
        nonlocal asked
        asked += 1
        assert p.card_number is not None
        return p.card_number

    return read_card_facts(spy, ask), spy, asked


def test_my_number_card_without_any_secret() -> None:
    facts, spy, asked = read("mynumber", "office-renewed-mynumber")
    p = load_persona("office-renewed-mynumber", "mynumber")
    assert asked == 0
    assert facts.kind == "mynumber"  # type: ignore[attr-defined]
    assert facts.card_expiry == p.card_expiry  # type: ignore[attr-defined]
    assert facts.certificate_expiry == p.certificate_expiry  # type: ignore[attr-defined]
    assert facts.expiry_source == "get-data-f2"  # type: ignore[attr-defined]
    assert verifies_with_data(spy.sent) == []


def test_default_my_number_card_certificate_is_a_jst_date_before_the_card() -> None:
    facts, _, _ = read("mynumber", None)
    p = load_persona(None, "mynumber")
    assert isinstance(facts.certificate_expiry, dt.date)  # type: ignore[attr-defined]
    assert facts.certificate_expiry == p.certificate_expiry < p.card_expiry  # type: ignore[attr-defined,operator]


@pytest.mark.parametrize(("persona", "pending"), [
    ("office-renewed-residence2", False), ("office-pending-residence2", True),
    ("residence2-renewal", True), (None, False),
])
def test_second_generation(persona: str | None, pending: bool) -> None:
    facts, spy, asked = read("residence2", persona)
    p = load_persona(persona, "residence2")
    assert asked == 1
    assert (facts.kind, facts.card_expiry, facts.residence_expiry,  # type: ignore[attr-defined]
            facts.renewal_pending) == ("residence-second", p.card_expiry,  # type: ignore[attr-defined]
                                       p.residence_expiry, pending)
    # The only VERIFY with data is the card number, under secure messaging (CLA bits 3-4).
    verifies = verifies_with_data(spy.sent)
    assert len(verifies) == 1 and verifies[0].cla & 0x0C


def test_special_permanent_resident_has_no_period_of_stay() -> None:
    facts, _, _ = read("residence2", "residence2-sp")
    assert facts.residence_expiry is None  # type: ignore[attr-defined]
    assert facts.card_expiry == load_persona("residence2-sp", "residence2").card_expiry  # type: ignore[attr-defined]


@needs_ocr
@pytest.mark.parametrize(("persona", "pending"), [(None, False), ("residence-renewal", True)])
def test_first_generation_dates_come_from_the_front_image(persona: str | None,
                                                         pending: bool) -> None:
    facts, _, asked = read("residence", persona)
    p = load_persona(persona or "residence-default", "residence")
    assert asked == 1
    # Not in the chip as text: read by OCR from the signed front image, marked "ocr".
    assert (facts.kind, facts.residence_expiry, facts.renewal_pending) == (  # type: ignore[attr-defined]
        "residence-first", None, pending)
    assert facts.typed_residence_expiry == p.residence_expiry  # type: ignore[attr-defined]
    assert facts.card_expiry == p.card_expiry  # type: ignore[attr-defined]
    assert (facts.face_source, facts.expiry_source) == ("ocr", "ocr")  # type: ignore[attr-defined]


def test_first_generation_without_ocr_has_no_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    import cardtool.front_dates as front_dates

    def missing() -> front_dates.Engine:
        raise front_dates.OcrUnavailable(detail="pytesseract is not installed")

    monkeypatch.setattr(front_dates, "default_engine", missing)
    facts, _, _ = read("residence", None)
    assert (facts.card_expiry, facts.typed_residence_expiry, facts.face_source) == (  # type: ignore[attr-defined]
        None, None, None)
    assert facts.face.reason == "no-ocr-engine"  # type: ignore[attr-defined]


def test_specified_card_both_sides() -> None:
    facts, spy, asked = read("specified", "office-specified")
    p = load_persona("office-specified", "specified")
    assert asked == 1
    assert facts.kind == "specified"  # type: ignore[attr-defined]
    assert facts.card_expiry == p.card_expiry  # type: ignore[attr-defined]
    assert facts.residence_expiry == p.residence_expiry  # type: ignore[attr-defined]
    assert facts.certificate_expiry == p.certificate_expiry  # type: ignore[attr-defined]
    assert facts.expiry_source == "residence-c5"  # type: ignore[attr-defined]
    # No My Number card PIN: the one VERIFY with data is the card number in the 在留AP (SM).
    verifies = verifies_with_data(spy.sent)
    assert len(verifies) == 1 and verifies[0].cla & 0x0C


def test_an_unknown_card_is_refused() -> None:
    transport: Transport = VirtualTransport(EchoFileCard(10))
    with pytest.raises(UnsupportedCard):
        read_card_facts(transport, lambda: pytest.fail("asked for a number"))  # type: ignore[arg-type,return-value]


def test_the_pin_callback_refuses() -> None:
    with pytest.raises(NoSecretInExpiryCheck) as info:
        refuse_secrets(SECRETS["auth"])
    assert "auth" in str(info.value)
