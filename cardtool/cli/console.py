"""Output that never dies on the console's or the pipe's encoding.

On Windows, output redirected to a file or a pipe is encoded in the ANSI code page (cp932 on a
Japanese PC, cp1252 on a Western one); PYTHONIOENCODING or an old terminal can do the same
anywhere. Python then raises UnicodeEncodeError on the first character the code page lacks
(an en dash in cp932, any Japanese in cp1252), and a command that had read the card ends in
exit 70. ``prepare_console`` is called once at the CLI's entry: a stream that is not UTF-8
replaces what it cannot encode (an en dash by "-", the rest by "?") instead of raising; JSON is written ASCII-escaped
there (``print_json``), so it stays valid and loses nothing; and where Japanese cannot be
shown at all, messages switch to English unless Japanese was asked for explicitly.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import sys
from typing import TextIO

#: A sample of what Japanese output contains (kana, kanji, the full-width parentheses).
_JAPANESE_SAMPLE = "カード有効期限()"


def _codec(stream: TextIO) -> str | None:
    encoding = getattr(stream, "encoding", None)
    if not isinstance(encoding, str):
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def speaks_utf8(stream: TextIO) -> bool:
    """Whether ``stream`` encodes as UTF-8 (so it can carry any character)."""
    codec = _codec(stream)
    return codec is None or codec.startswith("utf-8")  # with or without a signature


def can_show_japanese(stream: TextIO) -> bool:
    codec = _codec(stream)
    if codec is None:
        return True
    try:
        _JAPANESE_SAMPLE.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


#: Punctuation the legacy code pages lack, written as its nearest ASCII (a date range's en
#: dash stays readable in cp932); anything else missing becomes "?".
_ASCII_STAND_INS = {"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2026": "...",
                    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                    "\u2192": "->", "\u00a0": " ", "\u2009": " ", "\u202f": " "}
ERROR_HANDLER = "cardtool.console-replace"


def _stand_in(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    missing = error.object[error.start:error.end]
    return "".join(_ASCII_STAND_INS.get(ch, "?") for ch in missing), error.end


codecs.register_error(ERROR_HANDLER, _stand_in)


def make_safe(stream: TextIO) -> None:
    """Let a non-UTF-8 text stream replace what its encoding lacks instead of raising."""
    if speaks_utf8(stream) or not isinstance(stream, io.TextIOWrapper):
        return
    if stream.errors != "strict":
        return  # the user chose how (PYTHONIOENCODING=cp932:backslashreplace)
    # A closed or detached stream: nothing will be written to it.
    with contextlib.suppress(ValueError, OSError, io.UnsupportedOperation):
        stream.reconfigure(errors=ERROR_HANDLER)


def prepare_console(lang: str, *, explicit: bool) -> str:
    """Make stdout and stderr safe, and return the language to speak: Japanese becomes
    English where stdout or stderr cannot show Japanese, unless the user chose it explicitly
    (``--lang ja``, ``CARDTOOL_LANG=ja``: then unknown characters show as ``?``)."""
    make_safe(sys.stdout)
    make_safe(sys.stderr)
    if lang == "ja" and not explicit and not (can_show_japanese(sys.stdout)
                                                and can_show_japanese(sys.stderr)):
        # Silently: a notice would make every error two lines. CARDTOOL_LANG=ja or
        # --lang ja keeps Japanese (README, "Language").
        return "en"
    return lang


def json_must_be_ascii() -> bool:
    """JSON on a stdout that is not UTF-8 is written ASCII-escaped (``\\u30ab``): valid JSON
    in any encoding, nothing replaced."""
    return not speaks_utf8(sys.stdout)


__all__ = ["can_show_japanese", "json_must_be_ascii", "make_safe", "prepare_console",
           "speaks_utf8"]
