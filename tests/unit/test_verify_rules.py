"""The one VERIFY rule engine (``cardtool/policy/verify_rules.py``): what it reports for a
sequence of VERIFYs, and that both trace parsers (the fast checker and the reference) feed
it exactly what the trace says: random VERIFY sequences written as traces give, through
either parser, the findings the engine gives when fed the same steps directly."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from cardtool.cards.mynumber import ids
from cardtool.policy.check import check_data
from cardtool.policy.check_plain import check_data_plain
from cardtool.policy.guard import KeyStatus, LastTryRefused, PinGuard
from cardtool.policy.table import LAST_TRY, SECRETS
from cardtool.policy.verify_rules import POLICY_KEYS, PolicyKey, VerifyRules
from tests.fuzz.conftest import FUZZ_EXAMPLES
from tests.support.traces import TraceBuilder, redacted, select_aid, verify

Row = tuple[int | None, str, str, str]

AUTH = POLICY_KEYS[(ids.JPKI_AID, ids.JpkiEF.AUTH_PIN)]
SIGN = POLICY_KEYS[(ids.JPKI_AID, ids.JpkiEF.SIGN_PIN)]


def engine() -> tuple[VerifyRules, list[Row]]:
    rows: list[Row] = []

    def add(n: int | None, rule: str, key: str = "", detail: str = "") -> None:
        rows.append((n, rule, key, detail))

    return VerifyRules(add), rows


def test_a_session_that_blocks_the_auth_pin() -> None:
    rules, rows = engine()
    rules.verify(1, AUTH, 0, b"", 0x63C3)  # the empty VERIFY: 3 left
    rules.verify(2, AUTH, 4, None, 0x63C2)
    rules.verify(3, AUTH, 4, None, 0x63C1)
    rules.verify(4, AUTH, 4, None, 0x63C0)
    rules.verify(5, AUTH, 4, None, 0x6984)
    rules.finish()
    assert rows == [
        (4, "last-try", "auth/jpki", ""),
        (4, "repeated-failures", "auth/jpki", "3 in a row"),
        (5, "verify-blocked", "auth/jpki", ""),
        (4, "key-blocked", "auth/jpki", ""),
    ]


def test_the_last_try_threshold_is_the_tables() -> None:
    rules, rows = engine()
    rules.verify(1, SIGN, 0, b"", 0x63C0 | (LAST_TRY + 1))
    rules.verify(2, SIGN, 8, None, 0x63C0 | LAST_TRY)  # one above the threshold: no finding
    rules.verify(3, SIGN, 8, b"ABCD1234", 0x9000)  # at the threshold
    assert rows == [(3, "last-try", "sign/jpki", "")]


def test_verified_is_forgotten_when_security_is_lost() -> None:
    rules, rows = engine()
    rules.verify(1, AUTH, 0, b"", 0x63C3)
    rules.verify(2, AUTH, 4, b"1234", 0x9000)
    rules.lose_security()
    rules.verify(3, AUTH, 4, b"1234", 0x9000)
    rules.verify(4, AUTH, 4, b"1234", 0x9000)
    assert rows == [(4, "reverify", "auth/jpki", "")]


def test_the_guard_refuses_at_the_same_threshold() -> None:
    secret = SECRETS["auth"]
    guard = PinGuard(card=None, force=False)  # type: ignore[arg-type]  # precheck reads no card
    key = secret.keys[0]
    guard.precheck(KeyStatus(secret, key, LAST_TRY + 1))
    try:
        guard.precheck(KeyStatus(secret, key, LAST_TRY))
    except LastTryRefused:
        pass
    else:
        raise AssertionError("the guard sent a VERIFY with LAST_TRY tries left")


# --- random VERIFY sequences through both parsers -----------------------------------------

#: (application AID, key EF) pairs the sequences address: four policy keys of two
#: applications and one EF the policy does not know.
TARGETS = [(ids.JPKI_AID, ids.JpkiEF.AUTH_PIN), (ids.JPKI_AID, ids.JpkiEF.SIGN_PIN),
           (ids.TEXT_AID, ids.TextEF.PIN), (ids.TEXT_AID, ids.TextEF.KEY_A),
           (ids.JPKI_AID, 0x05)]
STATUS_WORDS = [0x9000, *(0x63C0 | x for x in range(6)), 0x63CF, 0x6983, 0x6984, 0x6A88,
                0x6982]


@dataclass(frozen=True)
class Step:
    kind: str  # "select", "reset", "verify"
    aid: bytes = b""
    key_ef: int = 0
    #: VERIFY data: None for the empty VERIFY, else (length, clear value or None if redacted).
    data: tuple[int, bytes | None] | None = None
    sw: int = 0x9000


@st.composite
def steps(draw: st.DrawFn) -> list[Step]:
    out: list[Step] = []
    for _ in range(draw(st.integers(1, 40))):
        kind = draw(st.sampled_from(["verify"] * 6 + ["select", "reset"]))
        if kind == "select":
            out.append(Step("select", aid=draw(st.sampled_from([ids.JPKI_AID, ids.TEXT_AID]))))
        elif kind == "reset":
            out.append(Step("reset"))
        else:
            aid, key_ef = draw(st.sampled_from(TARGETS))
            data: tuple[int, bytes | None] | None = draw(st.one_of(
                st.none(),
                st.integers(1, 17).map(lambda length: (length, None)),
                st.text("0123456789AB", min_size=1, max_size=17).map(
                    lambda text: (len(text), text.encode("ascii")))))
            out.append(Step("verify", aid, key_ef, data, draw(st.sampled_from(STATUS_WORDS))))
    return out


def written(sequence: list[Step]) -> tuple[bytes, list[Row]]:
    """The trace of ``sequence``, as cardtool writes it, and what the engine reports when
    fed the same steps directly (the selection followed here, the rules there)."""
    trace = TraceBuilder()
    rules, rows = engine()
    app: bytes | None = None
    for step in sequence:
        if step.kind == "select":
            trace.ex(select_aid(step.aid.hex().upper()), "9000")
            if step.aid != app:
                rules.lose_security()
            app = step.aid
            continue
        if step.kind == "reset":
            trace.event("reset", atr="3B8880")
            rules.lose_security()
            app = None
            continue
        p2 = 0x80 | step.key_ef
        sw = f"{step.sw:04X}"
        if step.data is None:
            n = trace.ex(verify(p2), sw)
            length, value = 0, b""
        else:
            length, value = step.data
            if value is None:
                n = trace.ex(verify(p2, redacted(length)), sw, ("secret",))
            else:
                n = trace.ex(verify(p2, value.hex().upper()), sw)
                rows.append((n, "secret-unredacted", "", ""))
        key: PolicyKey | None = None if app is None else POLICY_KEYS.get((app, step.key_ef))
        if key is not None:
            rules.verify(n, key, length, value, step.sw)
        elif length:
            rules.unknown_key(n, None if app is None else ids.APPLICATION_NAMES[app],
                              step.key_ef)
    rules.finish()
    return trace.data(), rows


@settings(max_examples=FUZZ_EXAMPLES)
@given(steps())
def test_random_verify_sequences_give_the_engines_findings_through_both_parsers(
        sequence: list[Step]) -> None:
    data, expected = written(sequence)
    for check in (check_data, check_data_plain):
        report = check("t.jsonl", "cardtool", data)
        assert [(f.exchange, f.rule, f.key, f.detail) for f in report.findings] == expected, (
            check.__name__)
    # The same trace spelled in lower case is not canonical: the fast checker's line-by-line
    # path (``json.loads``) reads it, and must agree as well.
    lower = data.lower()
    assert check_data("t.jsonl", "cardtool", lower) == check_data_plain(
        "t.jsonl", "cardtool", lower)
