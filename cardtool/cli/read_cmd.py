"""``cardtool read``: what the card says."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import click

from cardtool.cli.card_number import ENV_CARD_NUMBER, CardNumberAsker
from cardtool.cli.secrets import SecretAsker
from cardtool.cli.util import (
    app,
    card_source_options,
    exit_if_not_genuine,
    json_option,
    open_card,
    print_json,
    trust_anchor_option,
)

if TYPE_CHECKING:
    from cardtool.trust.options import ResidenceOptions

# The residence modules (anchors, images, rendering) are imported where a residence card or
# a trust anchor needs them, so reading a My Number card does not load them; the read
# service and the rendering where a card is read, so `read --help` loads neither.


def residence_options(trust_anchors: tuple[str, ...]) -> ResidenceOptions:
    """``--trust-anchor`` files for the chosen source (see ``trust.options``)."""
    from cardtool.trust.options import residence_options as for_source

    return for_source(trust_anchors, virtual=app().source.virtual is not None)


def allow_test_keys_option(f: click.decorators.FC) -> click.decorators.FC:
    f = click.option("--no-verify", is_flag=True,
                     help="Skip the authenticity checks (fewer APDUs; no verdict).")(f)
    return click.option(
        "--allow-test-keys", is_flag=True,
        help="Check signatures against test CA keys too (J-LIS test cards, cardtool's virtual "
             "cards; on by default for --virtual): the verdict is then at best test-anchor.")(f)


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
@click.option("--number-b-parts", is_flag=True,
              help="Ask 照合番号B as the three parts printed on the card (birth date, expiry "
                   "year, security code) instead of 14 digits.")
@click.option("--sign-cert", is_flag=True, help="Also read the signing certificate (signing password).")
@click.option("--images", "images_dir", type=click.Path(file_okay=False),
              help="Write the card-face images as PNG files into this directory.")
@click.option("--show-number", is_flag=True, help="Show the My Number unmasked (never stored).")
@click.option("--card-number-stdin", is_flag=True,
              help="Residence cards: read the card number as the first line of standard input "
                   f"(else ${ENV_CARD_NUMBER}, else a no-echo prompt).")
@trust_anchor_option
@allow_test_keys_option
@secret_options
@card_source_options
@json_option
def read(text: bool, face: bool, face_key: str, number_b_parts: bool, sign_cert: bool, images_dir: str | None,
         show_number: bool, card_number_stdin: bool, trust_anchors: tuple[str, ...],
         allow_test_keys: bool, no_verify: bool, pin_stdin: bool, force: bool,
         as_json: bool) -> None:
    """Read the card on the reader: kind, expiry, certificate validity, PIN tries left.

    Nothing is verified unless asked (--text, --face, --sign-cert); remaining tries are
    read without using one. A residence card needs its card number (asked only then);
    its signature is checked against the installed ISA CAs and each --trust-anchor; exit
    code 7 when a check fails (invalid).
    """
    from cardtool.cli.render import render_mynumber
    from cardtool.services.read import ReadOptions, read_card, write_card_images

    a = app()
    anchors = residence_options(trust_anchors)
    card_number = CardNumberAsker(a.lang, card_number_stdin)
    asker = SecretAsker(a.lang, pin_stdin, number_b_parts=number_b_parts)
    options = ReadOptions(text=text, face=face, face_key=f"number-{face_key}",
                          sign_cert=sign_cert, force=force, images=bool(images_dir),
                          verify=not no_verify)
    options = replace(options, allow_test_keys=allow_test_keys)
    with open_card() as transport:
        result = read_card(transport, options, asker, card_number, anchors)
    report, residence = result.mynumber, result.residence
    if images_dir:
        write_card_images(result, images_dir)
    if as_json:
        print_json(result.to_json(show_number=show_number))
        exit_if_not_genuine(result.authenticity)
        return
    lines = render_mynumber(report, a.lang, show_number) if report is not None else []
    if residence is not None:
        from cardtool.cli.render_residence import render_text

        lines += ([""] if lines else []) + render_text(residence, a.lang)
    for line in lines:
        click.echo(line)
    exit_if_not_genuine(result.authenticity)
