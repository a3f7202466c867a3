"""Which client a card belongs to, saving its check there, and the register's audit line
for a read: one path for both places that keep cards in the client register, the desk's
check session (``cardtool.services.check_session``, saved from the page) and the office
session with ``office --db`` (``cardtool.services.office.RegisterLink``).

"Which client is this card": the register's client with the reference staff gave, else the
client whose residence card this is (recognised by the keyed hash of its number, never the
number itself), else nobody (a new client). The desk shows that client as a suggestion and
staff choose; the office session takes it.

Every save writes its check and its audit rows in one transaction (``Register.save_check``);
a read is audited once, as ``read`` (with the card kind) or ``read-failed``. An audit line
that cannot be written is logged and the read it records is not undone (it happened).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apdu.errors import ApduLayerError
from cardtool.expiry import CardFacts
from cardtool.register import Check, Client
from cardtool.typed_text import clean_reference

if TYPE_CHECKING:
    # Only a face that opened a register (office extra) gets here with one.
    from cardtool.register import Register

log = logging.getLogger("cardtool.services")


@dataclass(frozen=True)
class ExistingClient:
    """Save to the register's client ``client_id``."""

    client_id: int


@dataclass(frozen=True)
class NewClient:
    """Save to a new client, created with the check in one transaction (never a client left
    without it). Both values as typed; the register cleans them (``cardtool.typed_text``)."""

    reference: str | None
    display_name: str | None = None


ClientTarget = ExistingClient | NewClient


def read_audit_entry(kind: str | None) -> tuple[str, str]:
    """The audit line (action, subject) of one read: ``kind`` is the card kind read, None
    when the read failed. A read that stopped to ask for a residence card's number is not
    one (its retry with the number is)."""
    if kind is None:
        return "read-failed", "card:unread"
    return "read", f"card:{kind}"


class ClientLink:
    """The register as seen by one desk (``desk`` names it in every check and audit line)."""

    def __init__(self, register: Register, desk: str) -> None:
        self.register = register
        self.desk = desk

    def client_for_card(self, *, reference: str | None = None,
                        card_number: str | None = None) -> Client | None:
        """Which client this card is: by ``reference`` first, else by the residence card
        number (the latest check wins when a card was ever attached to two clients)."""
        reference = clean_reference(reference)  # as the register keeps it
        found = self.register.client_by_reference(reference) if reference else None
        if found is None and card_number:
            found = self.register.client_for_card_number(card_number)
        return found

    def save(self, facts: CardFacts, target: ClientTarget, card_number: str | None) -> Check:
        """Save ``facts`` as a check of ``target``. ``card_number``: a residence card's
        number as typed (stored masked and as a keyed hash only). Raises the register's
        errors (``RegisterWriteFailed``, ``DuplicateReference``, ...): nothing is half-saved."""
        if isinstance(target, ExistingClient):
            return self.register.save_check(target.client_id, facts, desk=self.desk,
                                            card_number=card_number)
        return self.register.save_check(
            None, facts, desk=self.desk, card_number=card_number,
            new_client=(target.reference, target.display_name))  # the register cleans both

    def audit_read(self, kind: str | None) -> None:
        """Record one read (``read_audit_entry``); a failure to write it is logged only."""
        action, subject = read_audit_entry(kind)
        try:
            self.register.record_audit(desk=self.desk, action=action, subject=subject)
        except ApduLayerError as exc:
            log.error("audit not written (%s %s): %s", action, subject, exc.render("en"))


__all__ = ["ClientLink", "ClientTarget", "ExistingClient", "NewClient",
           "read_audit_entry"]
