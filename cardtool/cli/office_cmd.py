"""``cardtool office``: check many clients' cards in a row, and ``cardtool expiry``: one card.

The office loop: "hold the next card" → read what the expiry rules need (a residence card
asks for its card number, typed from the card without echo; a My Number card asks nothing,
never a PIN) → "remove the card" (and wait until it is) → a first-generation residence card asks for the expiry
printed on it (empty: check by eye) → the client reference (empty: none) and, without one,
"same client as the previous card?" → the client's row is written to every report file →
the live table → the next card. Ctrl-C (or the end of standard input) finishes; every row
already read is in the files by then.

Prompts work on a terminal (no-echo for the card number) and on a pipe (one line per
answer, in the order asked), so scripts and tests can drive a session.
"""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Protocol, TextIO

import click

from apdu.errors import ApduLayerError, NoCard, NoReader, PcscUnavailable
from apdu.transport import Transport
from apdu.transport.virtual import VirtualTransport
from cardtool.cli.card_number import ENV_CARD_NUMBER, CardNumberAsker
from cardtool.cli.expiry_render import (
    assessment_json,
    card_date_lines,
    exit_code_for,
    face_lines,
    kind_name,
    level_name,
    render_assessment,
    table_lines,
    thresholds_from,
    thresholds_options,
)
from cardtool.cli.util import (
    app,
    card_source_options,
    json_option,
    open_card,
    print_json,
    trust_anchor_option,
)
from cardtool.errors import BadInputFile, UsageError
from cardtool.expiry import CardFacts, assess_card
from cardtool.jst import today_jst
from cardtool.secret_format import RESIDENCE_CARD_NUMBER
from cardtool.services.office import BadTypedDate, OfficeSession, ReadCardFacts, parse_typed_date
from cardtool.services.office_report import (
    LEVEL_BY_CODE,
    OfficeReport,
    ReferenceRejected,
    clean_reference,
)

#: Rows shown in the live table (the newest); the files hold them all.
TABLE_ROWS = 20
#: Wrong answers accepted at one prompt before taking the empty answer.
PROMPT_ATTEMPTS = 3

TEXT: dict[str, tuple[str, str]] = {
    "hold_next": ("Hold the next card on the reader (Ctrl-C to finish)…",
                  "次のカードをリーダーにかざしてください(Ctrl-C で終了)…"),
    "read_card": ("Card {n}: {kind}", "カード {n}: {kind}"),
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
    "yes_no": ("Please answer y or n.", "y か n で答えてください。"),
    "card_error": ("This card could not be read: {error}", "このカードは読み取れませんでした: {error}"),
    "try_again": ("Remove it, then hold it (or the next card) again.",
                  "カードを外して、もう一度(または次のカードを)かざしてください。"),
    "saved_on_interrupt": ("The card just read was saved as its own row.",
                           "読み取ったカードは単独の行として保存しました。"),
    "client": ("Client {no} ({reference}): {level}", "お客様 {no}({reference}): {level}"),
    "finished": ("Cards read: {cards}; clients: {clients}.",
                 "読み取ったカード: {cards} 枚、お客様: {clients} 名。"),
    "written": ("Written: {files}", "保存先: {files}"),
    "nothing_written": ("No report file was asked for (--csv, --json, --html): nothing was "
                        "saved.",
                        "報告ファイル(--csv, --json, --html)が指定されていないため保存していません。"),
}


def say(key: str, lang: str, **params: object) -> str:
    en, ja = TEXT[key]
    return (ja if lang == "ja" else en).format(**params)


class EndOfInput(Exception):
    """Standard input ended: finish the session like Ctrl-C."""


