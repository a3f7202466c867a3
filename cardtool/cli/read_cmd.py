"""``cardtool read``: what the card says."""

from __future__ import annotations

import click

from apdu.session import Session
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.cli.render import render_mynumber
from cardtool.cli.secrets import SecretAsker
from cardtool.cli.util import (
    app,
    card_source_options,
    json_option,
    open_card,
    print_json,
    recording,
)
from cardtool.images import write_pngs
from cardtool.read import ReadOptions, read_mynumber


def secret_options(f: click.decorators.FC) -> click.decorators.FC:
    f = click.option("--force", is_flag=True,
                     help="Allow a VERIFY even when only one try is left.")(f)
    f = click.option("--pin-stdin", is_flag=True,
                     help="Read each secret asked for as one line from standard input "
                          "(in the order asked) instead of a no-echo prompt.")(f)
    return f


@click.command()
@click.option("--text", is_flag=True, help="Also read 基本4情報 and the My Number (text PIN).")
@click.option("--face", is_flag=True, help="Also read the card face (照合番号B, or A with --face-key a).")
@click.option("--face-key", type=click.Choice(["a", "b"]), default="b", show_default=True,
              help="Which 照合番号 opens the card face.")
@click.option("--sign-cert", is_flag=True, help="Also read the signing certificate (signing password).")
@click.option("--images", "images_dir", type=click.Path(file_okay=False),
              help="Write the card-face images as PNG files into this directory.")
@click.option("--show-number", is_flag=True, help="Show the My Number unmasked (never stored).")
@secret_options
@card_source_options
@json_option
def read(text: bool, face: bool, face_key: str, sign_cert: bool, images_dir: str | None,
         show_number: bool, pin_stdin: bool, force: bool, as_json: bool) -> None:
    """Read the card on the reader: kind, expiry, certificate validity, PIN tries left.

    Nothing is verified unless asked (--text, --face, --sign-cert); remaining tries are
    read without using one.
    """
    a = app()
    if images_dir and not face:
        face = True
    options = ReadOptions(text=text, face=face, face_key=f"number-{face_key}",
                          sign_cert=sign_cert, force=force)
    asker = SecretAsker(a.lang, pin_stdin)
    with open_card() as transport:
        session = Session(transport)
        report = read_mynumber(session, transport.atr, options, asker,
                               card=MyNumberCard(session))
        rec = recording(transport)
        if rec is not None:
            rec.note_card(report.detection.kind.value)
    if images_dir and report.face is not None:
        write_pngs(report.face.images(), images_dir)
    if as_json:
        print_json(report.to_json(show_number=show_number))
        return
    for line in render_mynumber(report, a.lang, show_number):
        click.echo(line)
