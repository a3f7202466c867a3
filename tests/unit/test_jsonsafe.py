"""apdu.jsonsafe: bounded JSON for every file cardtool reads (trace lines, personas, office
reports). Depth and size are refused before json.loads runs, so nothing recurses deeply."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apdu.errors import EXIT_BAD_INPUT
from apdu.jsonsafe import NOT_JSON, TOO_DEEP, TOO_LARGE, JsonRejected, depth_exceeds, loads_bounded


def load(text: str | bytes, depth: int = 4, size: int = 1000) -> Any:
    return loads_bounded(text, max_depth=depth, max_bytes=size, what="test")


def reason(text: str | bytes, depth: int = 4, size: int = 1000) -> str:
    with pytest.raises(JsonRejected) as info:
        load(text, depth, size)
    assert info.value.exit_code == EXIT_BAD_INPUT
    return info.value.reason


def test_depth_limit_is_exact() -> None:
    assert load("[[[[1]]]]") == [[[[1]]]]
    assert reason("[[[[[1]]]]]") == TOO_DEEP
    assert load('{"a":{"b":[{"c":1}]}}') == {"a": {"b": [{"c": 1}]}}
    assert reason('{"a":{"b":[{"c":[1]}]}}') == TOO_DEEP


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps(["[[[[[[[[{{{{{{", 'quote \\" then [[[[[[[[', {"k": "]]]]]]]"}])
    assert load(text, depth=2) == json.loads(text)


def test_a_hundred_thousand_brackets_fail_without_recursion() -> None:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # the check must not recurse at all
    try:
        assert reason("[" * 100_000, depth=16, size=1 << 20) == TOO_DEEP
        assert reason('{"a":' * 50_000, depth=16, size=1 << 20) == TOO_DEEP
    finally:
        sys.setrecursionlimit(limit)


def test_size_is_counted_in_utf8_bytes() -> None:
    assert load('"' + "x" * 998 + '"') == "x" * 998
    assert reason('"' + "x" * 999 + '"') == TOO_LARGE
    assert reason('"' + "あ" * 340 + '"') == TOO_LARGE  # 340 characters, 1,022 bytes
    assert reason(b'"' + b"x" * 999 + b'"') == TOO_LARGE


@pytest.mark.parametrize("text", ["", "{", "[1,]", "nul", b"\xff\xfe[]", "1" * 5000, "\ufeff{}"])
def test_not_json(text: str | bytes) -> None:
    assert reason(text, size=10_000) == NOT_JSON


def test_problem_text() -> None:
    with pytest.raises(JsonRejected) as info:
        load('{"a" 1}')
    assert info.value.problem == "not JSON (Expecting ':' delimiter at column 6)"
    with pytest.raises(JsonRejected) as info:
        load("[" * 10)
    assert info.value.problem == "nested more than 4 levels deep"


def nested(depth: int, kinds: list[bool]) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if kinds[i % len(kinds)] else {"k": value, "s": "[{"}
    return value


@given(st.integers(0, 60), st.lists(st.booleans(), min_size=1, max_size=8), st.integers(1, 40))
def test_random_nesting_accepted_exactly_up_to_the_limit(depth: int, kinds: list[bool],
                                                         limit: int) -> None:
    text = json.dumps(nested(depth, kinds))
    if depth <= limit:
        assert load(text, depth=limit, size=10_000) == json.loads(text)
        assert depth_exceeds(text, limit) is None
    else:
        assert reason(text, depth=limit, size=10_000) == TOO_DEEP


@given(st.text(alphabet='[]{}",:\\1 a', max_size=400), st.integers(0, 20))
def test_bracket_soup_only_ever_gives_json_rejected(text: str, limit: int) -> None:
    try:
        value = load(text, depth=limit, size=10_000)
    except JsonRejected:
        return
    assert value == json.loads(text)