class Prompter:
    """Questions to staff: click prompts on a terminal, one line each from a pipe."""

    def __init__(self, lang: str, stdin: TextIO | None = None) -> None:
        self.lang = lang
        self.stdin = stdin or sys.stdin
        self.interactive = self.stdin.isatty()

    def line(self, text: str, *, hidden: bool = False) -> str:
        if self.interactive:
            try:
                value: str = click.prompt(text, default="", show_default=False,
                                          hide_input=hidden, err=True)
            except click.Abort:
                raise KeyboardInterrupt from None
            return value
        click.echo(f"{text}: ", err=True, nl=False)
        answer = self.stdin.readline()
        if answer == "":
            click.echo("", err=True)
            raise EndOfInput
        # Nothing is echoed from a pipe: an answer typed into the wrong prompt (a card
        # number) must not show up in a transcript.
        click.echo("", err=True)
        return answer.rstrip("\r\n")

    def yes_no(self, text: str, default: bool) -> bool:
        hint = "[Y/n]" if default else "[y/N]"
        for _ in range(PROMPT_ATTEMPTS):
            answer = self.line(f"{text} {hint}").strip().lower()
            if not answer:
                return default
            if answer in ("y", "yes", "はい", "ｙ"):
                return True
            if answer in ("n", "no", "いいえ", "ｎ"):
                return False
            click.echo(say("yes_no", self.lang), err=True)
        return default

    def card_number(self) -> str:
        s = RESIDENCE_CARD_NUMBER
        ja = self.lang == "ja"
        label = f"{s.label_ja if ja else s.label_en} ({s.rule.describe_ja if ja else s.rule.describe_en})"
        return self.line(label, hidden=True)


# --- where the cards come from ------------------------------------------------------------------


class CardFeed(Protocol):
    def next_card(self) -> Transport | None:
        """Block until a card is there; None when the feed has no more cards."""

    def wait_removed(self, transport: Transport) -> None: ...


class PcscFeed:
    """Cards held on a PC/SC reader, one after the other, until Ctrl-C."""

    def __init__(self, reader: str | None) -> None:
        self.reader = reader

    def next_card(self) -> Transport | None:
        from apdu.transport.pcsc import open_reader

        while True:
            try:
                return open_reader(self.reader, wait=1.0)
            except NoCard:
                continue

    def wait_removed(self, transport: Transport) -> None:
        from apdu.transport.pcsc import wait_for_removal

        name = getattr(transport, "reader", None)
        if isinstance(name, str):
            wait_for_removal(name)


class VirtualFeed:
    """Virtual cards (``--virtual KIND[:PERSONA]``, repeatable), held one after the other."""

    def __init__(self, specs: tuple[str, ...]) -> None:
        self.specs = list(specs)

    def next_card(self) -> Transport | None:
        from cardtool.virtual import make_virtual_card

        if not self.specs:
            return None
        spec = self.specs.pop(0)
        return VirtualTransport(make_virtual_card(spec), description=f"virtual {spec}")

    def wait_removed(self, transport: Transport) -> None:
        return None


# --- the read services ------------------------------------------------------------------------


def card_facts_reader(trust_anchors: tuple[str, ...] = (), *,
                      virtual: bool = False) -> ReadCardFacts:
    """The producer of ``CardFacts`` from an open card (``read_card_facts(transport,
    ask_card_number)``), used by ``cardtool office`` and ``cardtool expiry``. Residence
    cards are checked against the installed anchors, each --trust-anchor and, for virtual
    cards, cardtool's own TEST CAs (as ``cardtool read``)."""
    from cardtool.cli.read_cmd import residence_options
    from cardtool.services.card_facts import read_card_facts

    options = residence_options(trust_anchors, virtual=virtual)

    def read(transport: Transport, ask_card_number: Callable[[], str]) -> CardFacts:
        return read_card_facts(transport, ask_card_number, options)

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


def _ask_typed_expiry(prompter: Prompter, card: CardFacts) -> CardFacts:
    """First generation: show the dates read from the card image and ask staff to confirm
    them (Enter) or type the printed date; without a confident reading, ask for the date."""
    if card.kind != "residence-first" or card.face_source in ("typed", "confirmed"):
        return card
    lang = prompter.lang
    for line in face_lines(card.face, lang):
        click.echo(line, err=True)
    read = card.typed_residence_expiry if card.face_source == "ocr" else None
    question = say("typed_expiry", lang)
    if read is not None:
        question = say("confirm_expiry", lang, date=read.isoformat())
    elif card.no_period:
        question = say("confirm_no_period", lang)
    for _ in range(PROMPT_ATTEMPTS):
        try:
            typed = parse_typed_date(prompter.line(question))
        except BadTypedDate as exc:
            click.echo(exc.render(lang), err=True)
            continue
        if typed is None and (read is not None or card.no_period):
            return _confirmed(card)
        if typed is None:
            return card
        return dataclasses.replace(card, typed_residence_expiry=typed, face_source="typed",
                                   no_period=False)
    return card


