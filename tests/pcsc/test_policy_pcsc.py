"""Through the real pcscd + vpcd: ``policy conform`` on a "real reader" runs only with
--destructive and only on a TEST card (PINs from standard input), and logs written by
pcsc-lite's own spy (libpcscspy, raw, and the pcsc-spy printout) of a session with our
virtual card import into ``trace check``."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from apdu.importers import parse_pcsc_spy
from cardtool.cards.mynumber import ids
from cardtool.policy.check_run import check_file
from cardtool.virtual import make_virtual_card
from cardtool.virtual.card_os import EF
from cardtool.virtual.mynumber import VirtualMyNumberCard
from tests.support.pcsc import served, vpcd_reader_name

pytestmark = pytest.mark.pcsc

CARDTOOL = [sys.executable, "-m", "cardtool"]
SPY_LIBRARY = Path("/usr/lib/x86_64-linux-gnu/libpcscspy.so.0")
REAL_LIBRARY = Path("/usr/lib/x86_64-linux-gnu/libpcsclite.so.1")


def run(*args: str, stdin: str = "", env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CARDTOOL, *args], capture_output=True, text=True, timeout=120,
                          input=stdin, env=env)


def _citizen_certificate() -> bytes:
    """A certificate whose issuer does not say TEST (self-signed, throwaway key)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    from cryptography.hazmat.primitives.serialization import Encoding

    return cert.public_bytes(Encoding.DER)


def test_conform_on_a_reader_needs_destructive_and_a_test_card() -> None:
    card = make_virtual_card("mynumber")
    reader = vpcd_reader_name(0)
    with served(card, slot=0):
        out = run("--reader", reader, "policy", "conform", "--key", "auth", stdin="1234\n")
        assert out.returncode == 1 and "--destructive" in out.stderr
        assert card.apdu_count == 0  # refused before anything was sent  # type: ignore[attr-defined]
        out = run("--reader", reader, "policy", "conform", "--destructive", "--key", "auth",
                  "--key", "text", "--json", stdin="1234\n5678\n")
        assert out.returncode == 0, out.stdout + out.stderr
        report = json.loads(out.stdout)
        assert [(k["key"], k["result"]) for k in report["keys"]] == [
            ("auth/jpki", "conformant"), ("text/text", "conformant")]
        assert "1234" not in out.stdout + out.stderr
        assert "now blocked" in out.stderr
    assert isinstance(card, VirtualMyNumberCard)
    assert card.dfs[ids.JPKI_AID].pins[ids.JpkiEF.AUTH_PIN].blocked


def test_conform_refuses_a_card_that_is_not_a_test_card() -> None:
    card = make_virtual_card("mynumber")
    assert isinstance(card, VirtualMyNumberCard)
    der = _citizen_certificate()
    card.dfs[ids.JPKI_AID].add(EF(ids.JpkiEF.AUTH_CERT, der + bytes(0x800 - len(der))))
    with served(card, slot=1):
        out = run("--reader", vpcd_reader_name(1), "policy", "conform", "--destructive",
                  stdin="1234\n")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "not from a TEST issuer (C=JP, O=JPKI)" in out.stderr
    pins = [p for df in card.dfs.values() for p in df.pins.values()]
    assert all(p.remaining == p.max_tries for p in pins)  # nothing was verified


def _spy_environment(tmp_path: Path) -> dict[str, str]:
    """Run a program with pcsc-lite's spy in front of the real library (the way
    install_spy.sh does it, but in a private directory) logging to HOME/pcsc-spy."""
    libs = tmp_path / "libs"
    libs.mkdir()
    (libs / "libpcsclite.so.1").symlink_to(SPY_LIBRARY)
    (libs / "libpcsclite_nospy.so.1").symlink_to(REAL_LIBRARY.resolve())
    (tmp_path / "pcsc-spy").touch()  # a plain file, not a FIFO: the spy appends to it
    return {**os.environ, "HOME": str(tmp_path), "LD_LIBRARY_PATH": str(libs)}


@pytest.mark.skipif(not (SPY_LIBRARY.exists() and REAL_LIBRARY.exists()
                         and shutil.which("scriptor") and shutil.which("pcsc-spy")),
                    reason="needs pcsc-lite's libpcscspy, pcsc-spy and pcsc-tools' scriptor")
def test_logs_of_pcsc_lites_own_spy_import(tmp_path: Path) -> None:
    # pyscard cannot run under this spy (it passes no receive PCI, and the spy of pcsc-lite
    # 1.9.9 dereferences it), so the session is driven by pcsc-tools' scriptor.
    script = tmp_path / "session.txt"
    script.write_text("00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01\n00 20 00 98\n"
                      "00 20 00 98 04 31 32 33 34\n00 B0 8A 00 04\n")
    with served(make_virtual_card("mynumber"), slot=0):
        out = subprocess.run(["scriptor", "-r", vpcd_reader_name(0), str(script)],
                             capture_output=True, text=True, timeout=60,
                             env=_spy_environment(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    raw = tmp_path / "session-raw.spy"
    shutil.copy(tmp_path / "pcsc-spy", raw)
    decoded = tmp_path / "session-decoded.spy"
    printout = subprocess.run(["pcsc-spy", "-n", str(raw)], capture_output=True, text=True,
                              timeout=60)
    decoded.write_text(printout.stdout)
    expected = [("00A4040C0AD392F000260100000001", "9000"), ("00200098", "63C3"),
                ("002000980431323334", "9000"), ("00B08A0004", "308204229000")]
    for path in (raw, decoded):
        log = parse_pcsc_spy(path.read_text(), str(path))
        assert [(e.command.hex().upper(), e.response.hex().upper())
                for e in log.exchanges] == expected
        report = check_file(str(path))
        assert [(f.exchange, f.rule) for f in report.findings] == [(3, "secret-unredacted")]
