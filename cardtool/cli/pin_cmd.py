"""``cardtool pin status`` and ``cardtool pin verify NAME``."""

from __future__ import annotations

import click

from cardtool.cli.read_cmd import secret_options
from cardtool.cli.secrets import SecretAsker
from cardtool.cli.util import app, card_source_options, json_option, open_card, print_json
from cardtool.services.pins import SECRET_NAMES, pin_status, verify_pin


@click.group()
def pin() -> None:
    """PIN tries left and PIN checks (never more tries than you ask for)."""


@pin.command("status")
@card_source_options
@json_option
def status(as_json: bool) -> None:
    """Tries left for every PIN and collation number, read without using any."""
    a = app()
    with open_card() as transport:
        report = pin_status(transport)
    rows = report.keys
    if as_json:
        print_json({"pins": [{"name": r.secret.name, "application": r.key.application,
                              "remaining": r.remaining, "max": r.key.max_tries,
                              "blocked": r.blocked, "max_verified": r.secret.max_tries_verified,
                              **({} if r.present else {"present": False})}
                             for r in rows], "apdu_count": report.apdu_count})
        return
    ja = a.lang == "ja"
    for r in rows:
        label = r.secret.label_ja if ja else r.secret.label_en
        if not r.present:
            value = "なし" if ja else "absent"
        elif r.remaining is None:
            value = "?"
        elif r.remaining == 0:
            value = "ロック中" if ja else "BLOCKED"
        else:
            value = f"{r.remaining}/{r.key.max_tries}"
        note = "" if r.secret.max_tries_verified else (" (上限は未確認)" if ja else " (max unverified)")
        click.echo(f"{r.secret.name:<9} {r.key.application:<7} {value:<8} {label}{note}")


@pin.command("verify")
@click.argument("name", type=click.Choice(SECRET_NAMES))
@click.option("--app", "application", metavar="APP",
              help="For secrets held by two applications (juki, number-a, number-b): which.")
@secret_options
@card_source_options
def verify(name: str, application: str | None, pin_stdin: bool, force: bool) -> None:
    """Check a PIN against the card (uses a try only if it is wrong)."""
    a = app()
    asker = SecretAsker(a.lang, pin_stdin)
    with open_card() as transport:
        after = verify_pin(transport, name, application, asker, force=force)
    s, key = after.secret, after.key
    label = s.label_ja if a.lang == "ja" else s.label_en
    if a.lang == "ja":
        click.echo(f"{label}は正しいです(残り {after.remaining}/{key.max_tries} 回)。")
    else:
        click.echo(f"The {label} is correct ({after.remaining}/{key.max_tries} tries).")
