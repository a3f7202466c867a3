"""My Number card authenticity: the bundled J-LIS keys, each check's failure modes, and every
verdict reached end to end (text PIN path, 照合番号B path, no secret; forged and cloned
cards), in process and by replay of a recorded session."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given
from hypothesis import strategies as st

from apdu import tlv
from cardtool import material
from cardtool.authenticity import AnchorProfile, Result, Status
from cardtool.cards.mynumber import records
from cardtool.cards.mynumber.anchors import CvKeyStore, bundled_keys
from cardtool.cards.mynumber.ids import TEXT_AID, VISUAL_AID
from cardtool.cards.mynumber.verify import (
    check_card_face,
    check_cv_certificate,
    check_signed_card_key,
    check_text_integrity,
    parse_cv_certificate,
)
from cardtool.era import collation_number_b
from cardtool.virtual import jpki_pki
from cardtool.virtual.persona import load_persona
from tests.support.cli import ROOT, cardtool

#: The production CA keys as DER SubjectPublicKeyInfo in the second public source the shared
#: data cites (pymyna, myna/utils/constants.py); the bundled moduli come from the first.
PYMYNA_DER = {
    "5000023": "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsvdA8K2G0Xzz9TfSO0s8ZaPLWEdNhX9V0Lm8BBGxywhJBo3jMqUNY7Pmkhycy+YVZJbvsEvo/8x0/emiKKNq1+3Ol5MgTjWXPckREINlACxAFp4LYAGN+5nh4jENmhEP8Pwmnx8iDGO4oVEN5aaJgiDHiQj8KA2KqV1dETt88AcA8/9a2LPWrS61PH1WNJi0qTje/8m9oyv0FGwbB++HDZnrNd5dcKwYcVh0J3oTFR0hfQTULpeSOSOkD7x9BvqoM4zL6HZiD5uO9Ecc1LninU6mIeD7jx3AS0hyEAl9uq89jgVQx2pbl88gL6R8eiYi8cCE5lwT0TuOerIm9fUfhwIDAQAB",
    "5000033": "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0kYV9jUl50DIfoPtZHh+dtEKH4ZS6+HqKJNNNc478HcW9beeK8sq4rkbT0yf+2Akl/WW1lmvnQoUtFzdc471Ykk0m4zH2zLy1DO9ObzET1A+iB1WwUns1RVcHOdGH8OsT1XQo5zKqt+uW4r6Ecz5G+3HdAI9EcpuupkAT4HFQafWfd7YxyTW4gsQo96q6MQ8E3zNcbJjdA6JeXUt5NVnYynKvL1/Onf8SKb45h05m0rGZoSp/fyZ7O+QDdb/fw/dOeI9Fj+KRoxi2+rgCQbfrVqJtFyltzU9yZioDTgD7aeUtV+Z9TXRw5okPINSrWAtkmw4nSgWyUE0nuJOT0FZfwIDAQAB",
}
SHARED_KEYS = ROOT.parent / "shared" / "data" / "jlis-cv-ca-keys.json"
OURS = material.test_pki_file("mynumber-cv-TEST.json")
PERSONA = load_persona(None, "mynumber")
assert PERSONA.security_code is not None
NUMBER_B = collation_number_b(PERSONA.birth_date, PERSONA.card_expiry, PERSONA.security_code)


def _key(name: str) -> Any:
    for key in bundled_keys():
        if records.key_id_text(key.key_id) == f"{name}/001":
            return key
    raise AssertionError(name)


@pytest.mark.parametrize("name", ["5000023", "5000033"])
def test_bundled_production_keys_equal_the_published_der_keys(name: str) -> None:
    key = _key(name)
    der = key.public_key.public_bytes(serialization.Encoding.DER,
                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    assert der == base64.b64decode(PYMYNA_DER[name])
    assert key.anchor.profile is AnchorProfile.PRODUCTION


def test_bundled_file_is_the_shared_data() -> None:
    bundled = (ROOT / "cardtool" / "data" / "jlis-cv-ca-keys.json").read_bytes()
    if not SHARED_KEYS.exists():  # a clone without shared/ beside it (CI has it)
        pytest.skip("shared/data is not beside this checkout")
    assert bundled == SHARED_KEYS.read_bytes()


def test_a_certificate_signed_by_our_test_ca_under_a_production_id_fails() -> None:
    forged = jpki_pki.cv_certificate("text", records.key_id("5000033", "001"))
    result = check_cv_certificate(TEXT_AID, forged, CvKeyStore())
    assert [c.result for c in result.checks] == [Result.FAIL]
    assert result.public_key is None and result.anchor is not None
    assert result.anchor.profile is AnchorProfile.PRODUCTION
    genuine = check_cv_certificate(TEXT_AID, jpki_pki.cv_certificate("text"),
                                   CvKeyStore(allow_test=True, extra_file=OURS))
    assert [c.result for c in genuine.checks] == [Result.PASS]


def test_test_keys_count_only_when_allowed() -> None:
    cert = jpki_pki.cv_certificate("visual")
    refused = check_cv_certificate(VISUAL_AID, cert, CvKeyStore(extra_file=OURS))
    assert refused.anchor is None and refused.checks[0].result is Result.SKIPPED
    assert "--allow-test-keys" in refused.checks[0].detail_en


@given(st.binary(max_size=700))
def test_no_record_parser_raises_on_any_bytes(data: bytes) -> None:
    key = jpki_pki.cv_key("text", "municipality").private_key.public_key()
    assert check_cv_certificate(TEXT_AID, data, CvKeyStore()).checks[0].result in (
        Result.FAIL, Result.SKIPPED, Result.PASS)
    assert check_text_integrity(data, data, data, key).result is Result.FAIL
    assert check_signed_card_key(data, key)[0].result is Result.FAIL
    assert check_card_face(data, key)[0].result is Result.FAIL


@pytest.mark.parametrize("cut", [0, 5, 100, 300, 567])
def test_a_truncated_cv_certificate_is_a_failed_check(cut: int) -> None:
    data = jpki_pki.cv_certificate("text")[:cut]
    assert check_cv_certificate(TEXT_AID, data, CvKeyStore()).checks[0].result is Result.FAIL
    with pytest.raises(Exception):  # noqa: B017 - any MalformedData, never an IndexError
        parse_cv_certificate(data)


def _read(spec: str, path: str, *extra: str) -> tuple[int, Any]:
    stdin = {"--text": PERSONA.pins["text"], "--face": NUMBER_B}.get(path, "")
    args = ["read", "--virtual", spec, "--json", *extra]
    if path:
        args += [path, "--pin-stdin"]
    out = cardtool(*args, stdin=stdin + "\n")
    assert "Traceback" not in out.stderr
    return out.returncode, json.loads(out.stdout)["authenticity"]


def _failed(verdict: Any) -> list[str]:
    return [c["name"] for c in verdict["checks"] if c["result"] == "fail"]


@pytest.mark.parametrize(("path", "checks"), [
    ("--text", ["cv-certificate-text", "text-integrity", "card-key-text", "chip-challenge"]),
    ("--face", ["cv-certificate-visual", "card-face", "chip-challenge"]),
])
def test_a_genuine_virtual_card_is_test_anchor_never_genuine(path: str, checks: list[str]) -> None:
    code, verdict = _read("mynumber", path)
    assert code == 0 and verdict["status"] == Status.TEST_ANCHOR.value
    assert [c["name"] for c in verdict["checks"]] == checks
    assert all(c["result"] == "pass" for c in verdict["checks"])
    assert verdict["anchor"]["profile"] == "test"


def test_without_a_secret_the_card_in_hand_is_not_proven() -> None:
    code, verdict = _read("mynumber", "")
    assert code == 0 and verdict["status"] == "not-checked"
    assert {c["name"]: c["result"] for c in verdict["checks"]} == {
        "jpki-auth-certificate": "pass", "cv-certificate-text": "pass",
        "cv-certificate-visual": "pass", "card-data": "skipped"}


@pytest.mark.parametrize(("forgery", "path", "status", "failing"), [
    ("forged-text", "--text", "invalid", ["text-integrity"]),
    ("forged-face", "--face", "invalid", ["card-face"]),
    ("cloned-chip", "--text", "invalid", ["chip-challenge"]),
    ("cloned-chip", "--face", "invalid", ["chip-challenge"]),
    ("production-id", "--text", "invalid", ["cv-certificate-text"]),
    ("production-id", "--face", "invalid", ["cv-certificate-visual"]),
    ("unknown-ca", "--text", "unanchored", []),
    ("unknown-ca", "--face", "unanchored", []),
])
def test_forged_and_cloned_cards_reach_their_verdict(forgery: str, path: str, status: str,
                                                     failing: list[str]) -> None:
    code, verdict = _read(f"mynumber:+{forgery}", path)
    assert verdict["status"] == status and _failed(verdict) == failing
    assert code == (7 if status == "invalid" else 0)


def test_invalid_is_one_clear_report_in_japanese_too() -> None:
    out = cardtool("--lang", "ja", "read", "--virtual", "mynumber:+forged-text", "--text",
                   "--pin-stdin", stdin=PERSONA.pins["text"] + "\n")
    assert out.returncode == 7 and "不正" in out.stdout and "DF32" in out.stdout
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("forgery", ["", "+cloned-chip", "+forged-face"])
def test_a_recorded_session_replays_to_the_same_verdict(forgery: str, tmp_path: Path) -> None:
    trace = tmp_path / "face.jsonl"
    code, live = _read(f"mynumber:default{forgery}", "--face", "--record", str(trace),
                       "--no-redact")
    replayed = cardtool("read", "--replay", str(trace), "--json", "--face", "--pin-stdin",
                        stdin=NUMBER_B + "\n")
    assert replayed.returncode == code
    assert json.loads(replayed.stdout)["authenticity"] == live


def test_a_redacted_replay_claims_nothing_about_the_data(tmp_path: Path) -> None:
    trace = tmp_path / "text.jsonl"
    _read("mynumber", "--text", "--record", str(trace))
    out = cardtool("read", "--replay", str(trace), "--json", "--text", "--pin-stdin",
                   stdin="0000\n")
    verdict = json.loads(out.stdout)["authenticity"]
    assert out.returncode == 0 and verdict["status"] == "not-checked"
    assert {c["name"]: c["result"] for c in verdict["checks"]}["text-integrity"] == "skipped"


def test_face_record_tampering_is_caught_at_byte_level() -> None:
    from cardtool.virtual.mynumber import VirtualMyNumberCard

    card = VirtualMyNumberCard(PERSONA)
    face = card.dfs[VISUAL_AID].files[0x0002].data
    key = jpki_pki.cv_key("visual", "municipality").private_key.public_key()
    assert check_card_face(face, key)[0].result is Result.PASS
    # DF29 (expiry) is outside the signature: changing it does not break DF28 ...
    expiry = tlv.build(0xDF29, PERSONA.card_expiry.strftime("%Y%m%d").encode())
    later = tlv.build(0xDF29, b"20991231")
    assert check_card_face(face.replace(expiry, later), key)[0].result is Result.PASS
    # ... while the photo is inside it.
    photo_at = face.index(b"\xdf\x27") + 10
    tampered = face[:photo_at] + bytes((face[photo_at] ^ 1,)) + face[photo_at + 1:]
    assert check_card_face(tampered, key)[0].result is Result.FAIL


def test_number_b_from_its_three_printed_parts() -> None:
    parts = f"{PERSONA.birth_date.isoformat()}\n{PERSONA.card_expiry.year}\n{PERSONA.security_code}\n"
    out = cardtool("read", "--virtual", "mynumber", "--json", "--face", "--number-b-parts",
                   "--pin-stdin", stdin=parts)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["authenticity"]["status"] == "test-anchor"


@pytest.mark.parametrize("parts", ["1985-13-01\n2033\n1234\n", "1985-04-01\n33\n1234\n",
                                   "1985-04-01\n2033\n12a4\n"])
def test_a_malformed_number_b_part_is_refused_before_anything_is_sent(parts: str,
                                                                       tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    out = cardtool("read", "--virtual", "mynumber", "--face", "--number-b-parts", "--pin-stdin",
                   "--record", str(trace), stdin=parts)
    assert out.returncode == 4 and "Nothing was sent" in out.stderr
    verifies = [e for e in (json.loads(line) for line in trace.read_text().splitlines()[1:])
                if e.get("type") == "exchange" and e["command"][2:4] == "20"
                and len(e["command"]) > 10]
    assert verifies == []


def _read_card(card: Any, *, text: bool = False) -> Any:
    from apdu.session import Session
    from apdu.transport.virtual import VirtualTransport
    from cardtool.services.read import ReadOptions, read_mynumber

    session = Session(VirtualTransport(card))
    options = ReadOptions(text=text, allow_test_keys=True)
    return read_mynumber(session, card.atr, options, lambda s: PERSONA.pins["text"])


def test_a_card_without_the_auth_ca_certificate_skips_that_check() -> None:
    from cardtool.cards.mynumber import ids
    from cardtool.virtual.mynumber import VirtualMyNumberCard

    card = VirtualMyNumberCard(PERSONA)
    del card.dfs[ids.JPKI_AID].files[ids.JpkiEF.AUTH_CA_CERT]
    verdict = _read_card(card).authenticity
    assert verdict.status is Status.NOT_CHECKED
    assert {c.name: c.result for c in verdict.checks}["jpki-auth-certificate"] is Result.SKIPPED


@pytest.mark.parametrize("cut", [4, 300, 567])
def test_a_truncated_cv_certificate_on_the_card_gives_invalid_with_the_reason(cut: int) -> None:
    from cardtool.cards.mynumber import ids
    from cardtool.virtual.mynumber import VirtualMyNumberCard

    card = VirtualMyNumberCard(PERSONA)
    ef = card.dfs[ids.TEXT_AID].files[ids.TextEF.CV_CERT]
    ef.data = ef.data[:cut]
    verdict = _read_card(card, text=True).authenticity
    assert verdict.status is Status.INVALID
    [failure] = verdict.failures()
    assert failure.name == "cv-certificate-text" and "does not parse" in failure.detail_en
