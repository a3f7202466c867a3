"""What a secret looks like: the format rules of PINs, passwords and collation numbers,
the ``Secret`` and ``KeyRef`` records, and the check run on every typed value before it can
reach a card (``encode_secret``).

A leaf module: the card applications (the residence card number), the PIN-attempt policy
(``cardtool.policy.table`` defines the secrets of the My Number card with these types), the
virtual cards and the faces all import it, and it imports nothing of theirs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from cardtool.errors import EXIT_PIN, CardtoolError

#: A residence card number as printed (2 letters, 8 digits, 2 letters): the one pattern, for
#: the format check below and for spotting a number typed where it must not be
#: (``cardtool.typed_text``).
CARD_NUMBER_PATTERN = r"[A-Z]{2}[0-9]{8}[A-Z]{2}"


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
            pattern = CARD_NUMBER_PATTERN
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


#: The residence card number is a secret for format checks and redaction; it has no try
#: counter on the card (spec residence §7, unverified).
RESIDENCE_CARD_NUMBER = Secret("card-number", CARD_NUMBER, (), "residence card number",
                               "在留カード番号")

def mask_card_number(number: str) -> str:
    """AB********CD: enough to tell residence cards apart (what a read shows, what the
    register keeps), not enough to authenticate with."""
    if len(number) != CARD_NUMBER.max_length:
        return "*" * len(number)
    return number[:2] + "*" * 8 + number[-2:]


class PinFormatError(CardtoolError):
    """The value does not follow the secret's rule. Never carries the value itself."""

    en = "The {label} must be {rule}. Nothing was sent to the card; no try was used."
    ja = "{label_ja}は{rule_ja}で入力してください。カードには送信していません(試行回数は減っていません)。"
    exit_code = EXIT_PIN

    def __init__(self, s: Secret) -> None:
        super().__init__(label=s.label_en, rule=s.rule.describe_en,
                         label_ja=s.label_ja, rule_ja=s.rule.describe_ja)


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
