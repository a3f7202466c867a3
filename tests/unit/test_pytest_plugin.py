"""The cardtool pytest plugin, loaded the way a user's project loads it (the ``pytest11``
entry point of the installed package): without pcscd the vpcd fixtures skip with the reason,
or fail when asked to; the in-process transport fixture needs no pcscd."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]

TESTS = '''
import pytest
from apdu.session import Session

def test_reader(cardtool_reader):
    assert cardtool_reader.startswith("Virtual PCD 00 ")

@pytest.mark.cardtool_card("mynumber:default+no-get-data")
def test_marker(cardtool_reader):
    assert cardtool_reader

def test_transport(cardtool_transport):
    t = cardtool_transport("mynumber:default+no-get-data")
    assert t.transmit(bytes.fromhex("00CA00F200")) == bytes.fromhex("6D00")
    r = cardtool_transport(replay="{trace}")
    assert r.transmit(bytes.fromhex(next(iter(r.trace.exchanges()))["command"]))
'''


def _run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str
         ) -> pytest.RunResult:
    trace = ROOT / "fixtures/traces/mynumber-read.jsonl"
    pytester.makepyfile(test_user=TESTS.replace("{trace}", str(trace)))
    # A PC/SC socket that does not exist: pcscd is "absent" for the run.
    monkeypatch.setenv("PCSCLITE_CSOCK_NAME", str(pytester.path / "no-pcscd.comm"))
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs", *args)


def test_without_pcscd_vpcd_fixtures_skip_with_the_reason(pytester: pytest.Pytester,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARDTOOL_REQUIRE_PCSC", raising=False)
    result = _run(pytester, monkeypatch)
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*SKIPPED*cardtool: pcscd is not usable*"])


def test_without_pcscd_they_fail_when_asked(pytester: pytest.Pytester,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARDTOOL_REQUIRE_PCSC", raising=False)
    result = _run(pytester, monkeypatch, "--cardtool-require-pcsc")
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(["*cardtool: pcscd is not usable*PC/SC required*"])
    monkeypatch.setenv("CARDTOOL_REQUIRE_PCSC", "1")
    _run(pytester, monkeypatch).assert_outcomes(passed=1, errors=2)
