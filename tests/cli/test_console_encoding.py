"""Output on a console or pipe that is not UTF-8 (cardtool.cli.console): what cannot be
encoded is replaced, never raised; JSON stays valid and complete; where Japanese cannot be
shown, messages switch to English unless Japanese was asked for. End to end through the
real ``cardtool`` in tests/cli/test_portability.py."""

from __future__ import annotations

import io
import json
import sys

import pytest

from cardtool.cli.console import (
    can_show_japanese,
    json_must_be_ascii,
    make_safe,
    prepare_console,
    speaks_utf8,
)


def stream(encoding: str, errors: str = "strict") -> tuple[io.TextIOWrapper, io.BytesIO]:
    raw = io.BytesIO()
    return io.TextIOWrapper(raw, encoding=encoding, errors=errors, write_through=True), raw


def test_a_strict_cp932_stream_raises_and_a_made_safe_one_writes_stand_ins() -> None:
    text = "2026-01-15 – 2031-01-15(残り 1,500 日)… “ok” 😀"
    strict, _ = stream("cp932")
    with pytest.raises(UnicodeEncodeError):
        strict.write(text)
    safe, raw = stream("cp932")
    make_safe(safe)
    safe.write(text)
    assert raw.getvalue().decode("cp932") == "2026-01-15 - 2031-01-15(残り 1,500 日)… “ok” ?"


def test_cp1252_keeps_the_dash_and_replaces_japanese() -> None:
    safe, raw = stream("cp1252")
    make_safe(safe)
    safe.write("2026 – 2031 残り")
    assert raw.getvalue().decode("cp1252") == "2026 – 2031 ??"


def test_utf8_and_chosen_handlers_are_left_alone() -> None:
    utf8, _ = stream("utf-8")
    make_safe(utf8)
    assert utf8.errors == "strict"
    chosen, _ = stream("cp932", "backslashreplace")
    make_safe(chosen)
    assert chosen.errors == "backslashreplace"


def test_what_each_encoding_can_show() -> None:
    assert speaks_utf8(stream("UTF8")[0]) and speaks_utf8(stream("utf-8-sig")[0])
    assert not speaks_utf8(stream("cp932")[0])
    assert can_show_japanese(stream("cp932")[0]) and can_show_japanese(stream("euc_jp")[0])
    assert not can_show_japanese(stream("cp1252")[0])
    assert not can_show_japanese(stream("ascii")[0])


def _console(monkeypatch: pytest.MonkeyPatch, encoding: str
             ) -> tuple[io.BytesIO, io.BytesIO]:
    out, out_raw = stream(encoding)
    err, err_raw = stream(encoding)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    return out_raw, err_raw


def test_japanese_found_by_detection_becomes_english_where_it_cannot_show(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _, err = _console(monkeypatch, "cp1252")
    assert prepare_console("ja", explicit=False) == "en"
    assert err.getvalue() == b""  # no notice: an error stays one line
    assert json_must_be_ascii()


def test_japanese_asked_for_is_kept_and_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    out, err = _console(monkeypatch, "cp1252")
    assert prepare_console("ja", explicit=True) == "ja"
    sys.stdout.write("カード")
    assert out.getvalue() == b"???" and err.getvalue() == b""


def test_a_japanese_console_keeps_japanese(monkeypatch: pytest.MonkeyPatch) -> None:
    _, err = _console(monkeypatch, "cp932")
    assert prepare_console("ja", explicit=False) == "ja"
    assert err.getvalue() == b""


def test_json_on_a_legacy_code_page_is_ascii_escaped_and_loses_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    out, _ = _console(monkeypatch, "cp932")
    prepare_console("en", explicit=False)
    from cardtool.cli.util import print_json

    print_json({"kind": "在留カード", "range": "2026 – 2031"})
    assert json.loads(out.getvalue().decode("ascii")) == {"kind": "在留カード",
                                                          "range": "2026 – 2031"}
