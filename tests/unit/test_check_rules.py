"""Every rule of the trace checker: a minimal trace that triggers it and one that does not.
Each trace goes through both checkers (fast and reference), which must agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from cardtool.policy.check_run import check_file, check_file_plain
from cardtool.policy.rules import RULES, format_problem
from cardtool.policy.table import SECRETS
from tests.support.traces import (
    JPKI,
    TEXT,
    VISUAL,
    TraceBuilder,
    check_both,
    found,
    redacted,
    rules,
    select_aid,
    verify,
)

AUTH, SIGN, TEXT_PIN = 0x98, 0x9B, 0x91  # P2 = 80 | key EF
OK, BLOCKED = "9000", "6984"


def auth_session(count: str = "63C3") -> TraceBuilder:
    """SELECT JPKI and read the auth PIN's counter."""
    t = TraceBuilder()
    t.ex(select_aid(JPKI), OK)
    t.ex(verify(AUTH), count)
    return t


def test_every_rule_has_both_languages_and_a_severity() -> None:
    assert len(RULES) >= 15
    for rule in RULES.values():
        assert rule.en and rule.ja and rule.en != rule.ja
        assert rule.severity.value in ("error", "warning")


# --- pin-format -------------------------------------------------------------------------


def test_pin_format_wrong_length_seen_through_redaction() -> None:
    t = auth_session()
    n = t.ex(verify(AUTH, redacted(5)), "63C2", ("secret",))
    assert found(t.data()) == [(n, "pin-format", "auth/jpki", "length 5")]


def test_pin_format_right_length_redacted_is_fine() -> None:
    t = auth_session()
    t.ex(verify(AUTH, redacted(4)), OK, ("secret",))
    assert found(t.data()) == []


def test_pin_format_charset_needs_the_clear_value() -> None:
    t = TraceBuilder(redactions=(), unredacted=True)
    t.ex(select_aid(JPKI), OK)
    t.ex(verify(SIGN), "63C5")
    n = t.ex(verify(SIGN, b"test2026".hex().upper()), "63C4")
    assert found(t.data()) == [(n, "secret-unredacted", "", ""),
                               (n, "pin-format", "sign/jpki", "characters")]
    t2 = TraceBuilder(redactions=(), unredacted=True)
    t2.ex(select_aid(JPKI), OK)
    t2.ex(verify(SIGN), "63C5")
    t2.ex(verify(SIGN, b"TEST2026".hex().upper()), OK)
    assert rules(t2.data()) == ["secret-unredacted"]


def test_format_problem_describes_without_the_value() -> None:
    rule = SECRETS["sign"].rule
    assert format_problem(rule, b"ABCDEF", 6) == "characters"  # no digit
    assert format_problem(rule, b"ABC123", 6) is None
    assert format_problem(rule, None, 17) == "length 17"
    assert format_problem(rule, None, 8) is None


# --- unknown-key ------------------------------------------------------------------------


def test_unknown_key() -> None:
    t = TraceBuilder()
    t.ex(select_aid(JPKI), OK)
    n = t.ex(verify(0x9F, redacted(4)), "6A88", ("secret",))
    assert found(t.data()) == [(n, "unknown-key", "jpki/EF 001F", "")]


def test_unknown_key_without_a_selected_application() -> None:
    t = TraceBuilder()
    n = t.ex(verify(AUTH, redacted(4)), "6A88", ("secret",))
    assert found(t.data()) == [(n, "unknown-key", "no application selected/EF 0018", "")]


def test_empty_verify_of_an_unknown_key_is_harmless() -> None:
    t = TraceBuilder()
    t.ex(select_aid(JPKI), OK)
    t.ex(verify(0x9F), "6A88")
    t.ex(verify(0x80), "6A88")  # no key EF selected
    assert found(t.data()) == []


