"""The trace checker's line scanner and automaton (cardtool/policy/check.py).

The C scanner (``_linescan.c``) must give exactly what its Python definition
(``scan_lines_python``, one ``findall`` of ``_Grammar.lines``) gives, on canonical traces
and on traces bent at the byte level; the checker must report the same with either
scanner, and with an automaton that remembers nothing."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardtool.policy import check
from cardtool.policy.check import Scanner, check_data, scan_lines_c, scan_lines_python
from cardtool.policy.check_plain import check_data_plain
from tests.fuzz.conftest import FUZZ_EXAMPLES
from tests.unit.test_check_equivalence import traces

needs_c = pytest.mark.skipif(scan_lines_c is None, reason="the C scanner is not built")

#: Characters that matter to the grammar, for byte-level bending.
_SPECIAL = b'"X\n0A9Fa}{,:[]\\ \x00\xff-r'


def test_c_scanner_is_built() -> None:
    """CI sets CARDTOOL_REQUIRE_C_SCANNER=1: there, a missing build is a failure, not a
    silent fall back to the slower scanner."""
    if scan_lines_c is None and os.environ.get("CARDTOOL_REQUIRE_C_SCANNER") != "1":
        pytest.skip("the C scanner is not built (no C compiler at install time)")
    assert scan_lines_c is not None
    assert check.scan_lines is scan_lines_c


def _body_start(data: bytes) -> int:
    return data.find(b"\n") + 1


def _same(data: bytes) -> None:
    assert scan_lines_c is not None
    for start in {0, _body_start(data), len(data)}:
        assert scan_lines_c(data, start) == scan_lines_python(data, start), start


@needs_c
@settings(max_examples=FUZZ_EXAMPLES * 2)
@given(traces())
def test_c_scanner_matches_python_on_traces(data: bytes) -> None:
    _same(data)


@needs_c
@settings(max_examples=FUZZ_EXAMPLES * 2)
@given(traces(), st.randoms(use_true_random=False), st.integers(1, 4))
def test_c_scanner_matches_python_on_bent_bytes(data: bytes, rnd: random.Random,
                                                edits: int) -> None:
    """Replace, insert or delete single bytes anywhere (often a grammar character)."""
    body = bytearray(data)
    for _ in range(edits):
        if not body:
            break
        at = rnd.randrange(len(body))
        byte = rnd.choice(_SPECIAL) if rnd.random() < 0.8 else rnd.randrange(256)
        what = rnd.choice(["replace", "insert", "delete"])
        if what == "replace":
            body[at] = byte
        elif what == "insert":
            body.insert(at, byte)
        else:
            del body[at]
    _same(bytes(body))


@needs_c
@settings(max_examples=FUZZ_EXAMPLES * 2)
@given(traces(), st.randoms(use_true_random=False), st.integers(1, 3))
def test_c_scanner_matches_python_on_bent_hex(data: bytes, rnd: random.Random,
                                              edits: int) -> None:
    """Edits aimed at hex, numbers and X: a hex digit made X (a redacted byte out of step)
    or the reverse, a digit dropped or doubled (odd lengths), a lower-case or other
    letter, a quote or a newline inside a value."""
    body = bytearray(data)
    for _ in range(edits):
        spots = [i for i, c in enumerate(body) if c in b"0123456789ABCDEFX"]
        if not spots:
            break
        at = rnd.choice(spots)
        what = rnd.choice(["x", "x", "hex", "drop", "double", "letter"])
        if what == "x":
            body[at] = ord("X")
        elif what == "hex":
            body[at] = rnd.choice(b"0123456789ABCDEF")
        elif what == "drop":
            del body[at]
        elif what == "double":
            body.insert(at, body[at])
        else:
            body[at] = rnd.choice(b'aGx"\n\x00')
    _same(bytes(body))


@needs_c
@settings(max_examples=FUZZ_EXAMPLES)
@given(st.binary(max_size=300))
def test_c_scanner_matches_python_on_arbitrary_bytes(data: bytes) -> None:
    _same(data)


@needs_c
def test_c_scanner_tokens_and_counts() -> None:
    """What the scanner hands over: followed exchanges' command and response, b"r" for a
    reset or removal, nothing for other exchanges and events (but they are counted)."""
    assert scan_lines_c is not None
    body = (b'{"type":"exchange","n":1,"command":"00A4040C0AD392F000260100000001",'
            b'"response":"9000","us":3}\n'
            b'{"type":"exchange","n":2,"command":"00B0000004","response":"01020304XXXX9000",'
            b'"us":12,"redacted":["personal"]}\n'
            b'{"type":"random","purpose":"RND.IFD","value":"0011"}\n'
            b'{"type":"reset","atr":"3B8880"}\n'
            b'{"type":"exchange","n":3,"command":"0020009804XXXXXXXX","response":"63C2",'
            b'"us":5,"redacted":["secret"]}\n')
    expected = ([b'00A4040C0AD392F000260100000001","response":"9000', b"r",
                 b'0020009804XXXXXXXX","response":"63C2'], 3)
    assert scan_lines_c(body, 0) == expected == scan_lines_python(body, 0)
    # A redacted byte out of step, a redacted status word, a torn last line: not known.
    for bad in (body.replace(b"01020304XXXX", b"0102030XXXX4"),
                body.replace(b"XXXX9000", b"XXXX90XX"),
                body[:-1]):
        assert scan_lines_c(bad, 0) is None
        assert scan_lines_python(bad, 0) is None


@contextmanager
def _using(scanner: Scanner, max_moves: int | None = None) -> Iterator[None]:
    saved = check.scan_lines, check._AUTOMATON, check._MAX_MOVES
    check.scan_lines = scanner
    if max_moves is not None:
        check._MAX_MOVES = max_moves
        check._AUTOMATON = check._Automaton()
    try:
        yield
    finally:
        check.scan_lines, check._AUTOMATON, check._MAX_MOVES = saved


@settings(max_examples=FUZZ_EXAMPLES)
@given(traces())
def test_checker_agrees_with_the_reference_using_the_python_scanner(data: bytes) -> None:
    with _using(scan_lines_python):
        assert check_data("t.jsonl", "cardtool", data) == check_data_plain("t.jsonl", "cardtool",
                                                                           data)


def test_automaton_that_remembers_nothing_reports_the_same(tmp_path: Path) -> None:
    """Past its cap the automaton computes every move and keeps none: slower, same."""
    from bench.make_corpus import make_corpus

    make_corpus(tmp_path, 30, seed=11, violation_rate=0.5)
    files = sorted(tmp_path.rglob("*.jsonl"))
    reports = [check_data(str(p), "cardtool", p.read_bytes()) for p in files]
    with _using(check.scan_lines, max_moves=0):
        assert [check_data(str(p), "cardtool", p.read_bytes()) for p in files] == reports
        assert check._AUTOMATON.moves == 0
    assert reports == [check_data_plain(str(p), "cardtool", p.read_bytes()) for p in files]
    assert sum(r.exchanges for r in reports) > 0 and any(r.findings for r in reports)
