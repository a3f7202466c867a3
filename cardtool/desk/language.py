"""The language of one desk page: the page's own switch (a cookie) first, then what the
browser asks for (``Accept-Language``, RFC 9110 §12.5.4), then the server's default.

A Japanese office PC's browser sends ``ja-JP,ja;q=0.9,en;q=0.8``: it gets Japanese pages even
when the server was started in English; a person who pressed "English" keeps English.
"""

from __future__ import annotations

import re

from cardtool.desk.texts import LANGS

#: The cookie that remembers the page's language switch.
LANG_COOKIE = "cardtool_desk_lang"
#: How long the switch is remembered: a desk PC keeps its choice across browser restarts.
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
#: A header longer than this, or entries past this count, are not a browser's: ignored.
MAX_HEADER_CHARS = 1024
MAX_ENTRIES = 32

_ENTRY = re.compile(r"^\s*(?P<tag>\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)\s*"
                    r"(?:;\s*q\s*=\s*(?P<q>0(?:\.\d{0,3})?|1(?:\.0{0,3})?))?\s*$")


def parse_accept_language(header: str) -> list[tuple[str, float]]:
    """The header's language ranges with their weights, most wanted first (equal weights
    keep the header's order). Malformed entries are skipped, not guessed at."""
    if len(header) > MAX_HEADER_CHARS:
        return []
    ranges: list[tuple[str, float]] = []
    for entry in header.split(",")[:MAX_ENTRIES]:
        match = _ENTRY.match(entry)
        if match is None:
            continue
        weight = float(match["q"]) if match["q"] is not None else 1.0
        ranges.append((match["tag"].lower(), weight))
    return sorted(ranges, key=lambda item: -item[1])  # sorted() is stable


def lang_of_accept_language(header: str | None, default: str) -> str | None:
    """The desk language the browser prefers most, or None when it names none of them
    (``*`` stands for any: the default). ``q=0`` means "not this one"."""
    if not header:
        return None
    refused = {tag for tag, weight in parse_accept_language(header) if weight == 0}
    for tag, weight in parse_accept_language(header):
        if weight == 0:
            continue
        primary = default if tag == "*" else tag.split("-")[0]
        if primary in LANGS and primary not in refused:
            return primary
    return None


def page_lang(cookie: str | None, accept_language: str | None, default: str) -> str:
    """The page's language: the switch's cookie, else the browser's, else ``default``."""
    if cookie in LANGS:
        return cookie
    return lang_of_accept_language(accept_language, default) or default


__all__ = ["LANG_COOKIE", "LANG_COOKIE_MAX_AGE", "lang_of_accept_language", "page_lang",
           "parse_accept_language"]
