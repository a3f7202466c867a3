"""Live conformance against in-process cards: a small card built on the card OS, the virtual
My Number card (every key conformant), and each deliberately non-conformant variant (each
caught at the step it breaks)."""

from __future__ import annotations

import pytest

from apdu.session import Session
from apdu.transport.recording import RecordingTransport
from apdu.transport.virtual import VirtualTransport
from cardtool.cards.mynumber import ids
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.policy.check import check_data
from cardtool.policy.conform import conform, wrong_value
from cardtool.policy.table import SECRETS
from cardtool.secret_format import KeyRef, Secret
from cardtool.virtual import make_virtual_card
from cardtool.virtual.card_os import DF, CardOS, PinObject, sw
from cardtool.virtual.mynumber import VirtualMyNumberCard, virtual_secret
from cardtool.virtual.persona import load_persona

ALL_KEYS = [(s, k) for s in SECRETS.values() for k in s.keys]
AUTH = SECRETS["auth"]


class SmallCard(CardOS):
    """Just the JPKI application with the auth PIN (3 tries)."""

    def __init__(self, remaining: int = 3) -> None:
        super().__init__(bytes.fromhex("3B8880010000000000000000"))
        jpki = self.add_df(DF(ids.JPKI_AID))
        jpki.pins[ids.JpkiEF.AUTH_PIN] = PinObject(b"1234", 3, remaining)


class StuckCounterCard(SmallCard):
    """A wrong PIN answers 63 Cx but the counter never moves."""

    def verify(self, cmd):  # type: ignore[no-untyped-def]
        _key, pin = self._key_for(cmd)
        if pin is not None and cmd.data and cmd.data != pin.value and not pin.blocked:
            return sw(0x63C0 | pin.remaining)
        return super().verify(cmd)


def run(card: object, keys: list[tuple[Secret, KeyRef]], value: str | None = "1234"):  # type: ignore[no-untyped-def]
    transport = VirtualTransport(card)  # type: ignore[arg-type]
    mn = MyNumberCard(Session(transport))
    return conform(mn, keys, lambda s: virtual_secret(card, s) or value)


def test_small_card_on_the_card_os_is_conformant() -> None:
    card = SmallCard()
    (result,) = run(card, [(AUTH, AUTH.keys[0])])
    assert result.conformant, result.problem
    actions = [(s.action, s.expected) for s in result.steps]
    assert ("wrong", "63 C0") in actions and ("right", "69 84 or 69 83") in actions
    assert card.dfs[ids.JPKI_AID].pins[ids.JpkiEF.AUTH_PIN].blocked  # left blocked


def test_small_card_with_used_tries_is_restored_first() -> None:
    (result,) = run(SmallCard(remaining=1), [(AUTH, AUTH.keys[0])])
    assert result.conformant, result.problem
    assert result.steps[2].action == "right"


def test_stuck_counter_is_reported() -> None:
    (result,) = run(StuckCounterCard(), [(AUTH, AUTH.keys[0])])
    assert not result.conformant
    assert result.problem == ("a wrong secret must use exactly one try: expected 63 C2, the card "
                              "answered 63 C3")
    assert result.problem_ja and "63 C3" in result.problem_ja


def test_missing_keys_are_skipped_not_failed() -> None:
    values = {"auth": "1234", "sign": "ABC123", "text": "1234", "juki": "1234",
              "number-a": "123456789018", "number-b": "12345678901234", "birth": "123456"}
    transport = VirtualTransport(SmallCard())
    results = conform(MyNumberCard(Session(transport)), ALL_KEYS, lambda s: values[s.name])
    by_key = {r.label: r for r in results}
    assert by_key["auth/jpki"].conformant
    assert by_key["sign/jpki"].skipped and by_key["text/text"].skipped


def test_blocked_key_is_skipped() -> None:
    (result,) = run(SmallCard(remaining=0), [(AUTH, AUTH.keys[0])])
    assert result.skipped == "the key is already blocked"


def test_virtual_mynumber_card_follows_the_policy_for_every_key() -> None:
    card = make_virtual_card("mynumber")
    results = run(card, ALL_KEYS, value=None)
    assert [r.label for r in results] == [
        "auth/jpki", "sign/jpki", "text/text", "juki/juki", "juki/common", "number-a/text",
        "number-a/visual", "number-b/text", "number-b/visual", "birth/visual"]
    assert all(r.conformant for r in results), [(r.label, r.problem) for r in results]
    # every key is now blocked on the card
    assert all(p.blocked for df in card.dfs.values() for p in df.pins.values())


@pytest.mark.parametrize(("kind", "problem"), [
    ("mynumber-no-decrement", "a wrong secret must use exactly one try"),
    ("mynumber-count-up", "a wrong secret must use exactly one try"),
    ("mynumber-blocked-63c0", "a blocked key must refuse a secret with 69 84"),
    ("mynumber-high-max", "the card allows 5 tries, the policy 3"),
    ("mynumber-empty-consumes", "a second empty VERIFY must not use a try"),
    ("mynumber-no-reset", None),
])
def test_each_nonconformant_card_is_caught(kind: str, problem: str | None) -> None:
    card = make_virtual_card(kind)
    persona = card.persona  # type: ignore[attr-defined]
    if kind == "mynumber-no-reset":
        # A correct PIN only shows its fault when tries were used before it.
        card = make_virtual_card(f"{kind}:one-try-left")
        problem = "a success must restore the maximum"
    del persona
    (result,) = run(card, [(AUTH, AUTH.keys[0])], value=None)
    assert not result.conformant
    assert result.problem is not None and result.problem.startswith(problem)


def test_conformance_session_trace_shows_the_card_fault() -> None:
    """The checker sees what conformance sees: a recorded run on a miscounting card has
    a counter-step finding; the same run on a good card has no card findings."""
    for kind, card_rules in (("mynumber", set()), ("mynumber-no-decrement", {"counter-step"})):
        card = make_virtual_card(kind)
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "conform.jsonl"
            rec = RecordingTransport(VirtualTransport(card), path, tool="test")
            conform(MyNumberCard(Session(rec)), [(AUTH, AUTH.keys[0])],
                    lambda s, c=card: virtual_secret(c, s))
            rec.close()
            report = check_data(str(path), "cardtool", path.read_bytes())
        about_card = {f.rule for f in report.findings} & {
            "counter-increased", "counter-step", "max-above-policy", "blocked-wrong-sw"}
        assert about_card == card_rules


def test_wrong_value_keeps_the_format() -> None:
    for secret in SECRETS.values():
        persona = load_persona(None, "mynumber")
        card = VirtualMyNumberCard(persona)
        right = virtual_secret(card, secret)
        assert right is not None
        wrong = wrong_value(secret, right.encode())
        assert wrong != right.encode() and secret.rule.matches(wrong)
