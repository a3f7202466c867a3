"""The ``cardtool`` command. ``main`` turns every error into one line and an exit code."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import NoReturn

import click

from apdu.errors import ApduLayerError
from cardtool import __version__
from cardtool.cli.util import AppContext, card_source_options, lang_option
from cardtool.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
)
from cardtool.i18n import LANGS, detect_lang, t
from cardtool.install import MissingExtra, extra_of_module

#: The commands and the first sentence of their help, declared here so that ``--help`` lists
#: them without importing any (start-up time counts: it is the first thing a new user types,
#: and staff read card after card). Each command's module is imported when it is run or its
#: own --help is asked for (``load_command``). tests/cli/test_lazy_cli.py fails when a line
#: here differs from the command's own docstring summary.
COMMAND_HELP: dict[str, str] = {
    "read": "Read the card on the reader: kind, expiry, certificate validity, PIN tries left.",
    "pin": "PIN tries left and PIN checks (never more tries than you ask for).",
    "cert": "Save a JPKI certificate (sign needs the signing password).",
    "sign": ("Sign a file: RSA PKCS#1 v1.5 over SHA-256, verifiable with `openssl "
             "dgst -sha256 -verify PUBKEY.pem -signature PATH.sig PATH`."),
    "emulate": ("Serve a virtual card (mynumber, residence, residence2, specified) or, "
                "with --replay, a recorded session, until Ctrl-C."),
    "readers": "List PC/SC readers with card presence and ATR.",
    "apdu": "Send raw command APDUs (like opensc-tool -s) and print each response and SW meaning.",
    "trace": ("Show, check and import recorded APDU traces (cardtool traces, apdu4j "
              ".dump files, pcsc-spy logs and OpenSC debug logs, told apart by content)."),
    "expiry": ("Check one card's dates (exit code 5 when anything is soon, urgent or "
               "expired; 7 when the card's authenticity check failed)."),
    "office": "Check many clients' cards for expiry, one card after the other (Ctrl-C to finish).",
    "policy": "The PIN-attempt policy: prove that a card follows it.",
    "trust": "ISA CA certificates (trust anchors) for checking residence cards.",
    "register": "The office's client register: export deadlines, back it up, purge old checks.",
    "serve": "Start the office desk in the browser: check cards, keep clients' deadlines.",
}
COMMAND_NAMES: tuple[str, ...] = tuple(COMMAND_HELP)


def load_command(name: str) -> click.Command | None:
    """The command called ``name``. The imports are written out (not looked up by a string)
    so that mypy checks them and a grep finds them."""
    if name == "read":
        from cardtool.cli.read_cmd import read

        return read
    if name == "pin":
        from cardtool.cli.pin_cmd import pin

        return pin
    if name == "cert":
        from cardtool.cli.cert_cmd import cert

        return cert
    if name == "sign":
        from cardtool.cli.cert_cmd import sign

        return sign
    if name == "emulate":
        from cardtool.cli.emulate import emulate

        return emulate
    if name == "readers":
        from cardtool.cli.readers import readers

        return readers
    if name == "apdu":
        from cardtool.cli.apdu_cmd import apdu

        return apdu
    if name == "trace":
        from cardtool.cli.trace_cmd import trace

        return trace
    if name == "expiry":
        from cardtool.cli.office_cmd import expiry

        return expiry
    if name == "office":
        from cardtool.cli.office_cmd import office

        return office
    if name == "policy":
        from cardtool.cli.policy_cmd import policy

        return policy
    if name == "trust":
        from cardtool.cli.trust_cmd import trust

        return trust
    if name == "register":
        from cardtool.cli.register_cmd import register

        return register
    if name == "serve":
        from cardtool.cli.serve_cmd import serve

        return serve
    return None


class LazyGroup(click.Group):
    """A group whose commands are imported when used; its --help lists ``COMMAND_HELP``."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMAND_NAMES, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name) or super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's own layout, from the declared lines: no command is imported."""
        names = [name for name in self.list_commands(ctx) if name in COMMAND_HELP]
        if names:
            limit = formatter.width - 6 - max(len(name) for name in names)
            # click shortens a help text the same way for the declared line as it would
            # for the command itself (a stand-in command carries it).
            rows = [(name, click.Command(name, help=COMMAND_HELP[name]).get_short_help_str(limit))
                    for name in names]
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="cardtool")
@lang_option
@card_source_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Read Japanese My Number cards and residence cards (在留カード) over PC/SC.

    Card sources: a PC/SC reader (default), --virtual KIND for a built-in virtual card,
    --replay TRACE for a recorded trace; --record TRACE records any of them.
    """
    if not isinstance(ctx.obj, AppContext):
        ctx.obj = AppContext()


def _lang_from_argv(argv: Sequence[str]) -> str:
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in LANGS:
            return argv[i + 1]
        if arg.startswith("--lang=") and arg[7:] in LANGS:
            return arg[7:]
    return detect_lang()


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    lang = _lang_from_argv(args)
    # Once, before anything is written: output survives any console or pipe encoding.
    from cardtool.cli.console import prepare_console

    explicit = (any(a == "--lang" or a.startswith("--lang=") for a in args)
                or os.environ.get("CARDTOOL_LANG", "").strip().lower() == lang)
    spoken = prepare_console(lang, explicit=explicit)
    if spoken != lang:
        lang = spoken
        args = ["--lang", lang, *args]
    prefix = "cardtool: " + t("error", lang) + ": "
    try:
        cli.main(args=args, prog_name="cardtool", standalone_mode=False)
    except ApduLayerError as exc:
        click.echo(prefix + exc.render(lang), err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo(t("interrupted", lang), err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        click.echo(prefix + exc.format_message(), err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo(t("interrupted", lang), err=True)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        sys.exit(EXIT_OK)
    except ModuleNotFoundError as exc:
        # A feature's optional dependency that no require_extra() call checked first: still
        # one line naming the extra to install (exit 2), never an internal error.
        extra = extra_of_module(exc.name)
        if extra is None:
            _internal_error(exc, prefix, lang)
        missing = MissingExtra(extra, "This command", "このコマンド", [exc.name or extra])
        click.echo(prefix + missing.render(lang), err=True)
        sys.exit(missing.exit_code)
    except Exception as exc:  # noqa: BLE001 - the promise is: never a bare traceback
        _internal_error(exc, prefix, lang)


def _internal_error(exc: BaseException, prefix: str, lang: str) -> NoReturn:
    if os.environ.get("CARDTOOL_DEBUG"):
        import traceback  # only here: every command's start-up would pay for it (6 ms)

        traceback.print_exception(exc)
    click.echo(prefix + t("internal_error", lang, detail=type(exc).__name__), err=True)
    sys.exit(EXIT_INTERNAL)