def _confirmed(card: CardFacts) -> CardFacts:
    """Staff confirmed the dates read from the card image against the card."""
    return dataclasses.replace(
        card, face_source="confirmed" if card.typed_residence_expiry else card.face_source,
        expiry_source="confirmed" if card.card_expiry is not None else card.expiry_source)


def _ask_reference(prompter: Prompter) -> str | None:
    for _ in range(PROMPT_ATTEMPTS):
        try:
            return clean_reference(prompter.line(say("reference", prompter.lang)))
        except ReferenceRejected as exc:
            click.echo(exc.render(prompter.lang), err=True)
    return None


def _show_card(card: CardFacts, number: int, session: OfficeSession, lang: str) -> None:
    """The card's dates; the findings come once the card is placed with its client."""
    click.echo(say("read_card", lang, n=number, kind=kind_name(card.kind, lang)))
    one = assess_card(card, session.today(), session.thresholds)
    for line in card_date_lines(one, 0, lang):
        click.echo(line)


def _show_client(row: dict[str, object], lang: str) -> None:
    findings = row["findings"]
    assert isinstance(findings, list)
    reference = row.get("reference") or "-"
    click.echo(say("client", lang, no=row["no"], reference=reference,
                   level=level_name(LEVEL_BY_CODE[str(row["level"])], lang)))
    for f in findings:
        click.echo(f"  [{level_name(LEVEL_BY_CODE[f['level']], lang)}] "
                   f"{f['message_ja'] if lang == 'ja' else f['message_en']}")


def _show_table(session: OfficeSession, lang: str) -> None:
    rows = session.report.rows[-TABLE_ROWS:]
    click.echo("")
    for line in table_lines(rows, lang):
        click.echo(line)
    click.echo("")


def run_office(prompter: Prompter, feed: CardFeed, read_facts: ReadCardFacts,
               session: OfficeSession) -> None:
    """The loop; returns when staff finish (Ctrl-C, end of input, no more cards)."""
    lang = prompter.lang
    while True:
        card: CardFacts | None = None
        try:
            click.echo(say("hold_next", lang), err=True)
            transport = feed.next_card()
            if transport is None:
                return
            try:
                try:
                    card = read_facts(transport, prompter.card_number)
                finally:
                    transport.close()
            except (PcscUnavailable, NoReader, BadInputFile):
                raise
            except ApduLayerError as exc:
                click.echo(say("card_error", lang, error=exc.render(lang)), err=True)
                click.echo(say("try_again", lang), err=True)
                feed.wait_removed(transport)
                continue
            click.echo(say("remove", lang), err=True)
            # Questions only once the card is off the reader: the next card cannot be
            # mistaken for this one, however fast staff are.
            feed.wait_removed(transport)
            card = _ask_typed_expiry(prompter, card)
            _show_card(card, session.cards_read + 1, session, lang)
            reference = _ask_reference(prompter)
            same = False
            suggestion = session.suggest_same_client(card)
            if reference is None and suggestion is not None:
                same = prompter.yes_no(say("same_client", lang), suggestion)
            with deferred_interrupt():
                row = session.record(card, reference, same)
                card = None
            _show_client(row, lang)
            _show_table(session, lang)
        except (KeyboardInterrupt, EndOfInput):
            if card is not None:
                # Read but not yet placed: keep it rather than lose it.
                with deferred_interrupt():
                    session.record(card, None, False)
                click.echo(say("saved_on_interrupt", lang), err=True)
            return


def _files(csv_path: str | None, json_path: str | None, html_path: str | None) -> list[str]:
    return [p for p in (csv_path, json_path, html_path) if p]


