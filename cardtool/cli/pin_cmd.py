"""``cardtool pin status`` and ``cardtool pin verify NAME``."""

from __future__ import annotations

import click

from apdu.session import Session
from cardtool.cards.detect import detect
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.cli.read_cmd import secret_options
from cardtool.cli.secrets import SecretAsker
from cardtool.cli.util import app, card_source_options, json_option, open_card, print_json
from cardtool.errors import UnsupportedCard
from cardtool.policy.guard import KeyStatus, PinGuard
from cardtool.policy.table import SECRETS, secret


@click.group()
def pin() -> None:
    """PIN tries left and PIN checks (never more tries than you ask for)."""


def require_mynumber(card: MyNumberCard, atr: bytes) -> None:
    detection = detect(card, atr)
    if not detection.has_mynumber_applications:
        raise UnsupportedCard(atr=atr.hex(" ").upper() + f" ({detection.kind.value})")


@pin.command("status")
@card_source_options
@json_option
def status(as_json: bool) -> None:
    """Tries left for every PIN and collation number, read without using any."""
    a = app()
    rows: list[KeyStatus] = []
    with open_card() as transport:
        session = Session(transport)
        card = MyNumberCard(session)
        require_mynumber(card, transport.atr)
        guard = PinGuard(card)
        for s in SECRETS.values():
            for key in s.keys:
                rows.append(guard.status_if_present(s, key))
    if as_json:
        print_json({"pins": [{"name": r.secret.name, "application": r.key.application,
                              "remaining": r.remaining, "max": r.key.max_tries,
                              "blocked": r.blocked, "max_verified": r.secret.max_tries_verified,
                              **({} if r.present else {"present": False})}
                             for r in rows], "apdu_count": session.apdu_count})
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
@click.argument("name", type=click.Choice(sorted(SECRETS)))
@click.option("--app", "application", metavar="APP",
              help="For secrets held by two applications (juki, number-a, number-b): which.")
@secret_options
@card_source_options
def verify(name: str, application: str | None, pin_stdin: bool, force: bool) -> None:
    """Check a PIN against the card (uses a try only if it is wrong)."""
    a = app()
    s = secret(name)
    key = s.key_in(application) if application else s.keys[0]
    asker = SecretAsker(a.lang, pin_stdin)
    with open_card() as transport:
        card = MyNumberCard(Session(transport))
        require_mynumber(card, transport.atr)
        guard = PinGuard(card, force=force)
        after = guard.ask_and_verify(guard.status(s, key), asker)
    label = s.label_ja if a.lang == "ja" else s.label_en
    if a.lang == "ja":
        click.echo(f"{label}は正しいです(残り {after.remaining}/{key.max_tries} 回)。")
    else:
        click.echo(f"The {label} is correct ({after.remaining}/{key.max_tries} tries).")
