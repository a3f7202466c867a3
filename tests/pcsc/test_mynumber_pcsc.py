"""The virtual My Number card through the real pcscd + vpcd, with `cardtool emulate` in its
own process and OpenSC as an independent client."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from apdu.command import CommandApdu
from apdu.session import Session
from apdu.transport.pcsc import open_reader
from cardtool.cards.mynumber import ids
from cardtool.virtual.jpki_pki import auth_certificate, sign_certificate
from cardtool.virtual.persona import load_persona
from tests.support.cli import cardtool, one_line_error
from tests.support.pcsc import emulated, vpcd_reader_name

pytestmark = pytest.mark.pcsc
SLOT = 1
READER = vpcd_reader_name(SLOT)


def opensc(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("pkcs15-tool") is None:
        pytest.fail("OpenSC is not installed (apt-get install opensc)")
    env = {"PATH": "/usr/bin:/bin", "OPENSC_DRIVER": "jpki"}
    return subprocess.run(args, capture_output=True, text=True, timeout=60, env=env)


def reader_index() -> str:
    out = cardtool("readers", "--json")
    names = [r["name"] for r in json.loads(out.stdout)["readers"]]
    return str(names.index(READER))


def tries(reader: str) -> dict[tuple[str, str], int]:
    out = cardtool("pin", "status", "-r", reader, "--wait", "5", "--json")
    assert out.returncode == 0, out.stderr
    return {(p["name"], p["application"]): p["remaining"] for p in json.loads(out.stdout)["pins"]}


def pem_to_der(text: str) -> bytes:
    return x509.load_pem_x509_certificate(text.encode()).public_bytes(Encoding.DER)


def test_opensc_reads_the_auth_certificate_and_lists_pins_without_using_tries() -> None:
    persona = load_persona(None, "mynumber")
    with emulated("mynumber", slot=SLOT):
        n = reader_index()
        listed = subprocess.run(["opensc-tool", "-l"], capture_output=True, text=True).stdout
        assert READER in listed and "Yes" in listed.split(READER)[0].splitlines()[-1]
        cert = opensc("pkcs15-tool", "--reader", n, "--read-certificate", "01")
        assert cert.returncode == 0, cert.stderr
        assert pem_to_der(cert.stdout) == auth_certificate(persona)
        before = tries(READER)
        pins = opensc("pkcs15-tool", "--reader", n, "--list-pins")
        assert pins.returncode == 0, pins.stderr
        assert "Tries left     : 3" in pins.stdout and "Tries left     : 5" in pins.stdout
        assert tries(READER) == before
        ours = cardtool("cert", "auth", "--pem", "--out", "-", "-r", READER, "--wait", "5")
        assert ours.returncode == 0 and pem_to_der(ours.stdout) == auth_certificate(persona)


def test_cardtool_cert_equals_what_opensc_reads(tmp_path: Path) -> None:
    with emulated("mynumber", "foreign-alias", slot=SLOT):
        out = cardtool("cert", "auth", "--out", str(tmp_path / "a.der"), "-r", READER,
                       "--wait", "5")
        assert out.returncode == 0, out.stderr
        cert = opensc("pkcs15-tool", "--reader", reader_index(), "--read-certificate", "01")
        assert pem_to_der(cert.stdout) == (tmp_path / "a.der").read_bytes()


def test_opensc_without_driver_hint_survives_the_probes() -> None:
    with emulated("mynumber", slot=SLOT):
        env = {"PATH": "/usr/bin:/bin"}
        out = subprocess.run(["opensc-tool", "--reader", reader_index(), "--name"],
                             capture_output=True, text=True, env=env, timeout=60)
        assert out.returncode == 0 and "jpki" in out.stdout


def test_opensc_verifies_sign_password_then_reads_sign_cert_and_wrong_pin_decrements() -> None:
    persona = load_persona(None, "mynumber")
    with emulated("mynumber", slot=SLOT):
        n = reader_index()
        out = opensc("pkcs15-tool", "--reader", n, "--verify-pin", "--auth-id", "02",
                     "--pin", persona.pins["sign"], "--read-certificate", "02")
        assert out.returncode == 0, out.stderr
        assert pem_to_der(out.stdout[out.stdout.index("-----BEGIN"):]) == sign_certificate(persona)
        opensc("pkcs15-tool", "--reader", n, "--verify-pin", "--auth-id", "01", "--pin", "0000")
        assert tries(READER)[("auth", "jpki")] == 2


def test_three_wrong_pins_block_and_the_block_survives_reconnection() -> None:
    def verify(session: Session, data: bytes) -> int:
        return session.transmit(CommandApdu(0, 0x20, 0, 0x80, data)).sw

    with emulated("mynumber", slot=SLOT):
        with open_reader(READER, wait=5) as transport:
            s = Session(transport)
            s.select_df(ids.JPKI_AID)
            s.select_ef(b"\x00\x18")
            assert [verify(s, b"9999") for _ in range(3)] == [0x63C2, 0x63C1, 0x63C0]
            assert verify(s, b"1234") == 0x6984
        with open_reader(READER, wait=5) as transport:
            s = Session(transport)
            s.select_df(ids.JPKI_AID)
            s.select_ef(b"\x00\x18")
            assert verify(s, b"") == 0x63C0
        blocked = cardtool("read", "--text", "-r", READER, "--wait", "5", "--pin-stdin",
                           stdin="5678\n")
        assert blocked.returncode == 0  # the text PIN is a different key: still usable
    with emulated("mynumber", slot=SLOT):  # a new run starts from the persona's counters
        assert tries(READER)[("auth", "jpki")] == 3


def test_cardtool_read_through_pcscd_matches_in_process() -> None:
    in_process = json.loads(cardtool("read", "--virtual", "mynumber", "--json").stdout)
    with emulated("mynumber", None, SLOT, "--latency-ms", "5"):
        out = cardtool("read", "-r", READER, "--wait", "5", "--json")
    assert out.returncode == 0, out.stderr
    via_pcsc = json.loads(out.stdout)
    for key in ("kind", "card_expiry", "auth_certificate", "pins", "apdu_count"):
        assert via_pcsc[key] == in_process[key]


def test_emulate_errors() -> None:
    with emulated("mynumber", slot=SLOT):
        busy = cardtool("emulate", "mynumber", "--slot", str(SLOT))
        assert busy.returncode == 2 and "another virtual card" in one_line_error(busy)
    bad = cardtool("emulate", "mynumber", "--persona", "nobody", "--slot", str(SLOT))
    assert bad.returncode == 6 and "no such persona" in one_line_error(bad)
    nothing = cardtool("emulate", "mynumber", "--slot", "9")
    assert nothing.returncode == 2 and "vpcd" in one_line_error(nothing)


@pytest.mark.parametrize(("persona", "args", "stdin", "code", "check"), [
    ("expired", [], "", 0, lambda o: o["card_expiry_days_left"] < 0),
    ("expiring-soon", [], "", 0, lambda o: o["card_expiry_days_left"] == 45),
    ("under15", [], "", 0, lambda o: o["signing_certificate_present"] is False),
    ("one-try-left", ["--text", "--pin-stdin"], "5678\n", 4, None),
    ("blocked", ["--text", "--pin-stdin"], "5678\n", 4, None),
])
def test_personas_through_pcscd(persona: str, args: list[str], stdin: str, code: int,
                                check: object) -> None:
    with emulated("mynumber", persona, SLOT):
        out = cardtool("read", "-r", READER, "--wait", "5", "--json", *args, stdin=stdin)
        assert out.returncode == code, out.stderr
        if check is not None:
            assert check(json.loads(out.stdout))  # type: ignore[operator]
        else:
            one_line_error(out)
        # Nothing was used: the counters are what the persona started with.
        assert tries(READER)[("text", "text")] == load_persona(persona, "mynumber").tries["text"]