@click.command()
@click.option("--csv", "csv_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="Append one row per card to this CSV (UTF-8 with BOM, for Excel).")
@click.option("--json", "json_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="Keep the session in this JSON file (rewritten after every card; an "
                   "existing report is continued).")
@click.option("--html", "html_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="Keep a printable A4 report here, most urgent first.")
@click.option("-r", "--reader", metavar="NAME|INDEX",
              help="PC/SC reader by index or name substring (default: the first with a card).")
@click.option("--virtual", "virtual", metavar="KIND[:PERSONA]", multiple=True,
              help="Use virtual cards instead of a reader, held in the order given.")
@trust_anchor_option
@thresholds_options
def office(csv_path: str | None, json_path: str | None, html_path: str | None,
           reader: str | None, virtual: tuple[str, ...], trust_anchors: tuple[str, ...],
           soon_days: int, urgent_days: int) -> None:
    """Check many clients' cards for expiry, one card after the other (Ctrl-C to finish).

    Asks only for what a card needs: a residence card's number (typed from the card, not
    echoed); never a My Number card PIN. Reports hold references, kinds, dates and findings;
    never a My Number, name, photo or card number.
    """
    a = app()
    if reader and virtual:
        raise UsageError("Choose --reader or --virtual, not both.",
                         "--reader と --virtual は同時に指定できません。")
    thresholds = thresholds_from(soon_days, urgent_days)
    read_facts = card_facts_reader(trust_anchors, virtual=bool(virtual))
    report = OfficeReport(csv_path=csv_path, json_path=json_path, html_path=html_path,
                          lang=a.lang, thresholds=thresholds)
    session = OfficeSession(report, thresholds)
    feed: CardFeed = VirtualFeed(virtual) if virtual else PcscFeed(reader)
    try:
        run_office(Prompter(a.lang), feed, read_facts, session)
    finally:
        report.close()
    click.echo(say("finished", a.lang, cards=session.cards_read, clients=len(session.clients)),
               err=True)
    files = _files(csv_path, json_path, html_path)
    click.echo(say("written", a.lang, files=", ".join(files)) if files
               else say("nothing_written", a.lang), err=True)


@click.command()
@click.option("--typed-expiry", metavar="DATE",
              help="First-generation residence card: the period-of-stay expiry printed on "
                   "the card (e.g. 2027-03-31).")
@click.option("--card-number-stdin", is_flag=True,
              help="Residence cards: read the card number as the first line of standard input "
                   f"(else ${ENV_CARD_NUMBER}, else a no-echo prompt).")
@trust_anchor_option
@thresholds_options
@card_source_options
@json_option
def expiry(typed_expiry: str | None, card_number_stdin: bool, trust_anchors: tuple[str, ...],
           soon_days: int, urgent_days: int, as_json: bool) -> None:
    """Check one card's dates (exit code 5 when anything is soon, urgent or expired; 7 when
    the card's authenticity check failed)."""
    a = app()
    thresholds = thresholds_from(soon_days, urgent_days)
    typed = parse_typed_date(typed_expiry) if typed_expiry else None
    read_facts = card_facts_reader(trust_anchors, virtual=a.source.virtual is not None)
    # As `cardtool read`: stdin line, else $CARDTOOL_CARD_NUMBER, else a no-echo prompt; a
    # number given up front is format-checked before the card is opened.
    ask_number = CardNumberAsker(a.lang, card_number_stdin)

    with open_card() as transport:
        card = read_facts(transport, ask_number)
    if typed is not None:
        if card.kind != "residence-first":
            raise UsageError("--typed-expiry is only for first-generation residence cards.",
                             "--typed-expiry は第1世代の在留カード専用です。")
        # A typed date overrides what was read from the card image.
        card = dataclasses.replace(card, typed_residence_expiry=typed, face_source="typed",
                                   no_period=False)
    result = assess_card(card, today_jst(), thresholds)
    if as_json:
        out = assessment_json(result)
        if card.face is not None:
            out["face_dates"] = card.face.to_json()
        print_json(out)
    else:
        for line in face_lines(card.face, a.lang):
            click.echo(line)
        for line in render_assessment(result, a.lang):
            click.echo(line)
    sys.exit(exit_code_for(result))


__all__ = ["CardFeed", "Prompter", "expiry", "office", "run_office"]

