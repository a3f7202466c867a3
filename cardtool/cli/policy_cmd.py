"""``cardtool policy conform``: prove that a card follows the PIN-attempt policy."""

from __future__ import annotations

import sys

import click

from apdu.session import Session
from apdu.transport import Transport
from apdu.transport.recording import RecordingTransport
from apdu.transport.virtual import VirtualTransport
from cardtool.cards.certificate import is_test_certificate, parse_certificate
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.cards.mynumber.jpki import CertKind, read_certificate
from cardtool.cli.secrets import SecretAsker
from cardtool.cli.util import app, card_source_options, json_option, open_card, print_json
from cardtool.errors import EXIT_USAGE, CardtoolError, UsageError
from cardtool.policy.check_run import EXIT_FINDINGS
from cardtool.policy.conform import KeyResult, conform, virtual_secret
from cardtool.policy.rules import key_label
from cardtool.policy.table import SECRETS
from cardtool.secret_format import KeyRef, Secret


class ConformRefused(CardtoolError):
    exit_code = EXIT_USAGE


class NeedsDestructive(ConformRefused):
    en = ("'policy conform' blocks every key it tests. On a real card it runs only with "
          "--destructive, and only on a TEST card.")
    ja = ("'policy conform' は検査するすべての鍵をロックします。実カードでは --destructive を"
          "付けた場合に限り、テスト用カードでのみ実行します。")


class NotATestCard(ConformRefused):
    en = ("Refusing: this card's authentication certificate is not from a TEST issuer "
          "({issuer}). 'policy conform' would block a citizen's card.")
    ja = ("中止しました: このカードの利用者証明用証明書の発行者はテスト用ではありません({issuer})。"
          "'policy conform' は市民のカードをロックしてしまいます。")


_TEXT = {
    "conformant": ("conformant", "適合"),
    "not": ("NOT conformant", "不適合"),
    "skipped": ("skipped", "対象外"),
    "steps": ("{n} steps", "{n} 手順"),
    "total": ("{ok} of {tested} keys conformant ({skipped} skipped).",
              "{tested} 個の鍵のうち {ok} 個が適合(対象外 {skipped} 個)。"),
    "unknown_key": ("Unknown key '{key}'. Keys: {keys}.", "鍵 '{key}' は不明です。鍵: {keys}。"),
    "blocked_warning": ("warning: the keys tested are now blocked.",
                        "警告: 検査した鍵はロックされました。"),
}


def _say(message: str, lang: str, **params: object) -> str:
    en, ja = _TEXT[message]
    return (ja if lang == "ja" else en).format(**params)


def _all_keys() -> list[tuple[Secret, KeyRef]]:
    return [(secret, key) for secret in SECRETS.values() for key in secret.keys]


def _chosen_keys(names: tuple[str, ...]) -> list[tuple[Secret, KeyRef]]:
    keys = _all_keys()
    if not names:
        return keys
    by_label = {key_label(s.name, k.application): (s, k) for s, k in keys}
    chosen: list[tuple[Secret, KeyRef]] = []
    for name in names:
        matches = [v for label, v in by_label.items() if name in (label, label.split("/")[0])]
        if not matches:
            known = ", ".join(by_label)
            raise UsageError(_say("unknown_key", "en", key=name, keys=known),
                             _say("unknown_key", "ja", key=name, keys=known))
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def _simulator(transport: Transport) -> object | None:
    """The virtual card behind the transport (through a recording), if any."""
    inner: Transport = transport
    while isinstance(inner, RecordingTransport):
        inner = inner.inner
    return inner.card if isinstance(inner, VirtualTransport) else None


@click.group()
def policy() -> None:
    """The PIN-attempt policy: prove that a card follows it."""


@policy.command("conform")
@click.option("--destructive", is_flag=True,
              help="Allow it on a real card (a TEST card only): every key tested is blocked.")
@click.option("--key", "key_names", multiple=True, metavar="NAME[/APP]",
              help="Test only this key (repeatable), e.g. auth or juki/common. Default: all.")
@card_source_options
@json_option
def conform_cmd(destructive: bool, key_names: tuple[str, ...], as_json: bool) -> None:
    """Drive the card through wrong and right PINs and check, per key, that it counts down
    by one, blocks with 63 C0, answers 69 84 afterwards, never uses a try for the empty
    VERIFY and restores the maximum on success. Leaves the keys blocked.

    Virtual cards take their PINs from the persona; a real card's PINs are read from
    standard input, one line per secret in the order asked (never from the command line).
    Exit 0 conformant, 5 not conformant."""
    a = app()
    keys = _chosen_keys(key_names)
    real = a.source.virtual is None and a.source.replay is None
    if real and not destructive:
        raise NeedsDestructive()
    with open_card() as transport:
        card = MyNumberCard(Session(transport))
        simulator = _simulator(transport)
        if real:
            info = parse_certificate(read_certificate(card, CertKind.AUTH))
            if not is_test_certificate(info):
                raise NotATestCard(issuer=info.issuer)
        asker = SecretAsker(a.lang, from_stdin=not sys.stdin.isatty())
        asked: dict[str, str] = {}

        def secret_of(secret: Secret) -> str | None:
            if simulator is not None:
                return virtual_secret(simulator, secret)
            if secret.name not in asked:
                asked[secret.name] = asker(secret)
            return asked[secret.name]

        results = conform(card, keys, secret_of)
    _report(results, a.lang, as_json)
    tested = [r for r in results if r.skipped is None]
    if tested and real:
        click.echo(_say("blocked_warning", a.lang), err=True)
    raise SystemExit(0 if tested and all(r.conformant for r in tested) else EXIT_FINDINGS)


def _report(results: list[KeyResult], lang: str, as_json: bool) -> None:
    tested = [r for r in results if r.skipped is None]
    ok = [r for r in tested if r.conformant]
    if as_json:
        print_json({"conformant": bool(tested) and len(ok) == len(tested),
                    "keys": [r.to_json() for r in results]})
        return
    ja = lang == "ja"
    for r in results:
        if r.skipped is not None:
            status = f"{_say('skipped', lang)}: {(r.skipped_ja if ja else r.skipped)}"
        elif r.conformant:
            status = f"{_say('conformant', lang)} ({_say('steps', lang, n=len(r.steps))})"
        else:
            status = f"{_say('not', lang)}: {(r.problem_ja if ja else r.problem)}"
        click.echo(f"{r.label:<16} {status}")
    click.echo(_say("total", lang, ok=len(ok), tested=len(tested),
                    skipped=len(results) - len(tested)))
