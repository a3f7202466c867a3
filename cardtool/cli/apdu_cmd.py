"""``cardtool apdu HEX...``: send raw APDUs and show the answers with their meanings."""

from __future__ import annotations

from typing import Any

import click

from apdu.sw import describe_sw, sw_name
from cardtool.cli.util import app, card_source_options, json_option, open_card, print_json
from cardtool.services.raw_apdu import parse_commands, send_commands


@click.command()
@click.argument("commands", nargs=-1, required=True, metavar="HEX...")
@click.option("--no-chain", is_flag=True,
              help="Do not follow 61xx with GET RESPONSE nor re-send on 6Cxx.")
@card_source_options
@json_option
def apdu(commands: tuple[str, ...], no_chain: bool, as_json: bool) -> None:
    """Send raw command APDUs (like opensc-tool -s) and print each response and SW meaning.

    VERIFY and CHANGE REFERENCE DATA with data are refused here: a PIN must never be typed
    on a command line. Use 'cardtool pin verify'.
    """
    a = app()
    parsed = parse_commands(commands)
    results: list[dict[str, Any]] = []
    with open_card() as transport:
        for command, response in send_commands(transport, parsed, chain=not no_chain):
            meaning = describe_sw(response.sw, a.lang)
            results.append({
                "command": command.to_bytes().hex().upper(),
                "name": command.name,
                "response": response.data.hex().upper(),
                "sw": f"{response.sw:04X}",
                "sw_name": sw_name(response.sw),
                "meaning": meaning,
            })
            if not as_json:
                click.echo(f"> {command.to_bytes().hex(' ').upper()}   ({command.name})")
                if response.data:
                    click.echo(f"< {response.data.hex(' ').upper()}")
                click.echo(f"< {response.sw1:02X} {response.sw2:02X}   {meaning}")
    if as_json:
        print_json({"source": transport.description, "atr": transport.atr.hex().upper(),
                    "exchanges": results})
