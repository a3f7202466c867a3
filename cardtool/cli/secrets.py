"""Asking the user for secrets: a no-echo prompt, or one line per secret from stdin
(``--pin-stdin``). Never from argv; never echoed, logged or traced."""

from __future__ import annotations

import sys

import click

from cardtool.errors import UsageError
from cardtool.policy.table import Secret


class SecretAsker:
    def __init__(self, lang: str, from_stdin: bool) -> None:
        self.lang = lang
        self.from_stdin = from_stdin
        self.asked: list[str] = []

    def __call__(self, secret: Secret) -> str:
        self.asked.append(secret.name)
        label = secret.label_ja if self.lang == "ja" else secret.label_en
        if self.from_stdin:
            line = sys.stdin.readline()
            if not line:
                raise UsageError(
                    f"--pin-stdin: no line on standard input for the {secret.label_en}.",
                    f"--pin-stdin: 標準入力に{secret.label_ja}の行がありません。",
                )
            return line.rstrip("\r\n")
        hint = secret.rule.describe_ja if self.lang == "ja" else secret.rule.describe_en
        value: str = click.prompt(f"{label} ({hint})", hide_input=True, err=True,
                                  show_default=False)
        return value
