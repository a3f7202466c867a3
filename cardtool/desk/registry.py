"""The desk's hold on the client register (``cardtool.register``): opened once at start;
when it cannot be opened (unreachable, newer than this code, unreadable file) the desk still
checks cards and every register page says why, in the page and in the log.

Every call goes to the register as is; its errors (``RegisterWriteFailed`` for a full disk
or a read-only file, ...) reach the page as their one-line message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from apdu.errors import ApduLayerError
from cardtool.errors import CardtoolError
from cardtool.install import install_command
from cardtool.register import Check, Client, DeadlineRow
from cardtool.services.client_link import ClientLink

if TYPE_CHECKING:
    from cardtool.register import Register
    from cardtool.register.deadlines import DeadlineFilter
    from cardtool.register.listing import ClientSearch, Page

log = logging.getLogger("cardtool.desk")


class RegisterNotInstalled(CardtoolError):
    en = ("The client register is not installed ({detail}): " + install_command("office")
          + ". Cards can still be checked.")
    ja = ("顧客台帳の機能がインストールされていません({detail}): " + install_command("office")
          + "。カードの読み取りは使えます。")


class RegisterAccess:
    def __init__(self, register: Register | None, error: ApduLayerError | None = None) -> None:
        self.register = register
        self.error = error

    @classmethod
    def open(cls, url: str | None) -> RegisterAccess:
        try:
            try:
                from cardtool.register import Register
            except ImportError as exc:  # SQLAlchemy and Alembic come with the office extra
                raise RegisterNotInstalled(detail=type(exc).__name__) from None
            register = Register.open(url)
        except ApduLayerError as exc:
            log.error("register: %s: %s", type(exc).__name__, exc.render("en"))
            return cls(None, exc)
        return cls(register)

    @property
    def ready(self) -> bool:
        return self.register is not None

    def error_text(self, lang: str) -> str | None:
        return self.error.render(lang) if self.error is not None else None

    def _reg(self) -> Register:
        if self.register is None:
            assert self.error is not None
            raise self.error
        return self.register

    def find_clients(self, query: str, limit: int = 20) -> list[Client]:
        return list(self._reg().find_clients(query, limit=limit))

    def client(self, client_id: int) -> Client:
        return self._reg().client(client_id)

    def link(self, desk: str) -> ClientLink:
        """The save-to-client path (shared with ``office --db``) as this desk; raises the
        reason when the register could not be opened."""
        return ClientLink(self._reg(), desk)

    def client_for_card(self, card_number: str, desk: str) -> Client | None:
        """The client this residence card was saved for before, if any."""
        return self.link(desk).client_for_card(card_number=card_number)

    def update_client(self, client_id: int, reference: str, display_name: str,
                      desk: str) -> Client:
        return self._reg().update_client(client_id, reference.strip(),
                                         display_name.strip() or None, desk=desk)

    def history(self, client_id: int) -> list[Check]:
        return list(self._reg().history(client_id))

    def history_page(self, client_id: int, page: int) -> Page[Check]:
        return self._reg().history_page(client_id, page)

    def client_page(self, query: str, page: int) -> tuple[ClientSearch, Page[Client]]:
        return self._reg().client_page(query, page)

    def deadline_page(self, today: dt.date, keep: DeadlineFilter,
                      page: int) -> Page[DeadlineRow]:
        return self._reg().deadline_page(today, keep, page)

    def deadlines_csv_chunks(self, today: dt.date) -> Iterator[bytes]:
        return self._reg().deadlines_csv_chunks(today)

    def deadlines_ics_chunks(self, today: dt.date) -> Iterator[bytes]:
        return self._reg().deadlines_ics_chunks(today)

    def deadlines(self, today: dt.date, **filters: Any) -> list[DeadlineRow]:
        return list(self._reg().deadlines(today, **filters))

    def deadlines_csv(self, today: dt.date, **filters: Any) -> bytes:
        return bytes(self._reg().deadlines_csv(today, **filters))

    def history_csv(self, client_id: int) -> bytes:
        return bytes(self._reg().history_csv(client_id))

    def deadlines_ics(self, today: dt.date) -> bytes:
        return bytes(self._reg().deadlines_ics(today))

    def audit_read(self, desk: str, kind: str | None) -> None:
        """A read (``kind``; None: failed) in the audit trail, as every read is audited
        (``ClientLink.audit_read``); nothing to write to without a register."""
        if self.register is not None:
            ClientLink(self.register, desk).audit_read(kind)

    def audit(self, desk: str, action: str, subject: str) -> None:
        """Who read or exported what. An audit that cannot be written is logged, and the
        action it records is not undone (a read already happened)."""
        if self.register is None:
            return
        try:
            self.register.record_audit(desk=desk, action=action, subject=subject)
        except ApduLayerError as exc:
            log.error("audit not written (%s %s): %s", action, subject, exc.render("en"))


__all__ = ["RegisterAccess"]
