"""The check session: one card check at a time at a desk, whatever face shows it (today the
web desk, ``cardtool.desk``; the face keeps pages and HTTP only). It owns the workflow:

- the stages of one check (``Stage``): idle → reading → done, failed, or
  needs-card-number (a residence card: staff type the number printed on it, then
  ``read(card_number=...)`` again; a wrong number asks again, the card stays usable);
- the read itself (through the read service ``cardtool.services.card_facts``), never two
  at once (``ReadInProgress``), started by itself when a new card arrives (``auto_read``);
- the removal grace: a transmission failure followed, within ``REMOVAL_GRACE_SECONDS``, by
  the watcher seeing the card gone is told as "the card was removed";
- the audit of each read (``audit``: ``cardtool.services.client_link.read_audit_entry``);
- the save of a finished check to a client (``save``), through the one save-to-client path
  ``office --db`` uses too (``cardtool.services.client_link.ClientLink``).

A stage between "done" and the save (e.g. staff confirming dates read from a card image)
is added as a ``Stage`` value the read ends in, a method that moves it on to ``DONE``, and
nothing else: ``save`` takes only a ``DONE`` check of the version the page showed.

Secrets typed on the page (a residence card number, the three parts of 照合番号B) live
only in the request that uses them. The one exception is the residence card number kept in
memory, never on disk or in a log, until the check is saved (the register keeps a keyed hash
of it to recognise the card) or the next card is read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from apdu.errors import ApduLayerError, CardRemoved, TransportError
from cardtool.errors import CardtoolError, UsageError
from cardtool.expiry import CardFacts
from cardtool.register import Check
from cardtool.secret_format import PinFormatError
from cardtool.services.card_facts import (
    CardNumberMismatch,
    check_card_number_format,
    printed_number_b_asker,
    read_card_facts,
    refuse_secrets,
)
from cardtool.services.client_link import ClientLink, ClientTarget
from cardtool.services.read import ReadOptions
from cardtool.services.reader_watch import ReaderEvent, ReaderState, ReaderWatcher
from cardtool.trust.options import ResidenceOptions

# The desk's log name: what staff read in the desk's log is one stream.
log = logging.getLogger("cardtool.desk")

#: After a transmission failure: how long the watcher may take to report the card gone.
REMOVAL_GRACE_SECONDS = 2.0


class CardNumberNeeded(CardtoolError):
    """A residence card was detected: the page asks for its number, then reads again."""

    en = "This is a residence card: type the 12-character card number printed on it."
    ja = "在留カード等です。券面に記載された12文字の在留カード番号を入力してください。"


class ReadInProgress(CardtoolError):
    en = "A card is being read. Wait until the result is shown."
    ja = "カードを読み取り中です。結果が表示されるまでお待ちください。"


class NoCardToRead(CardtoolError):
    en = "No card on the reader. Hold the card on the reader and try again."
    ja = "リーダーにカードがありません。カードをリーダーに置いてから再実行してください。"


class StaleCheck(CardtoolError):
    """A save for a check that is not the one shown any more (another card was read, it was
    saved already, or it did not end in a result)."""

    en = "This result is no longer the current one: check the page again before saving."
    ja = "この結果は最新ではありません。保存する前にページを確認してください。"


class Stage(Enum):
    IDLE = "idle"  # nothing read yet (or the card was taken away before any read)
    READING = "reading"
    NEEDS_CARD_NUMBER = "needs-card-number"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class FaceParts:
    """照合番号B as printed on a My Number card: birth date, expiry year, security code."""

    birth: str
    expiry_year: str
    code: str = field(repr=False)


@dataclass
class CheckResult:
    """What the check page shows. ``version`` grows with every change, so a page knows
    whether it shows the latest."""

    version: int = 0
    stage: Stage = Stage.IDLE
    card_serial: int = 0
    facts: CardFacts | None = None
    face_checked: bool = False
    #: Why the read failed, or (stage needs-card-number) why the number is asked again.
    error: ApduLayerError | None = None
    read_ms: float | None = None
    read_at: dt.datetime | None = None
    #: The residence card number that opened the card, for the save (keyed hash, masked
    #: number); never rendered, logged or stored by the desk.
    card_number: str | None = field(default=None, repr=False)
    saved: bool = False

    @property
    def kind(self) -> str | None:
        return self.facts.kind if self.facts is not None else None


Listener = Callable[[dict[str, Any]], None]
#: audit(kind): one read, of a card of ``kind``, or None when it failed.
ReadAudit = Callable[[str | None], None]


class CheckSession:
    """The reader state, one read at a time (a lock), the latest result and its save."""

    def __init__(self, watcher: ReaderWatcher, residence_options: ResidenceOptions, *,
                 allow_test_keys: bool = False, auto_read: bool = True,
                 audit: ReadAudit | None = None) -> None:
        self.watcher = watcher
        #: Who read what (``ClientLink.audit_read``: the register's audit table).
        self.audit = audit
        self.residence_options = residence_options
        self.allow_test_keys = allow_test_keys
        self.auto_read = auto_read
        self.result = CheckResult()
        self._read_lock = threading.Lock()
        self._save_lock = threading.Lock()
        self._result_lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._reading = False

    # --- events -------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def snapshot(self) -> dict[str, Any]:
        """The state the page's event stream carries (no personal value in it)."""
        event = self.watcher.current
        with self._result_lock:
            result = self.result
            return {"reader": "reading" if self._reading else event.state.value,
                    "serial": event.card_serial, "version": result.version,
                    "stage": result.stage.value,
                    "read_ms": round(result.read_ms, 1) if result.read_ms is not None else None,
                    "virtual_left": event.virtual_left if self.watcher.demo else None}

    def _notify(self) -> None:
        snapshot = self.snapshot()
        for listener in list(self._listeners):
            listener(snapshot)

    def start(self) -> None:
        self.watcher.start(self.on_reader_event)

    def stop(self) -> None:
        self.watcher.stop()

    def on_reader_event(self, event: ReaderEvent) -> None:
        with self._result_lock:
            new_card = (event.state is ReaderState.PRESENT
                        and event.card_serial != self.result.card_serial)
        self._notify()
        if new_card and self.auto_read:
            threading.Thread(target=self._auto_read, args=(event.card_serial,),
                             name="cardtool-desk-read", daemon=True).start()

    def _auto_read(self, serial: int) -> None:
        # A read running now is for this card (or staff asked for one): it will show.
        with contextlib.suppress(ReadInProgress):
            self.read(serial=serial)

    # --- the read -----------------------------------------------------------------------

    def read(self, *, card_number: str | None = None, face: FaceParts | None = None,
             serial: int | None = None) -> CheckResult:
        """Read the card on the reader now; the result replaces the previous one. Raises
        ReadInProgress when another read runs (never two at once on one card)."""
        if not self._read_lock.acquire(blocking=False):
            raise ReadInProgress()
        try:
            self._reading = True
            self._notify()
            result = self._read_once(card_number, face, serial)
        finally:
            self._reading = False
            self._read_lock.release()
        with self._result_lock:
            result.version = self.result.version + 1
            self.result = result
        self._notify()
        if self.audit is not None and result.stage is not Stage.NEEDS_CARD_NUMBER:
            self.audit(result.kind if result.stage is Stage.DONE else None)
        return result

    def _read_once(self, card_number: str | None, face: FaceParts | None,
                   serial: int | None) -> CheckResult:
        event = self.watcher.current
        serial = event.card_serial if serial is None else serial
        result = CheckResult(stage=Stage.DONE, card_serial=serial,
                             read_at=dt.datetime.now(dt.UTC))
        if card_number is not None:
            card_number = card_number.strip()

        def ask_card_number() -> str:
            if not card_number:
                raise CardNumberNeeded()
            return card_number

        options = ReadOptions(pin_status=False, verify=True, face=face is not None,
                              face_key="number-b", allow_test_keys=self.allow_test_keys)
        started = time.perf_counter()
        try:
            if card_number:
                # The format rule is checked before the card is opened: a typo costs no APDU.
                check_card_number_format(card_number)
            if event.state is not ReaderState.PRESENT:
                raise NoCardToRead()
            ask_secret = (refuse_secrets if face is None else
                          printed_number_b_asker(face.birth, face.expiry_year, face.code))
            transport = self.watcher.open_card()
            try:
                # A virtual card (simulated) may rest its verdict on TEST keys: read_card
                # allows them for it, at best test-anchor.
                facts = read_card_facts(transport, ask_card_number, self.residence_options,
                                        read_options=options, ask_secret=ask_secret)
            finally:
                transport.close()
        except CardNumberNeeded as exc:
            result.stage, result.error = Stage.NEEDS_CARD_NUMBER, exc
            log.info("check: a residence card, asking for its number")
        except UsageError as exc:
            result.stage, result.error = Stage.FAILED, exc
            log.info("check: %s", type(exc).__name__)
        except ApduLayerError as exc:
            error = self._removed_or(exc, serial)
            result.stage, result.error = Stage.FAILED, error
            # Messages never carry a PIN, a card number or personal data (apdu.errors).
            log.warning("check failed: %s: %s", type(error).__name__, error.render("en"))
        else:
            result.facts, result.face_checked = facts, face is not None
            result.card_number = card_number if facts.is_residence else None
            log.info("check: %s read", facts.kind)
        result.read_ms = (time.perf_counter() - started) * 1000
        if result.stage is Stage.FAILED and card_number and _is_card_number_error(result.error):
            # A wrong number: ask again (the card stays usable; no try counter is known).
            result.stage = Stage.NEEDS_CARD_NUMBER
        return result

    def _removed_or(self, error: ApduLayerError, serial: int) -> ApduLayerError:
        """A reader tells a card taken away mid-command as a transmission failure: when the
        watcher sees it gone right after, say that the card was removed."""
        if not isinstance(error, TransportError) or isinstance(error, CardRemoved):
            return error
        deadline = time.monotonic() + REMOVAL_GRACE_SECONDS
        while time.monotonic() < deadline:
            now = self.watcher.current
            if now.state is not ReaderState.PRESENT or now.card_serial != serial:
                return CardRemoved()
            time.sleep(0.02)
        return error

    def save(self, version: int, link: ClientLink, target: ClientTarget) -> Check:
        """Save the check of ``version`` (the one the page showed) to ``target``; raises
        ``StaleCheck`` when that is not the current, finished, unsaved check, and the
        register's errors when the save fails (the check stays unsaved, to try again)."""
        with self._save_lock:
            result = self.savable(version)
            assert result.facts is not None
            check = link.save(result.facts, target, result.card_number)
            self.mark_saved(version)
        return check

    def savable(self, version: int) -> CheckResult:
        """The current check, when it is ``version``, finished and not saved yet; else
        raises ``StaleCheck``."""
        with self._result_lock:
            result = self.result
            if (result.version != version or result.stage is not Stage.DONE
                    or result.facts is None or result.saved):
                raise StaleCheck()
            return result

    def mark_saved(self, version: int) -> None:
        with self._result_lock:
            if self.result.version == version:
                self.result.saved = True
                self.result.card_number = None  # not needed any more: forget it
                self.result.version += 1
        self._notify()

    def next_card(self) -> None:
        self.watcher.next_card()


def _is_card_number_error(error: ApduLayerError | None) -> bool:
    return isinstance(error, (CardNumberMismatch, PinFormatError))


__all__ = [
    "REMOVAL_GRACE_SECONDS",
    "CardNumberNeeded",
    "CheckResult",
    "CheckSession",
    "FaceParts",
    "NoCardToRead",
    "ReadAudit",
    "ReadInProgress",
    "Stage",
    "StaleCheck",
]
