"""``cardtool trust``: install and list the ISA CA certificates residence cards chain to."""

from __future__ import annotations

import click

from cardtool.cli.util import app, json_option, print_json
from cardtool.i18n import Messages, pick
from cardtool.trust.official import GENERATION_NAMES
from cardtool.trust.store import TrustAnchor, add, listing

MESSAGES = Messages({
    "unofficial_ca": ("{id}: unofficial CA (never a genuine verdict), {subject}, valid {valid}",
                      "{id}: 非公式 CA(真正の判定にはなりません)、{subject}、有効期間 {valid}"),
    "already_installed": ("already installed", "インストール済み(既存)"),
    "installed_now": ("installed", "インストールしました"),
    "directory": ("Directory: {path}", "保存先: {path}"),
    "installed": ("  installed: {anchor}", "  インストール済み: {anchor}"),
    "missing": ("  missing:   {anchor}", "  未インストール: {anchor}"),
    "no_production": ("  no official production CA: download it from the ISA website and "
                      "run 'cardtool trust add FILE'",
                      "  公式の本番用 CA がありません: ISA のウェブサイトからダウンロードし "
                      "'cardtool trust add FILE' でインストールしてください"),
    "unofficial": ("Unofficial", "非公式"),
})


@click.group()
def trust() -> None:
    """ISA CA certificates (trust anchors) for checking residence cards."""


def _describe(anchor: TrustAnchor, lang: str) -> str:
    if anchor.official is not None:
        return anchor.official.describe(lang)
    c = anchor.certificate
    valid = f"{c.not_valid_before_utc.date()} – {c.not_valid_after_utc.date()}"
    return MESSAGES("unofficial_ca", lang, id=anchor.anchor.id,
                    subject=c.subject.rfc4514_string(), valid=valid)


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
        verb = MESSAGES("already_installed" if added.already else "installed_now", lang)
        click.echo(f"{verb}: {_describe(added.anchor, lang)}")


@trust.command("list")
@json_option
def trust_list(as_json: bool) -> None:
    """What is installed, and which official CA is missing, per card generation."""
    lang = app().lang
    found = listing()
    if as_json:
        print_json(found.to_json())
        return
    click.echo(MESSAGES("directory", lang, path=found.directory))
    for generation in ("first", "second"):
        click.echo("")
        click.echo(pick(GENERATION_NAMES[generation], lang))
        have = [a for a in found.installed
                if a.official is not None and a.official.generation == generation]
        for a in have:
            click.echo(MESSAGES("installed", lang, anchor=_describe(a, lang)))
        for ca in found.missing[generation]:
            click.echo(MESSAGES("missing", lang, anchor=ca.describe(lang)))
        if not any(a.official and not a.official.is_test for a in have):
            click.echo(MESSAGES("no_production", lang))
    others = [a for a in found.installed if a.official is None]
    if others:
        click.echo("")
        click.echo(MESSAGES("unofficial", lang))
        for a in others:
            click.echo("  " + _describe(a, lang))
