"""The VERIFY rules of the trace checker: the one engine both trace parsers feed.

The reference checker (``check_plain.py``: ``json.loads``, bytes and ``CommandApdu``) and
the fast one (``check.py``: line scanners, hex compared as hex) read a trace each its own
way, follow the selection, and work out which policy key a VERIFY addresses. From there
on this module alone decides: per key it keeps the last known retry counter, the failed
VERIFYs in a row, whether the key is verified and where a failed VERIFY blocked it, and it
reports the findings of the rules about VERIFY (``pin-format``, ``blind-verify``,
``last-try``, ``verify-blocked``, ``reverify``, ``repeated-failures``, ``key-blocked``,
``counter-increased``, ``counter-step``, ``max-above-policy``, ``blocked-wrong-sw``,
``unknown-key``). A rule changed here changes both checkers alike.

Speed: the fast checker's automaton (most traces) calls ``verify`` only for moves it has
not computed before; its other paths call it once per VERIFY (about 0.2 µs each, a fifth
of the exchanges of a typical session are the empty VERIFY), while the time goes to
scanning the lines. The per-key state is a slotted object: attribute access on
``__slots__`` costs what indexing a list costs.
"""

from __future__ import annotations

from typing import Protocol

from apdu.sw import SW
from cardtool.policy.rules import format_problem, key_label, unknown_key_label
from cardtool.policy.table import CONSECUTIVE_FAILURES_ALLOWED, KEYS, LAST_TRY
from cardtool.secret_format import FormatRule

# Status words as plain ints: the fast checker calls ``verify`` for every VERIFY of a
# trace it cannot take by its automaton, and comparing with an enum member costs an
# attribute lookup each time.
_SW_OK = int(SW.OK)
#: A failed VERIFY answered by a count (``63 Cx``): ``sw >> 4`` is this.
_SW_COUNT_HIGH = 0x63C
_SW_BLOCKED = frozenset({int(SW.AUTH_METHOD_BLOCKED), int(SW.REFERENCE_DATA_UNUSABLE)})


class PolicyKey:
    """One key of the policy table as the checker needs it: how findings name it, the
    policy's maximum tries and the format its secret must have. Compared by identity (one
    object per key, made once), so it is a cheap dictionary key."""

    __slots__ = ("label", "maximum", "rule")

    def __init__(self, label: str, maximum: int, rule: FormatRule) -> None:
        self.label = label
        self.maximum = maximum
        self.rule = rule

    def __repr__(self) -> str:
        return f"PolicyKey({self.label!r})"


#: (AID, key EF) -> the key, for every key of the policy table.
POLICY_KEYS: dict[tuple[bytes, int], PolicyKey] = {
    ident: PolicyKey(key_label(secret.name, key.application), key.max_tries, secret.rule)
    for ident, (secret, key) in KEYS.items()}

#: ``KeyState.verified_in`` of a key not verified in any security session.
NOT_VERIFIED = -1
#: ``KeyState.blocked_at`` of a key blocked by an exchange without a number (any negative
#: number is reported as no number: the trace format does not forbid one).
BLOCKED_AT_UNNUMBERED = -1


class KeyState:
    """What one trace has shown of one key so far."""

    __slots__ = ("above_max_reported", "blocked_at", "count", "failures", "verified_in")

    def __init__(self, count: int | None = None, failures: int = 0,
                 verified_in: int = NOT_VERIFIED, blocked_at: int | None = None,
                 above_max_reported: bool = False) -> None:
        #: The last known retry counter; None until the trace shows one.
        self.count = count
        #: Failed VERIFYs with data in a row.
        self.failures = failures
        #: The security session (``VerifyRules.epoch``) in which the key was verified.
        self.verified_in = verified_in
        #: The exchange whose failed VERIFY blocked the key (``BLOCKED_AT_UNNUMBERED``
        #: without a number), None if no VERIFY of this trace blocked it.
        self.blocked_at = blocked_at
        #: A count above the policy's maximum is a property of the card: reported once.
        self.above_max_reported = above_max_reported


