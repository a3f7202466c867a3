"""Bounded JSON: every JSON text cardtool reads (trace lines, persona files, office reports)
goes through ``loads_bounded``, which refuses a text that is too large or nested too deeply
*before* ``json.loads`` sees it. Hostile input therefore ends in ``JsonRejected`` (one line,
exit code 6), never in a ``RecursionError`` deep inside the parser or in an allocation the
size of whatever a file holds.

The depth check does not recurse. The number of opening brackets is an upper bound on the
depth, so a text with few of them (every real trace line) costs two ``count`` calls; any
other text is scanned once, string literals skipped, tracking the depth of ``[`` and ``{``.

Callers state their own limits as named constants next to the format they read and turn
``JsonRejected`` into their own error (trace line numbers, persona paths, ...).
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from apdu.errors import EXIT_BAD_INPUT, MalformedData

#: Why a text was refused (``JsonRejected.reason``).
NOT_JSON = "not-json"
TOO_DEEP = "too-deep"
TOO_LARGE = "too-large"

# A string literal (possibly unterminated: it then runs to the end) or one bracket. The
# string part is the unrolled ``"(?:[^"\\]|\\.)*"``: linear, no backtracking.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)


class JsonRejected(MalformedData):
    """A JSON text that is not JSON, too large or nested too deeply. ``reason`` is one of
    ``NOT_JSON``, ``TOO_LARGE``, ``TOO_DEEP``; ``detail`` says what, for a message."""

    en = "{what} is not usable JSON (offset {offset}): {detail}."
    ja = "{what} は使用できない JSON です(オフセット {offset}): {detail}。"
    exit_code: ClassVar[int] = EXIT_BAD_INPUT

    def __init__(self, what: str, offset: int, detail: str, reason: str) -> None:
        super().__init__(what=what, offset=offset, detail=detail)
        self.reason = reason
        self.detail = detail

    @property
    def problem(self) -> str:
        """A short description for a caller's message: "not JSON (...)" or the limit hit."""
        return f"not JSON ({self.detail})" if self.reason == NOT_JSON else self.detail


def utf8_size(text: str) -> int:
    """The size in bytes of ``text`` as UTF-8 (without a copy when it is ASCII)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def depth_exceeds(text: str, max_depth: int) -> int | None:
    """The offset of the first bracket that opens level ``max_depth + 1``, or None when the
    text is never nested deeper than ``max_depth`` (brackets inside strings do not count).
    Iterative and linear in the size of the text."""
    if text.count("[") + text.count("{") <= max_depth:
        return None
    depth = 0
    for token in _TOKENS.finditer(text):
        start = token.start()
        first = text[start]
        if first == "[" or first == "{":
            depth += 1
            if depth > max_depth:
                return start
        elif first != '"' and depth:
            depth -= 1
    return None


def loads_bounded(text: str | bytes, *, max_depth: int, max_bytes: int, what: str) -> Any:
    """``json.loads(text)`` for a text of at most ``max_bytes`` bytes (UTF-8) nested at most
    ``max_depth`` levels (``[1]`` is one level, ``{"a": [1]}`` two). Raises ``JsonRejected``
    for anything else, including text that is not JSON; ``what`` names the text in the
    message (e.g. "trace line", "persona file")."""
    if isinstance(text, bytes):
        # Decoded here, strictly as UTF-8 (every format cardtool reads is UTF-8), so the
        # depth scan sees the characters ``json.loads`` will see.
        if len(text) > max_bytes:
            raise JsonRejected(what, max_bytes, f"larger than {max_bytes:,} bytes", TOO_LARGE)
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonRejected(what, exc.start, "not UTF-8 text", NOT_JSON) from None
    elif utf8_size(text) > max_bytes:
        raise JsonRejected(what, max_bytes, f"larger than {max_bytes:,} bytes", TOO_LARGE)
    deep_at = depth_exceeds(text, max_depth)
    if deep_at is not None:
        raise JsonRejected(what, deep_at, f"nested more than {max_depth} levels deep", TOO_DEEP)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"column {exc.colno}" if exc.lineno == 1 else f"line {exc.lineno} column {exc.colno}"
        raise JsonRejected(what, exc.pos, f"{exc.msg} at {where}", NOT_JSON) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise JsonRejected(what, 0, str(exc), NOT_JSON) from None
    except RecursionError:  # not reached after the depth check; kept as a last fence
        raise JsonRejected(what, 0, "nested too deeply", TOO_DEEP) from None
