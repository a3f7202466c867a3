"""A representative part of the quirk matrix through the real pcscd + vpcd: `cardtool emulate`
serves a quirky card in its own process (a short-APDU reader with --no-extended), and
`cardtool` reads it as a user would, with the same answer as the plain in-process card.
OpenSC, an independent client, reads the same quirky card too."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from apdu.trace import read_trace
from cardtool.virtual.jpki_pki import auth_certificate
from cardtool.virtual.persona import load_persona
from tests.pcsc.test_mynumber_pcsc import opensc, pem_to_der, reader_index
from tests.support.cli import cardtool
from tests.support.pcsc import emulated, vpcd_reader_name
from tests.support.quirk_matrix import ALL_QUIRKS

pytestmark = pytest.mark.pcsc
SLOT = 1
READER = vpcd_reader_name(SLOT)


def _json(out: subprocess.CompletedProcess[str]) -> Any:
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _plain(*args: str, stdin: str | None = None) -> Any:
    return _json(cardtool(*args, "--virtual", "mynumber", "--json", stdin=stdin))


@pytest.mark.parametrize("quirks", ["+no-short-ef-id", "+get-response-always", ALL_QUIRKS],
                         ids=["no-short-ef-id", "get-response-always", "all"])
def test_read_through_pcscd_gives_the_plain_answer(quirks: str, tmp_path: Any) -> None:
    plain = _plain("read")
    with emulated("mynumber", f"default{quirks}", SLOT, "--no-extended"):
        trace = tmp_path / "read.jsonl"
        # A reader's card is not known to be virtual: its test keys are allowed by hand,
        # so the verdict can be compared too.
        quirky = _json(cardtool("read", "-r", READER, "--wait", "5", "--json",
                                "--allow-test-keys", "--record", str(trace)))
    expiry = ("card_expiry", "card_expiry_days_left", "card_expiry_source",
              "card_expiry_unavailable", "apdu_count", "atr")
    assert {k: v for k, v in quirky.items() if k not in expiry} == {
        k: v for k, v in plain.items() if k not in expiry}
    if quirks == ALL_QUIRKS:  # neither GET DATA nor the 共通 DF: null with a reason
        assert quirky["card_expiry"] is None and quirky["card_expiry_unavailable"]
    else:
        assert quirky["card_expiry"] == plain["card_expiry"]
    assert quirky["apdu_count"] > plain["apdu_count"]
    # Every extended APDU the reader could not carry was answered 67 00 and never retried.
    extended = [e for e in read_trace(trace).exchanges()
                if len(e["command"]) > 10 and e["command"][8:10] == "00"]
    assert all(e["response"] == "6700" for e in extended)
    assert len(extended) <= 1
    check = cardtool("trace", "check", str(trace))
    assert check.returncode == 0, check.stdout


def test_text_and_face_with_secrets_through_pcscd_every_quirk() -> None:
    persona = load_persona(None, "mynumber")
    stdin = persona.pins["text"] + "\n"
    plain = _plain("read", "--text", "--pin-stdin", stdin=stdin)
    with emulated("mynumber", f"default{ALL_QUIRKS}", SLOT, "--no-extended"):
        quirky = _json(cardtool("read", "-r", READER, "--wait", "5", "--json", "--text",
                                "--allow-test-keys", "--pin-stdin", stdin=stdin))
        status = _json(cardtool("pin", "status", "-r", READER, "--wait", "5", "--json"))
    assert quirky["text"] == plain["text"]
    assert quirky["authenticity"] == plain["authenticity"]
    assert quirky["authenticity"]["status"] == "test-anchor"
    # No try was used: every counter is still at its maximum (the text PIN was right).
    assert all(p["remaining"] == p["max"] for p in status["pins"] if p.get("present", True))


def test_opensc_reads_the_quirky_card() -> None:
    persona = load_persona(None, "mynumber")
    with emulated("mynumber", f"default{ALL_QUIRKS}", SLOT, "--no-extended"):
        cert = opensc("pkcs15-tool", "--reader", reader_index(), "--read-certificate", "01")
    assert cert.returncode == 0, cert.stderr
    assert pem_to_der(cert.stdout) == auth_certificate(persona)


def test_a_trace_recorded_through_pcscd_from_a_get_response_card_is_redacted(
        tmp_path: Any) -> None:
    """``--record`` on a real reader (pcscd + vpcd) whose card gives all data through GET
    RESPONSE on a short-APDU reader: the trace holds no value of the persona or of the
    card face, and it replays with the personal fields masked."""
    from tests.cards.test_redacted_quirky_traces import MARKERS, NUMBER_B

    trace = tmp_path / "face.jsonl"
    with emulated("mynumber", "default+get-response-always", SLOT, "--no-extended"):
        live = _json(cardtool("read", "-r", READER, "--wait", "5", "--json", "--face",
                              "--allow-test-keys", "--pin-stdin", "--record", str(trace),
                              stdin=NUMBER_B + "\n"))
    assert live["face"]["birth_date"] == load_persona(None, "mynumber").birth_date.isoformat()
    text = trace.read_text(encoding="utf-8")
    assert sorted({what for what, marker in MARKERS if marker in text}) == []
    assert any(e["command"].startswith("00C00000") and "X" in e["response"]
               for e in read_trace(trace).exchanges())
    replayed = _json(cardtool("read", "--replay", str(trace), "--json", "--face",
                              "--pin-stdin", stdin=NUMBER_B + "\n"))
    assert replayed["face"]["birth_date"] == "********"
    assert replayed["kind"] == live["kind"]
