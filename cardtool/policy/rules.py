"""The trace checker's rules and findings: one catalogue for both checker implementations
(``check.py``, the fast one, and ``check_plain.py``, the reference) and the CLI.

A rule has an id (what ``--ignore`` takes and the JSON report names), a severity and a
one-line explanation in English and Japanese. A finding names the trace file, the exchange
number (``n`` in the trace; None for a finding about the whole file), the rule, the key it
concerns (``auth/jpki``: secret name / application) and a short detail that never holds a
secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from cardtool.i18n import pick
from cardtool.policy.table import CONSECUTIVE_FAILURES_ALLOWED
from cardtool.secret_format import FormatRule


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    en: str
    ja: str
    #: What the rule is about: "program" (the software that talked to the card), "card"
    #: (the card contradicts the policy), "secrets" (what the trace itself leaks), "file".
    about: str
    ignorable: bool = True

    def explain(self, lang: str) -> str:
        return pick((self.en, self.ja), lang)


_ALLOWED = CONSECUTIVE_FAILURES_ALLOWED

RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("pin-format", Severity.ERROR,
         "VERIFY data breaks the format rule of the secret (length, characters, letter and "
         "digit mix): it can never be right and only uses up a try.",
         "VERIFY のデータが暗証番号の形式(桁数・文字種・英数字の混在)に合っていません。"
         "正しいはずがなく、試行回数を消費するだけです。", "program"),
    Rule("unknown-key", Severity.WARNING,
         "VERIFY with data sent to a key the policy does not know (its try limit is unknown).",
         "ポリシーにない鍵へデータ付きの VERIFY を送っています(試行回数の上限が不明です)。",
         "program"),
    Rule("blind-verify", Severity.WARNING,
         "VERIFY with data sent without reading the tries left first in this session "
         "(send the empty VERIFY first).",
         "このセッションで残り試行回数を確認せずにデータ付きの VERIFY を送っています"
         "(先に空の VERIFY で確認してください)。", "program"),
    Rule("last-try", Severity.ERROR,
         "VERIFY with data sent when only one try was left: a wrong value blocks the card.",
         "残り試行回数が1回のときにデータ付きの VERIFY を送っています。間違えるとロックされます。",
         "program"),
    Rule("verify-blocked", Severity.ERROR,
         "VERIFY with data sent to a key already blocked (after 69 84 / 69 83 / 63 C0).",
         "既にロックされた鍵(69 84 / 69 83 / 63 C0 の後)へデータ付きの VERIFY を送っています。",
         "program"),
    Rule("repeated-failures", Severity.ERROR,
         f"More than {_ALLOWED} failed VERIFYs of one key in a row in one session.",
         f"1つのセッションで同じ鍵の VERIFY が{_ALLOWED}回を超えて連続で失敗しています。",
         "program"),
    Rule("key-blocked", Severity.ERROR,
         "A key was blocked by a failed VERIFY in this trace and is still blocked at its end.",
         "このトレース中の VERIFY 失敗で鍵がロックされ、最後までロックされたままです。",
         "program"),
    Rule("reverify", Severity.WARNING,
         "VERIFY with data for a key already verified in this session: an unnecessary try.",
         "このセッションで照合済みの鍵へ再度データ付きの VERIFY を送っています(不要な試行です)。",
         "program"),
    Rule("counter-increased", Severity.ERROR,
         "The card's retry counter went up without a successful VERIFY.",
         "VERIFY が成功していないのにカードの残り試行回数が増えています。", "card"),
    Rule("counter-step", Severity.ERROR,
         "A failed VERIFY changed the retry counter by other than one.",
         "VERIFY の失敗で残り試行回数が1以外の数だけ変化しています。", "card"),
    Rule("max-above-policy", Severity.ERROR,
         "The card reports more tries left than the policy's maximum for this key.",
         "カードの残り試行回数がポリシーの上限を超えています。", "card"),
    Rule("blocked-wrong-sw", Severity.ERROR,
         "Wrong status word for a blocked key: a VERIFY with data must get 69 84 (or 69 83).",
         "ロックされた鍵へのデータ付き VERIFY の応答が 69 84(または 69 83)ではありません。",
         "card"),
    Rule("secret-unredacted", Severity.ERROR,
         "A PIN, password or card number is readable in the trace (VERIFY / CHANGE REFERENCE "
         "DATA data not redacted).",
         "トレースに暗証番号・パスワード・カード番号が残っています(VERIFY / CHANGE REFERENCE "
         "DATA のデータが秘匿化されていません)。", "secrets"),
    Rule("my-number-visible", Severity.ERROR,
         "A My Number (12 digits with a valid check digit) is readable in a response of a "
         "trace not redacted for personal data.",
         "個人情報を秘匿化していないトレースの応答に個人番号(検査用数字が正しい12桁)が"
         "含まれています。", "secrets"),
    Rule("trace-torn", Severity.WARNING,
         "The last line of the trace was cut off (the recording was interrupted); it was "
         "ignored.",
         "トレースの最終行が途中で切れています(記録が中断されました)。無視しました。", "file"),
    Rule("trace-unreadable", Severity.ERROR,
         "The file could not be read as a trace (see the detail); what came before the "
         "broken line was still checked.",
         "トレースとして読めないファイルです(詳細を参照)。壊れた行より前は検査済みです。", "file",
         ignorable=False),
)}

UNREADABLE = "trace-unreadable"
TORN = "trace-torn"


@dataclass(frozen=True)
class TraceFinding:
    path: str
    exchange: int | None
    rule: str
    key: str = ""
    detail: str = ""

    @property
    def severity(self) -> Severity:
        return RULES[self.rule].severity

    def to_json(self, lang: str = "en") -> dict[str, object]:
        rule = RULES[self.rule]
        return {"path": self.path, "exchange": self.exchange, "rule": self.rule,
                "severity": rule.severity.value, "key": self.key or None,
                "detail": self.detail or None, "explanation": rule.explain(lang)}


@dataclass
class FileReport:
    """What checking one file found. ``exchanges`` counts the exchange events read."""

    path: str
    source: str  # "cardtool", "apdu4j", "pcsc-spy"
    exchanges: int = 0
    findings: list[TraceFinding] = field(default_factory=list)

    @property
    def unreadable(self) -> bool:
        return any(f.rule == UNREADABLE for f in self.findings)

    def without(self, ignored: frozenset[str]) -> FileReport:
        return FileReport(self.path, self.source, self.exchanges,
                          [f for f in self.findings if f.rule not in ignored])


# -- details shared by both implementations (so their findings compare equal) ----------


def format_problem(rule: FormatRule, data: bytes | None, length: int) -> str | None:
    """Why VERIFY data of ``length`` bytes breaks ``rule`` ("length 5", "characters"), or
    None if it does not. ``data`` is None when the bytes are redacted: only the length is
    known then. The detail never contains the value."""
    if not rule.min_length <= length <= rule.max_length:
        return f"length {length}"
    if data is not None and not rule.matches(data):
        return "characters"
    return None


def key_label(secret_name: str, application: str) -> str:
    return f"{secret_name}/{application}"


def unknown_key_label(application: str | None, key_ef: int | None) -> str:
    """How a finding names a key the policy does not know."""
    where = application if application is not None else "no application selected"
    ef = f"EF {key_ef:04X}" if key_ef is not None else "no key EF"
    return f"{where}/{ef}"