def test_key_selected_by_select_ef_then_p2_80() -> None:
    t = TraceBuilder()
    t.ex(select_aid(JPKI), OK)
    t.ex("00A4020C020018", OK)
    t.ex("00200080", "63C3")
    n = t.ex("0020008004" + redacted(4), "63C2", ("secret",))
    t.ex("0020008004" + redacted(4), OK, ("secret",))
    assert found(t.data()) == []
    t2 = TraceBuilder()
    t2.ex(select_aid(JPKI), OK)
    t2.ex("00A4020C020018", OK)
    n = t2.ex("0020008005" + redacted(5), "63C2", ("secret",))  # blind and too long
    assert found(t2.data()) == [(n, "pin-format", "auth/jpki", "length 5"),
                                (n, "blind-verify", "auth/jpki", "")]


# --- blind-verify / last-try / verify-blocked --------------------------------------------


def test_blind_verify() -> None:
    t = TraceBuilder()
    t.ex(select_aid(JPKI), OK)
    n = t.ex(verify(AUTH, redacted(4)), OK, ("secret",))
    assert found(t.data()) == [(n, "blind-verify", "auth/jpki", "")]


def test_count_read_first_is_not_blind() -> None:
    t = auth_session()
    t.ex(verify(AUTH, redacted(4)), OK, ("secret",))
    assert found(t.data()) == []


def test_count_survives_a_reset() -> None:
    t = auth_session()
    t.event("reset", atr="3B00")
    t.ex(select_aid(JPKI), OK)
    t.ex(verify(AUTH, redacted(4)), OK, ("secret",))
    assert found(t.data()) == []


def test_last_try() -> None:
    t = auth_session("63C1")
    n = t.ex(verify(AUTH, redacted(4)), OK, ("secret",))
    assert found(t.data()) == [(n, "last-try", "auth/jpki", "")]


def test_two_tries_left_is_not_the_last() -> None:
    t = auth_session("63C2")
    t.ex(verify(AUTH, redacted(4)), OK, ("secret",))
    assert found(t.data()) == []


def test_verify_blocked_after_6984() -> None:
    t = TraceBuilder()
    t.ex(select_aid(JPKI), OK)
    t.ex(verify(AUTH), BLOCKED)
    n = t.ex(verify(AUTH, redacted(4)), BLOCKED, ("secret",))
    assert found(t.data()) == [(n, "verify-blocked", "auth/jpki", "")]


def test_blocked_key_only_queried_is_fine() -> None:
    t = auth_session("63C0")
    t.ex(verify(AUTH), "63C0")
    assert found(t.data()) == []


# --- repeated-failures / key-blocked / reverify -----------------------------------------


def test_repeated_failures() -> None:
    t = TraceBuilder()
    t.ex(select_aid(JPKI), OK)
    t.ex(verify(SIGN), "63C5")
    for left in (4, 3):
        t.ex(verify(SIGN, redacted(8)), f"63C{left}", ("secret",))
    n = t.ex(verify(SIGN, redacted(8)), "63C2", ("secret",))
    assert found(t.data()) == [(n, "repeated-failures", "sign/jpki", "3 in a row")]


def test_a_success_breaks_the_run_of_failures() -> None:
    t = TraceBuilder()
    t.ex(select_aid(JPKI), OK)
    t.ex(verify(SIGN), "63C5")
    t.ex(verify(SIGN, redacted(8)), "63C4", ("secret",))
    t.ex(verify(SIGN, redacted(8)), "63C3", ("secret",))
    t.ex(verify(SIGN, redacted(8)), OK, ("secret",))
    t.event("reset", atr="3B00")
    t.ex(select_aid(JPKI), OK)
    t.ex(verify(SIGN, redacted(8)), "63C4", ("secret",))
    t.ex(verify(SIGN, redacted(8)), "63C3", ("secret",))
    assert found(t.data()) == []


def test_key_blocked_by_the_trace() -> None:
    t = auth_session("63C1")
    n = t.ex(verify(AUTH, redacted(4)), "63C0", ("secret",))
    assert found(t.data()) == [(n, "last-try", "auth/jpki", ""),
                               (n, "key-blocked", "auth/jpki", "")]


def test_key_blocked_before_the_trace_is_not_reported_as_blocked_by_it() -> None:
    t = auth_session("63C0")
    assert found(t.data()) == []


