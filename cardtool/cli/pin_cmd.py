"""``cardtool pin status`` and ``cardtool pin verify NAME``."""

from __future__ import annotations

import click

from cardtool.cli.read_cmd import secret_options
from cardtool.cli.secrets import SecretAsker
from cardtool.cli.util import app, card_source_options, json_option, open_card, print_json
from cardtool.i18n import Messages, pick
from cardtool.services.pins import SECRET_NAMES, pin_status, verify_pin

MESSAGES = Messages({
    "absent": ("absent", "なし"),
    "blocked": ("BLOCKED", "ロック中"),
    "max_unverified": (" (max unverified)", " (上限は未確認)"),
    "verified": ("The {label} is correct ({remaining}/{max} tries).",
                 "{label}は正しいです(残り {remaining}/{max} 回)。"),
})


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
    for r in rows:
        label = pick((r.secret.label_en, r.secret.label_ja), a.lang)
        if not r.present:
            value = MESSAGES("absent", a.lang)
        elif r.remaining is None:
            value = "?"
        elif r.remaining == 0:
            value = MESSAGES("blocked", a.lang)
        else:
            value = f"{r.remaining}/{r.key.max_tries}"
        note = "" if r.secret.max_tries_verified else MESSAGES("max_unverified", a.lang)
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
    click.echo(MESSAGES("verified", a.lang, label=pick((s.label_en, s.label_ja), a.lang),
                        remaining=after.remaining, max=key.max_tries))
