"""The PIN-attempt policy table: one definition per secret.

Used by the live guard (before any VERIFY), by the virtual cards (their PIN objects) and by
the trace checker. Nothing else in the project may restate a PIN's format or try count.

Values from ``shared/spec/mynumber-card.md`` §3. The try limits of 照合番号A/B and the
生年月日 key are (unverified) there: 3 per one source, 10 per another. We use 10 and
say so in README; the guard never relies on the maximum, it reads the counter first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from cardtool.cards.mynumber import ids as mn
from cardtool.errors import EXIT_PIN, CardtoolError


class Charset(Enum):
    DIGITS = "digits"
    UPPER_ALNUM = "A-Z0-9"
    CARD_NUMBER = "card-number"  # 2 letters, 8 digits, 2 letters


@dataclass(frozen=True)
class FormatRule:
    min_length: int
    max_length: int
    charset: Charset
    #: The signing password must mix letters and digits.
    letter_and_digit: bool = False
    #: Lower case typed by the user is upper-cased before checking (the card compares bytes).
    uppercase_input: bool = False
    describe_en: str = ""
    describe_ja: str = ""

    def __post_init__(self) -> None:
        if self.charset is Charset.DIGITS:
            body = "[0-9]"
        elif self.charset is Charset.UPPER_ALNUM:
            body = "[A-Z0-9]"
        else:
            body = ""
        if self.charset is Charset.CARD_NUMBER:
            pattern = r"[A-Z]{2}[0-9]{8}[A-Z]{2}"
        else:
            pattern = f"{body}{{{self.min_length},{self.max_length}}}"
        if self.letter_and_digit:
            pattern = r"(?=[^A-Z]*[A-Z])(?=[^0-9]*[0-9])" + pattern
        object.__setattr__(self, "_regex", re.compile(pattern.encode("ascii")))

    def normalize(self, text: str) -> str:
        return text.upper() if self.uppercase_input else text

    def matches(self, value: bytes) -> bool:
        """Whether already-normalized bytes follow the rule (used by the trace checker)."""
        regex: re.Pattern[bytes] = object.__getattribute__(self, "_regex")
        return regex.fullmatch(value) is not None


DIGITS_4 = FormatRule(4, 4, Charset.DIGITS, describe_en="exactly 4 digits",
                      describe_ja="数字4桁")
SIGN_PASSWORD = FormatRule(
    6, 16, Charset.UPPER_ALNUM, letter_and_digit=True, uppercase_input=True,
    describe_en="6 to 16 letters A-Z and digits 0-9, with at least one letter and one digit",
    describe_ja="英大文字(A-Z)と数字(0-9)の6~16文字で、英字と数字をそれぞれ1文字以上含むもの",
)
DIGITS_12 = FormatRule(12, 12, Charset.DIGITS, describe_en="exactly 12 digits (the My Number)",
                       describe_ja="数字12桁(個人番号)")
DIGITS_14 = FormatRule(
    14, 14, Charset.DIGITS,
    describe_en="14 digits: birth date YYMMDD (Japanese era), card expiry year, security code",
    describe_ja="数字14桁(和暦の生年月日6桁+有効期限の西暦年4桁+セキュリティコード4桁)",
)
DIGITS_6 = FormatRule(6, 6, Charset.DIGITS, describe_en="6 digits: birth date YYMMDD (Japanese era)",
                      describe_ja="数字6桁(和暦の生年月日 YYMMDD)")
CARD_NUMBER = FormatRule(
    12, 12, Charset.CARD_NUMBER, uppercase_input=True,
    describe_en="12 characters as printed on the card: 2 letters, 8 digits, 2 letters",
    describe_ja="カードに記載の12文字(英字2文字+数字8桁+英字2文字)",
)


@dataclass(frozen=True)
class KeyRef:
    """One key object on the card that a secret unlocks."""

    application: str  # "jpki", "text", "visual", "juki", "common"
    aid: bytes
    key_ef: int
    max_tries: int


@dataclass(frozen=True)
class Secret:
    name: str  # what users type: auth, sign, text, juki, number-a, number-b, birth
    rule: FormatRule
    keys: tuple[KeyRef, ...]
    label_en: str
    label_ja: str
    #: Whether the maximum try count is confirmed by two sources (spec §3).
    max_tries_verified: bool = True

    @property
    def max_tries(self) -> int:
        return self.keys[0].max_tries

    def key_in(self, application: str) -> KeyRef:
        for key in self.keys:
            if key.application == application:
                return key
        raise KeyError(f"{self.name} has no key in {application}")


# Try limit for 照合番号A/B and the birth-date key: unverified (3 or 10, spec §3).
UNVERIFIED_CODE_MAX_TRIES = 10

SECRETS: dict[str, Secret] = {
    s.name: s
    for s in (
        Secret("auth", DIGITS_4, (KeyRef("jpki", mn.JPKI_AID, mn.JpkiEF.AUTH_PIN, 3),),
               "user-authentication PIN (利用者証明用電子証明書)", "利用者証明用電子証明書の暗証番号"),
        Secret("sign", SIGN_PASSWORD, (KeyRef("jpki", mn.JPKI_AID, mn.JpkiEF.SIGN_PIN, 5),),
               "signing password (署名用電子証明書)", "署名用電子証明書の暗証番号"),
        Secret("text", DIGITS_4, (KeyRef("text", mn.TEXT_AID, mn.TextEF.PIN, 3),),
               "text-input-support PIN (券面事項入力補助用)", "券面事項入力補助用の暗証番号"),
        Secret("juki", DIGITS_4,
               (KeyRef("juki", mn.JUKI_AID, mn.JukiEF.PIN, 3),
                KeyRef("common", mn.COMMON_AID, mn.CommonEF.PIN, 3)),
               "resident-registry PIN (住民基本台帳用)", "住民基本台帳用の暗証番号"),
        Secret("number-a", DIGITS_12,
               (KeyRef("text", mn.TEXT_AID, mn.TextEF.KEY_A, UNVERIFIED_CODE_MAX_TRIES),
                KeyRef("visual", mn.VISUAL_AID, mn.VisualEF.KEY_A, UNVERIFIED_CODE_MAX_TRIES)),
               "collation number A (照合番号A: the My Number)", "照合番号A(個人番号)",
               max_tries_verified=False),
        Secret("number-b", DIGITS_14,
               (KeyRef("text", mn.TEXT_AID, mn.TextEF.KEY_B, UNVERIFIED_CODE_MAX_TRIES),
                KeyRef("visual", mn.VISUAL_AID, mn.VisualEF.KEY_B, UNVERIFIED_CODE_MAX_TRIES)),
               "collation number B (照合番号B)", "照合番号B", max_tries_verified=False),
        Secret("birth", DIGITS_6,
               (KeyRef("visual", mn.VISUAL_AID, mn.VisualEF.BIRTH_KEY, UNVERIFIED_CODE_MAX_TRIES),),
               "birth-date key (生年月日)", "生年月日照合", max_tries_verified=False),
    )
}

#: The residence card number is a secret for format checks and redaction; it has no try
#: counter on the card (spec residence §7, unverified).
RESIDENCE_CARD_NUMBER = Secret("card-number", CARD_NUMBER, (), "residence card number",
                               "在留カード番号")

#: (AID, key EF) -> (secret, key), for the guard, the virtual cards and the checker.
KEYS: dict[tuple[bytes, int], tuple[Secret, KeyRef]] = {
    (key.aid, key.key_ef): (secret, key) for secret in SECRETS.values() for key in secret.keys
}


#: How many failed VERIFYs of one key in a row one trace (one session) may hold. The guard
#: never retries on its own, so a failure is followed by a fresh entry from the user; letting
#: the user retype once is normal, a third wrong value in a row looks like guessing or a
#: retry loop. Used by the trace checker (rule ``repeated-failures``).
CONSECUTIVE_FAILURES_ALLOWED = 2


#: The tries left at which one more wrong entry blocks a key. With this count the guard
#: refuses to send a VERIFY unless forced, and the trace checker reports one that was sent
#: (rule ``last-try``).
LAST_TRY = 1


def key_for(aid: bytes, key_ef: int) -> tuple[Secret, KeyRef] | None:
    """The policy's secret and key for a key EF in an application, or None if unknown."""
    return KEYS.get((aid, key_ef))


