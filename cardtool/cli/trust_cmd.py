"""``cardtool trust``: install and list the ISA CA certificates residence cards chain to."""

from __future__ import annotations

import click

from cardtool.cli.util import app, json_option, print_json
from cardtool.trust.official import GENERATION_NAMES
from cardtool.trust.store import TrustAnchor, add, listing


@click.group()
def trust() -> None:
    """ISA CA certificates (trust anchors) for checking residence cards."""


def _describe(anchor: TrustAnchor, lang: str) -> str:
    if anchor.official is not None:
        return anchor.official.describe(lang)
    c = anchor.certificate
    valid = f"{c.not_valid_before_utc.date()} – {c.not_valid_after_utc.date()}"
    subject = c.subject.rfc4514_string()
    if lang == "ja":
        return (f"{anchor.anchor.id}: 非公式 CA(真正の判定にはなりません)、{subject}、"
                f"有効期間 {valid}")
    return (f"{anchor.anchor.id}: unofficial CA (never a genuine verdict), {subject}, "
            f"valid {valid}")


@trust.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--unofficial", is_flag=True,
              help="Also install a CA that is not one of the official ISA CAs; it can never "
                   "give a genuine verdict.")
def trust_add(files: tuple[str, ...], unofficial: bool) -> None:
    """Install ISA CA certificates (PEM, DER or the ISA zip archive) downloaded from the
    ISA website. Only the official ones (checked by SHA-256 fingerprint) are accepted
    unless --unofficial."""
    lang = app().lang
    for added in add(files, unofficial=unofficial):
        verb = ("インストール済み(既存)" if added.already else "インストールしました") \
            if lang == "ja" else ("already installed" if added.already else "installed")
        click.echo(f"{verb}: {_describe(added.anchor, lang)}")


@trust.command("list")
@json_option
def trust_list(as_json: bool) -> None:
    """What is installed, and which official CA is missing, per card generation."""
    lang = app().lang
    ja = lang == "ja"
    found = listing()
    if as_json:
        print_json(found.to_json())
        return
    click.echo(("保存先" if ja else "Directory") + f": {found.directory}")
    for generation in ("first", "second"):
        en, jp = GENERATION_NAMES[generation]
        click.echo("")
        click.echo(jp if ja else en)
        have = [a for a in found.installed
                if a.official is not None and a.official.generation == generation]
        for a in have:
            click.echo(("  インストール済み: " if ja else "  installed: ") + _describe(a, lang))
        for ca in found.missing[generation]:
            click.echo(("  未インストール: " if ja else "  missing:   ") + ca.describe(lang))
        if not any(a.official and not a.official.is_test for a in have):
            click.echo("  公式の本番用 CA がありません: ISA のウェブサイトからダウンロードし "
                       "'cardtool trust add FILE' でインストールしてください" if ja else
                       "  no official production CA: download it from the ISA website and "
                       "run 'cardtool trust add FILE'")
    others = [a for a in found.installed if a.official is None]
    if others:
        click.echo("")
        click.echo("非公式" if ja else "Unofficial")
        for a in others:
            click.echo("  " + _describe(a, lang))
