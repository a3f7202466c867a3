"""The first-generation date reader: a handful of drawn front images through the real OCR
engine, and bad input / doubtful readings through a scripted engine (never a guessed date)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

import pytest
from PIL import Image

from cardtool import front_dates
from cardtool.cards.residence import front_layout as layout
from cardtool.front_dates import Status, Token, read_front_dates
from cardtool.virtual.residence_images import FrontFace, front_image
from tests.support.ocr import needs_ocr

LIMIT = 7000
TODAY = dt.date(2026, 11, 30)


def face(**changes: object) -> FrontFace:
    base = FrontFace(
        special=False, name="NGUYEN VAN ANH", birth_date=dt.date(1990, 1, 31), sex="female",
        nationality="ベトナム", address="東京都新宿区西新宿2丁目8番1号", card_expiry=dt.date(2029, 12, 31),
        card_number="AB12345678CD", status="技術・人文知識・国際業務",
        work="在留資格に基づく就労活動のみ可", period="5年", residence_expiry=dt.date(2029, 12, 31),
        permission_kind="在留期間更新許可", permission_date=dt.date(2024, 12, 20),
        issue_date=dt.date(2024, 12, 25))
    values = {**base.__dict__, **changes}
    return FrontFace(**values)  # type: ignore[arg-type]


def dates(result: front_dates.FaceDates) -> dict[str, object]:
    return {d.field: d.date or d.status.value for d in result.dates}


# --- the real engine on drawn images --------------------------------------------------------


@needs_ocr
@pytest.mark.parametrize(("card", "expected"), [
    (face(), {"residence_expiry": dt.date(2029, 12, 31), "card_expiry": dt.date(2029, 12, 31),
              "birth_date": dt.date(1990, 1, 31), "permission_date": dt.date(2024, 12, 20)}),
    (face(name="TESTER-MONTGOMERY WORTHINGTON ALEXANDRA BENEDICTA MARIA DE LOS ANGELES",
          address="北海道札幌市中央区テスト通り西十二丁目三百四十五番地六 サンプルタワーレジデンス札幌駅前プレミアム二十三階二千三百四十五号室",
          period="3年3月", residence_expiry=dt.date(2013, 2, 28), card_expiry=dt.date(2013, 2, 28),
          birth_date=dt.date(1988, 2, 29), permission_date=dt.date(2012, 7, 9)),
     {"residence_expiry": dt.date(2013, 2, 28), "card_expiry": dt.date(2013, 2, 28),
      "birth_date": dt.date(1988, 2, 29), "permission_date": dt.date(2012, 7, 9)}),
    (face(status="永住者", period="無期限", residence_expiry=None, card_expiry=dt.date(2040, 11, 7)),
     {"residence_expiry": "indefinite", "card_expiry": dt.date(2040, 11, 7),
      "birth_date": dt.date(1990, 1, 31), "permission_date": dt.date(2024, 12, 20)}),
    (face(special=True, status="", period="", residence_expiry=None, permission_date=None,
          issue_date=None, name="金 美英", card_expiry=dt.date(2031, 10, 1)),
     {"residence_expiry": "absent", "card_expiry": dt.date(2031, 10, 1),
      "birth_date": dt.date(1990, 1, 31), "permission_date": "absent"}),
])
def test_drawn_faces_are_read_exactly(card: FrontFace, expected: dict[str, object]) -> None:
    image = front_image(card, LIMIT)
    assert len(image) <= LIMIT
    result = read_front_dates(image, special=card.special, today=TODAY)
    assert dates(result) == expected
    for d in result.dates:
        if d.status is Status.READ:
            assert d.confidence >= front_dates.THRESHOLD


@needs_ocr
def test_a_period_that_disagrees_with_the_card_date_is_uncertain() -> None:
    # Drawn wrong on purpose: a 在留カード with a period is valid until the period's end.
    card = face(residence_expiry=dt.date(2029, 12, 30))
    result = read_front_dates(front_image(card, LIMIT), special=False, today=TODAY)
    for name in (layout.RESIDENCE_EXPIRY, layout.CARD_EXPIRY):
        assert (result.get(name).status, result.get(name).reason) == (
            Status.UNCERTAIN, "cross-check-failed")
        assert result.get(name).date is None


# --- bad input: uncertain with a reason, never a crash --------------------------------------


class Scripted:
    """An engine that answers prepared lines (text, confidence per token)."""

    name = "scripted"

    def __init__(self, lines: dict[str, list[tuple[str, float]]]) -> None:
        self.lines = lines
        self.calls = 0

    def recognise(self, crops: Sequence[Image.Image]) -> list[list[Token]]:
        self.calls += 1
        order = [n for n in front_dates.FIELDS if n in self.lines]
        return [[Token(t, c) for t, c in self.lines[n]] for n in order][:len(crops)]


GOOD = {
    layout.RESIDENCE_EXPIRY: [("5年", 0.95), ("(2029", 0.93), ("年", 0.9), ("12", 0.93),
                              ("月", 0.9), ("31", 0.92), ("日", 0.9), (")", 0.9)],
    layout.CARD_EXPIRY: [("このカードは", 0.9), ("2029年12月31日", 0.91), ("まで有効です。", 0.9)],
    layout.BIRTH_DATE: [("1990年01月31日", 0.9)],
    layout.PERMISSION_DATE: [("2024年12月20日", 0.9)],
}


def read_scripted(lines: dict[str, list[tuple[str, float]]], card: FrontFace | None = None,
                  **kwargs: object) -> front_dates.FaceDates:
    card = card or face()
    return read_front_dates(front_image(card, LIMIT), special=card.special,
                            engine=Scripted(lines), retry=(), today=TODAY,
                            **kwargs)  # type: ignore[arg-type]


def test_scripted_good_reading_is_read() -> None:
    result = read_scripted(GOOD)
    assert dates(result)[layout.CARD_EXPIRY] == dt.date(2029, 12, 31)
    assert result.residence_expiry.confidence == pytest.approx(0.9)


def test_one_doubtful_digit_makes_the_date_uncertain() -> None:
    lines = dict(GOOD, **{layout.CARD_EXPIRY: [("このカードは", 0.9), ("2029年12月", 0.91),
                                               ("31", 0.62), ("日まで有効です。", 0.9)]})
    result = read_scripted(lines)
    card = result.card_expiry
    assert (card.status, card.date, card.reason) == (Status.UNCERTAIN, None, "low-confidence")
    # and the period, read once, cannot be checked against it: uncertain too
    assert result.residence_expiry.status is Status.UNCERTAIN


@pytest.mark.parametrize(("text", "reason"), [
    ("2029年13月31日", "out-of-range"), ("2029年02月30日", "out-of-range"),
    ("2029年12月3I日", "not-found"), ("2029年12月31日2029年12月31日", "not-found"),
])
def test_strict_parsing(text: str, reason: str) -> None:
    result = read_scripted(dict(GOOD, **{layout.BIRTH_DATE: [(text, 0.99)]}))
    assert (result.get(layout.BIRTH_DATE).status, result.get(layout.BIRTH_DATE).reason) == (
        Status.UNCERTAIN, reason)


def test_a_birth_date_after_the_card_expiry_is_not_trusted() -> None:
    result = read_scripted(dict(GOOD, **{layout.BIRTH_DATE: [("2030年01月31日", 0.99)]}))
    assert result.get(layout.BIRTH_DATE).status is Status.UNCERTAIN


def _all(result: front_dates.FaceDates, reason: str) -> None:
    assert result.reason == reason
    assert all(d.date is None for d in result.dates)
    assert {d.status for d in result.dates} <= {Status.UNCERTAIN, Status.ABSENT}
    assert front_dates.REASONS[reason]


def test_signature_invalid_reads_nothing() -> None:
    engine = Scripted(GOOD)
    result = read_front_dates(front_image(face(), LIMIT), special=False, engine=engine,
                              signature_invalid=True)
    _all(result, "signature-invalid")
    assert engine.calls == 0


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "undecodable"), (b"II*\x00garbage" * 10, "undecodable"),
    (b"\xff" * 8000, "undecodable"),  # larger than the spec's 7000 bytes
])
def test_undecodable(data: bytes, reason: str) -> None:
    _all(read_front_dates(data, special=False, engine=Scripted(GOOD)), reason)


def _g4(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("1").save(out, "TIFF", compression="group4")
    return out.getvalue()


def test_blank_image() -> None:
    _all(read_front_dates(front_image(face(blank=True), LIMIT), special=False,
                          engine=Scripted(GOOD)), "blank-image")


def test_unknown_layouts() -> None:
    other_size = Image.new("1", (800, 500), 1)
    other_size.paste(0, (10, 10, 200, 40))
    _all(read_front_dates(_g4(other_size), special=False, engine=Scripted(GOOD)),
         "layout-unknown")
    no_title = Image.new("1", (layout.WIDTH, layout.HEIGHT), 1)
    no_title.paste(0, (300, 300, 320, 320))
    _all(read_front_dates(_g4(no_title), special=False, engine=Scripted(GOOD)),
         "layout-unknown")


def test_special_certificate_with_a_period_row_is_refused() -> None:
    # The chip says 特別永住者証明書, the image shows a period of stay: not this card's face.
    _all(read_front_dates(front_image(face(), LIMIT), special=True, engine=Scripted(GOOD)),
         "not-expected")


def test_missing_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> front_dates.Engine:
        raise front_dates.OcrUnavailable(detail="pytesseract is not installed")

    monkeypatch.setattr(front_dates, "default_engine", missing)
    result = read_front_dates(front_image(face(), LIMIT), special=False)
    _all(result, "no-ocr-engine")
    assert "cardtool[ocr]" in result.dates[0].reason_text("en")


def test_a_failing_engine_is_uncertain() -> None:
    class Broken:
        name = "broken"

        def recognise(self, crops: Sequence[Image.Image]) -> list[list[Token]]:
            raise RuntimeError("engine crashed")

    _all(read_front_dates(front_image(face(), LIMIT), special=False, engine=Broken()),
         "ocr-failed")
