"""Every residence-card verdict through the real pcscd + vpcd (first and second
generation): `cardtool emulate` serves genuine and forged virtual cards, `cardtool read`
reads them over PC/SC; a session recorded over PC/SC replays to the same verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cardtool.virtual.persona import load_persona
from tests.support.cli import cardtool
from tests.support.pcsc import emulated, vpcd_reader_name
from tests.support.trust import CA1, CA2, cardtool_with_list, official_list_with

pytestmark = pytest.mark.pcsc
SLOT = 1
READER = vpcd_reader_name(SLOT)
TEST_ANCHORS = ("--trust-anchor", str(CA1), "--trust-anchor", str(CA2))


def number(kind: str, persona: str | None) -> str:
    value = load_persona(persona, kind).card_number
    assert value is not None
    return value


def read_over_pcsc(kind: str, persona: str | None, *extra: str,
                   env: dict[str, str] | None = None,
                   official_list: Path | None = None) -> tuple[int, dict[str, Any], str]:
    args = ("read", "-r", READER, "--wait", "5", "--json", "--card-number-stdin", *extra)
    stdin = number(kind, persona) + "\n"
    with emulated(kind, persona, slot=SLOT):
        out = (cardtool_with_list(official_list, *args, stdin=stdin, env=env) if official_list
               else cardtool(*args, stdin=stdin, env=env))
    data = json.loads(out.stdout) if out.stdout.strip() else {}
    return out.returncode, data, out.stderr


def status_of(data: dict[str, Any]) -> str:
    status: str = data["residence"]["authenticity"]["status"]
    return status


@pytest.mark.parametrize(("kind", "persona", "status"), [
    ("residence", None, "test-anchor"),
    ("residence", "residence-forged-front", "invalid"),
    ("residence", "residence-forged-photo", "invalid"),
    ("residence", "residence-forged-ca", "unanchored"),
    ("residence", "residence-forged-impostor", "invalid"),
    ("residence2", None, "test-anchor"),
    ("residence2", "residence2-forged-expiry", "invalid"),
    ("residence2", "residence2-forged-ca", "unanchored"),
    ("residence2", "residence2-forged-impostor", "invalid"),
    ("specified", None, "test-anchor"),
])
def test_verdicts_over_pcsc(kind: str, persona: str | None, status: str) -> None:
    code, data, err = read_over_pcsc(kind, persona, *TEST_ANCHORS)
    assert status_of(data) == status, data.get("residence", {}).get("authenticity")
    assert code == (7 if status == "invalid" else 0), err


@pytest.mark.parametrize(("kind", "ca"), [("residence", CA1), ("residence2", CA2)])
def test_unanchored_then_data_genuine_over_pcsc(tmp_path: Path, kind: str,
                                                      ca: Path) -> None:
    """No option: the installed anchors decide. None installed: unanchored; the (injected)
    official CA installed: data-genuine."""
    env = {"CARDTOOL_CONFIG_DIR": str(tmp_path / "c")}
    code, data, err = read_over_pcsc(kind, None, env=env)
    assert code == 0 and status_of(data) == "unanchored", err
    official = official_list_with(tmp_path / "official.json", production=(ca,))
    assert cardtool_with_list(official, "trust", "add", str(ca), env=env).returncode == 0
    code, data, err = read_over_pcsc(kind, None, env=env, official_list=official)
    assert code == 0, err
    assert status_of(data) == "data-genuine"
    assert data["residence"]["authenticity"]["anchor"]["profile"] == "production"


@pytest.mark.parametrize(("kind", "persona"), [("residence", "residence-forged-front"),
                                               ("residence2", "residence2-forged-expiry")])
def test_a_session_recorded_over_pcsc_replays_to_the_same_verdict(tmp_path: Path, kind: str,
                                                                  persona: str) -> None:
    trace = tmp_path / "forged.jsonl"
    code, data, err = read_over_pcsc(kind, persona, *TEST_ANCHORS, "--record", str(trace))
    assert code == 7 and status_of(data) == "invalid", err
    out = cardtool("read", "--replay", str(trace), "--json", "--card-number-stdin",
                   *TEST_ANCHORS, stdin=number(kind, persona) + "\n")
    assert out.returncode == 7, out.stderr
    assert status_of(json.loads(out.stdout)) == "invalid"


@pytest.mark.parametrize(("kind", "persona", "code", "status"), [
    ("residence", "residence-forged-photo", 7, "invalid"),
    ("residence2", "residence2-forged-expiry", 7, "invalid"),
    ("residence2", "residence2-forged-ca", 0, "unanchored"),
])
def test_expiry_over_pcsc_reports_the_verdict(kind: str, persona: str, code: int,
                                              status: str) -> None:
    with emulated(kind, persona, slot=SLOT):
        out = cardtool("expiry", "-r", READER, "--wait", "5", "--json", "--card-number-stdin",
                       *TEST_ANCHORS, stdin=number(kind, persona) + "\n")
    assert out.returncode == code, out.stderr
    assert [a["status"] for a in json.loads(out.stdout)["authenticity"]] == [status]
