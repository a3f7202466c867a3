"""The office loop with scripted cards and answers (no reader): pairing by reference and by
order, first-generation typed dates, prompts on a pipe, errors and interruptions."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from apdu.errors import ApduError, CardRemoved
from apdu.transport import Transport
from cardtool.cli.office_cmd import Prompter
from cardtool.expiry import CardFacts, Thresholds
from cardtool.services.office import (
    BadTypedDate,
    OfficeSession,
    deferred_interrupt,
    parse_typed_date,
    run_office,
)
from cardtool.services.office_files import OfficeReport, read_csv_rows

TODAY = dt.date(2027, 3, 10)
CARD_NUMBER = "TE24681357ST"  # synthetic (not the example in the prompt hint)


def in_days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


class FakeTransport(Transport):
    def __init__(self, name: str) -> None:
        self.description = name
        self.closed = False

    @property
    def atr(self) -> bytes:
        return b"\x3b\x00"

    def transmit(self, command: bytes) -> bytes:
        raise AssertionError("the fake reader sends no APDU")

    def reset(self) -> bytes:
        return self.atr

    def close(self) -> None:
        self.closed = True


class FakeFeed:
    """Cards held in order; each is either CardFacts or an exception the read raises."""

    def __init__(self, cards: list[CardFacts | Exception]) -> None:
        self.cards = list(cards)
        self.held: list[FakeTransport] = []
        self.removed: list[FakeTransport] = []

    def next_card(self) -> Transport | None:
        if len(self.held) == len(self.cards):
            return None
        transport = FakeTransport(f"card {len(self.held)}")
        self.held.append(transport)
        return transport

    def wait_removed(self, transport: Transport) -> None:
        assert isinstance(transport, FakeTransport)
        self.removed.append(transport)

    def reader(self) -> tuple[Callable[[Transport, Callable[[], str]], CardFacts], list[str]]:
        numbers: list[str] = []

        def read(transport: Transport, ask_number: Callable[[], str]) -> CardFacts:
            assert isinstance(transport, FakeTransport) and not transport.closed
            item = self.cards[self.held.index(transport)]
            if isinstance(item, Exception):
                raise item
            if item.is_residence:
                numbers.append(ask_number())
            return item

        return read, numbers


def session_in(tmp_path: Path) -> OfficeSession:
    report = OfficeReport(csv_path=tmp_path / "o.csv", json_path=tmp_path / "o.json",
                          html_path=tmp_path / "o.html", lang="en")
    return OfficeSession(report, Thresholds(), today=lambda: TODAY)


def run(tmp_path: Path, cards: list[CardFacts | Exception], answers: list[str],
        lang: str = "en") -> tuple[OfficeSession, FakeFeed, list[str]]:
    session = session_in(tmp_path)
    feed = FakeFeed(cards)
    read, numbers = feed.reader()
    stdin = io.StringIO("".join(a + "\n" for a in answers))
    run_office(Prompter(lang, stdin), feed, read, session)
    session.report.close()
    assert stdin.read() == "", "every scripted answer was asked for"
    return session, feed, numbers


def json_rows(tmp_path: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(
        (tmp_path / "o.json").read_text(encoding="utf-8"))["rows"]
    return rows


RENEWED = CardFacts("residence-second", card_expiry=in_days(1000), residence_expiry=in_days(1000),
                    renewal_pending=False)
OLD_MYNUMBER = CardFacts("mynumber", card_expiry=in_days(20), certificate_expiry=in_days(20))
FIRST_GEN = CardFacts("residence-first", renewal_pending=False)
FINE_MYNUMBER = CardFacts("mynumber", card_expiry=in_days(700), certificate_expiry=in_days(700))
SPECIFIED = CardFacts("specified", card_expiry=in_days(50), certificate_expiry=in_days(50),
                      residence_expiry=in_days(50), renewal_pending=False)


def test_pairing_by_order_and_by_reference(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    answers = [
        CARD_NUMBER, "",        # card 1 residence: number, no reference (nothing to pair with)
        "", "",                 # card 2 My Number: no reference, same client? (default yes)
        CARD_NUMBER, "2027-06-30", "C-3",  # card 3 first gen: number, typed date, reference
        "C-3",                  # card 4 My Number: same reference -> same client, no question
        CARD_NUMBER, "", "",    # card 5 特定: no reference, same client? default no
    ]
    session, feed, numbers = run(tmp_path, [RENEWED, OLD_MYNUMBER, FIRST_GEN, FINE_MYNUMBER,
                                            SPECIFIED], answers)
    out, err = capsys.readouterr()
    assert numbers == [CARD_NUMBER] * 3  # asked for residence cards only
    assert (session.cards_read, len(session.clients)) == (5, 3)
    rows = json_rows(tmp_path)
    assert [(r["no"], r["reference"], r["kinds"]) for r in rows] == [
        (1, "", ["residence-second", "mynumber"]),
        (2, "C-3", ["residence-first", "mynumber"]),
        (3, "", ["specified"]),
    ]
    assert [f["code"] for f in rows[0]["findings"]] == ["mynumber-not-updated"]  # type: ignore[index]
    assert rows[1]["residence_expiry"] == "2027-06-30"
    assert rows[1]["residence_expiry_source"] == "typed"
    assert rows[2]["level"] == "soon"
    assert len(feed.removed) == 5 and all(t.closed for t in feed.held)
    assert err.count("Same client as the previous card? [Y/n]") == 1
    assert err.count("Same client as the previous card? [y/N]") == 1
    assert err.count("Hold the next card on the reader (Ctrl-C to finish)") == 6
    assert err.count("Remove the card.") == 5
    # The live table after each card, and the CSV with the complete row last.
    assert "mynumber-not-updated" in out and "C-3" in out
    csv_rows = read_csv_rows(tmp_path / "o.csv")
    assert [(c["no"], c["kinds"]) for c in csv_rows] == [
        ("1", "residence-second"), ("1", "residence-second mynumber"),
        ("2", "residence-first"), ("2", "residence-first mynumber"), ("3", "specified")]
    # The card number went to the reader only: not echoed, not printed, not written.
    for text in (out, err, *(p.read_text(encoding="utf-8-sig")
                             for p in tmp_path.iterdir())):
        assert CARD_NUMBER not in text


def test_answer_no_makes_a_new_client(tmp_path: Path) -> None:
    run(tmp_path, [RENEWED, OLD_MYNUMBER], [CARD_NUMBER, "", "", "n"])
    assert [r["kinds"] for r in json_rows(tmp_path)] == [["residence-second"], ["mynumber"]]


def test_japanese_prompts_and_answers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(tmp_path, [RENEWED, OLD_MYNUMBER], [CARD_NUMBER, "", "", "いいえ"], lang="ja")
    err = capsys.readouterr().err
    assert "次のカードをリーダーにかざしてください(Ctrl-C で終了)" in err
    assert "前のカードと同じ方ですか? [Y/n]" in err
    assert len(json_rows(tmp_path)) == 2


def test_unclear_answers_are_asked_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    answers = [CARD_NUMBER, "31/06/2027", "2027-06-31", "2027年6月30日",  # two bad dates
               "123456789018", "R-9",  # a My Number as reference is refused
               "", "maybe", "y"]
    run(tmp_path, [FIRST_GEN, OLD_MYNUMBER], answers)
    err = capsys.readouterr().err
    assert err.count("is not a date like 2027-03-31") == 2
    assert "looks like a My Number or a card number" in err
    assert "Please answer y or n." in err
    (row,) = json_rows(tmp_path)
    assert row["reference"] == "R-9" and row["residence_expiry"] == "2027-06-30"
    for p in tmp_path.iterdir():
        assert "123456789018" not in p.read_text(encoding="utf-8-sig")


def test_first_generation_left_empty_says_check_by_eye(tmp_path: Path) -> None:
    run(tmp_path, [FIRST_GEN], [CARD_NUMBER, "", ""])
    (row,) = json_rows(tmp_path)
    assert row["level"] == "check" and row["residence_expiry_source"] == "check-by-eye"


def test_a_card_that_fails_to_read_does_not_end_the_session(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cards: list[CardFacts | Exception] = [CardRemoved(), ApduError(0x6A82, "SELECT"),
                                          OLD_MYNUMBER]
    _, feed, _ = run(tmp_path, cards, [""])
    err = capsys.readouterr().err
    assert err.count("This card could not be read:") == 2
    assert len(feed.removed) == 3
    assert [r["kinds"] for r in json_rows(tmp_path)] == [["mynumber"]]


def test_end_of_input_mid_card_keeps_the_card(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    session, _, _ = run(tmp_path, [RENEWED, OLD_MYNUMBER], [CARD_NUMBER, "R-1"])
    err = capsys.readouterr().err
    assert "The card just read was saved as its own row." in err
    rows = json_rows(tmp_path)
    assert [(r["reference"], r["kinds"]) for r in rows] == [("R-1", ["residence-second"]),
                                                            ("", ["mynumber"])]
    assert session.cards_read == 2


def test_ctrl_c_while_a_row_is_written_is_held_until_it_is_complete(tmp_path: Path) -> None:
    session = session_in(tmp_path)
    with pytest.raises(KeyboardInterrupt), deferred_interrupt():
        os.kill(os.getpid(), signal.SIGINT)
        session.record(OLD_MYNUMBER, "K-1", False)  # still runs: the interrupt waits
    session.report.close()
    assert [r["reference"] for r in json_rows(tmp_path)] == ["K-1"]


@pytest.mark.parametrize(("text", "day"), [
    ("2027-03-31", dt.date(2027, 3, 31)), ("2027/3/1", dt.date(2027, 3, 1)),
    ("20280229", dt.date(2028, 2, 29)), ("２０２７年３月３１日", dt.date(2027, 3, 31)),
    (" 2027 年 3 月 31 日 ", dt.date(2027, 3, 31)), ("", None), ("  ", None),
])
def test_typed_dates(text: str, day: dt.date | None) -> None:
    assert parse_typed_date(text) == day


@pytest.mark.parametrize("text", ["2027-02-29", "31/03/2027", "R9-03-31", "1999-01-01", "x"])
def test_typed_dates_refused(text: str) -> None:
    with pytest.raises(BadTypedDate):
        parse_typed_date(text)
