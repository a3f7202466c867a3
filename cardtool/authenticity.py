"""One authenticity verdict for every card: the checks a card application ran on its signed
data, turned into a status every face and report shows the same way.

Statuses, from the strongest claim down (a verdict is never overstated):

  genuine        every signature chains to an official anchor, and the chip answered a
                 fresh challenge with the certified card key (My Number cards)
  data-genuine   every signature chains to an official anchor; the card has no chip
                 challenge (residence cards), so a copy of the data would pass too
  test-anchor    every check passed, but against a TEST key: right for demos and CI,
                 never for a real decision
  unanchored     the signatures match the card's own certificate, but no official anchor
                 is installed (or only an unofficial one): install one to decide
  not-checked    nothing that proves the card in hand was checked (no signed card data
                 read, e.g. no secret given)
  invalid        a check failed (the check says which): forged, altered or cloned data

``invalid`` maps to exit code 7 (``cardtool.errors.EXIT_NOT_GENUINE``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from cardtool.i18n import pick


class Status(Enum):
    GENUINE = "genuine"
    DATA_GENUINE = "data-genuine"
    TEST_ANCHOR = "test-anchor"
    UNANCHORED = "unanchored"
    NOT_CHECKED = "not-checked"
    INVALID = "invalid"


class Result(Enum):
    PASS = "pass"
    FAIL = "fail"
    SKIPPED = "skipped"  # could not be run (a record not read, a secret not given)


class AnchorProfile(Enum):
    PRODUCTION = "production"  # an official anchor (J-LIS production key, official ISA CA)
    TEST = "test"  # a test hierarchy: ours, or an issuer's own test keys
    UNOFFICIAL = "unofficial"  # installed by the user with --unofficial


@dataclass(frozen=True)
class Anchor:
    """What the signatures chained to."""

    id: str  # e.g. "jlis-5000033" or "isa-rc2-ca2-2026"
    profile: AnchorProfile
    description: str  # e.g. "J-LIS 券面入力補助AP CA 5000033/001"

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "profile": self.profile.value, "description": self.description}


@dataclass(frozen=True)
class AuthenticityCheck:
    name: str  # e.g. "text-integrity", "cv-certificate", "chip-challenge"
    result: Result
    detail_en: str
    detail_ja: str

    def detail(self, lang: str) -> str:
        return pick((self.detail_en, self.detail_ja), lang)

    def to_json(self, lang: str = "en") -> dict[str, str]:
        return {"name": self.name, "result": self.result.value, "detail": self.detail(lang)}


def passed(name: str, en: str, ja: str) -> AuthenticityCheck:
    return AuthenticityCheck(name, Result.PASS, en, ja)


def failed(name: str, en: str, ja: str) -> AuthenticityCheck:
    return AuthenticityCheck(name, Result.FAIL, en, ja)


def skipped(name: str, en: str, ja: str) -> AuthenticityCheck:
    return AuthenticityCheck(name, Result.SKIPPED, en, ja)


STATUS_LABELS: dict[Status, tuple[str, str]] = {
    Status.GENUINE: ("GENUINE: the chip and its data are proven genuine",
                     "真正: ICチップとそのデータが真正であることを確認しました"),
    Status.DATA_GENUINE: ("DATA GENUINE: the chip's data is signed by the issuer "
                          "(this card type has no chip challenge)",
                          "データ真正: チップのデータは発行者の署名付きです(このカードにはチップ認証がありません)"),
    Status.TEST_ANCHOR: ("TEST KEY ONLY: every check passed against a TEST key; never use "
                         "this for a real decision",
                         "テスト鍵のみ: すべての検証はテスト用の鍵に対するものです。実際の判断には使えません"),
    Status.UNANCHORED: ("UNANCHORED: the signatures match the card's own certificate, but no "
                        "official trust anchor is installed",
                        "アンカー未確認: 署名はカード自身の証明書と一致しますが、公式のトラストアンカーが"
                        "インストールされていません"),
    Status.NOT_CHECKED: ("NOT CHECKED: the card in hand was not proven genuine",
                         "未検証: 手元のカードが真正であることは確認していません"),
    Status.INVALID: ("INVALID: a check failed; the card or its data is not genuine",
                     "不正: 検証に失敗しました。カードまたはデータは真正ではありません"),
}


#: Short names of the statuses, by value (a narrow column: the office report, the desk).
SHORT_LABELS: dict[str, tuple[str, str]] = {
    "genuine": ("genuine", "真正"),
    "data-genuine": ("data genuine", "データ真正"),
    "test-anchor": ("TEST key only", "テスト鍵のみ"),
    "unanchored": ("no trust anchor", "アンカー未確認"),
    "not-checked": ("not checked", "未検証"),
    "invalid": ("NOT GENUINE", "不正"),
}


@dataclass(frozen=True)
class Authenticity:
    status: Status
    checks: tuple[AuthenticityCheck, ...]
    anchor: Anchor | None = None
    #: What to do next, when the status asks for it (e.g. how to install an anchor).
    advice_en: str = ""
    advice_ja: str = ""

    @property
    def is_invalid(self) -> bool:
        return self.status is Status.INVALID

    def label(self, lang: str) -> str:
        return pick(STATUS_LABELS[self.status], lang)

    def advice(self, lang: str) -> str:
        return pick((self.advice_en, self.advice_ja), lang)

    def failures(self) -> list[AuthenticityCheck]:
        return [c for c in self.checks if c.result is Result.FAIL]

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": self.status.value,
            "checks": [c.to_json(lang) for c in self.checks],
            "anchor": self.anchor.to_json() if self.anchor else None,
        }
        if self.advice_en:
            out["advice"] = self.advice(lang)
        return out


def verdict(checks: Iterable[AuthenticityCheck], anchor: Anchor | None, *,
            chip_challenge: bool | None, advice_en: str = "",
            advice_ja: str = "") -> Authenticity:
    """The one rule that turns checks into a status.

    ``chip_challenge``: True when the chip answered a challenge verified with a certified
    key (a passing check is among ``checks``), False when the card has a challenge but it
    was not run, None when the card type has none (residence cards).
    ``anchor``: what the signature chain ended in; None when no anchor was found."""
    items = tuple(checks)
    if any(c.result is Result.FAIL for c in items):
        status = Status.INVALID
    elif not any(c.result is Result.PASS for c in items) or chip_challenge is False:
        # Nothing signed was checked, or the card has a chip challenge that was not run:
        # a copy of the files would pass as well. No claim about the card in hand.
        status = Status.NOT_CHECKED
    elif anchor is None or anchor.profile is AnchorProfile.UNOFFICIAL:
        status = Status.UNANCHORED
    elif anchor.profile is AnchorProfile.TEST:
        status = Status.TEST_ANCHOR
    elif chip_challenge is None:
        status = Status.DATA_GENUINE
    else:
        status = Status.GENUINE
    return Authenticity(status, items, anchor, advice_en, advice_ja)


NOTHING_READ = Authenticity(Status.NOT_CHECKED, (), None)

#: From the weakest claim to the strongest: a card with two sides (a 特定在留カード's My
#: Number chip and residence data) is only as genuine as its weaker side, and a client's row
#: shows the weakest of the client's cards. The one order (the expiry rules, the office
#: report and the register use it through ``weakest``). ``not-checked`` is weaker than
#: ``unanchored``: of a pair of cards, one not checked at all and one whose signatures match
#: its own certificate, showing "unanchored" would claim a signature check the first card
#: never had; "not checked" overstates nothing.
STRENGTH = (Status.INVALID, Status.NOT_CHECKED, Status.UNANCHORED, Status.TEST_ANCHOR,
            Status.DATA_GENUINE, Status.GENUINE)


def weakest(verdicts: Iterable[Authenticity | None]) -> Authenticity | None:
    """The verdict with the weakest claim (``STRENGTH``), the first of equals; None when
    none was given."""
    given = [v for v in verdicts if v is not None]
    return min(given, key=lambda v: STRENGTH.index(v.status), default=None)


def combine(*verdicts: Authenticity | None) -> Authenticity | None:
    """One verdict for a card checked in parts: the weakest part's status, anchor and
    advice, with every part's checks."""
    parts = [v for v in verdicts if v is not None]
    if len(parts) <= 1:
        return parts[0] if parts else None
    weakest_part = weakest(parts)
    assert weakest_part is not None
    checks = tuple(c for v in parts for c in v.checks)
    return Authenticity(weakest_part.status, checks, weakest_part.anchor,
                        weakest_part.advice_en, weakest_part.advice_ja)
