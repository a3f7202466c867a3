"""``cardtool policy conform``: prove that a card follows the PIN-attempt policy."""

from __future__ import annotations

import sys

import click

from cardtool.cli.secrets import SecretAsker
from cardtool.cli.util import app, card_source_options, json_option, open_card, print_json
from cardtool.errors import EXIT_FINDINGS, EXIT_OK
from cardtool.i18n import Messages, pick
from cardtool.services.conform import KeyResult, chosen_keys, conform_card, refuse_live_source

MESSAGES = Messages({
    "conformant": ("conformant", "適合"),
    "not": ("NOT conformant", "不適合"),
    "skipped": ("skipped", "対象外"),
    "steps": ("{n} steps", "{n} 手順"),
    "total": ("{ok} of {tested} keys conformant ({skipped} skipped).",
              "{tested} 個の鍵のうち {ok} 個が適合(対象外 {skipped} 個)。"),
    "blocked_warning": ("warning: the keys tested are now blocked.",
                        "警告: 検査した鍵はロックされました。"),
})


@click.group()
def policy() -> None:
    """The PIN-attempt policy: prove that a card follows it."""


@policy.command("conform")
@click.option("--destructive", is_flag=True,
              help="Allow it on a real card (a TEST card only): every key tested is blocked.")
@click.option("--key", "key_names", multiple=True, metavar="NAME[/APP]",
              help="Test only this key (repeatable), e.g. auth or juki/common. Default: all.")
@card_source_options
@json_option
def conform_cmd(destructive: bool, key_names: tuple[str, ...], as_json: bool) -> None:
    """Drive the card through wrong and right PINs and check, per key, that it counts down
    by one, blocks with 63 C0, answers 69 84 afterwards, never uses a try for the empty
    VERIFY and restores the maximum on success. Leaves the keys blocked.

    Virtual cards take their PINs from the persona; a real card's PINs are read from
    standard input, one line per secret in the order asked (never from the command line).
    Exit 0 conformant, 5 not conformant."""
    a = app()
    chosen_keys(key_names)  # an unknown key name is a usage error before the card is opened
    refuse_live_source(a.source, destructive=destructive)
    asker = SecretAsker(a.lang, from_stdin=not sys.stdin.isatty())
    with open_card() as transport:
        live = transport.live
        results = conform_card(transport, key_names, asker, destructive=destructive)
    _report(results, a.lang, as_json)
    tested = [r for r in results if r.skipped is None]
    if tested and live:
        click.echo(MESSAGES("blocked_warning", a.lang), err=True)
    raise SystemExit(EXIT_OK if tested and all(r.conformant for r in tested)
                     else EXIT_FINDINGS)


def _report(results: list[KeyResult], lang: str, as_json: bool) -> None:
    tested = [r for r in results if r.skipped is None]
    ok = [r for r in tested if r.conformant]
    if as_json:
        print_json({"conformant": bool(tested) and len(ok) == len(tested),
                    "keys": [r.to_json() for r in results]})
        return
    for r in results:
        if r.skipped is not None:
            status = f"{MESSAGES('skipped', lang)}: {pick((str(r.skipped), str(r.skipped_ja)), lang)}"
        elif r.conformant:
            status = f"{MESSAGES('conformant', lang)} ({MESSAGES('steps', lang, n=len(r.steps))})"
        else:
            status = f"{MESSAGES('not', lang)}: {pick((str(r.problem), str(r.problem_ja)), lang)}"
        click.echo(f"{r.label:<16} {status}")
    click.echo(MESSAGES("total", lang, ok=len(ok), tested=len(tested),
                    skipped=len(results) - len(tested)))
