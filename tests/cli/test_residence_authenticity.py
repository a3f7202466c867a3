"""Residence-card authenticity end to end (virtual cards and recorded traces; the pcscd
path is in tests/pcsc/test_residence_authenticity_pcsc.py): every verdict, forged cards,
exit code 7 after the report, the trust store used by default, TEST CAs never genuine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cardtool.services.office_files import read_csv_rows
from cardtool.virtual.persona import load_persona
from tests.support.cli import ROOT, cardtool
from tests.support.ocr import WITHOUT_OCR_ENV
from tests.support.trust import CA1, CA2, cardtool_with_list, official_list_with

TRACES = ROOT / "fixtures" / "traces"

#: (virtual card, persona, status, failed check or None)
FORGED = [
    ("residence", "residence-forged-front", "invalid", "signature"),
    ("residence", "residence-forged-photo", "invalid", "signature"),
    ("residence", "residence-forged-ca", "unanchored", None),
    ("residence", "residence-forged-impostor", "invalid", "certificate-chain"),
    ("residence2", "residence2-forged-expiry", "invalid", "signature"),
    ("residence2", "residence2-forged-photo", "invalid", "signature"),
    ("residence2", "residence2-forged-ca", "unanchored", None),
    ("residence2", "residence2-forged-impostor", "invalid", "certificate-chain"),
]


def number(kind: str, persona: str | None = None) -> str:
    value = load_persona(persona, kind).card_number
    assert value is not None
    return value


def read(*args: str, card_number: str, env: dict[str, str] | None = None,
         official_list: Path | None = None) -> tuple[int, dict[str, Any], str]:
    full = ("read", *args, "--json", "--card-number-stdin")
    env = {**WITHOUT_OCR_ENV, **(env or {})}  # the chip's verdict is the subject here
    out = (cardtool_with_list(official_list, *full, stdin=card_number + "\n", env=env)
           if official_list else cardtool(*full, stdin=card_number + "\n", env=env))
    data = json.loads(out.stdout) if out.stdout.strip() else {}
    return out.returncode, data, out.stderr


def authenticity(data: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = data["residence"]["authenticity"]
    return result


def failed_checks(auth: dict[str, Any]) -> list[str]:
    return [c["name"] for c in auth["checks"] if c["result"] == "fail"]


@pytest.mark.parametrize(("kind", "persona", "status", "failed"), FORGED)
def test_forged_virtual_cards_reach_their_verdict(kind: str, persona: str, status: str,
                                                  failed: str | None) -> None:
    code, data, err = read("--virtual", f"{kind}:{persona}", card_number=number(kind, persona))
    auth = authenticity(data)
    assert auth["status"] == status, auth
    assert code == (7 if status == "invalid" else 0), err
    assert failed_checks(auth) == ([failed] if failed else [])
    if status == "unanchored":
        assert "cardtool trust add" in auth["advice"]
    if status == "invalid":  # after the report, one line naming the failed check
        assert err.strip().splitlines() == [
            f"cardtool: error: authenticity check failed ({failed}: "
            + next(c["detail"] for c in auth["checks"] if c["name"] == failed)
            + "). Do not accept this card as proof of identity."]
    else:
        assert err == ""


def test_genuine_virtual_cards_are_test_anchor_never_genuine() -> None:
    for kind in ("residence", "residence2", "specified"):
        code, data, err = read("--virtual", kind, card_number=number(kind))
        assert code == 0, err
        auth = authenticity(data)
        assert auth["status"] == "test-anchor", auth
        assert auth["anchor"]["profile"] == "test"
        names = [c["name"] for c in auth["checks"]]
        assert names[:3] == ["signer-certificate", "signature", "certificate-chain"]
        assert ("card-number-matches" in names) is (kind != "residence")


def test_invalid_text_report_is_printed_then_exit_7() -> None:
    persona = "residence2-forged-expiry"
    for lang, words in (("C.UTF-8", ("INVALID", "[FAIL] signature")),
                        ("ja_JP.UTF-8", ("不正", "[不合格] signature"))):
        out = cardtool("read", "--virtual", f"residence2:{persona}", "--card-number-stdin",
                       stdin=number("residence2", persona) + "\n", lang=lang)
        assert out.returncode == 7, out.stderr
        assert all(w in out.stdout for w in words), out.stdout
        assert "Card expiry" in out.stdout or "カード有効期限" in out.stdout


def test_without_a_virtual_card_and_without_anchors_it_is_unanchored() -> None:
    code, data, err = read("--replay", str(TRACES / "residence2-read.jsonl"),
                           card_number=number("residence2"))
    assert code == 0, err
    auth = authenticity(data)
    assert auth["status"] == "unanchored" and auth["anchor"] is None
    assert "cardtool trust add" in auth["advice"]
    checks = {c["name"]: c["result"] for c in auth["checks"]}
    assert checks == {"signer-certificate": "pass", "signature": "pass",
                      "certificate-chain": "skipped", "card-number-matches": "pass"}


def test_trust_anchor_option_that_is_not_official_gives_test_anchor() -> None:
    code, data, err = read("--replay", str(TRACES / "residence-read.jsonl"),
                           "--trust-anchor", str(CA1), card_number=number("residence"))
    assert code == 0, err
    assert authenticity(data)["status"] == "test-anchor"


def test_installed_unofficial_anchor_is_unanchored(tmp_path: Path) -> None:
    env = {"CARDTOOL_CONFIG_DIR": str(tmp_path / "c")}
    assert cardtool("trust", "add", "--unofficial", str(CA2), env=env).returncode == 0
    code, data, err = read("--replay", str(TRACES / "residence2-read.jsonl"),
                           card_number=number("residence2"), env=env)
    assert code == 0, err
    auth = authenticity(data)
    assert auth["status"] == "unanchored" and auth["anchor"]["profile"] == "unofficial"
    assert "cardtool trust add" in auth["advice"]


@pytest.mark.parametrize(("trace", "kind", "ca"), [
    ("residence-read.jsonl", "residence", CA1),
    ("residence2-read.jsonl", "residence2", CA2),
])
def test_installed_official_anchor_is_used_by_default_data_genuine(
        tmp_path: Path, trace: str, kind: str, ca: Path) -> None:
    """The official certificates are not available here: the official list is injected
    (tests/support/trust.py) with our TEST CA as a production one."""
    official = official_list_with(tmp_path / "official.json", production=(ca,))
    env = {"CARDTOOL_CONFIG_DIR": str(tmp_path / "c")}
    added = cardtool_with_list(official, "trust", "add", str(ca), env=env)
    assert added.returncode == 0 and "official ISA CA" in added.stdout, added.stderr
    code, data, err = read("--replay", str(TRACES / trace), card_number=number(kind),
                           env=env, official_list=official)
    assert code == 0, err
    auth = authenticity(data)
    assert auth["status"] == "data-genuine", auth
    assert auth["anchor"]["profile"] == "production"
    assert auth["anchor"]["id"].startswith("injected-production")
    # Without the injected list the same installed file is no official anchor.
    code, data, err = read("--replay", str(TRACES / trace), card_number=number(kind), env=env)
    assert code == 0 and authenticity(data)["status"] == "unanchored", err


def test_official_test_ca_gives_test_anchor(tmp_path: Path) -> None:
    official = official_list_with(tmp_path / "official.json", official_test=(CA2,))
    env = {"CARDTOOL_CONFIG_DIR": str(tmp_path / "c")}
    assert cardtool_with_list(official, "trust", "add", str(CA2), env=env).returncode == 0
    code, data, err = read("--replay", str(TRACES / "residence2-read.jsonl"),
                           card_number=number("residence2"), env=env, official_list=official)
    assert code == 0, err
    auth = authenticity(data)
    assert auth["status"] == "test-anchor" and auth["anchor"]["profile"] == "test"


@pytest.mark.parametrize(("trace", "kind", "persona", "status"), [
    ("residence-forged-front.jsonl", "residence", "residence-forged-front", "invalid"),
    ("residence-forged-ca.jsonl", "residence", "residence-forged-ca", "unanchored"),
    ("residence2-forged-expiry.jsonl", "residence2", "residence2-forged-expiry", "invalid"),
    ("residence2-forged-ca.jsonl", "residence2", "residence2-forged-ca", "unanchored"),
])
def test_recorded_forged_traces_replay_to_their_verdict(trace: str, kind: str, persona: str,
                                                        status: str) -> None:
    code, data, err = read("--replay", str(TRACES / trace), "--trust-anchor", str(CA1),
                           "--trust-anchor", str(CA2), card_number=number(kind, persona))
    assert authenticity(data)["status"] == status
    assert code == (7 if status == "invalid" else 0), err


# --- expiry and office ---------------------------------------------------------------------


def test_expiry_reports_the_verdict_and_exits_7_for_a_forged_card() -> None:
    persona = "residence2-forged-expiry"
    stdin = number("residence2", persona) + "\n"
    out = cardtool("expiry", "--json", "--virtual", f"residence2:{persona}",
                   "--card-number-stdin", stdin=stdin)
    assert out.returncode == 7, out.stderr
    result = json.loads(out.stdout)
    [auth] = result["authenticity"]
    assert auth["status"] == "invalid" and failed_checks(auth) == ["signature"]
    text = cardtool("expiry", "--virtual", f"residence2:{persona}", "--card-number-stdin",
                    stdin=stdin)
    assert text.returncode == 7
    assert "[FAIL] signature" in text.stdout and "do not rely on them" in text.stdout
    ja = cardtool("expiry", "--virtual", f"residence2:{persona}", "--card-number-stdin",
                  stdin=stdin, lang="ja_JP.UTF-8")
    assert ja.returncode == 7 and "不正" in ja.stdout


def test_expiry_genuine_virtual_card_is_test_anchor_and_exit_0() -> None:
    out = cardtool("expiry", "--json", "--virtual", "residence2", "--card-number-stdin",
                   stdin=number("residence2") + "\n")
    assert out.returncode == 0, out.stderr
    assert [a["status"] for a in json.loads(out.stdout)["authenticity"]] == ["test-anchor"]


def test_expiry_uses_the_installed_anchors(tmp_path: Path) -> None:
    official = official_list_with(tmp_path / "official.json", production=(CA2,))
    env = {"CARDTOOL_CONFIG_DIR": str(tmp_path / "c")}
    assert cardtool_with_list(official, "trust", "add", str(CA2), env=env).returncode == 0
    out = cardtool_with_list(official, "expiry", "--json", "--replay",
                             str(TRACES / "residence2-read.jsonl"), "--card-number-stdin",
                             stdin=number("residence2") + "\n", env=env)
    assert out.returncode == 0, out.stderr
    assert [a["status"] for a in json.loads(out.stdout)["authenticity"]] == ["data-genuine"]


def test_office_records_a_forged_card_and_keeps_going(tmp_path: Path) -> None:
    csv_path, json_path, html_path = (tmp_path / n for n in ("o.csv", "o.json", "o.html"))
    # The first-generation card's two face dates are each confirmed with Enter.
    answers = [number("residence2", "residence2-forged-expiry"), "F-1",
               number("residence", "residence-forged-ca"), "", "", "F-2",
               number("residence2"), "G-1"]
    out = cardtool("office", "--virtual", "residence2:residence2-forged-expiry",
                   "--virtual", "residence:residence-forged-ca", "--virtual", "residence2",
                   "--csv", str(csv_path), "--json", str(json_path), "--html", str(html_path),
                   stdin="".join(a + "\n" for a in answers))
    assert out.returncode == 0, out.stderr
    rows = json.loads(json_path.read_text(encoding="utf-8"))["rows"]
    assert [(r["reference"], r["authenticity"], r["authenticity_failures"]) for r in rows] == [
        ("F-1", "invalid", ["signature"]), ("F-2", "unanchored", []), ("G-1", "test-anchor", [])]
    csv_rows = read_csv_rows(csv_path)
    assert [(r["authenticity"], r["authenticity_failures"]) for r in csv_rows] == [
        ("invalid", "signature"), ("unanchored", ""), ("test-anchor", "")]
    page = html_path.read_text(encoding="utf-8")
    assert "NOT GENUINE" in page and "no trust anchor" in page and "TEST key only" in page
    # The forged card's row comes first in the printed report.
    assert page.index("NOT GENUINE") < page.index("TEST key only")
    assert "INVALID" in out.stdout and "cardtool trust add" in out.stdout
    for secret in answers[0], answers[2], answers[6]:
        assert secret not in out.stdout + out.stderr + page
