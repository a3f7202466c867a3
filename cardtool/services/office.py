"""The office session: card after card, which client each belongs to, and the client's row.

The loop (``run_office``): "hold the next card" → read what the expiry rules need (a
residence card asks for its card number; a My Number card asks nothing, never a PIN) →
"remove the card" (and wait until it is) → a first-generation residence card asks for the
expiry printed on it, or to confirm the one read from its image → the client reference and,
without one, "same client as the previous card?" → the client's row is written to every
report file → the next card. Ctrl-C (or the end of the answers) finishes; every row already
read is in the files by then, and a card read but not yet placed is saved as its own row.

A card joins a client when staff give the same reference as an earlier card of this session,
or, without a reference, when they confirm "same client as the previous card". The face
asks and shows (``OfficePrompter``: the CLI's ``cardtool office`` on a terminal or a pipe);
this module decides and writes the report (``OfficeReport``) after every card. The web
desk checks one card at a time instead (``cardtool.services.check_session``); both keep
cards in the client register through one path (``cardtool.services.client_link``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import re
import signal
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Protocol

from apdu.errors import ApduLayerError, NoCard, NoReader, PcscUnavailable
from apdu.transport import Transport
from cardtool.card_kind import KindProfile
from cardtool.errors import BadInputFile, UsageError
from cardtool.expiry import Assessment, CardFacts, ClientRecord, Thresholds, assess, assess_card
from cardtool.front_dates import FaceDates
from cardtool.i18n import Messages, pick
from cardtool.jst import today_jst
from cardtool.secret_format import RESIDENCE_CARD_NUMBER
from cardtool.services.client_link import ClientLink, ClientTarget, ExistingClient, NewClient
from cardtool.services.office_files import OfficeReport
from cardtool.services.office_report import OfficeRow
from cardtool.sources import SourceOptions, open_transport
from cardtool.trust.options import ResidenceOptions
from cardtool.typed_text import ReferenceRejected, clean_reference

if TYPE_CHECKING:
    # Only `office --db` opens a register (and loads SQLAlchemy).
    from cardtool.register import Register

#: Reads what the rules need from the card in ``transport``; calls the second argument (it
#: returns the residence card number typed by staff) only for a residence card. Never asks
#: for a My Number card PIN.
ReadCardFacts = Callable[[Transport, Callable[[], str]], CardFacts]


def _complement(first: KindProfile, second: KindProfile) -> bool:
    """A separate My Number card and a residence card without My Number functions: the two
    cards a resident usually brings together."""
    return first.separate_mynumber_card and second.is_residence and not second.has_mynumber


@dataclass
class _Client:
    number: int
    record: ClientRecord


class RegisterLink:
    """Keeps the office session's clients in the client register too (``office --db``): a
    client of the session is the client the register knows for the card (by reference,
    else by residence card number: ``ClientLink.client_for_card``, the desk's rule too),
    else a new client; each card becomes a saved check and each read an audit line, through
    the save-to-client path the desk uses (``cardtool.services.client_link``). A save that
    fails raises (``RegisterWriteFailed``): the session's files already hold the row."""

    def __init__(self, register: Register, desk: str) -> None:
        self.link = ClientLink(register, desk)
        self.client_ids: dict[int, int] = {}  # session client number -> register client id

    @property
    def register(self) -> Register:
        return self.link.register

    def save(self, client_number: int, reference: str | None, card: CardFacts,
             card_number: str | None) -> None:
        client_id = self.client_ids.get(client_number)
        if client_id is None:
            found = self.link.client_for_card(reference=reference, card_number=card_number)
            target: ClientTarget = (NewClient(reference) if found is None
                                    else ExistingClient(found.id))
        else:
            target = ExistingClient(client_id)
        check = self.link.save(card, target, card_number)
        self.client_ids[client_number] = check.client_id

    def audit_read(self, kind: str | None) -> None:
        self.link.audit_read(kind)


@dataclass
class OfficeSession:
    report: OfficeReport
    thresholds: Thresholds = field(default_factory=Thresholds)
    today: Callable[[], dt.date] = today_jst
    clients: list[_Client] = field(default_factory=list)
    cards_read: int = 0
    #: ``office --db``: the client register every card is saved to as well.
    register: RegisterLink | None = None
    _last: _Client | None = field(default=None, init=False, repr=False)

    @property
    def previous(self) -> _Client | None:
        """The client the last card went to."""
        return self._last

    def suggest_same_client(self, card: CardFacts) -> bool | None:
        """The default answer to "same client as the previous card?": yes when the previous
        client has one card and this one complements it (a residence card and a separate My
        Number card); no otherwise; None when there is no previous card to pair with."""
        previous = self.previous
        if previous is None:
            return None
        cards = previous.record.cards
        if len(cards) != 1:
            return False
        (only,) = cards
        return _complement(only.profile, card.profile) or _complement(card.profile, only.profile)

    def audit_read(self, kind: str | None) -> None:
        """One card read (``kind``), or a read that failed (None): audited in the register,
        as the desk audits its reads; without a register, the report files are the record."""
        if self.register is not None:
            self.register.audit_read(kind)

    def reference_client(self, reference: str) -> _Client | None:
        for client in reversed(self.clients):
            if client.record.reference == reference:
                return client
        return None

    def record(self, card: CardFacts, reference: str | None, same_as_previous: bool,
               card_number: str | None = None) -> OfficeRow:
        """Add the card to its client and write the client's row (and, with a register,
        save the check); returns the row. ``card_number``: a residence card's number as
        typed, for the register to recognise the card next time (never written to a file)."""
        reference = clean_reference(reference)
        target: _Client | None = None
        if reference is not None:
            target = self.reference_client(reference)
        elif same_as_previous:
            target = self.previous
        today = self.today()
        self.cards_read += 1
        if target is None:
            record = ClientRecord(reference, (card,))
            row = self.report.add(assess(record, today, self.thresholds))
            target = _Client(int(row["no"]), record)
            self.clients.append(target)
        else:
            target.record = target.record.with_card(card)
            row = self.report.replace(target.number, assess(target.record, today,
                                                            self.thresholds))
        self._last = target
        if self.register is not None:
            self.register.save(target.number, target.record.reference, card, card_number)
        return row


class BadTypedDate(UsageError):
    pass


_TYPED_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_typed_date(text: str) -> dt.date | None:
    """A date typed from a card face: 2027-03-31, 2027/3/31, 2027.03.31, 20270331 or
    2027年3月31日 (full-width digits too). Empty means "not typed" (None)."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not cleaned:
        return None
    m = _TYPED_DATE.match(cleaned)
    parts = m.groups() if m else ((cleaned[:4], cleaned[4:6], cleaned[6:])
                                  if len(cleaned) == 8 and cleaned.isdigit() else None)
    if parts is not None:
        try:
            day = dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            day = None
        if day is not None and 2000 <= day.year <= 2100:
            return day
    raise BadTypedDate(
        f"'{cleaned}' is not a date like 2027-03-31.",
        f"「{cleaned}」は日付として読めません(例: 2027-03-31)。",
    )


#: Wrong answers accepted at one prompt before taking the empty answer.
PROMPT_ATTEMPTS = 3

MESSAGES = Messages({
    "hold_next": ("Hold the next card on the reader (Ctrl-C to finish)…",
                  "次のカードをリーダーにかざしてください(Ctrl-C で終了)…"),
    "remove": ("Remove the card.", "カードをリーダーから外してください。"),
    "typed_expiry": ("Period-of-stay expiry printed on the card (e.g. 2027-03-31; "
                     "empty: check by eye)",
                     "カード表面の在留期間満了日(例: 2027-03-31。空欄: 目視確認)"),
    "confirm_expiry": ("Period-of-stay expiry read from the card image: {date}. Confirm "
                       "against the card: Enter if it is right, else type the printed date",
                       "カード画像から読み取った在留期間満了日: {date}。カードと照合し、正しければ"
                       "Enter、違えば記載の日付を入力"),
    "confirm_no_period": ("The card image shows no period of stay (permanent resident). "
                          "Enter to confirm, or type the printed expiry date",
                          "カード画像には在留期間の満了日がありません(永住者等)。正しければ Enter、"
                          "満了日があれば入力"),
    "reference": ("Client reference (office file number, not a name; empty: none)",
                  "参照番号(事務所の管理番号。氏名は入力しないでください。空欄: なし)"),
    "same_client": ("Same client as the previous card?", "前のカードと同じ方ですか?"),
    "card_error": ("This card could not be read: {error}", "このカードは読み取れませんでした: {error}"),
    "try_again": ("Remove it, then hold it (or the next card) again.",
                  "カードを外して、もう一度(または次のカードを)かざしてください。"),
    "saved_on_interrupt": ("The card just read was saved as its own row.",
                           "読み取ったカードは単独の行として保存しました。"),
})


class EndOfInput(Exception):
    """The answers ended (standard input closed): finish the session like Ctrl-C."""


class OfficePrompter(Protocol):
    """What the office loop asks staff and shows them. The CLI implements it on a terminal
    or a pipe (``cardtool.cli.office_cmd``). Questions come translated (``lang``)."""

    lang: str

    def line(self, question: str, *, hidden: bool = False) -> str:
        """One answer (``hidden``: not echoed, never logged). Raises ``EndOfInput`` when no
        more answers will come, ``KeyboardInterrupt`` when staff stop."""

    def yes_no(self, question: str, default: bool) -> bool: ...

    def notice(self, text: str) -> None:
        """A status line: what to do with the card, what went wrong."""

    def face_dates(self, face: FaceDates | None) -> None:
        """The dates read from a first-generation card's image, before staff confirm them."""

    def card_read(self, number: int, card: CardFacts, assessment: Assessment) -> None:
        """The card's dates (findings come once it is placed with its client)."""

    def client_placed(self, row: OfficeRow, rows: Sequence[OfficeRow]) -> None:
        """The client's row after this card, and every row of the session so far."""


def ask_card_number(prompter: OfficePrompter) -> str:
    """The residence card number, typed from the card (hidden)."""
    s = RESIDENCE_CARD_NUMBER
    label = f"{pick((s.label_en, s.label_ja), prompter.lang)} " \
            f"({pick((s.rule.describe_en, s.rule.describe_ja), prompter.lang)})"
    return prompter.line(label, hidden=True)


# --- where the cards come from ------------------------------------------------------------------


class CardFeed(Protocol):
    def next_card(self) -> Transport | None:
        """Block until a card is there; None when the feed has no more cards."""

    def wait_removed(self, transport: Transport) -> None: ...


def numbered_trace(path: str, number: int) -> str:
    """Card ``number``'s trace when a session records several cards: ``t.jsonl`` becomes
    ``t-1.jsonl``, ``t-2.jsonl``…"""
    p = Path(path)
    return str(p.with_name(f"{p.stem}-{number}{p.suffix}"))


class SourceFeed:
    """The cards of the chosen source, one after the other: a PC/SC reader until Ctrl-C;
    virtual cards (``--virtual``, repeatable) in the order given; a trace (one card). With
    ``--record`` each card is recorded to its own numbered trace."""

    def __init__(self, source: SourceOptions) -> None:
        source.check()
        self.source = source
        self.virtual = list(source.virtual_cards)
        self.cards = 0  # cards opened so far

    def _open(self, virtual: str | None) -> Transport:
        number, record = self.cards + 1, self.source.record
        transport = open_transport(dataclasses.replace(
            self.source, virtual=virtual, virtual_cards=(), wait=1.0,
            record=numbered_trace(record, number) if record is not None else None))
        self.cards = number
        return transport

    def next_card(self) -> Transport | None:
        if self.source.replay is not None:  # a trace holds one card
            return self._open(None) if self.cards == 0 else None
        if self.source.virtual_cards:
            return self._open(self.virtual.pop(0)) if self.virtual else None
        while True:
            try:
                return self._open(None)
            except NoCard:  # no card yet: wait on (open_transport waited a second)
                continue

    def wait_removed(self, transport: Transport) -> None:
        if transport.live:
            from apdu.transport.pcsc import wait_for_removal

            wait_for_removal(transport.description)


def card_facts_reader(residence_options: ResidenceOptions) -> ReadCardFacts:
    """The producer of ``CardFacts`` from an open card, used by ``cardtool office`` and
    ``cardtool expiry``: residence cards are checked against ``residence_options``."""
    from cardtool.services.card_facts import read_card_facts

    def read(transport: Transport, ask_number: Callable[[], str]) -> CardFacts:
        return read_card_facts(transport, ask_number, residence_options)

    return read


# --- the loop ------------------------------------------------------------------------------------


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Hold Ctrl-C while a row is being written; raise it right after."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    pending: list[int] = []

    def hold(signum: int, _frame: FrameType | None) -> None:
        pending.append(signum)

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pending:
        raise KeyboardInterrupt


def with_typed_expiry(card: CardFacts, typed: dt.date) -> CardFacts:
    """A first-generation card with the expiry staff typed from it (it overrides a date read
    from the card image)."""
    return dataclasses.replace(card, typed_residence_expiry=typed, face_source="typed",
                               no_period=False)


def _ask_typed_expiry(prompter: OfficePrompter, card: CardFacts) -> CardFacts:
    """First generation: show the dates read from the card image and ask staff to confirm
    them (Enter) or type the printed date; without a confident reading, ask for the date."""
    if not card.profile.dates_typed or card.face_source in ("typed", "confirmed"):
        return card
    lang = prompter.lang
    prompter.face_dates(card.face)
    read = card.typed_residence_expiry if card.face_source == "ocr" else None
    question = MESSAGES("typed_expiry", lang)
    if read is not None:
        question = MESSAGES("confirm_expiry", lang, date=read.isoformat())
    elif card.no_period:
        question = MESSAGES("confirm_no_period", lang)
    for _ in range(PROMPT_ATTEMPTS):
        try:
            typed = parse_typed_date(prompter.line(question))
        except BadTypedDate as exc:
            prompter.notice(exc.render(lang))
            continue
        if typed is None and (read is not None or card.no_period):
            return _confirmed(card)
        if typed is None:
            return card
        return with_typed_expiry(card, typed)
    return card


def _confirmed(card: CardFacts) -> CardFacts:
    """Staff confirmed the dates read from the card image against the card."""
    return dataclasses.replace(
        card, face_source="confirmed" if card.typed_residence_expiry else card.face_source,
        expiry_source="confirmed" if card.card_expiry is not None else card.expiry_source)


def _ask_reference(prompter: OfficePrompter) -> str | None:
    for _ in range(PROMPT_ATTEMPTS):
        try:
            return clean_reference(prompter.line(MESSAGES("reference", prompter.lang)))
        except ReferenceRejected as exc:
            prompter.notice(exc.render(prompter.lang))
    return None


class _CardNumberAsker:
    """Asks for a residence card's number and remembers the last one typed (for the
    register's recognition of the card; never written to a file)."""

    def __init__(self, prompter: OfficePrompter) -> None:
        self.prompter = prompter
        self.typed: str | None = None

    def __call__(self) -> str:
        self.typed = ask_card_number(self.prompter)
        return self.typed


def run_office(prompter: OfficePrompter, feed: CardFeed, read_facts: ReadCardFacts,
               session: OfficeSession) -> None:
    """The loop; returns when staff finish (Ctrl-C, end of input, no more cards). A reader
    that disappears (pcscd stopped, reader unplugged) or a trace that cannot be read ends
    it with its error; a card that cannot be read is a message, and the next card."""
    lang = prompter.lang
    while True:
        card: CardFacts | None = None
        asker = _CardNumberAsker(prompter)
        try:
            prompter.notice(MESSAGES("hold_next", lang))
            transport = feed.next_card()
            if transport is None:
                return
            try:
                try:
                    card = read_facts(transport, asker)
                finally:
                    transport.close()
            except (PcscUnavailable, NoReader, BadInputFile):
                raise
            except ApduLayerError as exc:
                session.audit_read(None)
                prompter.notice(MESSAGES("card_error", lang, error=exc.render(lang)))
                prompter.notice(MESSAGES("try_again", lang))
                feed.wait_removed(transport)
                continue
            session.audit_read(card.kind)
            prompter.notice(MESSAGES("remove", lang))
            # Questions only once the card is off the reader: the next card cannot be
            # mistaken for this one, however fast staff are.
            feed.wait_removed(transport)
            card = _ask_typed_expiry(prompter, card)
            prompter.card_read(session.cards_read + 1, card,
                               assess_card(card, session.today(), session.thresholds))
            reference = _ask_reference(prompter)
            same = False
            suggestion = session.suggest_same_client(card)
            if reference is None and suggestion is not None:
                same = prompter.yes_no(MESSAGES("same_client", lang), suggestion)
            with deferred_interrupt():
                row = session.record(card, reference, same, asker.typed)
                card = None
            prompter.client_placed(row, session.report.rows)
        except (KeyboardInterrupt, EndOfInput):
            if card is not None:
                # Read but not yet placed: keep it rather than lose it.
                with deferred_interrupt():
                    session.record(card, None, False, asker.typed)
                prompter.notice(MESSAGES("saved_on_interrupt", lang))
            return


__all__ = ["BadTypedDate", "CardFeed", "EndOfInput", "OfficePrompter", "OfficeSession",
           "ReadCardFacts", "SourceFeed", "card_facts_reader", "parse_typed_date",
           "run_office", "with_typed_expiry"]
