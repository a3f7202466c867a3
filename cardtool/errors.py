"""cardtool's exceptions and every exit code it ends with. The root derives from the apdu
layer's, so one ``except`` in the CLI catches every error either layer raises, each with its
ja/en line and exit code.

Exit codes (README "Exit codes"; the apdu layer's are re-exported, so this is the one table
the project reads them from): 0 ok; 1 usage; 2 no reader, or an optional part of cardtool
not installed (an extra: ``cardtool.install``); 3 card; 4 PIN; 5 findings (an
expiry past or near, a trace that breaks the policy, a card not conformant); 6 bad input
file; 7 not genuine; 8 the client register cannot be used; 70 internal error; 130
interrupted.
"""

from __future__ import annotations

from apdu.errors import (
    EXIT_BAD_INPUT,
    EXIT_CARD,
    EXIT_EXPIRY,
    EXIT_NO_READER,
    EXIT_OK,
    EXIT_PIN,
    EXIT_USAGE,
    ApduLayerError,
)

#: ``trace check`` found policy findings, ``policy conform`` a key not conformant: the same
#: code as an expiry finding (the README's "warnings").
EXIT_FINDINGS = EXIT_EXPIRY
#: A card's authenticity check failed (``cardtool.authenticity.Status.INVALID``).
EXIT_NOT_GENUINE = 7
#: An error nothing anticipated (reported in one line, never a traceback).
EXIT_INTERNAL = 70
#: Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130
#: A feature's optional dependencies (an extra of the distribution) are not installed: like
#: a missing reader, something this machine lacks, added without changing the command.
EXIT_MISSING_EXTRA = EXIT_NO_READER
#: The client register (``cardtool.register``) cannot be opened, is newer than this code, or
#: refused a write (full disk, read-only): no card or input-file code fits a database.
EXIT_REGISTER = 8


class CardtoolError(ApduLayerError):
    pass


class UsageError(CardtoolError):
    en = "{detail}"
    ja = "{detail_ja}"
    exit_code = EXIT_USAGE

    def __init__(self, detail: str, detail_ja: str | None = None) -> None:
        super().__init__(detail=detail, detail_ja=detail_ja or detail)


class UnknownVirtualCard(CardtoolError):
    en = "Unknown virtual card '{kind}'. Available: {available}."
    ja = "仮想カード '{kind}' はありません。利用できるもの: {available}。"
    exit_code = EXIT_USAGE


class BadInputFile(CardtoolError):
    en = "Cannot use {path}: {detail}."
    ja = "{path} を使用できません: {detail}。"
    exit_code = EXIT_BAD_INPUT


class UnsupportedCard(CardtoolError):
    en = "Not a supported card (ATR {atr}). cardtool reads My Number cards and residence cards."
    ja = "対応していないカードです(ATR {atr})。マイナンバーカードと在留カード等に対応しています。"
    exit_code = EXIT_CARD


class SecretInCommand(CardtoolError):
    en = (
        "Refusing to send {command} with data through 'cardtool apdu': it would put a secret "
        "in the command line and may use up a try. Use 'cardtool pin verify' instead."
    )
    ja = (
        "'cardtool apdu' ではデータ付きの {command} を送信しません(秘密情報がコマンドラインに"
        "残り、試行回数を消費するおそれがあります)。'cardtool pin verify' を使ってください。"
    )
    exit_code = EXIT_USAGE


__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CARD",
    "EXIT_EXPIRY",
    "EXIT_FINDINGS",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_GENUINE",
    "EXIT_NO_READER",
    "EXIT_OK",
    "EXIT_PIN",
    "EXIT_REGISTER",
    "EXIT_USAGE",
    "BadInputFile",
    "CardtoolError",
    "SecretInCommand",
    "UnknownVirtualCard",
    "UnsupportedCard",
    "UsageError",
]
