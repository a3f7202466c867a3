"""The user's language on every OS (cardtool.i18n.detect_lang): each branch with its platform
and probes injected, and the real probes against what they parse or run (a stand-in
``defaults`` program for macOS, the LCID table for Windows)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from cardtool.i18n import (
    detect_lang,
    lang_of_locale,
    lang_of_windows_langid,
    mac_preferred_language,
    parse_apple_languages,
    windows_ui_language,
)


def never() -> str | None:
    raise AssertionError("this probe must not be asked")


def nothing() -> str | None:
    return None


def test_cardtool_lang_wins_over_everything() -> None:
    assert detect_lang({"CARDTOOL_LANG": "en", "LANG": "ja_JP.UTF-8"}, platform="win32",
                       os_user_locale=never, locale_probe=never) == "en"
    assert detect_lang({"CARDTOOL_LANG": " JA "}, platform="darwin",
                       os_user_locale=never, locale_probe=never) == "ja"


def test_an_unknown_cardtool_lang_is_ignored() -> None:
    assert detect_lang({"CARDTOOL_LANG": "fr", "LANG": "ja_JP.UTF-8"}, platform="linux",
                       os_user_locale=nothing, locale_probe=never) == "ja"


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_the_os_user_language_comes_before_the_environment(platform: str) -> None:
    """Windows sets no LANG (Git Bash sets one that is not the user's); macOS's Terminal may
    carry another: the OS's own setting for its user decides."""
    assert detect_lang({"LANG": "en_US.UTF-8"}, platform=platform,
                       os_user_locale=lambda: "ja-JP", locale_probe=never) == "ja"
    assert detect_lang({"LANG": "ja_JP.UTF-8"}, platform=platform,
                       os_user_locale=lambda: "en_GB", locale_probe=never) == "en"


def test_without_an_os_answer_the_posix_variables_decide_in_gettext_order() -> None:
    def lang(env: dict[str, str]) -> str:
        return detect_lang(env, platform="linux", os_user_locale=nothing,
                           locale_probe=lambda: "ja_JP")

    assert lang({"LANG": "ja_JP.UTF-8"}) == "ja"
    assert lang({"LC_ALL": "en_US.UTF-8", "LANG": "ja_JP.UTF-8"}) == "en"
    assert lang({"LC_MESSAGES": "ja_JP.eucJP", "LANG": "en_US.UTF-8"}) == "ja"
    # LANGUAGE (a priority list) outranks them, except under the C locale.
    assert lang({"LANGUAGE": "ja:en", "LANG": "en_US.UTF-8"}) == "ja"
    assert lang({"LANGUAGE": "ja:en", "LANG": "C"}) == "en"
    assert lang({"LANG": "C.UTF-8"}) == "en"
    # Nothing in the environment: the process locale.
    assert lang({}) == "ja"


def test_nothing_known_is_english() -> None:
    assert detect_lang({}, platform="linux", os_user_locale=nothing,
                       locale_probe=nothing) == "en"


def test_the_default_platform_probe_is_not_run_on_linux() -> None:
    """On Linux no OS probe exists: the environment decides (no program is started)."""
    assert detect_lang({"LANG": "ja_JP.UTF-8"}, platform="linux") == "ja"
    assert detect_lang({"LANG": "en_US.UTF-8"}, platform="linux") == "en"


@pytest.mark.parametrize(("name", "lang"), [
    ("ja_JP", "ja"), ("ja-JP", "ja"), ("ja", "ja"), ("Japanese_Japan.932", "ja"),
    ("en_US.UTF-8", "en"), ("de_DE", "en"), ('"ja-Jpan-JP"', "ja"),
    ("C", None), ("POSIX", None), ("C.UTF-8", None), ("", None), (None, None),
])
def test_locale_names(name: str | None, lang: str | None) -> None:
    assert lang_of_locale(name) == lang


def test_windows_langids_go_through_the_lcid_table() -> None:
    assert lang_of_windows_langid(0x0411) == "ja"  # ja-JP
    assert lang_of_windows_langid(0x0409) == "en"  # en-US
    assert lang_of_windows_langid(0x0407) == "en"  # de-DE: not Japanese
    assert lang_of_windows_langid(0x7FFF) is None  # unknown


@pytest.mark.skipif(sys.platform == "win32", reason="the real probe answers on Windows")
def test_the_windows_probe_says_nothing_elsewhere() -> None:
    assert windows_ui_language() is None


@pytest.mark.parametrize(("output", "first"), [
    ('(\n    "ja-JP",\n    "en-US"\n)\n', "ja-JP"),
    ("(\n    en,\n    ja\n)\n", "en"),
    ("(\n)\n", None),
    ("", None),
])
def test_apple_languages_output(output: str, first: str | None) -> None:
    assert parse_apple_languages(output) == first


def _stand_in_defaults(folder: Path, body: str) -> None:
    program = folder / "defaults"
    program.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for defaults")
def test_the_mac_probe_runs_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real probe against a stand-in ``defaults`` on PATH: its answer, its failure, its
    absence and a hang (given up after the timeout) each end in an answer or None."""
    _stand_in_defaults(tmp_path, '[ "$*" = "read -g AppleLanguages" ] || exit 3\n'
                                 'printf \'(\\n    "ja-JP",\\n    "en-JP"\\n)\\n\'\n')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert mac_preferred_language() == "ja-JP"
    assert detect_lang({"LANG": "en_US.UTF-8"}, platform="darwin",
                       os_user_locale=mac_preferred_language) == "ja"

    _stand_in_defaults(tmp_path, "echo 'does not exist' >&2\nexit 1\n")
    assert mac_preferred_language() is None

    _stand_in_defaults(tmp_path, "exec sleep 30\n")
    assert mac_preferred_language(timeout=0.3) is None
    assert detect_lang({"LANG": "ja_JP.UTF-8"}, platform="darwin",
                       os_user_locale=lambda: mac_preferred_language(timeout=0.3)) == "ja"

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert mac_preferred_language() is None
