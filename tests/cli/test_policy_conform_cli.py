"""``cardtool policy conform`` end to end in a subprocess, on virtual cards: the virtual My
Number card conforms (exit 0), a miscounting one does not (exit 5), a real reader is
refused without --destructive (exit 1, before anything is sent)."""

from __future__ import annotations

import json
import subprocess
import sys

CARDTOOL = [sys.executable, "-m", "cardtool"]


def run(*args: str, stdin: str = "", lang: str = "C") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CARDTOOL, *args], capture_output=True, text=True, timeout=120,
                          input=stdin, env={"PATH": "/usr/bin:/bin", "LANG": lang})


def test_virtual_mynumber_conforms_for_every_key() -> None:
    out = run("--virtual", "mynumber", "policy", "conform", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["conformant"] is True
    assert [k["key"] for k in report["keys"]] == [
        "auth/jpki", "sign/jpki", "text/text", "juki/juki", "juki/common", "number-a/text",
        "number-a/visual", "number-b/text", "number-b/visual", "birth/visual"]
    assert {k["result"] for k in report["keys"]} == {"conformant"}
    auth = report["keys"][0]
    assert auth["steps"][-3:] == [
        {"action": "wrong", "expected": "69 84 or 69 83", "sw": "6984", "ok": True},
        {"action": "right", "expected": "69 84 or 69 83", "sw": "6984", "ok": True},
        {"action": "query", "expected": "63 C0", "sw": "63C0", "ok": True}]
    # no secret value in the report
    assert "1234" not in out.stdout and "TEST2026" not in out.stdout


def test_miscounting_card_is_not_conformant() -> None:
    out = run("--virtual", "mynumber-no-decrement", "policy", "conform", "--key", "auth",
              "--key", "juki")
    assert out.returncode == 5
    lines = out.stdout.splitlines()
    assert lines[0].startswith("auth/jpki") and "NOT conformant" in lines[0]
    assert "expected 63 C2, the card answered 63 C3" in lines[0]
    assert [line.split()[0] for line in lines[:3]] == ["auth/jpki", "juki/juki", "juki/common"]
    assert lines[-1] == "0 of 3 keys conformant (0 skipped)."


def test_japanese_report_and_blocked_persona() -> None:
    out = run("--lang", "ja", "--virtual", "mynumber:blocked", "policy", "conform", "--key",
              "auth", "--key", "sign", lang="ja_JP.UTF-8")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "対象外: 鍵は既にロックされています" in out.stdout
    assert "適合" in out.stdout


def test_real_reader_needs_destructive() -> None:
    out = run("--reader", "0", "policy", "conform")
    assert out.returncode == 1
    assert "--destructive" in out.stderr and "TEST card" in out.stderr


def test_unknown_key() -> None:
    out = run("--virtual", "mynumber", "policy", "conform", "--key", "nope")
    assert out.returncode == 1 and "Unknown key 'nope'" in out.stderr


def test_a_card_without_any_policy_key_proves_nothing() -> None:
    out = run("--virtual", "residence2", "policy", "conform")
    assert out.returncode == 5
    assert "skipped: the card has no such application or key" in out.stdout
    assert out.stdout.splitlines()[-1] == "0 of 0 keys conformant (10 skipped)."
