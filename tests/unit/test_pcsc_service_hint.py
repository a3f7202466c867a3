"""The PC/SC service advice per OS (apdu.pcsc_service): one text, used by the CLI's error
line and the desk's banner, naming each OS's own service and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from apdu.errors import PcscUnavailable
from apdu.pcsc_service import service_hint

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("platform", "words"), [
    ("linux", ["pcscd", "sudo systemctl start pcscd"]),
    ("freebsd14", ["pcscd"]),
    ("win32", ["SCardSvr", "sc start SCardSvr", "Plug the card reader in"]),
    ("cygwin", ["SCardSvr"]),
    ("darwin", ["CryptoTokenKit", "plug it in again"]),
])
def test_each_os_names_its_service_and_the_action(platform: str, words: list[str]) -> None:
    hint = service_hint(platform)
    english = " ".join((*hint.name[:1], hint.action[0]))
    for word in words:
        assert word in english
    japanese = hint.action[1]
    assert japanese != hint.action[0] and "てください" in japanese
    if platform not in ("linux", "freebsd14"):
        assert "systemctl" not in english + japanese


def test_the_cli_error_carries_this_os_advice_in_both_languages() -> None:
    error = PcscUnavailable(detail="SCARD_E_NO_SERVICE")
    hint = service_hint()
    assert error.render("en") == (f"The PC/SC service is not available (SCARD_E_NO_SERVICE). "
                                  f"{hint.action[0]} Then try again.")
    assert hint.action[1] in error.render("ja")
    assert str(error) == error.render("en")


def test_the_desk_banner_uses_the_same_advice() -> None:
    from cardtool.desk.texts import TEXTS

    en, ja = TEXTS.table["reader_no-service"]
    hint = service_hint()
    assert hint.action[0] in en and hint.name[0] in en
    assert hint.action[1] in ja


def test_the_service_advice_has_one_home() -> None:
    """A copy of an OS's service command elsewhere would drift from this one."""
    homes = {p.relative_to(ROOT).as_posix()
             for folder in ("apdu", "cardtool") for p in (ROOT / folder).rglob("*")
             if p.suffix in (".py", ".html", ".js")
             and any(word in p.read_text(encoding="utf-8")
                     for word in ("systemctl", "SCardSvr", "CryptoTokenKit"))}
    assert homes == {"apdu/pcsc_service.py"}
