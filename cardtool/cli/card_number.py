"""Getting the residence card number from the user: ``--card-number-stdin`` (one line),
else the environment variable ``CARDTOOL_CARD_NUMBER`` (automation), else a no-echo prompt
shown only once the card turned out to be a residence card. Never from argv.

A number given on stdin or in the environment is format-checked before the card is even
opened, so a typo costs no APDU at all.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

import click

from cardtool.errors import UsageError
from cardtool.i18n import pick
from cardtool.secret_format import RESIDENCE_CARD_NUMBER, encode_secret

ENV_CARD_NUMBER = "CARDTOOL_CARD_NUMBER"


class CardNumberAsker:
    def __init__(self, lang: str, from_stdin: bool,
                 environ: Mapping[str, str] | None = None) -> None:
        self.lang = lang
        self.asked = 0
        self._preset: str | None = None
        env = os.environ if environ is None else environ
        if from_stdin:
            line = sys.stdin.readline()
            if not line.strip():
                raise UsageError(
                    "--card-number-stdin: no card number on standard input.",
                    "--card-number-stdin: 標準入力に在留カード番号がありません。")
            self._preset = line.rstrip("\r\n")
        elif env.get(ENV_CARD_NUMBER, "").strip():
            self._preset = env[ENV_CARD_NUMBER]
        if self._preset is not None:
            # The residence reader's check (auth.check_card_number) is this same rule; it
            # is applied here without importing the reader (not needed for other cards).
            encode_secret(RESIDENCE_CARD_NUMBER, self._preset)

    def __call__(self) -> str:
        self.asked += 1
        if self._preset is not None:
            return self._preset
        s = RESIDENCE_CARD_NUMBER
        label = pick((s.label_en, s.label_ja), self.lang)
        hint = pick((s.rule.describe_en, s.rule.describe_ja), self.lang)
        value: str = click.prompt(f"{label} ({hint})", hide_input=True, err=True,
                                  show_default=False)
        return value
