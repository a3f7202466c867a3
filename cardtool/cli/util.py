"""Shared CLI plumbing: the app context (language, source options), the card-source option
decorator, output helpers. Commands stay thin: parse, call the library, render."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cardtool.errors import EXIT_NOT_GENUINE
from cardtool.i18n import LANGS, Messages, detect_lang, t
from cardtool.sources import DEFAULT_WAIT_SECONDS, SourceOptions, Transport, open_transport

if TYPE_CHECKING:
    from cardtool.authenticity import Authenticity

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppContext:
    lang: str = field(default_factory=detect_lang)
    source: SourceOptions = field(default_factory=SourceOptions)

    def msg(self, key: str, **params: object) -> str:
        return t(key, self.lang, **params)


def app(ctx: click.Context | None = None) -> AppContext:
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    if not isinstance(root.obj, AppContext):
        root.obj = AppContext()
    return root.obj


def _store(attr: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        # Given at the root or at the command: the later (command) value wins.
        if value is not None and value is not False:
            setattr(app(ctx).source, attr, value)
        return value

    return callback


def card_source_options(f: F) -> F:
    """--reader/--virtual/--replay/--record/--wait/--no-redact/--no-extended for a command
    that talks to a card (also accepted before the command name)."""
    options = [
        click.option("-r", "--reader", metavar="NAME|INDEX", expose_value=False,
                     callback=_store("reader"),
                     help="PC/SC reader by index or name substring (default: the first with a card)."),
        click.option("--virtual", metavar="KIND[:PERSONA][+QUIRK...]", expose_value=False,
                     callback=_store_virtual, multiple=True,
                     help="Use an in-process virtual card (mynumber, residence, residence2, "
                          "specified); +QUIRK adds a real-card quirk, e.g. +no-short-ef-id; "
                          "office: repeat it for cards held one after the other."),
        click.option("--replay", metavar="TRACE", expose_value=False, callback=_store("replay"),
                     type=click.Path(dir_okay=False),
                     help="Answer from a recorded trace instead of a card."),
        click.option("--record", metavar="TRACE", expose_value=False, callback=_store("record"),
                     type=click.Path(dir_okay=False),
                     help="Record every APDU to a trace file (PINs and personal data redacted)."),
        click.option("--wait", metavar="SECONDS", type=float, expose_value=False,
                     callback=_store("wait"),
                     help=f"Seconds to wait for a card (default {DEFAULT_WAIT_SECONDS:g})."),
        click.option("--no-redact", is_flag=True, default=False, expose_value=False,
                     callback=_no_redact,
                     help="Record secrets and personal data unredacted (marked in the header)."),
        click.option("--no-extended", is_flag=True, default=False, expose_value=False,
                     callback=_store("no_extended"),
                     help="With --virtual: a reader that cannot carry extended-length APDUs."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _store_virtual(ctx: click.Context, _param: click.Parameter,
                   value: tuple[str, ...]) -> tuple[str, ...]:
    if value:
        source = app(ctx).source
        source.virtual, source.virtual_cards = value[0], value
    return value


def _no_redact(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        app(ctx).source.redact = False
    return value


def lang_option(f: F) -> F:
    def callback(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        if value is not None:
            app(ctx).lang = value
        return value

    return click.option("--lang", type=click.Choice(LANGS), expose_value=False,
                        callback=callback, is_eager=True,
                        help="Language of messages (default: from the locale).")(f)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON object instead of text.")(f)


def trust_anchor_option(f: F) -> F:
    """--trust-anchor FILE (repeatable): the command receives ``trust_anchors``."""
    return click.option(
        "--trust-anchor", "trust_anchors", multiple=True, metavar="FILE",
        type=click.Path(dir_okay=False),
        help="Residence cards: a CA certificate (PEM, DER or ISA zip) to check the card's "
             "signature chain against, besides the installed ones ('cardtool trust add'); "
             "one that is not an official ISA CA gives test-anchor at best; repeatable.")(f)


def err(text: str) -> None:
    click.echo(text, err=True)


@contextmanager
def open_card(ctx: click.Context | None = None) -> Iterator[Transport]:
    """Open the chosen source (showing the hold-the-card prompt while waiting), and close it
    (finishing any trace) whatever happens."""
    a = app(ctx)
    if not a.source.redact and a.source.record is not None:
        err(a.msg("no_redact_warning"))

    def waiting(reader: str) -> None:
        where = f" ({reader})" if reader else ""
        err(a.msg("hold_card", where=where))

    transport = open_transport(a.source, on_waiting=waiting)
    try:
        yield transport
    finally:
        transport.close()


def print_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


_MESSAGES = Messages({
    "not_genuine": (
        "cardtool: error: authenticity check failed ({name}: {detail}). "
        "Do not accept this card as proof of identity.",
        "cardtool: エラー: 真正性の検証に失敗しました({name}: {detail})。"
        "このカードを本人確認に使わないでください。"),
})


def exit_if_not_genuine(authenticity: Authenticity | None) -> None:
    """After the report is printed: exit code 7 when an authenticity check failed, with one
    line on stderr naming the check and what to do (the report says the rest)."""
    if authenticity is None or not authenticity.is_invalid:
        return
    failure = authenticity.failures()[0]
    lang = app().lang
    err(_MESSAGES("not_genuine", lang, name=failure.name, detail=failure.detail(lang)))
    raise SystemExit(EXIT_NOT_GENUINE)
