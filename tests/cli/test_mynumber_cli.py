"""`cardtool read`, `pin`, `cert` and `sign` end to end on the in-process virtual card."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from apdu.trace import read_trace
from cardtool.virtual.jpki_pki import auth_certificate
from cardtool.virtual.persona import load_persona
from tests.support.cli import cardtool, cardtool_json, one_line_error

V = "--virtual"


def test_read_default_without_secrets() -> None:
    out = cardtool_json("read", V, "mynumber")
    persona = load_persona(None, "mynumber")
    assert out["kind"] == "mynumber"
    assert out["card_expiry"] == persona.card_expiry.isoformat()
    assert out["card_expiry_source"] == "get-data-f2"
    assert out["auth_certificate"]["not_after"].startswith(persona.certificate_expiry.isoformat())
    assert out["auth_certificate"]["not_after"].endswith("23:59:59+09:00")
    assert {k: v["remaining"] for k, v in out["pins"].items()} == {
        "auth": 3, "sign": 5, "text": 3, "juki": 3}
    assert out["signing_certificate_present"] is True
    # The verdict's checks without a secret (auth certificate against its CA, both CV
    # certificates) cost 7 APDUs; --no-verify keeps the plain read's 13.
    assert out["apdu_count"] <= 20
    assert out["authenticity"]["status"] == "not-checked"
    quick = cardtool_json("read", V, "mynumber", "--no-verify")
    assert quick["apdu_count"] <= 13 and "authenticity" not in quick
    assert {k: v for k, v in quick.items() if k not in ("apdu_count", "authenticity")} == {
        k: v for k, v in out.items() if k not in ("apdu_count", "authenticity")}


@pytest.mark.parametrize(("persona", "check"), [
    ("expired", lambda o: o["card_expiry_days_left"] == -10 and o["auth_certificate"]["days_left"] == -10),
    ("expiring-soon", lambda o: o["card_expiry_days_left"] == 45),
    ("under15", lambda o: o["signing_certificate_present"] is False),
    ("one-try-left", lambda o: o["pins"]["auth"]["remaining"] == 1),
    ("blocked", lambda o: o["pins"]["auth"]["blocked"] and o["pins"]["text"]["remaining"] == 0),
])
def test_read_personas(persona: str, check: object) -> None:
    out = cardtool_json("read", V, f"mynumber:{persona}")
    assert check(out)  # type: ignore[operator]


def test_read_text_with_pin_from_stdin_masks_the_number() -> None:
    out = cardtool_json("read", V, "mynumber", "--text", "--pin-stdin", stdin="5678\n")
    assert out["text"]["my_number"] == "************"
    assert out["text"]["my_number_check_digit_ok"] is True
    assert out["text"]["name"] == "試験 花子" and out["text"]["birth_date"] == "1985-04-01"
    shown = cardtool_json("read", V, "mynumber", "--text", "--pin-stdin", "--show-number",
                          stdin="5678\n")
    assert shown["text"]["my_number"] == "123456789018"


def test_text_output_in_japanese() -> None:
    out = cardtool("--lang", "ja", "read", V, "mynumber:foreign-alias", "--text", "--pin-stdin",
                   stdin="5678\n")
    assert out.returncode == 0, out.stderr
    assert "マイナンバーカード" in out.stdout and "TESTPERSON-WILLIAMSON" in out.stdout
    assert "************" in out.stdout and "789012345670"[:8] not in out.stdout


def test_wrong_pin_says_tries_left_and_never_echoes() -> None:
    out = cardtool("read", V, "mynumber", "--text", "--pin-stdin", stdin="0000\n")
    assert out.returncode == 4
    assert "Wrong text-input-support PIN" in one_line_error(out) and "2 tries left" in out.stderr
    assert "0000" not in out.stderr + out.stdout


def test_malformed_pin_sends_nothing(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    out = cardtool("read", V, "mynumber", "--text", "--pin-stdin", "--record", str(trace),
                   stdin="12345\n")
    assert out.returncode == 4 and "exactly 4 digits" in one_line_error(out)
    assert "no try was used" in out.stderr
    verifies = [e for e in read_trace(trace).exchanges() if e["command"][2:4] == "20"
                and len(e["command"]) > 8]
    assert verifies == []


def test_one_try_left_refused_then_forced() -> None:
    out = cardtool("read", V, "mynumber:one-try-left", "--text", "--pin-stdin", stdin="5678\n")
    assert out.returncode == 4 and "--force" in one_line_error(out)
    out = cardtool("read", V, "mynumber:one-try-left", "--text", "--pin-stdin", "--force",
                   "--json", stdin="5678\n")
    assert out.returncode == 0, out.stderr


def test_blocked_pin_is_not_asked_for() -> None:
    out = cardtool("--lang", "ja", "read", V, "mynumber:blocked", "--text")
    assert out.returncode == 4 and "ロックされています" in one_line_error(out)


def test_face_with_collation_b_and_images(tmp_path: Path) -> None:
    persona = load_persona(None, "mynumber")
    from cardtool.era import collation_number_b

    number_b = collation_number_b(persona.birth_date, persona.card_expiry,
                                  persona.security_code or "")
    out = cardtool("read", V, "mynumber", "--images", str(tmp_path), "--pin-stdin", "--json",
                   stdin=number_b + "\n")
    assert out.returncode == 0, out.stderr
    for name in ("name", "address", "photo", "security-code"):
        with Image.open(tmp_path / f"{name}.png") as img:
            assert img.format == "PNG" and img.size[0] > 50
    # --images on a My Number card is a --face read: the same face and the same checks
    # (its read plan decides that before any no-secret check is made).
    images = json.loads(out.stdout)
    face = cardtool_json("read", V, "mynumber", "--face", "--pin-stdin", stdin=number_b + "\n")
    assert images["face"] == face["face"] and images["authenticity"] == face["authenticity"]
    assert "card-data" not in [c["name"] for c in images["authenticity"]["checks"]]
    out_a = cardtool_json("read", V, "mynumber", "--face", "--face-key", "a", "--pin-stdin",
                          stdin="123456789018\n")
    assert out_a["face"]["card_expiry"] == persona.card_expiry.isoformat()


def test_pin_status_and_verify() -> None:
    status = cardtool_json("pin", "status", V, "mynumber:blocked")
    by_key = {(p["name"], p["application"]): p for p in status["pins"]}
    assert by_key[("auth", "jpki")]["blocked"] is True
    assert by_key[("number-a", "visual")]["max_verified"] is False
    ok = cardtool("pin", "verify", "sign", V, "mynumber", "--pin-stdin", stdin="test2026\n")
    assert ok.returncode == 0 and "correct" in ok.stdout  # lower case accepted, upper-cased
    bad = cardtool("pin", "verify", "auth", V, "mynumber:blocked", "--pin-stdin", stdin="1234\n")
    assert bad.returncode == 4 and "blocked" in one_line_error(bad)


def test_cert_auth_matches_the_persona_and_sign_needs_password(tmp_path: Path) -> None:
    out = cardtool("cert", "auth", "--out", str(tmp_path / "auth.der"), V, "mynumber")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "auth.der").read_bytes() == auth_certificate(load_persona(None, "mynumber"))
    out = cardtool("cert", "sign", "--pem", "--out", str(tmp_path / "sign.pem"), V, "mynumber",
                   "--pin-stdin", stdin="TEST2026\n")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "sign.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
    out = cardtool("cert", "sign", "--out", str(tmp_path / "x"), V, "mynumber:under15")
    assert out.returncode == 3 and "no signing certificate" in one_line_error(out)


@pytest.mark.parametrize(("key", "pin", "cert"), [("auth", "1234", "auth"), ("sign", "TEST2026", "sign")])
def test_sign_verifies_with_openssl(tmp_path: Path, key: str, pin: str, cert: str) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("署名テスト document\n")
    out = cardtool("sign", "--key", key, str(doc), V, "mynumber", "--pin-stdin", stdin=pin + "\n")
    assert out.returncode == 0, out.stderr
    out = cardtool("cert", cert, "--pem", "--out", str(tmp_path / "c.pem"), V, "mynumber",
                   "--pin-stdin", stdin=pin + "\n")
    assert out.returncode == 0, out.stderr
    pub = subprocess.run(["openssl", "x509", "-pubkey", "-noout", "-in", str(tmp_path / "c.pem")],
                         capture_output=True, check=True).stdout
    (tmp_path / "pub.pem").write_bytes(pub)
    check = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(tmp_path / "pub.pem"),
                            "-signature", f"{doc}.sig", str(doc)], capture_output=True, text=True)
    assert check.returncode == 0 and "Verified OK" in check.stdout


def test_unknown_persona_and_kind_are_clear() -> None:
    out = cardtool("read", V, "mynumber:nobody")
    assert out.returncode == 6 and "no such persona" in one_line_error(out)
    out = cardtool("read", V, "passport")
    assert out.returncode == 1 and "Unknown virtual card" in one_line_error(out)