def test_reverify() -> None:
    t = auth_session()
    t.ex(verify(AUTH, redacted(4)), OK, ("secret",))
    n = t.ex(verify(AUTH, redacted(4)), OK, ("secret",))
    assert found(t.data()) == [(n, "reverify", "auth/jpki", "")]


@pytest.mark.parametrize("between", ["reset", "removed", "other application"])
def test_verified_state_is_lost(between: str) -> None:
    t = auth_session()
    t.ex(verify(AUTH, redacted(4)), OK, ("secret",))
    if between == "reset":
        t.event("reset", atr="3B00")
    elif between == "removed":
        t.event("removed", n=t.n + 1)
    else:
        t.ex(select_aid(TEXT), OK)
    t.ex(select_aid(JPKI), OK)
    t.ex(verify(AUTH, redacted(4)), OK, ("secret",))
    assert found(t.data()) == []


# --- card behaviour ---------------------------------------------------------------------


def test_counter_increased_without_success() -> None:
    t = auth_session("63C2")
    n = t.ex(verify(AUTH), "63C3")
    assert found(t.data()) == [(n, "counter-increased", "auth/jpki", "2 -> 3")]


def test_counter_back_to_max_after_success_is_fine() -> None:
    t = auth_session("63C2")
    t.ex(verify(AUTH, redacted(4)), OK, ("secret",))
    t.ex(verify(AUTH), "63C3")
    assert found(t.data()) == []


def test_counter_step() -> None:
    t = auth_session("63C3")
    n = t.ex(verify(AUTH, redacted(4)), "63C3", ("secret",))
    assert found(t.data()) == [(n, "counter-step", "auth/jpki", "3 -> 3")]


def test_counter_down_by_one_is_fine() -> None:
    t = auth_session("63C3")
    t.ex(verify(AUTH, redacted(4)), "63C2", ("secret",))
    assert found(t.data()) == []


def test_max_above_policy_reported_once_per_key() -> None:
    t = auth_session("63C5")
    t.ex(verify(AUTH), "63C5")
    assert found(t.data()) == [(3 - 1, "max-above-policy", "auth/jpki", "5 > 3")]


def test_max_at_policy_is_fine() -> None:
    assert found(auth_session("63C3").data()) == []


@pytest.mark.parametrize("answer", ["9000", "63C0", "6A88"])
def test_blocked_wrong_sw(answer: str) -> None:
    t = auth_session("63C0")
    n = t.ex(verify(AUTH, redacted(4)), answer, ("secret",))
    got = found(t.data())
    assert (n, "verify-blocked", "auth/jpki", "") in got
    assert (n, "blocked-wrong-sw", "auth/jpki", f"SW {answer}") in got


@pytest.mark.parametrize("answer", ["6984", "6983"])
def test_blocked_right_sw(answer: str) -> None:
    t = auth_session("63C0")
    t.ex(verify(AUTH, redacted(4)), answer, ("secret",))
    assert rules(t.data()) == ["verify-blocked"]


# --- secrets left in a trace ------------------------------------------------------------


def test_secret_unredacted_in_verify_and_change_reference_data() -> None:
    t = auth_session()
    n1 = t.ex(verify(AUTH, b"1234".hex().upper()), OK)
    n2 = t.ex("0024019804" + b"4321".hex().upper(), OK)
    assert found(t.data()) == [(n1, "secret-unredacted", "", ""),
                               (n2, "secret-unredacted", "", "")]


def test_redacted_secrets_are_fine() -> None:
    t = auth_session()
    t.ex(verify(AUTH, redacted(4)), OK, ("secret",))
    t.ex("0024019804" + redacted(4), OK, ("secret",))
    assert found(t.data()) == []


def test_secure_messaging_verify_is_the_residence_card_number() -> None:
    t = TraceBuilder()
    t.ex("08200086138611" + "01" + "00" * 16, OK)  # not redacted: a leak, but no counter
    t.ex("0820008613" + redacted(19), OK, ("secret",))
    assert found(t.data()) == [(1, "secret-unredacted", "", "")]


MY_NUMBER = "123456789018"  # synthetic, valid check digit (cardtool/virtual/personas/default.json)


def _my_number_response(digits: str) -> str:
    return "FF100C" + digits.encode().hex().upper() + "FFFF9000"


