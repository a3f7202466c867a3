"""``cardtool cert KIND --out FILE`` and ``cardtool sign --key auth|sign FILE``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cardtool.cli.read_cmd import secret_options
from cardtool.cli.secrets import SecretAsker
from cardtool.cli.util import app, card_source_options, open_card
from cardtool.errors import BadInputFile
from cardtool.files import write_atomic
from cardtool.services.certificates import (
    CERTIFICATE_CHOICES,
    SIGNING_KEYS,
    read_jpki_certificate,
    sign_message,
)


def _emit(data: bytes, out: str) -> None:
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        write_atomic(out, data)


@click.command()
@click.argument("kind", type=click.Choice(CERTIFICATE_CHOICES))
@click.option("--out", "-o", required=True, metavar="FILE", help="Where to write it ('-': stdout).")
@click.option("--pem", is_flag=True, help="PEM instead of DER.")
@secret_options
@card_source_options
def cert(kind: str, out: str, pem: bool, pin_stdin: bool, force: bool) -> None:
    """Save a JPKI certificate (sign needs the signing password)."""
    a = app()
    with open_card() as transport:
        info = read_jpki_certificate(transport, kind, SecretAsker(a.lang, pin_stdin),
                                     force=force)
    _emit(info.pem if pem else info.der, out)
    if out != "-":
        click.echo(f"{out}: {info.subject} (sha256 {info.sha256})", err=True)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--key", "key_name", type=click.Choice(sorted(SIGNING_KEYS)), required=True,
              help="auth: user-authentication key (4-digit PIN); sign: signing key (password).")
@click.option("--out", "-o", metavar="FILE", help="Signature file (default: PATH.sig).")
@secret_options
@card_source_options
def sign(path: str, key_name: str, out: str | None, pin_stdin: bool, force: bool) -> None:
    """Sign a file: RSA PKCS#1 v1.5 over SHA-256, verifiable with
    `openssl dgst -sha256 -verify PUBKEY.pem -signature PATH.sig PATH`."""
    a = app()
    try:
        message = Path(path).read_bytes()
    except OSError as exc:
        raise BadInputFile(path=path, detail=exc.strerror or "cannot read") from None
    with open_card() as transport:
        signature = sign_message(transport, key_name, message, SecretAsker(a.lang, pin_stdin),
                                 force=force)
    target = out or f"{path}.sig"
    write_atomic(target, signature)
    click.echo(f"{target}: {len(signature) * 8}-bit signature", err=True)
