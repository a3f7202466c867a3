"""``cardtool trace ...``: work with recorded APDU traces."""

from __future__ import annotations

from typing import Any

import click

from apdu.command import command_name
from apdu.sw import describe_sw
from apdu.trace import read_trace
from cardtool.cli.util import app, err, json_option, print_json


@click.group()
def trace() -> None:
    """Show and check recorded APDU traces."""


def _describe_command(command_hex: str) -> str:
    if len(command_hex) < 4 or "X" in command_hex[:4].upper():
        return "?"
    raw = bytes.fromhex(command_hex[:4])
    return command_name(raw[0], raw[1])


def _spaced(hex_text: str) -> str:
    return " ".join(hex_text[i : i + 2] for i in range(0, len(hex_text), 2))


@trace.command("show")
@click.argument("path", type=click.Path(dir_okay=False))
@json_option
def show(path: str, as_json: bool) -> None:
    """Pretty-print a trace with command names and status-word meanings."""
    a = app()
    tr = read_trace(path)
    if tr.torn:
        err(a.msg("trace_torn", path=path))
    if as_json:
        events: list[dict[str, Any]] = []
        for e in tr.events:
            item = dict(e)
            if e["type"] == "exchange":
                sw = int(e["response"][-4:], 16)
                item["name"] = _describe_command(e["command"])
                item["meaning"] = describe_sw(sw, a.lang)
            events.append(item)
        print_json({"header": tr.header, "events": events, "torn": tr.torn})
        return
    h = tr.header
    click.echo(a.msg("trace_header", path=path, source=h.get("source", "?"),
                     atr=h.get("atr") or "-", created=h.get("created", "?"),
                     redactions=", ".join(h.get("redactions", [])) or a.msg("none")))
    if h.get("unredacted"):
        click.echo("  !! " + a.msg("no_redact_warning"))
    for e in tr.events:
        kind = e["type"]
        if kind == "exchange":
            sw = int(e["response"][-4:], 16)
            ms = e.get("us", 0) / 1000
            click.echo(f"#{e.get('n', '?'):<4} > {_describe_command(e['command']):<26} "
                       f"{_spaced(e['command'])}")
            data = e["response"][:-4]
            if data:
                click.echo(f"{'':6}<   {_spaced(data)}")
            click.echo(f"{'':6}< {e['response'][-4:-2]} {e['response'][-2:]}  "
                       f"{describe_sw(sw, a.lang)}  ({ms:.1f} ms)")
        elif kind == "random":
            click.echo(f"{'':6}* host random {e.get('purpose')}: {_spaced(e['value'])}")
        elif kind == "reset":
            click.echo(f"{'':6}* reset, ATR {_spaced(e.get('atr', ''))}")
        elif kind == "removed":
            click.echo(f"{'':6}* card removed")
        elif kind == "transport-error":
            click.echo(f"{'':6}* transport error: {e.get('error')}")
        elif kind == "card":
            click.echo(f"{'':6}* card identified as {e.get('kind')}")