def test_my_number_visible_in_an_unredacted_trace() -> None:
    t = TraceBuilder(redactions=("secrets",))
    t.ex(select_aid(TEXT), OK)
    n = t.ex("00B0810000", _my_number_response(MY_NUMBER))
    assert found(t.data()) == [(n, "my-number-visible", "", "")]


def test_my_number_in_a_personal_redacted_trace_is_not_searched() -> None:
    t = TraceBuilder(redactions=("secrets", "personal"))
    t.ex(select_aid(TEXT), OK)
    t.ex("00B0810000", _my_number_response(MY_NUMBER))
    assert found(t.data()) == []


def test_twelve_digits_that_are_not_a_my_number() -> None:
    t = TraceBuilder(redactions=())
    t.ex("00B0810000", _my_number_response("123456789010"))  # wrong check digit
    t.ex("00B0810000", "31" * 13 + "9000")  # 13 digits: a longer run
    # A certificate's UTCTime: 17 0D YYMMDDHHMMSS Z
    t.ex("00B0000000", "170D" + b"250101000000".hex().upper() + "5A9000")
    assert found(t.data()) == []


# --- the file itself --------------------------------------------------------------------


def test_torn_last_line() -> None:
    t = auth_session()
    t.raw('{"type":"exchange","n":3,"command":"0020')
    assert found(t.data(final_newline=False)) == [(None, "trace-torn", "", "line 4")]


def test_complete_last_line_without_newline_is_fine() -> None:
    assert found(auth_session().data(final_newline=False)) == []


def test_broken_line_keeps_earlier_findings() -> None:
    t = TraceBuilder()
    t.ex(select_aid(JPKI), OK)
    n = t.ex(verify(AUTH, redacted(4)), OK, ("secret",))
    t.raw("this is not json")
    t.ex(verify(AUTH, redacted(4)), OK, ("secret",))
    got = found(t.data())
    assert got[0] == (n, "blind-verify", "auth/jpki", "")
    assert got[1][1] == "trace-unreadable" and got[1][3].startswith("line 4: not JSON")
    assert len(got) == 2


@pytest.mark.parametrize(("content", "detail"), [
    (b"", "line 1: the file is empty"),
    (b'{"format":"other"}\n', "line 1: 'format' must be 'cardtool-trace'"),
    (b'{"format":"cardtool-trace","vers', "line 1: the header line is incomplete"),
    (b"\xff\xfe{}\n", "line 0: not UTF-8 text (byte offset 0)"),
])
def test_unreadable_files(content: bytes, detail: str) -> None:
    assert found(content) == [(None, "trace-unreadable", "", detail)]


def test_invalid_event_is_unreadable() -> None:
    t = TraceBuilder()
    t.ex(select_aid(JPKI), OK)
    t.raw('{"type":"exchange","n":2,"command":"00A","response":"9000","us":1}')
    got = found(t.data())
    assert got == [(None, "trace-unreadable", "",
                    "line 3: 'command' must be a hex string (X for redacted bytes)")]


def test_invalid_last_line_without_newline_counts_only_the_exchanges_before() -> None:
    # Found by the long fuzz run: valid JSON, odd-length hex, no newline after it.
    t = auth_session()
    t.raw('{"type":"exchange","n":3,"command":"002000980","response":"9000","us":0}')
    report = check_both(t.data(final_newline=False))
    assert report.exchanges == 2 and [f.rule for f in report.findings] == ["trace-unreadable"]


def test_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.jsonl")
    assert check_file(path) == check_file_plain(path)
    assert [f.detail for f in check_file(path).findings] == ["line 0: file not found"]


def test_exchange_counts_agree_on_a_visual_session() -> None:
    t = TraceBuilder()
    t.ex(select_aid(VISUAL), OK)
    t.ex(verify(0x92), "63CA")
    t.ex(verify(0x92, redacted(14)), OK, ("secret",))
    for _ in range(5):
        t.ex("00B0000000", "XX" * 256 + "9000", ("personal",))
    report = check_both(t.data())
    assert report.exchanges == 8 and report.findings == []
