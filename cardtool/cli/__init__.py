"""The ``cardtool`` command. ``main`` turns every error into one line and an exit code."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

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
from cardtool.i18n import detect_lang, t

#: The commands, each imported when used, so a run pays only for the modules it needs
#: (start-up time counts when staff read card after card).
COMMAND_NAMES: tuple[str, ...] = ("read", "pin", "cert", "sign", "emulate", "readers", "apdu", "trace", "expiry", "office", "policy", "trust", "register",
                                   "serve")


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
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMAND_NAMES, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name) or super().get_command(ctx, cmd_name)


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
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in ("ja", "en"):
            return argv[i + 1]
        if arg.startswith("--lang=") and arg[7:] in ("ja", "en"):
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
    except Exception as exc:  # noqa: BLE001 - the promise is: never a bare traceback
        if os.environ.get("CARDTOOL_DEBUG"):
            traceback.print_exc()
        click.echo(prefix + t("internal_error", lang, detail=type(exc).__name__), err=True)
        sys.exit(EXIT_INTERNAL)
