"""Nothing read by OCR is saved unconfirmed (issue 24 item 3), at the service level: an OCR
engine stub planted where ``front_dates`` takes its engine reads a wrong date with full
confidence; the check session stops in its confirm stage, refuses to save, and the
register holds only what staff confirmed (``ocr-confirmed``) or typed (``typed``); a check
saved by ``office --db`` before staff answered keeps the date as unconfirmed ``ocr``,
which is no deadline. The crops come from the card's own image."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from PIL import Image

from cardtool import front_dates
from cardtool.cards.residence import front_layout as layout
from cardtool.expiry import CardFacts
from cardtool.front_dates import Status, Word
from cardtool.jst import today_jst
from cardtool.register import Register
from cardtool.services.card_facts import first_generation_facts
from cardtool.services.check_session import CheckSession, ConfirmFirst, Stage
from cardtool.services.client_link import ClientLink, NewClient
from cardtool.services.face_confirm import (
    CARD_EXPIRY,
    RESIDENCE_EXPIRY,
    Answer,
    DateAnswer,
    DatesNotConfirmed,
    apply_answers,
    crop_png,
    needs_confirmation,
)
from cardtool.services.reader_watch import VirtualWatcher
from cardtool.trust.options import ResidenceOptions
from cardtool.trust.store import virtual_test_anchors
from cardtool.virtual.persona import load_persona

#: The wrong date the planted engine reads, with full confidence, for both dates (so the
#: reader's own cross-check between them passes: only a person can catch it).
PLANTED = dt.date(2031, 1, 1)
PERSONA = load_persona(None, "residence")
NUMBER = PERSONA.card_number


class PlantedEngine:
    """An OCR engine (``front_dates.Engine``) that reads the planted date in every date
    field, each character at confidence 0.99: the whole page as words with boxes, labels
    left of their values; then the reader's second look at the dates' crops, read the
    same."""

    name = "planted-wrong-date"

    def __init__(self) -> None:
        y, m, d = PLANTED.year, PLANTED.month, PLANTED.day
        self.values = {
            layout.RESIDENCE_EXPIRY: f"5年({y}年{m:02d}月{d:02d}日)",
            layout.CARD_EXPIRY: f"このカードは{y}年{m:02d}月{d:02d}日まで有効です。",
            layout.BIRTH_DATE: "1990年01月31日",
            layout.PERMISSION_DATE: "2020年04月01日",
        }
        self.calls = 0

    def words(self, image: Image.Image) -> list[Word]:
        word = Word
        self.calls += 1
        if self.calls > 1:  # the second look: every line of the sheet reads the dates
            every = "".join(self.values.values())
            return [word(every, 0.99, (8, top, 20, top + 2), (top,))
                    for top in range(0, image.height, 3)]
        scale = image.width / layout.WIDTH
        out: list[Word] = []

        def line(text: str, x: int, top: int, size: int) -> None:
            key = (len(out),)
            for i, ch in enumerate(text):
                left = round((x + i * size) * scale)
                out.append(word(ch, 0.99, (left, round(top * scale),
                                           left + round(size * scale),
                                           round((top + size) * scale)), key))

        line("在留カード", 8, 4, 26)
        line("氏名", 8, 50, 12)
        line("NGUYEN VAN ANH", 60, 46, 18)
        for name, (label, x, box) in layout.LABELS.items():
            if name in self.values:
                line(label, x, box.y + 4, 12)
                line(self.values[name], box.x, box.y, 18)
        card = layout.VALUE_BOXES[layout.CARD_EXPIRY]
        line(self.values[layout.CARD_EXPIRY], card.x, card.y, 18)
        return out


@pytest.fixture
def planted(monkeypatch: pytest.MonkeyPatch) -> PlantedEngine:
    engine = PlantedEngine()
    monkeypatch.setattr(front_dates, "default_engine", lambda: engine)
    return engine


def _session() -> CheckSession:
    watcher = VirtualWatcher(("residence",))
    session = CheckSession(watcher, ResidenceOptions(default_anchors=virtual_test_anchors),
                           allow_test_keys=True, auto_read=False)
    watcher.start(session.on_reader_event)
    return session


def _read(session: CheckSession) -> int:
    assert NUMBER is not None
    result = session.read(card_number=NUMBER)
    assert result.facts is not None
    return result.version


def test_a_planted_wrong_reading_waits_for_staff_and_is_never_saved_unconfirmed(
        planted: PlantedEngine, register: Register) -> None:
    session = _session()
    version = _read(session)
    assert planted.calls >= 1
    result = session.result
    assert result.stage is Stage.NEEDS_CONFIRMATION and result.front_image
    assert result.facts is not None and result.facts.card_expiry == PLANTED  # what OCR said
    link = ClientLink(register, "unit")
    with pytest.raises(ConfirmFirst):
        session.save(version, link, NewClient("W-1"))
    assert register.find_clients("") == []  # nothing saved, not even the client

    asked = session.dates_to_confirm(version)
    assert [a.name for a in asked] == [RESIDENCE_EXPIRY, CARD_EXPIRY]
    assert all(a.read_date == PLANTED and a.read.box is not None for a in asked)
    # An answer missing, or a box without a date: refused, still waiting, nothing saved.
    with pytest.raises(DatesNotConfirmed):
        session.confirm(version, {RESIDENCE_EXPIRY: DateAnswer(Answer.DATE, "2031-01-01")})
    with pytest.raises(DatesNotConfirmed):
        session.confirm(version, {RESIDENCE_EXPIRY: DateAnswer(Answer.DATE, "2031-02-30"),
                                  CARD_EXPIRY: DateAnswer(Answer.EYE)})
    assert session.result.stage is Stage.NEEDS_CONFIRMATION
    with pytest.raises(ConfirmFirst):
        session.save(version, link, NewClient("W-1"))

    # Staff see the card: the period of stay is corrected, the card date marked by eye.
    true_stay = PERSONA.residence_expiry
    assert true_stay is not None and true_stay != PLANTED
    done = session.confirm(version, {
        RESIDENCE_EXPIRY: DateAnswer(Answer.DATE, true_stay.isoformat()),
        CARD_EXPIRY: DateAnswer(Answer.EYE)})
    assert done.stage is Stage.DONE
    check = session.save(done.version, link, NewClient("W-1"))
    assert session.result.front_image is None  # the image is forgotten once saved
    assert (check.residence_expiry, check.residence_expiry_source) == (true_stay, "typed")
    assert (check.card_expiry, check.card_expiry_source) == (None, "eye")
    rows = register.deadlines(today_jst())
    assert all(r.date != PLANTED for r in rows)
    dated = [(r.date_kind, r.date, r.source) for r in rows if r.date is not None]
    assert dated == [("residence-expiry", true_stay, "typed")]
    assert ("residence-card-check-by-eye", "eye") in [(c, r.source) for r in rows
                                                      for c in r.findings]


def test_a_confirmed_reading_is_ocr_confirmed(planted: PlantedEngine,
                                              register: Register) -> None:
    session = _session()
    version = _read(session)
    done = session.confirm(version, {
        RESIDENCE_EXPIRY: DateAnswer(Answer.DATE, " 2031/1/1 "),
        CARD_EXPIRY: DateAnswer(Answer.DATE, "2031年01月01日")})
    check = session.save(done.version, ClientLink(register, "unit"), NewClient("C-1"))
    assert (check.residence_expiry_source, check.card_expiry_source) == (
        "ocr-confirmed", "ocr-confirmed")
    rows = [r for r in register.deadlines(today_jst()) if r.date is not None]
    # One card's equal dates are one deadline; it says where it came from.
    assert [(r.date, r.source) for r in rows] == [(PLANTED, "ocr-confirmed")]


def test_the_office_path_saves_an_unanswered_reading_as_unconfirmed(
        planted: PlantedEngine, register: Register) -> None:
    """office --db saves a card read but not yet answered (Ctrl-C at the question): the
    shared save path keeps the planted date for the record, as "ocr": no deadline."""
    from cardtool.services.office import RegisterLink

    session = _session()
    _read(session)
    facts = session.result.facts
    assert facts is not None and needs_confirmation(facts)
    RegisterLink(register, "office").save(1, "U-1", facts, None)
    (check,) = register.history(register.find_clients("U-1")[0].id)
    assert (check.residence_expiry, check.residence_expiry_source) == (PLANTED, "ocr")
    assert (check.card_expiry, check.card_expiry_source) == (PLANTED, "ocr")
    rows = register.deadlines(today_jst())
    assert [r.date for r in rows] == [None, None]  # check by eye, both
    assert sorted((r.findings, r.source) for r in rows) == [
        (("residence-card-check-by-eye",), "ocr"), (("residence-check-by-eye",), "ocr")]


def _face_facts(status: Status, date: dt.date | None) -> CardFacts:
    period = front_dates.FaceDate(layout.RESIDENCE_EXPIRY, status, date, 0.99)
    card = front_dates.FaceDate(layout.CARD_EXPIRY, Status.UNCERTAIN, None, 0.3, "",
                                "low-confidence")
    face = front_dates.FaceDates((period, card))
    return first_generation_facts(None, face)


def test_answers_per_date() -> None:
    facts = _face_facts(Status.INDEFINITE, None)
    assert needs_confirmation(facts) and facts.no_period
    # 無期限 confirmed; the card date (uncertain: box empty) typed.
    done = apply_answers(facts, {RESIDENCE_EXPIRY: DateAnswer(Answer.INDEFINITE),
                                 CARD_EXPIRY: DateAnswer(Answer.DATE, "2030-06-30")})
    assert (done.no_period, done.face_source) == (True, "ocr-confirmed")
    assert (done.card_expiry, done.expiry_source) == (dt.date(2030, 6, 30), "typed")
    assert not needs_confirmation(done)
    # "As in the box" with an empty box (nothing read) is no answer.
    with pytest.raises(DatesNotConfirmed) as raised:
        apply_answers(facts, {RESIDENCE_EXPIRY: DateAnswer(Answer.EYE),
                              CARD_EXPIRY: DateAnswer(Answer.DATE, "")})
    assert raised.value.bad == [CARD_EXPIRY]
    # A card date cannot be "indefinite".
    with pytest.raises(DatesNotConfirmed) as raised:
        apply_answers(facts, {RESIDENCE_EXPIRY: DateAnswer(Answer.EYE),
                              CARD_EXPIRY: DateAnswer(Answer.INDEFINITE)})
    assert raised.value.missing == [CARD_EXPIRY]
    # 無期限 read but a date printed: typed, and the period is not "none".
    typed = apply_answers(facts, {RESIDENCE_EXPIRY: DateAnswer(Answer.DATE, "2029-12-31"),
                                  CARD_EXPIRY: DateAnswer(Answer.EYE)})
    assert (typed.no_period, typed.typed_residence_expiry, typed.face_source) == (
        False, dt.date(2029, 12, 31), "typed")


def test_the_crop_is_the_box_of_the_cards_own_image(planted: PlantedEngine) -> None:
    session = _session()
    version = _read(session)
    front = session.result.front_image
    assert front is not None
    box = layout.VALUE_BOXES[layout.CARD_EXPIRY].bounds
    png = session.crop(version, box)
    assert png is not None and png.startswith(b"\x89PNG")
    crop = Image.open(io.BytesIO(png))
    width, height = box[2] - box[0], box[3] - box[1]
    # Enlarged, same proportions (the margin aside), and with ink (the printed text).
    assert crop.width > width and abs(crop.width / crop.height - (width + 12) / (height + 4)) < 0.05
    assert crop.convert("L").getextrema()[0] < 64
    whole = Image.open(io.BytesIO(crop_png(front, None)))
    assert whole.width <= 480 and whole.width / whole.height == pytest.approx(640 / 404, 0.02)
    assert session.crop(version + 1, box) is None  # another check: no image


def test_a_facts_without_face_needs_nothing() -> None:
    facts = first_generation_facts(None, None)
    assert not needs_confirmation(facts)
    assert dataclasses.replace(facts).face is None


def test_office_db_asks_each_date_and_saves_its_source(
        planted: PlantedEngine, register: Register, tmp_path: Path) -> None:
    """``office --db``: the planted reading is asked about date by date; the corrected
    period of stay is saved ``typed``, the card date confirmed with Enter
    ``ocr-confirmed``, through the save path the desk uses."""
    import io as text_io

    from cardtool.cli.office_cmd import Prompter
    from cardtool.services.office import OfficeSession, RegisterLink, run_office
    from cardtool.services.office_files import OfficeReport
    from tests.unit.test_office_loop import FakeFeed

    session = _session()
    _read(session)
    read = session.result.facts
    assert read is not None and PERSONA.residence_expiry is not None
    report = OfficeReport(csv_path=tmp_path / "o.csv", json_path=tmp_path / "o.json",
                          html_path=tmp_path / "o.html", lang="en")
    office = OfficeSession(report, register=RegisterLink(register, "office"))
    feed = FakeFeed([read])
    reader, _ = feed.reader()
    answers = [NUMBER or "", "2031-02-30", PERSONA.residence_expiry.isoformat(), "", "O-1"]
    stdin = text_io.StringIO("".join(a + "\n" for a in answers))
    run_office(Prompter("en", stdin), feed, reader, office)
    report.close()
    assert stdin.read() == ""
    (check,) = register.history(register.find_clients("O-1")[0].id)
    assert (check.residence_expiry, check.residence_expiry_source) == (
        PERSONA.residence_expiry, "typed")
    assert (check.card_expiry, check.card_expiry_source) == (PLANTED, "ocr-confirmed")


def test_one_crop_of_the_front_image() -> None:
    """The desk and ``office`` crop the card's image with the reader's one function (a copy
    of it in the services would drift from what the reader's boxes mean)."""
    from cardtool import front_dates
    from cardtool.services import face_confirm

    assert face_confirm.crop_png is front_dates.crop_png
    assert face_confirm.CropUnavailable is front_dates.CropUnavailable
    assert "def crop_png" not in Path(face_confirm.__file__).read_text(encoding="utf-8")
