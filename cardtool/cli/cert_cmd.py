"""``cardtool cert KIND --out FILE`` and ``cardtool sign --key auth|sign FILE``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from apdu.session import Session
from cardtool.cards.certificate import parse_certificate
from cardtool.cards.mynumber import ids
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.cards.mynumber.jpki import (
    CERT_LABELS,
    CertKind,
    NoSigningCertificate,
    compute_signature,
    digest_info_sha256,
    has_signing_certificate,
    read_certificate,
)
from cardtool.cli.pin_cmd import require_mynumber
from cardtool.cli.read_cmd import secret_options
from cardtool.cli.secrets import SecretAsker
from cardtool.cli.util import app, card_source_options, open_card
from cardtool.errors import BadInputFile
from cardtool.files import write_atomic
from cardtool.policy.guard import PinGuard
from cardtool.policy.table import SECRETS

KEY_OF = {"auth": ("auth", ids.JpkiEF.AUTH_KEY), "sign": ("sign", ids.JpkiEF.SIGN_KEY)}


def _emit(data: bytes, out: str) -> None:
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        write_atomic(out, data)


@click.command()
@click.argument("kind", type=click.Choice([*(k.value for k in CertKind), "ca"]))
@click.option("--out", "-o", required=True, metavar="FILE", help="Where to write it ('-': stdout).")
@click.option("--pem", is_flag=True, help="PEM instead of DER.")
@secret_options
@card_source_options
def cert(kind: str, out: str, pem: bool, pin_stdin: bool, force: bool) -> None:
    """Save a JPKI certificate (sign needs the signing password)."""
    a = app()
    which = CertKind.AUTH_CA if kind == "ca" else CertKind(kind)  # "ca": the auth CA
    with open_card() as transport:
        card = MyNumberCard(Session(transport))
        require_mynumber(card, transport.atr)
        if which is CertKind.SIGN:
            if has_signing_certificate(card) is False:
                raise NoSigningCertificate()
            s = SECRETS["sign"]
            guard = PinGuard(card, force=force)
            guard.ask_and_verify(guard.status(s, s.keys[0]), SecretAsker(a.lang, pin_stdin))
        label_en, label_ja = CERT_LABELS[which]
        info = parse_certificate(read_certificate(card, which), label_en, label_ja)
    _emit(info.pem if pem else info.der, out)
    if out != "-":
        click.echo(f"{out}: {info.subject} (sha256 {info.sha256})", err=True)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--key", "key_name", type=click.Choice(["auth", "sign"]), required=True,
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
    secret_name, key_ef = KEY_OF[key_name]
    s = SECRETS[secret_name]
    with open_card() as transport:
        card = MyNumberCard(Session(transport))
        require_mynumber(card, transport.atr)
        guard = PinGuard(card, force=force)
        guard.ask_and_verify(guard.status(s, s.keys[0]), SecretAsker(a.lang, pin_stdin))
        signature = compute_signature(card, key_ef, digest_info_sha256(message))
    target = out or f"{path}.sig"
    write_atomic(target, signature)
    click.echo(f"{target}: {len(signature) * 8}-bit signature", err=True)
