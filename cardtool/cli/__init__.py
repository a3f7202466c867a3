"""The ``cardtool`` command. ``main`` turns every error into one line and an exit code."""

from __future__ import annotations

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


def _register() -> None:
    from cardtool.cli import apdu_cmd, cert_cmd, emulate, pin_cmd, read_cmd, readers, trace_cmd

    cli.add_command(read_cmd.read)
    cli.add_command(pin_cmd.pin)
    cli.add_command(cert_cmd.cert)
    cli.add_command(cert_cmd.sign)
    cli.add_command(emulate.emulate)
    cli.add_command(readers.readers)
    cli.add_command(apdu_cmd.apdu)
    cli.add_command(trace_cmd.trace)
    from cardtool.cli import office_cmd

    cli.add_command(office_cmd.expiry)
    cli.add_command(office_cmd.office)
    from cardtool.cli import policy_cmd

    cli.add_command(policy_cmd.policy)


_register()


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
