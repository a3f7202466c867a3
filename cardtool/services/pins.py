"""PIN tries left and PIN checks on a My Number card (``cardtool pin status|verify``).

Tries are read with the empty VERIFY (none used); a check goes through the live guard
(format first, then the counter, refused with one try left unless forced).
"""

from __future__ import annotations

from dataclasses import dataclass

from apdu.session import Session
from apdu.transport import Transport
from cardtool.cards.detect import detect
from cardtool.cards.mynumber.card import MyNumberCard
from cardtool.errors import UnsupportedCard
from cardtool.policy.guard import AskSecret, KeyStatus, PinGuard
from cardtool.policy.table import SECRETS, secret
from cardtool.secret_format import Secret

#: The names a user may give (``cardtool pin verify NAME``).
SECRET_NAMES: tuple[str, ...] = tuple(sorted(SECRETS))


def open_mynumber_card(transport: Transport) -> tuple[MyNumberCard, Session]:
    """The card's My Number applications, after detection proved it has them (a residence
    card, a JPKI smartphone or an unknown card raises ``UnsupportedCard``)."""
    session = Session(transport)
    card = MyNumberCard(session)
    detection = detect(card, transport.atr)
    if not detection.has_mynumber_applications:
        raise UnsupportedCard(atr=transport.atr.hex(" ").upper() + f" ({detection.kind.value})")
    return card, session


@dataclass(frozen=True)
class PinStatusReport:
    #: Every key of every secret, in the policy table's order (absent keys marked).
    keys: tuple[KeyStatus, ...]
    apdu_count: int


def pin_status(transport: Transport) -> PinStatusReport:
    """Tries left for every PIN and collation number, read without using any."""
    card, session = open_mynumber_card(transport)
    guard = PinGuard(card)
    rows = tuple(guard.status_if_present(s, key) for s in SECRETS.values() for key in s.keys)
    return PinStatusReport(rows, session.apdu_count)


def verify_pin(transport: Transport, name: str, application: str | None, ask: AskSecret,
               *, force: bool = False) -> KeyStatus:
    """Check one secret against the card (a try is used only if it is wrong); returns the
    key's status after the check."""
    s = secret(name)
    key = s.key_in(application) if application else s.keys[0]
    card, _ = open_mynumber_card(transport)
    guard = PinGuard(card, force=force)
    return guard.ask_and_verify(guard.status(s, key), ask)


__all__ = ["SECRET_NAMES", "AskSecret", "KeyStatus", "PinStatusReport", "Secret",
           "open_mynumber_card", "pin_status", "verify_pin"]
