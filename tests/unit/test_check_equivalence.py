"""The fast checker must report exactly what the reference checker reports, on any trace:
canonical ones as cardtool writes them and ones bent every way the format allows or
forbids (other field orders, lower-case hex, CRLF, torn and broken lines, misplaced XX,
huge numbers, NUL bytes...). Hypothesis generates them from card-like sessions."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from apdu.importers import parse_apdu4j, to_trace_bytes
from cardtool.cards.mynumber import ids
from cardtool.cards.residence import ids as rids
from cardtool.policy.check import check_data
from cardtool.policy.check_plain import check_data_plain
from tests.fuzz.conftest import FUZZ_EXAMPLES

AIDS = [ids.JPKI_AID, ids.TEXT_AID, ids.VISUAL_AID, ids.JUKI_AID, ids.COMMON_AID,
        rids.DF1_AID, bytes.fromhex("A000000151000000")]
KEY_EFS = [0x18, 0x1B, 0x11, 0x14, 0x15, 0x12, 0x13, 0x1C, 0x1F, 0x3F00, 0x0A]
VERIFY_SWS = ["9000"] + [f"63C{x:X}" for x in range(16)] + ["6983", "6984", "6A88", "6982",
                                                            "6700", "6A82"]
MY_NUMBERS = ["123456789018", "123456789010", "456789012346"]


def hx(data: bytes) -> str:
    return data.hex().upper()


@st.composite
def commands(draw: st.DrawFn) -> tuple[str, str, list[str]]:
    """(command hex, response hex, redacted) for one exchange."""
    kind = draw(st.sampled_from(["select", "select_ef", "verify", "verify", "verify", "query",
                                 "secret_other", "read", "other"]))
    cla = draw(st.sampled_from(["00", "00", "00", "01", "08", "0C", "80", "FF", "XX"]))
    redacted: list[str] = []
    if kind == "select":
        aid = draw(st.sampled_from([*AIDS, draw(st.binary(min_size=1, max_size=16))]))
        p1 = draw(st.sampled_from(["04", "04", "04", "00", "XX"]))
        cmd = f"{cla}A4{p1}{draw(st.sampled_from(['0C', '00']))}{len(aid):02X}{hx(aid)}"
        sw = draw(st.sampled_from(["9000", "9000", "6A82", "6110", "6283"]))
        return cmd, sw, redacted
    if kind == "select_ef":
        fid = draw(st.sampled_from(KEY_EFS))
        cmd = f"{cla}A4{draw(st.sampled_from(['02', '00', '08']))}0C02{fid:04X}"
        return cmd, draw(st.sampled_from(["9000", "9000", "6A82"])), redacted
    if kind in ("verify", "query"):
        p1 = draw(st.sampled_from(["00", "00", "00", "01", "XX"]))
        p2 = draw(st.sampled_from(["80", "86", "XX"] + [f"{0x80 | e:02X}" for e in
                                                        (0x18, 0x1B, 0x11, 0x14, 0x15,
                                                         0x12, 0x13, 0x1C, 0x1F, 0x01)]))
        sw = draw(st.sampled_from(VERIFY_SWS))
        if kind == "query":
            return f"{cla}20{p1}{p2}" + draw(st.sampled_from(["", "", "00"])), sw, redacted
        value = draw(st.one_of(st.text("0123456789", min_size=1, max_size=17),
                               st.text("ABCXYZ0129abc", min_size=1, max_size=17)))
        data = hx(value.encode())
        style = draw(st.sampled_from(["redacted", "redacted", "clear", "partial"]))
        if style == "redacted":
            data, redacted = "XX" * (len(data) // 2), ["secret"]
        elif style == "partial":
            data = "XX" + data[2:]
        le = draw(st.sampled_from(["", "", "00"]))
        return f"{cla}20{p1}{p2}{len(data) // 2:02X}{data}{le}", sw, redacted
    if kind == "secret_other":
        ins = draw(st.sampled_from(["24", "2C", "21", "32"]))
        data = draw(st.sampled_from(["31323334", "XXXXXXXX", "XX3132"]))
        return f"{cla}{ins}0180{len(data) // 2:02X}{data}", "9000", redacted
    if kind == "read":
        body = draw(st.one_of(
            st.binary(max_size=60).map(hx),
            st.integers(1, 80).map(lambda k: "XX" * k),
            st.sampled_from(MY_NUMBERS).map(lambda d: "FF100C" + hx(d.encode()) + "FFFF"),
            st.just("170D" + hx(b"250101000000") + "5A"),
        ))
        if body.startswith("XX"):
            redacted = ["personal"]
        return f"{cla}B0{draw(st.sampled_from(['00', '81', '8A']))}00{draw(st.sampled_from(['00', '04']))}", body + draw(st.sampled_from(["9000", "6282", "6B00"])), redacted
    ins = draw(st.sampled_from(["CA", "B2", "2A", "84", "XX"]))
    return f"{cla}{ins}0000" + draw(st.sampled_from(["", "00", "0400000000"])), "9000", redacted


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"))


@st.composite
def traces(draw: st.DrawFn) -> bytes:
    header = {"format": "cardtool-trace", "version": 1, "created": "2026-01-01T00:00:00Z",
              "tool": "t", "source": draw(st.sampled_from(["virtual", "リーダー"])),
              "atr": "3B00", "card": None,
              "redactions": draw(st.sampled_from([["secrets", "personal"], ["secrets"], []]))}
    lines = [_line(header)]
    n = 0
    for _ in range(draw(st.integers(0, 30))):
        what = draw(st.sampled_from(["ex"] * 12 + ["reset", "removed", "card", "random",
                                                   "terror"]))
        if what == "ex":
            n += 1
            cmd, resp, red = draw(commands())
            event: dict[str, Any] = {"type": "exchange", "n": n, "command": cmd,
                                     "response": resp, "us": draw(st.integers(0, 10**6))}
            if red:
                event["redacted"] = red
            lines.append(_line(event))
        elif what == "reset":
            lines.append(_line({"type": "reset", "atr": "3B8880"}))
        elif what == "removed":
            lines.append(_line({"type": "removed", "n": n + 1}))
        elif what == "card":
            lines.append(_line({"type": "card", "kind": "mynumber"}))
        elif what == "random":
            lines.append(_line({"type": "random", "purpose": "RND.IFD", "value": "0011"}))
        else:
            lines.append(_line({"type": "transport-error", "n": n + 1, "error": "TransmitFailed"}))
    for _ in range(draw(st.integers(0, 2))):
        lines = _mutate(lines, draw(st.randoms(use_true_random=False)))
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "\n", "", "\n\n"]))
    return text.encode("utf-8")


def _mutate(lines: list[str], rnd: random.Random) -> list[str]:
    """One way of bending a trace; applied to a random line after the header (or all)."""
    if len(lines) < 2:
        return lines
    i = rnd.randrange(1, len(lines))
    line = lines[i]
    kind = rnd.choice(["lower", "spaces", "sorted", "crlf", "tear", "garbage", "odd",
                       "misaligned_x", "x_in_sw", "big_n", "n_string", "blank", "nul",
                       "extended", "lc", "redacted_other", "short_cmd", "bom", "unicode_space",
                       "zero_n", "zero_us", "n_float", "n_bool", "n_negative", "us_huge"])
    try:
        obj = json.loads(line)
    except ValueError:
        obj = None
    if kind == "lower":
        lines[i] = line.lower().replace('"type":"exchange"', '"type":"exchange"')
    elif kind == "spaces" and obj is not None:
        lines[i] = json.dumps(obj)
    elif kind == "sorted" and obj is not None:
        lines[i] = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    elif kind == "crlf":
        lines[i] = line + "\r"
    elif kind == "tear":
        lines = lines[:i + 1]
        lines[i] = line[: rnd.randrange(1, max(2, len(line)))]
    elif kind == "garbage":
        lines.insert(i, rnd.choice(["oops", "{", '{"type":"exchange"}', "[]", "1e5"]))
    elif kind == "odd":
        lines[i] = line.replace('","response"', '0","response"', 1)
    elif kind == "misaligned_x":
        lines[i] = line.replace('"command":"0', '"command":"X0', 1).replace(
            '","response"', 'X","response"', 1)
    elif kind == "x_in_sw":
        lines[i] = line.replace('","us"', 'XX","us"', 1) if '"response":"XX' in line else \
            line.replace('9000","us"', '90XX","us"', 1)
    elif kind == "big_n":
        lines[i] = line.replace('"n":', '"n":' + "9" * rnd.choice([19, 30, 5000]), 1)
    elif kind == "n_string" and obj is not None and "n" in obj:
        obj["n"] = str(obj["n"])
        lines[i] = json.dumps(obj, separators=(",", ":"))
    elif kind == "blank":
        lines.insert(i, rnd.choice(["", "   ", "\t", "\x1c"]))
    elif kind == "nul":
        lines[i] = line.replace('"command":"', '"command":"\x00', 1)
    elif kind == "extended":
        lines[i] = line.replace('"command":"00200098', '"command":"002000980000', 1)
    elif kind == "lc":
        lines[i] = line.replace('"command":"0020009804', '"command":"0020009805', 1)
    elif kind == "redacted_other":
        lines[i] = line.replace('"redacted":["secret"]', '"redacted":[]', 1)
    elif kind == "short_cmd":
        lines[i] = line.replace('"command":"', '"command":"00', 1)[:0] + line.replace(
            line[line.find('"command":"') + 11: line.find('","response"')], "00A4", 1) \
            if '"command":"' in line else line
    elif kind == "zero_n":
        lines[i] = line.replace('"n":', '"n":0', 1)
    elif kind == "zero_us":
        lines[i] = line.replace('"us":', '"us":0', 1)
    elif kind == "n_float":
        lines[i] = line.replace('"n":', '"n":1.', 1) if '"n":' in line else line
    elif kind == "n_bool":
        lines[i] = (line[:line.find('"n":') + 4] + "true" + line[line.find(',', line.find('"n":')):]
                    if '"n":' in line and "," in line[line.find('"n":'):] else line)
    elif kind == "n_negative":
        lines[i] = line.replace('"n":', '"n":-', 1)
    elif kind == "us_huge":
        lines[i] = line.replace('"us":', '"us":' + "1" * 25, 1)
    elif kind == "bom":
        lines[i] = "\ufeff" + line
    elif kind == "unicode_space":
        lines.insert(i, "\u3000")
    return lines


@settings(max_examples=FUZZ_EXAMPLES * 2)
@given(traces())
def test_fast_and_reference_checkers_agree(data: bytes) -> None:
    fast = check_data("t.jsonl", "cardtool", data)
    plain = check_data_plain("t.jsonl", "cardtool", data)
    assert fast == plain


@settings(max_examples=FUZZ_EXAMPLES)
@given(st.binary(max_size=400))
def test_agree_on_arbitrary_bytes(data: bytes) -> None:
    assert check_data("t", "cardtool", data) == check_data_plain("t", "cardtool", data)


@settings(max_examples=FUZZ_EXAMPLES)
@given(st.lists(st.tuples(st.binary(min_size=4, max_size=30), st.binary(min_size=2, max_size=40)),
                max_size=10))
def test_agree_on_imported_dumps(pairs: list[tuple[bytes, bytes]]) -> None:
    text = "# ATR: 3B00\n" + "".join(f"{hx(c)}\n# 5ms\n{hx(r)}\n" for c, r in pairs)
    if not pairs:
        return
    data = to_trace_bytes(parse_apdu4j(text, "x.dump"))
    assert check_data("x.dump", "apdu4j", data) == check_data_plain("x.dump", "apdu4j", data)


def test_agree_on_the_corpus_sample(tmp_path: Path) -> None:
    """A small seeded corpus as make_corpus writes it (every scenario, clean and bad)."""
    from bench.make_corpus import make_corpus

    make_corpus(tmp_path, 40, seed=7, violation_rate=0.6)
    files = sorted(tmp_path.rglob("*.jsonl"))
    assert len(files) == 40
    for path in files:
        data = path.read_bytes()
        assert check_data(str(path), "cardtool", data) == check_data_plain(
            str(path), "cardtool", data)
