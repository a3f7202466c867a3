"""Asking the user for secrets: a no-echo prompt, or one line per secret from stdin
(``--pin-stdin``). Never from argv; never echoed, logged or traced."""

from __future__ import annotations

import sys

import click

from cardtool.errors import UsageError
from cardtool.i18n import pick
from cardtool.secret_format import Secret

#: The three parts of 照合番号B as printed on the card: (key, English, Japanese, hidden).
NUMBER_B_PARTS = (
    ("birth", "birth date printed on the card (YYYY-MM-DD)", "カード記載の生年月日(西暦 YYYY-MM-DD)",
     False),
    ("year", "the year of the card's expiry date (YYYY)", "カードの有効期限の年(西暦4桁)", False),
    ("code", "the 4-digit security code printed on the card", "カード記載のセキュリティコード(4桁)",
     True),
)


class SecretAsker:
    """``number_b_parts``: ask 照合番号B as its three printed parts (the 14 digits are built
    in ``cardtool.era``), so nobody converts a birth date to the Japanese era by hand."""

    def __init__(self, lang: str, from_stdin: bool, *, number_b_parts: bool = False) -> None:
        self.lang = lang
        self.from_stdin = from_stdin
        self.number_b_parts = number_b_parts
        self.asked: list[str] = []

    def _line(self, label_en: str, label_ja: str, hidden: bool) -> str:
        if self.from_stdin:
            line = sys.stdin.readline()
            if not line:
                raise UsageError(
                    f"--pin-stdin: no line on standard input for the {label_en}.",
                    f"--pin-stdin: 標準入力に{label_ja}の行がありません。",
                )
            return line.rstrip("\r\n")
        value: str = click.prompt(pick((label_en, label_ja), self.lang),
                                  hide_input=hidden, err=True, show_default=False)
        return value

    def __call__(self, secret: Secret) -> str:
        self.asked.append(secret.name)
        if self.number_b_parts and secret.name == "number-b":
            return self._number_b(secret)
        hint_en, hint_ja = secret.rule.describe_en, secret.rule.describe_ja
        return self._line(f"{secret.label_en} ({hint_en})", f"{secret.label_ja} ({hint_ja})",
                          True)

    def _number_b(self, secret: Secret) -> str:
        # Imported here: the card-facts service loads residence code a My Number read
        # does not need.
        from cardtool.services.card_facts import number_b_from_printed

        birth, year, code = (self._line(en, ja, hidden)
                             for _key, en, ja, hidden in NUMBER_B_PARTS)
        return number_b_from_printed(secret, birth, year, code)
