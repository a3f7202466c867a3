"""The ``cardtool`` command. ``main`` turns every error into one line and an exit code."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Sequence

import click

from apdu.errors import EXIT_USAGE, ApduLayerError
from cardtool import __version__
from cardtool.cli.util import AppContext, card_source_options, lang_option
from cardtool.i18n import detect_lang, t

EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70


#: Command name -> "module:attribute". Commands are imported when used, so a run pays only
#: for the modules it needs (start-up time counts when staff read card after card).
COMMANDS: dict[str, str] = {
    "read": "cardtool.cli.read_cmd:read",
    "pin": "cardtool.cli.pin_cmd:pin",
    "cert": "cardtool.cli.cert_cmd:cert",
    "sign": "cardtool.cli.cert_cmd:sign",
    "emulate": "cardtool.cli.emulate:emulate",
    "readers": "cardtool.cli.readers:readers",
    "apdu": "cardtool.cli.apdu_cmd:apdu",
    "trace": "cardtool.cli.trace_cmd:trace",
    "expiry": "cardtool.cli.office_cmd:expiry",
    "office": "cardtool.cli.office_cmd:office",
    "policy": "cardtool.cli.policy_cmd:policy",
    "trust": "cardtool.cli.trust_cmd:trust",
    "serve": "cardtool.cli.serve_cmd:serve",
    "register": "cardtool.cli.register_cmd:register",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command


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
        sys.exit(0)
    except Exception as exc:  # noqa: BLE001 - the promise is: never a bare traceback
        if os.environ.get("CARDTOOL_DEBUG"):
            traceback.print_exc()
        click.echo(prefix + t("internal_error", lang, detail=type(exc).__name__), err=True)
        sys.exit(EXIT_INTERNAL)
