"""Live conformance: drive a card through wrong and right secrets and prove that each key
follows the policy table.

Per key, in this order (each step names what it expects; the first deviation ends the
key's run and is reported):

1. the empty VERIFY tells the tries left, and asking again does not use one;
2. if tries were used before, the right secret restores them (90 00, then the maximum);
3. a wrong secret uses exactly one try (63 Cx-1);
4. the right secret restores the maximum;
5. wrong secrets down to zero: one try each, ``63 C0`` on the blocking try;
6. afterwards a wrong and even the right secret get ``69 84`` (``69 83`` is accepted, the
   spec treats them alike) and the empty VERIFY says ``63 C0``.

The keys are left **blocked**: run it on a virtual card, or on a TEST card you are ready to
have reset. It sends VERIFY directly, not through the PIN guard: trying wrong values and
using up tries is its purpose. Secret values are never part of a step or a message.

The run is handed its card and a ``secret_of`` function (``cardtool.services.conform``
chooses it: a virtual card's persona, or what staff type); it never looks inside a virtual
card.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from apdu.command import ResponseApdu
from apdu.errors import ApduError
from apdu.sw import SW
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.policy.rules import key_label
from cardtool.secret_format import KeyRef, Secret, encode_secret

_NOT_ON_CARD = frozenset({SW.FILE_NOT_FOUND, SW.REFERENCE_NOT_FOUND, SW.INCORRECT_P1P2})
_BLOCKED = frozenset({SW.REFERENCE_DATA_UNUSABLE, SW.AUTH_METHOD_BLOCKED})


@dataclass
class Step:
    action: str  # "query", "wrong", "right"
    expected: str  # e.g. "63 C2", "90 00", "69 84"
    sw: int | None  # what the card answered (None: not sent)
    ok: bool

    def to_json(self) -> dict[str, object]:
        return {"action": self.action, "expected": self.expected,
                "sw": f"{self.sw:04X}" if self.sw is not None else None, "ok": self.ok}


@dataclass
class KeyResult:
    secret: Secret
    key: KeyRef
    steps: list[Step] = field(default_factory=list)
    #: None: conformant; else what went wrong, in English and in Japanese.
    problem: str | None = None
    problem_ja: str | None = None
    skipped: str | None = None
    skipped_ja: str | None = None

    @property
    def label(self) -> str:
        return key_label(self.secret.name, self.key.application)

    @property
    def conformant(self) -> bool:
        return self.problem is None and self.skipped is None

    def to_json(self) -> dict[str, object]:
        return {"key": self.label, "max_tries": self.key.max_tries,
                "result": "skipped" if self.skipped else (
                    "conformant" if self.problem is None else "not-conformant"),
                "problem": self.problem, "skipped": self.skipped,
                "steps": [s.to_json() for s in self.steps]}


class _Deviation(Exception):
    def __init__(self, en: str, ja: str) -> None:
        super().__init__(en)
        self.ja = ja


def _sw(word: int) -> str:
    return f"{word >> 8:02X} {word & 0xFF:02X}"


def wrong_value(secret: Secret, right: bytes) -> bytes:
    """A value of the same format as ``right`` that differs from it in every character:
    digits +1 (mod 10), letters +1 (mod 26)."""
    out = bytearray()
    for c in right:
        if 0x30 <= c <= 0x39:
            out.append(0x30 + (c - 0x30 + 1) % 10)
        elif 0x41 <= c <= 0x5A:
            out.append(0x41 + (c - 0x41 + 1) % 26)
        else:
            out.append(c)
    value = bytes(out)
    assert value != right and secret.rule.matches(value), "format-preserving change failed"
    return value


class KeyRun:
    """Runs the steps for one key and records them."""

    def __init__(self, card: MyNumberCard, result: KeyResult, right: bytes) -> None:
        self.card = card
        self.result = result
        self.right = right
        self.wrong = wrong_value(result.secret, right)
        self.maximum = result.key.max_tries
        self.verified = False

    def send(self, action: str) -> ResponseApdu:
        data = {"query": b"", "wrong": self.wrong, "right": self.right}[action]
        key = self.result.key
        return self.card.verify(key.aid, key.key_ef, data)

    def expect(self, action: str, allowed: dict[int, str], what: tuple[str, str]) -> int:
        """Send, record, and raise ``_Deviation`` unless the SW is one of ``allowed``."""
        response = self.send(action)
        expected = " or ".join(allowed.values())
        ok = response.sw in allowed
        self.result.steps.append(Step(action, expected, response.sw, ok))
        if not ok:
            got = _sw(response.sw)
            raise _Deviation(f"{what[0]}: expected {expected}, the card answered {got}",
                             f"{what[1]}: 期待値 {expected}、カードの応答 {got}")
        return response.sw

    def query(self, count: int, what: tuple[str, str]) -> None:
        allowed = {0x63C0 | count: _sw(0x63C0 | count)}
        if self.verified and count == self.maximum:
            allowed[SW.OK] = "90 00"  # some cards answer 90 00 once verified (spec §3.1)
        self.expect("query", allowed, what)

    def skip(self, en: str, ja: str) -> None:
        self.result.skipped, self.result.skipped_ja = en, ja

    def run(self) -> None:
        first = self.send("query")
        if first.sw in _NOT_ON_CARD:
            self.skip(f"the card has no such key ({_sw(first.sw)})",
                      f"カードにこの鍵がありません({_sw(first.sw)})")
            return
        self.result.steps.append(Step("query", "63 Cx", first.sw, first.sw >> 4 == 0x63C))
        if first.sw >> 4 != 0x63C:
            raise _Deviation(
                f"the empty VERIFY must tell the tries left (63 Cx), the card answered "
                f"{_sw(first.sw)}",
                f"空の VERIFY は残り試行回数(63 Cx)を返すべきですが、応答は {_sw(first.sw)} です")
        count = first.sw & 0x0F
        if count > self.maximum:
            raise _Deviation(f"the card allows {count} tries, the policy {self.maximum}",
                             f"カードの試行回数 {count} 回がポリシーの上限 {self.maximum} 回を超えています")
        if count == 0:
            self.skip("the key is already blocked", "鍵は既にロックされています")
            return
        not_used = ("a second empty VERIFY must not use a try",
                    "空の VERIFY を繰り返しても試行回数は減らないはずです")
        accepted = ("the right secret must be accepted", "正しい暗証番号は受け付けられるはずです")
        restored = ("a success must restore the maximum",
                    "照合に成功すると試行回数は上限に戻るはずです")
        one_try = ("a wrong secret must use exactly one try",
                   "誤った暗証番号で減る試行回数はちょうど1回のはずです")
        self.query(count, not_used)
        if count < self.maximum:
            self.expect("right", {SW.OK: "90 00"}, accepted)
            self.verified = True
            self.query(self.maximum, restored)
            count = self.maximum
        self.expect("wrong", {0x63C0 | count - 1: _sw(0x63C0 | count - 1)}, one_try)
        self.verified = False
        self.query(count - 1, not_used)
        self.expect("right", {SW.OK: "90 00"}, accepted)
        self.verified = True
        self.query(self.maximum, restored)
        for left in range(self.maximum - 1, -1, -1):
            what = (("the blocking try must answer 63 C0",
                     "ロックする試行の応答は 63 C0 のはずです") if left == 0 else one_try)
            self.expect("wrong", {0x63C0 | left: _sw(0x63C0 | left)}, what)
            self.verified = False
            self.query(left, not_used)
        blocked: dict[int, str] = {SW.REFERENCE_DATA_UNUSABLE: "69 84",
                                   SW.AUTH_METHOD_BLOCKED: "69 83"}
        self.expect("wrong", blocked, ("a blocked key must refuse a secret with 69 84",
                                       "ロックされた鍵は 69 84 で拒否するはずです"))
        self.expect("right", blocked, ("a blocked key must refuse even the right secret",
                                       "ロックされた鍵は正しい暗証番号も拒否するはずです"))
        self.query(0, ("a blocked key's count is 63 C0",
                       "ロックされた鍵の残り試行回数は 63 C0 のはずです"))


def conform_key(card: MyNumberCard, secret: Secret, key: KeyRef, right: str) -> KeyResult:
    result = KeyResult(secret, key)
    try:
        KeyRun(card, result, encode_secret(secret, right)).run()
    except _Deviation as deviation:
        result.problem, result.problem_ja = str(deviation), deviation.ja
    except ApduError as exc:  # e.g. the application is missing (SELECT failed)
        if exc.sw in _NOT_ON_CARD:
            result.skipped = f"the card has no such application or key ({_sw(exc.sw)})"
            result.skipped_ja = f"カードにこのアプリケーションか鍵がありません({_sw(exc.sw)})"
        else:
            result.problem = f"unexpected status word {_sw(exc.sw)}"
            result.problem_ja = f"想定外のステータスワード {_sw(exc.sw)}"
    return result


def _has_key(card: MyNumberCard, key: KeyRef) -> bool:
    """Whether the card answers the empty VERIFY (which uses no try) for ``key``."""
    try:
        return card.verify(key.aid, key.key_ef, b"").sw not in _NOT_ON_CARD
    except ApduError:
        return False


def conform(card: MyNumberCard, keys: list[tuple[Secret, KeyRef]],
            secret_of: Callable[[Secret], str | None]) -> list[KeyResult]:
    """Run every key; ``secret_of`` gives the right value (None: skip the key)."""
    results = []
    for secret, key in keys:
        right = secret_of(secret)
        if right is None:
            result = KeyResult(secret, key, skipped="no value for this secret",
                               skipped_ja="この暗証番号の値がありません")
            if not _has_key(card, key):
                result.skipped = "the card has no such application or key"
                result.skipped_ja = "カードにこのアプリケーションか鍵がありません"
        else:
            result = conform_key(card, secret, key, right)
        results.append(result)
    return results
