"""The user's language and the one way to pick a message in it.

Every module that speaks to users keeps its own table of messages (``Messages``: key ->
(English, Japanese)), next to the code that uses them, and picks through it; errors carry
theirs in their classes (``ApduLayerError.render``). The table below is the CLI's shared
strings.
"""

from __future__ import annotations

import functools
import locale
import os
import sys
from collections.abc import Callable, Mapping

LANGS = ("en", "ja")

#: One message in both languages: (English, Japanese).
Text = tuple[str, str]


def pick(text: Text, lang: str) -> str:
    """The message in ``lang`` (Japanese for "ja", else English)."""
    return text[1] if lang == "ja" else text[0]


class Messages:
    """One module's messages: key -> (English, Japanese), kept together so a missing
    translation shows in review. ``MESSAGES(key, lang, **params)`` formats one."""

    def __init__(self, table: Mapping[str, Text]) -> None:
        self.table = dict(table)

    def __call__(self, key: str, lang: str, **params: object) -> str:
        return pick(self.table[key], lang).format(**params)

    def __contains__(self, key: str) -> bool:
        return key in self.table

    def pair(self, key: str, **params: object) -> Text:
        """Both languages, formatted (for errors, which carry both)."""
        en, ja = self.table[key]
        return en.format(**params), ja.format(**params)


#: Probes of the operating system's user language; each returns a locale name such as
#: "ja_JP" or "ja-JP", or None when it cannot tell. Injected by tests.
LanguageProbe = Callable[[], str | None]

#: How long the macOS preference read may take before it is given up.
MAC_PROBE_TIMEOUT_SECONDS = 2.0


def lang_of_locale(name: str | None) -> str | None:
    """"ja" or "en" for a locale name ("ja_JP.UTF-8", "ja-JP", "Japanese_Japan.932", "en"),
    None for an empty name or the C/POSIX locale (which says nothing about the person)."""
    if not name:
        return None
    value = name.strip().strip('"').lower()
    if not value or value in ("c", "posix") or value.startswith(("c.", "posix.")):
        return None
    return "ja" if value.startswith(("ja", "japanese")) else "en"


def lang_of_windows_langid(langid: int) -> str | None:
    """The language of a Windows LANGID (GetUserDefaultUILanguage), through the standard
    library's LCID table (0x0411 -> ja_JP)."""
    return lang_of_locale(locale.windows_locale.get(langid))


def windows_ui_language() -> str | None:
    """The Windows user's display language (GetUserDefaultUILanguage): Windows sets no
    LANG, and its "system locale" is not the language its user reads."""
    if sys.platform != "win32":
        return None
    import ctypes

    try:
        langid = int(ctypes.windll.kernel32.GetUserDefaultUILanguage())
    except (AttributeError, OSError):
        return None
    return locale.windows_locale.get(langid)


def parse_apple_languages(output: str) -> str | None:
    """The first entry of ``defaults read -g AppleLanguages`` (an old-style plist array:
    ``(\n    "ja-JP",\n    en\n)``)."""
    for line in output.splitlines():
        entry = line.strip().rstrip(",").strip().strip('"')
        if entry and entry not in ("(", ")"):
            return entry
    return None


def mac_preferred_language(timeout: float = MAC_PROBE_TIMEOUT_SECONDS) -> str | None:
    """The macOS user's first preferred language (System Settings > Language & Region),
    read with ``defaults``; None when it is missing, slow or fails."""
    import subprocess  # only on macOS: the CLI's start-up does not pay for it elsewhere

    try:
        done = subprocess.run(["defaults", "read", "-g", "AppleLanguages"],
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if done.returncode != 0:
        return None
    return parse_apple_languages(done.stdout)


def process_locale() -> str | None:
    """The locale the process runs in (what Python set up from the environment)."""
    try:
        name = locale.getlocale(locale.LC_CTYPE)[0]
    except ValueError:
        return None
    return name


@functools.lru_cache(maxsize=1)
def _os_user_locale(platform: str) -> str | None:
    # Asked once per process: the macOS probe runs a program.
    if platform == "win32":
        return windows_ui_language()
    if platform == "darwin":
        return mac_preferred_language()
    return None


def detect_lang(environ: Mapping[str, str] | None = None, *, platform: str | None = None,
                os_user_locale: LanguageProbe | None = None,
                locale_probe: LanguageProbe | None = None) -> str:
    """The user's language, "ja" or "en", first answer wins:

    1. ``CARDTOOL_LANG`` ("ja" or "en");
    2. the OS user's language where the OS keeps it apart from the environment: the
       Windows display language, the macOS preferred languages;
    3. the POSIX variables as gettext reads them (``LANGUAGE``, then ``LC_ALL``,
       ``LC_MESSAGES``, ``LANG``; ``LANGUAGE`` is ignored under the C locale);
    4. the process locale;
    5. English.

    ``platform`` and the probes are injected by tests; by default they are this machine's.
    """
    env = os.environ if environ is None else environ
    explicit = env.get("CARDTOOL_LANG", "").strip().lower()
    if explicit in LANGS:
        return explicit
    platform = sys.platform if platform is None else platform
    probe = os_user_locale or (lambda: _os_user_locale(platform))
    found = lang_of_locale(probe())
    if found is not None:
        return found
    posix = next((env[var] for var in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(var)), "")
    if lang_of_locale(posix) is not None:
        found = lang_of_locale(env.get("LANGUAGE", "").split(":")[0]) or lang_of_locale(posix)
    elif not posix:
        found = lang_of_locale((locale_probe or process_locale)())
    return found or "en"


MESSAGES = Messages({
    "hold_card": ("Hold the card on the reader{where}…", "カードをリーダーにかざしてください{where}…"),
    "error": ("error", "エラー"),
    "interrupted": ("Interrupted.", "中断しました。"),
    "internal_error": (
        "Internal error ({detail}). Please report it; set CARDTOOL_DEBUG=1 for details.",
        "内部エラーです({detail})。報告してください。詳細は CARDTOOL_DEBUG=1 で表示されます。",
    ),
    "no_readers": ("No readers found.", "リーダーが見つかりません。"),
    "card_present": ("card present", "カードあり"),
    "no_card": ("no card", "カードなし"),
    "trace_torn": (
        "warning: the last line of {path} was cut off (the recording was interrupted); "
        "it is ignored.",
        "警告: {path} の最終行が途中で切れています(記録が中断されました)。無視します。",
    ),
    "trace_header": ("Trace {path}: {source}, ATR {atr}, created {created}, redactions: {redactions}",
                     "トレース {path}: {source}、ATR {atr}、作成 {created}、秘匿化: {redactions}"),
    "none": ("none", "なし"),
    "foreign_log": (
        "a {format} log, not redacted by the tool that wrote it: it may hold PINs and "
        "personal data (cardtool trace import redacts it)",
        "{format} のログです。書き出したツールは秘匿化していないため、暗証番号や個人情報が"
        "含まれることがあります(cardtool trace import で秘匿化できます)",
    ),
    "torn_log": (
        "warning: {path} ends inside an exchange (the log was cut off); that exchange is ignored.",
        "警告: {path} は交換の途中で終わっています(ログが途中で切れています)。その交換は無視します。",
    ),
    "no_redact_warning": (
        "warning: --no-redact: the trace will contain PINs and personal data. Keep it private.",
        "警告: --no-redact: トレースに暗証番号や個人情報が含まれます。厳重に管理してください。",
    ),
})

#: The CLI's shared strings.
t = MESSAGES
