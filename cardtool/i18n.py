"""The user's language and the one way to pick a message in it.

Every module that speaks to users keeps its own table of messages (``Messages``: key ->
(English, Japanese)), next to the code that uses them, and picks through it; errors carry
theirs in their classes (``ApduLayerError.render``). The table below is the CLI's shared
strings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

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


def detect_lang(environ: Mapping[str, str] | None = None) -> str:
    """``CARDTOOL_LANG`` if set, else the POSIX locale variables in their priority order."""
    env = os.environ if environ is None else environ
    explicit = env.get("CARDTOOL_LANG", "").strip().lower()
    if explicit in LANGS:
        return explicit
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


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
