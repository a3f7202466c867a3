"""My Number card verdicts through the real pcscd + vpcd (`cardtool emulate` in its own
process): a reader's card is not known to be virtual, so test keys count only with
--allow-test-keys; forged and cloned cards are caught the same way as in process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cardtool.era import collation_number_b
from cardtool.virtual.persona import load_persona
from tests.support.cli import cardtool
from tests.support.pcsc import emulated, vpcd_reader_name

pytestmark = pytest.mark.pcsc
SLOT = 1
READER = vpcd_reader_name(SLOT)
PERSONA = load_persona(None, "mynumber")
assert PERSONA.security_code is not None
NUMBER_B = collation_number_b(PERSONA.birth_date, PERSONA.card_expiry, PERSONA.security_code)


def _verdict(*args: str, stdin: str) -> tuple[int, Any]:
    out = cardtool("read", "-r", READER, "--wait", "5", "--json", "--pin-stdin", *args,
                   stdin=stdin + "\n")
    assert "Traceback" not in out.stderr
    return out.returncode, json.loads(out.stdout)["authenticity"]


def test_genuine_virtual_card_through_pcscd_text_and_face() -> None:
    with emulated("mynumber", slot=SLOT):
        code, unallowed = _verdict("--text", stdin=PERSONA.pins["text"])
        assert code == 0 and unallowed["status"] == "unanchored"
        code, text = _verdict("--text", "--allow-test-keys", stdin=PERSONA.pins["text"])
        assert code == 0 and text["status"] == "test-anchor"
        code, face = _verdict("--face", "--allow-test-keys", stdin=NUMBER_B)
        assert code == 0 and face["status"] == "test-anchor"
        assert [c["name"] for c in face["checks"]][-1] == "chip-challenge"


@pytest.mark.parametrize(("forgery", "path", "failing"), [
    ("cloned-chip", "--face", "chip-challenge"),
    ("forged-text", "--text", "text-integrity"),
    ("production-id", "--face", "cv-certificate-visual"),
])
def test_forged_cards_through_pcscd_exit_7(forgery: str, path: str, failing: str) -> None:
    stdin = PERSONA.pins["text"] if path == "--text" else NUMBER_B
    with emulated("mynumber", f"default+{forgery}", SLOT):
        code, verdict = _verdict(path, "--allow-test-keys", stdin=stdin)
    assert code == 7 and verdict["status"] == "invalid"
    assert [c["name"] for c in verdict["checks"] if c["result"] == "fail"] == [failing]


def test_the_genuine_verdict_through_pcscd_when_the_anchor_is_official(tmp_path: Any) -> None:
    """The production keys' private halves are J-LIS's: a key list that names our TEST CAs
    "production" (tests only) shows that every check passing and the chip answering give
    `genuine`, and that a clone still fails."""
    from tests.support.trust import cardtool_with_list, jlis_keys_with_ours_as_production

    keys = jlis_keys_with_ours_as_production(tmp_path / "jlis.json")
    official = Path(__file__).resolve().parents[2] / "cardtool" / "data" / "isa-ca-fingerprints.json"
    for persona, status, code in (("default", "genuine", 0), ("default+cloned-chip", "invalid", 7)):
        with emulated("mynumber", persona, SLOT):
            out = cardtool_with_list(official, "read", "-r", READER, "--wait", "5", "--json",
                                     "--face", "--pin-stdin", stdin=NUMBER_B + "\n",
                                     jlis_keys=keys)
        verdict = json.loads(out.stdout)["authenticity"]
        assert (out.returncode, verdict["status"]) == (code, status), out.stderr
        assert verdict["anchor"]["profile"] == "production"