def secret(name: str) -> Secret:
    try:
        return SECRETS[name]
    except KeyError:
        raise UnknownSecret(name=name, known=", ".join(SECRETS)) from None


class UnknownSecret(CardtoolError):
    en = "Unknown PIN name '{name}'. Known: {known}."
    ja = "暗証番号の名前 '{name}' は不明です。指定できるもの: {known}。"
    exit_code = 1


class PinFormatError(CardtoolError):
    """The value does not follow the secret's rule. Never carries the value itself."""

    en = "The {label} must be {rule}. Nothing was sent to the card; no try was used."
    ja = "{label}は{rule}で入力してください。カードには送信していません(試行回数は減っていません)。"
    exit_code = EXIT_PIN

    def __init__(self, s: Secret) -> None:
        super().__init__(label=s.label_en, rule=s.rule.describe_en)
        self._ja = (s.label_ja, s.rule.describe_ja)

    def render(self, lang: str = "en") -> str:
        if lang == "ja":
            return self.ja.format(label=self._ja[0], rule=self._ja[1])
        return super().render(lang)


def encode_secret(s: Secret, typed: str) -> bytes:
    """Normalize (upper-case where the rule says so) and check ``typed``; return the ASCII
    bytes a VERIFY carries. Raises PinFormatError before anything reaches a card."""
    value = s.rule.normalize(typed.strip())
    try:
        raw = value.encode("ascii")
    except UnicodeEncodeError:
        raise PinFormatError(s) from None
    if not s.rule.matches(raw):
        raise PinFormatError(s)
    return raw
