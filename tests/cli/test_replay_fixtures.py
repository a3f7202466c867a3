"""The committed fixture traces replay through the CLI, exactly, redacted as recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apdu.trace import read_trace
from tests.support.cli import cardtool, cardtool_json, one_line_error

TRACES = Path(__file__).resolve().parents[2] / "fixtures" / "traces"


def recorded_get_data_expiry(name: str) -> str:
    first = next(read_trace(TRACES / name).exchanges())
    assert first["command"].startswith("00CA00F2")
    raw = bytes.fromhex(first["response"][:-4]).decode()
    return f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"


@pytest.mark.parametrize(("name", "pins"), [
    ("mynumber-read.jsonl", {"auth": 3, "sign": 5, "text": 3, "juki": 3}),
    ("mynumber-read-blocked.jsonl", {"auth": 0, "sign": 2, "text": 0, "juki": 3}),
    ("mynumber-read-expired.jsonl", {"auth": 3, "sign": 5, "text": 3, "juki": 3}),
])
def test_read_replays(name: str, pins: dict[str, int]) -> None:
    out = cardtool_json("read", "--replay", str(TRACES / name))
    assert out["card_expiry"] == recorded_get_data_expiry(name)
    assert {k: v["remaining"] for k, v in out["pins"].items()} == pins
    assert out["apdu_count"] == len(list(read_trace(TRACES / name).exchanges()))


def test_under15_replay_reports_no_signing_certificate() -> None:
    out = cardtool_json("read", "--replay", str(TRACES / "mynumber-read-under15.jsonl"))
    assert out["signing_certificate_present"] is False


def test_text_replay_accepts_any_pin_of_the_same_length_and_shows_masks() -> None:
    out = cardtool_json("read", "--text", "--pin-stdin", "--replay",
                        str(TRACES / "mynumber-text.jsonl"), stdin="0000\n")
    assert set(out["text"]["name"]) == {"*"} and set(out["text"]["my_number"]) == {"*"}
    text = cardtool("read", "--text", "--pin-stdin", "--replay",
                    str(TRACES / "mynumber-text.jsonl"), stdin="0000\n")
    assert "redacted in the trace" in text.stdout


def test_replay_of_a_different_flow_diverges_with_exit_6() -> None:
    out = cardtool("read", "--text", "--pin-stdin", "--replay",
                   str(TRACES / "mynumber-read.jsonl"), stdin="0000\n")
    # The plain read reads the JPKI CA certificate for its no-secret check where the --text
    # flow goes on to the text AP (docs/read-plan.md): the replay stops there.
    line = one_line_error(out)
    assert out.returncode == 6 and "diverged" in line and "at exchange 8" in line
    out = cardtool("read", "--face", "--pin-stdin", "--replay",
                   str(TRACES / "mynumber-text.jsonl"), stdin="00000000000000\n")
    line = one_line_error(out)
    # --text verifies the text PIN where --face goes on to the 住基AP (the next application).
    assert out.returncode == 6 and "diverged" in line and "at exchange 10" in line
    assert "sent 00A4040C0AD3921000310001010401" in line


def test_pin_status_and_cert_replay(tmp_path: Path) -> None:
    out = cardtool_json("pin", "status", "--replay", str(TRACES / "mynumber-pin-status.jsonl"))
    assert len(out["pins"]) == 10
    cert = cardtool("cert", "auth", "--out", str(tmp_path / "a.der"), "--replay",
                    str(TRACES / "mynumber-cert-auth.jsonl"))
    assert cert.returncode == 0 and (tmp_path / "a.der").read_bytes()[:2] == b"\x30\x82"


def test_fixture_traces_hold_no_secret_and_no_personal_value() -> None:
    for path in TRACES.glob("mynumber-*.jsonl"):
        text = path.read_text()
        for secret in ("35363738", "313233343536373839303138", b"TEST2026".hex().upper()):
            assert secret not in text, path
        header = json.loads(text.splitlines()[0])
        assert header["redactions"] == ["secrets", "personal"]
