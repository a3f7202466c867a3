"""``cardtool office``: check many clients' cards in a row, and ``cardtool expiry``: one card.

The office loop itself is a service (``cardtool.services.office.run_office``); this module
is its terminal face: ``Prompter`` asks on a terminal (no-echo for the card number) or on a
pipe (one line per answer, in the order asked, so scripts and tests can drive a session),
and shows each card, each client's row and the live table.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

import click

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
from cardtool.cli.read_cmd import residence_options
from cardtool.cli.register_cmd import ENV_DB, default_desk, say_index_progress
from cardtool.cli.util import (
    app,
    card_source_options,
    json_option,
    open_card,
    print_json,
    trust_anchor_option,
)
from cardtool.errors import UsageError
from cardtool.expiry import Assessment, CardFacts, assess_card
from cardtool.i18n import Messages, pick
from cardtool.install import require_extra
from cardtool.jst import today_jst

if TYPE_CHECKING:
    from cardtool.front_dates import FaceDates
    from cardtool.services.office_report import OfficeRow

# The office service (card sources, the card readers, trust anchors) and the report files
# are imported where a card is checked: `expiry --help` and `office --help` load neither.

#: Rows shown in the live table (the newest); the files hold them all.
TABLE_ROWS = 20

MESSAGES = Messages({
    "read_card": ("Card {n}: {kind}", "カード {n}: {kind}"),
    "yes_no": ("Please answer y or n.", "y か n で答えてください。"),
    "client": ("Client {no} ({reference}): {level}", "お客様 {no}({reference}): {level}"),
    "finished": ("Cards read: {cards}; clients: {clients}.",
                 "読み取ったカード: {cards} 枚、お客様: {clients} 名。"),
    "written": ("Written: {files}", "保存先: {files}"),
    "nothing_written": ("No report file or register was asked for (--csv, --json, --html, "
                        "--db): nothing was saved.",
                        "報告ファイル・台帳(--csv, --json, --html, --db)が指定されていないため"
                        "保存していません。"),
})


class Prompter:
    """The office loop on a terminal or a pipe (``OfficePrompter``): questions and status
    lines on stderr, the cards, rows and table on stdout."""

    def __init__(self, lang: str, stdin: TextIO | None = None) -> None:
        self.lang = lang
        self.stdin = stdin or sys.stdin
        self.interactive = self.stdin.isatty()

    def line(self, question: str, *, hidden: bool = False) -> str:
        if self.interactive:
            try:
                value: str = click.prompt(question, default="", show_default=False,
                                          hide_input=hidden, err=True)
            except click.Abort:
                raise KeyboardInterrupt from None
            return value
        click.echo(f"{question}: ", err=True, nl=False)
        answer = self.stdin.readline()
        if answer == "":
            click.echo("", err=True)
            from cardtool.services.office import EndOfInput

            raise EndOfInput
        # Nothing is echoed from a pipe: an answer typed into the wrong prompt (a card
        # number) must not show up in a transcript.
        click.echo("", err=True)
        return answer.rstrip("\r\n")

    def yes_no(self, question: str, default: bool) -> bool:
        from cardtool.services.office import PROMPT_ATTEMPTS

        hint = "[Y/n]" if default else "[y/N]"
        for _ in range(PROMPT_ATTEMPTS):
            answer = self.line(f"{question} {hint}").strip().lower()
            if not answer:
                return default
            if answer in ("y", "yes", "はい", "ｙ"):
                return True
            if answer in ("n", "no", "いいえ", "ｎ"):
                return False
            click.echo(MESSAGES("yes_no", self.lang), err=True)
        return default

    def notice(self, text: str) -> None:
        click.echo(text, err=True)

    def face_dates(self, face: FaceDates | None) -> None:
        for line in face_lines(face, self.lang):
            click.echo(line, err=True)

    def card_read(self, number: int, card: CardFacts, assessment: Assessment) -> None:
        click.echo(MESSAGES("read_card", self.lang, n=number, kind=kind_name(card.kind, self.lang)))
        for line in card_date_lines(assessment, 0, self.lang):
            click.echo(line)

    def client_placed(self, row: OfficeRow, rows: Sequence[OfficeRow]) -> None:
        from cardtool.services.office_report import LEVEL_BY_CODE

        lang = self.lang
        findings = row["findings"]
        assert isinstance(findings, list)
        reference = row.get("reference") or "-"
        click.echo(MESSAGES("client", lang, no=row["no"], reference=reference,
                            level=level_name(LEVEL_BY_CODE[str(row["level"])], lang)))
        for f in findings:
            click.echo(f"  [{level_name(LEVEL_BY_CODE[f['level']], lang)}] "
                       f"{pick((f['message_en'], f['message_ja']), lang)}")
        click.echo("")
        for line in table_lines(list(rows)[-TABLE_ROWS:], lang):
            click.echo(line)
        click.echo("")


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
@click.option("--db", "db_url", metavar="URL", envvar=ENV_DB,
              help="Also save every card to the client register (a SQLite file or "
                   f"postgresql+psycopg://…; see 'cardtool register'), or ${ENV_DB}.")
@click.option("--desk", metavar="NAME", default=default_desk, show_default="cli@HOSTNAME",
              help="With --db: who is checking, for the register's audit trail.")
@trust_anchor_option
@thresholds_options
@card_source_options
def office(csv_path: str | None, json_path: str | None, html_path: str | None,
           db_url: str | None, desk: str, trust_anchors: tuple[str, ...], soon_days: int,
           urgent_days: int) -> None:
    """Check many clients' cards for expiry, one card after the other (Ctrl-C to finish).

    Cards come from the chosen source: a reader (one card after the other), --virtual
    (repeatable: held in the order given), --replay (one card); --record writes one
    numbered trace per card. Asks only for what a card needs: a residence card's number
    (typed from the card, not echoed); never a My Number card PIN. Reports hold
    references, kinds, dates and findings; never a My Number, name, photo or card number.
    """
    from cardtool.services.office import (
        OfficeSession,
        RegisterLink,
        SourceFeed,
        card_facts_reader,
        run_office,
    )
    from cardtool.services.office_files import OfficeReport

    a = app()
    feed = SourceFeed(a.source)  # two sources: a usage error before any file is opened
    thresholds = thresholds_from(soon_days, urgent_days)
    read_facts = card_facts_reader(residence_options(trust_anchors))
    report = OfficeReport(csv_path=csv_path, json_path=json_path, html_path=html_path,
                          lang=a.lang, thresholds=thresholds)
    with contextlib.ExitStack() as stack:
        stack.callback(report.close)
        link = None
        if db_url is not None:
            require_extra("office", "Saving to the client register (--db)", "顧客台帳への保存(--db)")
            from cardtool.register import Register

            # Cannot be opened: exit 8 before any card.
            register = Register.open(db_url, progress=say_index_progress)
            stack.callback(register.close)
            link = RegisterLink(register, desk)
        session = OfficeSession(report, thresholds, register=link)
        run_office(Prompter(a.lang), feed, read_facts, session)
    click.echo(MESSAGES("finished", a.lang, cards=session.cards_read,
                        clients=len(session.clients)), err=True)
    files = _files(csv_path, json_path, html_path) + (
        [link.register.url_for_display] if link is not None else [])
    click.echo(MESSAGES("written", a.lang, files=", ".join(files)) if files
               else MESSAGES("nothing_written", a.lang), err=True)


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
    from cardtool.services.office import card_facts_reader, parse_typed_date, with_typed_expiry

    a = app()
    thresholds = thresholds_from(soon_days, urgent_days)
    typed = parse_typed_date(typed_expiry) if typed_expiry else None
    read_facts = card_facts_reader(residence_options(trust_anchors))
    # As `cardtool read`: stdin line, else $CARDTOOL_CARD_NUMBER, else a no-echo prompt; a
    # number given up front is format-checked before the card is opened.
    ask_number = CardNumberAsker(a.lang, card_number_stdin)

    with open_card() as transport:
        card = read_facts(transport, ask_number)
    if typed is not None:
        if not card.profile.dates_typed:
            raise UsageError("--typed-expiry is only for first-generation residence cards.",
                             "--typed-expiry は第1世代の在留カード専用です。")
        card = with_typed_expiry(card, typed)
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


__all__ = ["Prompter", "expiry", "office"]
