"""The desk page's language per request (cardtool.desk.language): the switch's cookie, then
the browser's Accept-Language (q-values weighed), then the server's default; through the
real app with Starlette's TestClient (a Chromium with --lang=ja: tests/desk/test_browser_pcsc.py)."""

from __future__ import annotations

import re

import pytest

from cardtool.desk.language import (
    LANG_COOKIE,
    LANG_COOKIE_MAX_AGE,
    lang_of_accept_language,
    page_lang,
    parse_accept_language,
)
from tests.desk.support import desk, wait_version


def test_accept_language_is_parsed_with_its_weights() -> None:
    assert parse_accept_language("ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7") == [
        ("ja-jp", 1.0), ("ja", 0.9), ("en-us", 0.8), ("en", 0.7)]
    assert parse_accept_language("en;q=0.5, ja ; q=0.8, fr") == [
        ("fr", 1.0), ("ja", 0.8), ("en", 0.5)]
    # Malformed entries are skipped; q beyond 1 or with four decimals is not a q-value.
    assert parse_accept_language("ja;q=2, en;q=0.1234, de;q=abc, , es;q=0.3") == [("es", 0.3)]
    assert parse_accept_language("ja," * 2000) == []  # no browser sends this


@pytest.mark.parametrize(("header", "default", "lang"), [
    ("ja-JP,ja;q=0.9,en;q=0.8", "en", "ja"),
    ("en-US,en;q=0.9,ja;q=0.8", "ja", "en"),
    ("en;q=0.5, ja;q=0.8", "en", "ja"),
    ("fr-FR, en;q=0.3", "ja", "en"),  # French first: the first language the desk has
    ("fr-FR, de", "ja", None),
    ("ja;q=0, en;q=0.1", "ja", "en"),  # q=0: not Japanese
    ("*", "ja", "ja"),
    ("ja;q=0, *", "ja", None),
    ("", "en", None),
    (None, "en", None),
])
def test_the_browsers_choice(header: str | None, default: str, lang: str | None) -> None:
    assert lang_of_accept_language(header, default) == lang


def test_precedence_cookie_then_browser_then_default() -> None:
    assert page_lang("en", "ja-JP", "ja") == "en"
    assert page_lang(None, "ja-JP", "en") == "ja"
    assert page_lang("xx", "ja-JP", "en") == "ja"  # a forged cookie counts for nothing
    assert page_lang(None, "de", "en") == "en"


def _html_lang(page: str) -> str:
    found = re.search(r'<html lang="(\w+)">', page)
    assert found is not None
    return found[1]


def test_a_japanese_browser_gets_japanese_pages_from_an_english_server() -> None:
    with desk("mynumber", lang="en") as (client, reader):
        wait_version(reader, 0)
        plain = client.get("/check")
        assert _html_lang(plain.text) == "en" and "Check a card" in plain.text
        client.headers["Accept-Language"] = "ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7"
        page = client.get("/check")
        assert _html_lang(page.text) == "ja" and "カードの読み取り" in page.text
        assert page.headers["content-language"] == "ja"
        assert "Accept-Language" in page.headers["vary"]
        assert _html_lang(client.get("/deadlines").text) == "ja"
        assert _html_lang(client.get("/no-such-page").text) == "ja"


def test_the_switch_outranks_the_browser_and_is_remembered() -> None:
    with desk("mynumber", lang="ja") as (client, reader):
        wait_version(reader, 0)
        client.headers["Accept-Language"] = "ja-JP,ja;q=0.9"
        answer = client.get("/lang", params={"to": "en", "next": "/check"})
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{LANG_COOKIE}=en;")
        assert f"Max-Age={LANG_COOKIE_MAX_AGE}" in cookie  # kept across browser restarts
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        page = client.get("/check")
        assert _html_lang(page.text) == "en" and "Check a card" in page.text
        client.get("/lang", params={"to": "ja", "next": "/check"})
        client.headers["Accept-Language"] = "en"
        assert _html_lang(client.get("/check").text) == "ja"
