"""The virtual residence cards through the real pcscd + vpcd: `cardtool emulate` in its own
process (or an in-process card served by our vpcd link), `cardtool read` over PC/SC."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from cardtool.cards.residence import ids
from cardtool.virtual import make_virtual_card
from cardtool.virtual.persona import load_persona
from cardtool.virtual.residence import ResidenceCard
from tests.support.cli import cardtool, one_line_error
from tests.support.pcsc import emulated, served, vpcd_reader_name

pytestmark = pytest.mark.pcsc
SLOT = 1
READER = vpcd_reader_name(SLOT)
ANCHORS = ["--trust-anchor", "cardtool/virtual/pki/residence1-ca-TEST.crt.pem",
           "--trust-anchor", "cardtool/virtual/pki/residence2-ca-TEST.crt.pem"]


def number(kind: str, persona: str | None = None) -> str:
    value = load_persona(persona, kind).card_number
    assert value is not None
    return value


def read(card_number: str, *extra: str) -> tuple[int, dict[str, object], str]:
    out = cardtool("read", "-r", READER, "--wait", "5", "--json", *ANCHORS, *extra,
                   env={"CARDTOOL_CARD_NUMBER": card_number})
    return out.returncode, (json.loads(out.stdout) if out.returncode == 0 else {}), out.stderr


@pytest.mark.parametrize(("kind", "persona", "generation", "images"), [
    ("residence", None, "first", {"front", "photo"}),
    ("residence", "residence-sp", "first", {"front", "photo"}),
    ("residence2", None, "second", {"name", "photo", "address"}),
    ("residence2", "residence2-renewal", "second", {"name", "photo", "address"}),
    ("specified", None, "specified", {"name", "photo", "address"}),
])
def test_each_family_reads_over_pcsc(tmp_path: Path, kind: str, persona: str | None,
                                     generation: str, images: set[str]) -> None:
    p = load_persona(persona, kind)
    # On a 特定在留カード --images also means the My Number card face (照合番号B): not here.
    extra = [] if kind == "specified" else ["--images", str(tmp_path)]
    with emulated(kind, persona, slot=SLOT):
        code, out, err = read(number(kind, persona), *extra)
    assert code == 0, err
    r = out["residence"]
    assert isinstance(r, dict)
    assert r["generation"] == generation and r["signature"]["status"] == "valid"
    assert set(r["images"]) == images
    for name in images if extra else ():
        with Image.open(io.BytesIO((tmp_path / f"residence-{name}.png").read_bytes())) as image:
            image.load()
            assert image.format == "PNG"
    if generation != "first":
        assert r["card_expiry"] == p.card_expiry.isoformat()
        expected = p.residence_expiry.isoformat() if p.residence_expiry else None
        assert r["residence_expiry"] == expected
        assert r["renewal_pending"] is p.extra.get("renewal_pending", False)
    else:
        assert r["residence_expiry"] is None


@pytest.mark.parametrize("kind", ["residence", "residence2", "specified"])
def test_wrong_number_exit_4_then_the_card_still_reads(kind: str) -> None:
    right = number(kind)
    wrong = right[:2] + "00000000" + right[-2:]
    with emulated(kind, slot=SLOT):
        out = cardtool("read", "-r", READER, "--wait", "5", "--card-number-stdin",
                       stdin=wrong + "\n")
        assert out.returncode == 4
        assert "card number does not match" in one_line_error(out)
        assert wrong not in out.stderr + out.stdout
        code, again, err = read(right)
    assert code == 0, err
    r = again["residence"]
    assert isinstance(r, dict) and r["signature"]["status"] == "valid"


def test_tampered_image_reads_as_invalid_over_pcsc() -> None:
    card = make_virtual_card("residence2")
    assert isinstance(card, ResidenceCard)
    ef = card.dfs[ids.DF1_AID].files[0x0003]
    data = bytearray(ef.data)
    data[100] ^= 0xFF  # inside the name image
    ef.data = bytes(data)
    with served(card, slot=SLOT):
        result = cardtool("read", "-r", READER, "--wait", "5", "--json", *ANCHORS,
                          env={"CARDTOOL_CARD_NUMBER": number("residence2")})
    # The report is printed, then exit code 7: the authenticity check failed.
    assert result.returncode == 7, result.stderr
    r = json.loads(result.stdout)["residence"]
    assert isinstance(r, dict)
    assert r["signature"]["status"] == "invalid" and "altered" in r["signature"]["reason"]
    assert r["authenticity"]["status"] == "invalid"
