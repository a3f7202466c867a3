"""``policy conform``: drive a card through wrong and right PINs and check, key by key, that
it follows the PIN-attempt policy. Every key tested ends blocked, so the guards are here,
where every caller passes through them: a live card only when the caller says
``destructive``, and only a card whose authentication certificate is from a TEST issuer.
"""

from __future__ import annotations

from apdu.session import Session
from apdu.transport import Transport
from cardtool.cards.certificate import is_test_certificate, parse_certificate
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.cards.mynumber.jpki import CertKind, read_certificate
from cardtool.errors import EXIT_USAGE, CardtoolError, UsageError
from cardtool.policy.conform import KeyResult, conform
from cardtool.policy.guard import AskSecret
from cardtool.policy.rules import key_label
from cardtool.policy.table import SECRETS
from cardtool.secret_format import KeyRef, Secret
from cardtool.sources import SourceOptions
from cardtool.virtual.mynumber import virtual_secret


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


class UnknownKey(UsageError):
    def __init__(self, name: str, known: str) -> None:
        super().__init__(f"Unknown key '{name}'. Keys: {known}.",
                         f"鍵 '{name}' は不明です。鍵: {known}。")


def _all_keys() -> list[tuple[Secret, KeyRef]]:
    return [(secret, key) for secret in SECRETS.values() for key in secret.keys]


def chosen_keys(names: tuple[str, ...]) -> list[tuple[Secret, KeyRef]]:
    """The keys named (``auth``, ``juki/common``; a secret's name alone: all its keys), in
    the policy table's order; none named: every key."""
    keys = _all_keys()
    if not names:
        return keys
    by_label = {key_label(s.name, k.application): (s, k) for s, k in keys}
    chosen: list[tuple[Secret, KeyRef]] = []
    for name in names:
        matches = [v for label, v in by_label.items() if name in (label, label.split("/")[0])]
        if not matches:
            raise UnknownKey(name, ", ".join(by_label))
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def refuse_live_source(source: SourceOptions, *, destructive: bool) -> None:
    """Before the source is opened (no waiting for a card that will be refused): a reader
    needs ``destructive``. ``conform_card`` checks the opened card again."""
    if source.virtual is None and source.replay is None and not destructive:
        raise NeedsDestructive()


def conform_card(transport: Transport, key_names: tuple[str, ...], ask: AskSecret, *,
                 destructive: bool) -> list[KeyResult]:
    """Run the conformance steps on the keys named (all by default). A virtual card gives
    its PINs from its persona; a live card's are asked once per secret through ``ask``.
    Raises ``NeedsDestructive`` / ``NotATestCard`` before any VERIFY on a live card."""
    keys = chosen_keys(key_names)
    if transport.live and not destructive:
        raise NeedsDestructive()
    card = MyNumberCard(Session(transport))
    if transport.live:
        info = parse_certificate(read_certificate(card, CertKind.AUTH))
        if not is_test_certificate(info):
            raise NotATestCard(issuer=info.issuer)
    simulator = transport.simulator
    asked: dict[str, str] = {}

    def secret_of(secret: Secret) -> str | None:
        if simulator is not None:
            return virtual_secret(simulator, secret)
        if secret.name not in asked:
            asked[secret.name] = ask(secret)
        return asked[secret.name]

    return conform(card, keys, secret_of)


__all__ = ["ConformRefused", "KeyResult", "NeedsDestructive", "NotATestCard", "chosen_keys",
           "conform_card", "refuse_live_source"]