class FindingSink(Protocol):
    """Where findings go: (exchange number, rule id, key label, detail)."""

    def __call__(self, n: int | None, rule: str, key: str = "", detail: str = "", /) -> None: ...


class VerifyRules:
    """The VERIFY rules for one trace: the state of every key it touched, and the findings,
    handed to ``add`` as they happen."""

    __slots__ = ("add", "epoch", "keys")

    def __init__(self, add: FindingSink) -> None:
        self.add = add
        self.keys: dict[PolicyKey, KeyState] = {}
        #: The security session: bumped whenever the card forgets what was verified (a
        #: reset, a removal, another application selected). A key is verified while its
        #: ``verified_in`` equals it; the retry counters survive (they live in EEPROM).
        self.epoch = 0

    def lose_security(self) -> None:
        self.epoch += 1

    def unknown_key(self, n: int | None, application: str | None, key_ef: int | None) -> None:
        """A VERIFY with data that no key of the policy answers to."""
        self.add(n, "unknown-key", unknown_key_label(application, key_ef))

    def verify(self, n: int | None, key: PolicyKey, length: int, data: bytes | None,
               sw: int) -> None:
        """A VERIFY of ``key`` (exchange ``n``) with ``length`` data bytes (0: the empty
        VERIFY, a counter query), ``data`` those bytes (None when redacted: only the length
        is known), answered with status word ``sw``."""
        state = self.keys.get(key)
        if state is None:
            state = self.keys[key] = KeyState()
        add = self.add
        label = key.label
        maximum = key.maximum
        prev = state.count
        if length:
            problem = format_problem(key.rule, data, length)
            if problem is not None:
                add(n, "pin-format", label, problem)
            if prev is None:
                add(n, "blind-verify", label)
            elif prev == 0:
                add(n, "verify-blocked", label)
            elif prev == LAST_TRY:
                add(n, "last-try", label)
            if state.verified_in == self.epoch:
                add(n, "reverify", label)
        if sw == _SW_OK:
            if length:
                if prev == 0:
                    add(n, "blocked-wrong-sw", label, "SW 9000")
                state.failures = 0
                state.verified_in = self.epoch
            elif prev is not None and prev < maximum:
                add(n, "counter-increased", label, f"{prev} -> {maximum}")
            state.count = maximum
        elif sw >> 4 == _SW_COUNT_HIGH:
            left = sw & 0x0F
            if left > maximum and not state.above_max_reported:
                state.above_max_reported = True
                add(n, "max-above-policy", label, f"{left} > {maximum}")
            if length:
                if prev == 0:
                    add(n, "blocked-wrong-sw", label, f"SW {sw:04X}")
                elif prev is not None and left > prev:
                    add(n, "counter-increased", label, f"{prev} -> {left}")
                elif prev is not None and left != prev - 1:
                    add(n, "counter-step", label, f"{prev} -> {left}")
                state.failures += 1
                if state.failures == CONSECUTIVE_FAILURES_ALLOWED + 1:
                    add(n, "repeated-failures", label, f"{state.failures} in a row")
                state.verified_in = NOT_VERIFIED
                if left == 0 and prev != 0:
                    state.blocked_at = n if n is not None else BLOCKED_AT_UNNUMBERED
            elif prev is not None and left > prev:
                add(n, "counter-increased", label, f"{prev} -> {left}")
            state.count = left
        elif sw in _SW_BLOCKED:
            if length:
                state.verified_in = NOT_VERIFIED
            state.count = 0
        elif length and prev == 0:
            add(n, "blocked-wrong-sw", label, f"SW {sw:04X}")

    def finish(self) -> None:
        """The end of the trace: a key this trace blocked and left blocked."""
        for key, state in self.keys.items():
            blocked_at = state.blocked_at
            if blocked_at is not None and state.count == 0:
                self.add(blocked_at if blocked_at >= 0 else None,
                         "key-blocked", key.label)
