"""The apdu layer through the real pcscd: a test card served by our vpcd link is seen by
`cardtool readers` and answers `cardtool apdu` (pyscard in a separate process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from apdu.errors import NoReader
from apdu.session import Session
from apdu.trace import read_trace
from apdu.transport.pcsc import choose_reader, open_reader
from apdu.vpcd import VpcdLink, VpcdSlotBusy
from tests.support.pcsc import served, vpcd_reader_name
from tests.support.scripted import TEST_ATR, EchoFileCard

pytestmark = pytest.mark.pcsc

CARDTOOL = [sys.executable, "-m", "cardtool"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CARDTOOL, *args], capture_output=True, text=True, timeout=60)


def test_readers_lists_the_virtual_card() -> None:
    with served(EchoFileCard(), slot=0):
        out = run("readers", "--json")
        assert out.returncode == 0, out.stderr
        readers = {r["name"]: r for r in json.loads(out.stdout)["readers"]}
        entry = readers[vpcd_reader_name(0)]
        assert entry["card_present"] is True
        assert entry["atr"] == TEST_ATR.hex().upper()
        assert readers[vpcd_reader_name(1)]["card_present"] is False


def test_apdu_command_through_pcscd(tmp_path: Path) -> None:
    card = EchoFileCard(600)
    trace = tmp_path / "t.jsonl"
    with served(card, slot=0):
        out = run("apdu", "--reader", "00 00", "--wait", "0", "--json", "--record", str(trace),
                  "00A4040C07F0010203040506", "00B00000000258", "00A4040C02AAAA")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    sws = [e["sw"] for e in result["exchanges"]]
    assert sws == ["9000", "9000", "6A82"]
    assert bytes.fromhex(result["exchanges"][1]["response"]) == card.content
    # the extended APDU crossed pcscd and vpcd intact
    assert bytes.fromhex("00B00000000258") in card.log
    assert len(list(read_trace(trace).exchanges())) == 3


def test_session_over_pcsc_reads_extended_and_text_output() -> None:
    card = EchoFileCard(2000)
    with served(card, slot=1):
        with open_reader("00 01", wait=0) as transport:
            s = Session(transport)
            s.select_df(EchoFileCard.AID)
            assert s.read_binary(2000) == card.content
            assert s.extended_works is True
        out = run("apdu", "-r", "1", "--wait", "0", "00A4040C07F0010203040506", "00B0000004")
    assert out.returncode == 0
    assert "< 03 0A 11 18" in out.stdout and "success" in out.stdout


def test_no_card_is_a_clear_error_with_exit_2() -> None:
    with served(EchoFileCard(), slot=0):
        out = run("apdu", "-r", "00 01", "--wait", "0", "00A4040C02AAAA")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "No card on reader 'Virtual PCD 00 01'" in out.stderr
    assert "Traceback" not in out.stderr


def test_unknown_reader_name_lists_the_readers() -> None:
    with served(EchoFileCard(), slot=0):
        out = run("--lang", "ja", "apdu", "-r", "RC-S300", "--wait", "0", "00A4040C02AAAA")
    assert out.returncode == 2
    assert "カードリーダーが見つかりません" in out.stderr and "Virtual PCD 00 00" in out.stderr


def test_choose_reader_rules() -> None:
    names = ["SONY FeliCa RC-S300/P", "Virtual PCD 00 00", "Virtual PCD 00 01"]
    assert choose_reader("0", names) == names[0]
    assert choose_reader("rc-s300", names) == names[0]
    assert choose_reader("00 01", names) == names[2]
    with pytest.raises(NoReader, match="unique"):
        choose_reader("virtual", names)
    with pytest.raises(NoReader, match="index 5"):
        choose_reader("5", names)


def test_second_card_on_a_busy_slot_is_refused() -> None:
    with served(EchoFileCard(), slot=0), pytest.raises(VpcdSlotBusy, match="slot 0"):
        VpcdLink(EchoFileCard(), slot=0).connect()


def test_unknown_card_is_not_supported_with_its_atr() -> None:
    with served(EchoFileCard(), slot=0):
        out = run("read", "-r", "00 00", "--wait", "0")
    assert out.returncode == 3
    assert "Not a supported card" in out.stderr and TEST_ATR.hex(" ").upper() in out.stderr
    assert out.stderr.count("\n") == 1


def test_no_pcsc_service_is_a_clear_error() -> None:
    import os

    env = {**os.environ, "PCSCLITE_CSOCK_NAME": "/nonexistent/pcscd.comm", "LANG": "ja_JP.UTF-8"}
    out = subprocess.run([*CARDTOOL, "read"], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 2
    assert "PC/SC サービスが利用できません" in out.stderr and out.stderr.count("\n") == 1


def test_waiting_shows_the_prompt_then_times_out() -> None:
    import time

    from tests.support.pcsc import require_vpcd

    require_vpcd()
    started = time.monotonic()
    out = run("--lang", "ja", "read", "-r", "00 00", "--wait", "1.5")
    elapsed = time.monotonic() - started
    assert out.returncode == 2 and elapsed >= 1.4
    lines = out.stderr.strip().splitlines()
    assert lines[0].startswith("カードをリーダーにかざしてください")
    assert "1.5 s" in lines[1] and len(lines) == 2


def test_slot_taken_while_reconnecting_stops_with_the_error() -> None:
    import threading

    from apdu.vpcd import VpcdSlotBusy

    first = VpcdLink(EchoFileCard(), slot=0)
    with served(EchoFileCard(), slot=1):
        pass  # pcscd is up
    first.connect()
    thread = threading.Thread(target=first.serve_forever, kwargs={"retry_interval": 1.5},
                              daemon=True)
    thread.start()
    # Drop our connection; another card grabs the slot before we reconnect.
    assert first._sock is not None
    first._sock.shutdown(__import__("socket").SHUT_RDWR)
    second = VpcdLink(EchoFileCard(), slot=0)
    second.connect()
    second_thread = threading.Thread(target=second.serve_forever, daemon=True)
    second_thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive() and isinstance(first.error, VpcdSlotBusy)
    second.close()
    second_thread.join(timeout=5)
