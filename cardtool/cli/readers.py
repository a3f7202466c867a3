"""``cardtool readers``: the PC/SC readers, whether each holds a card, and its ATR."""

from __future__ import annotations

import click

from cardtool.cli.util import app, json_option, print_json
from cardtool.services.readers import list_readers


@click.command()
@json_option
def readers(as_json: bool) -> None:
    """List PC/SC readers with card presence and ATR."""
    a = app()
    found = list_readers()
    if as_json:
        print_json({"readers": [
            {"index": r.index, "name": r.name, "card_present": r.card_present,
             "atr": r.atr.hex().upper() or None}
            for r in found
        ]})
        return
    if not found:
        click.echo(a.msg("no_readers"))
        return
    for r in found:
        state = a.msg("card_present") if r.card_present else a.msg("no_card")
        atr = " " + r.atr.hex(" ").upper() if r.atr else ""
        click.echo(f"{r.index}: {r.name}  [{state}]{atr}")
