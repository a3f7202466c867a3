"""The first-generation date reader without pixels: labels and dates found by their text in
synthetic OCR word boxes and tied by geometry relative to the label; every doubtful or
contradictory reading is ``uncertain`` with a reason (never a guessed date). The real
engine on drawn images is in ``test_front_dates_ocr.py``."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from cardtool import front_dates
from cardtool.cards.residence import front_layout as layout
from cardtool.front_dates import Status, Word, dates_from_words, read_front_dates

TODAY = dt.date(2026, 11, 30)
FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def line(text: str, x: float, y: float, size: float = 20, conf: float = 0.95,
         key: int | None = None) -> list[Word]:
    """One engine line of ``text``: one word per character, each ``size`` wide and high."""
    k = key if key is not None else int(y * 1000 + x)
    return [Word(ch, conf, (round(x + i * size), round(y), round(x + (i + 1) * size),
                            round(y + size)), (k,))
            for i, ch in enumerate(text) if ch != " "]


def card_lines(scale: float = 1.0, *, period: str = "5年（2029年12月31日）",
               birth: str = "1990年01月31日", permission: str = "2024年12月20日",
               expiry: str = "このカードは2029年12月31日まで有効です。",
               labels_above: bool = False) -> list[Word]:
    """A 在留カード face as OCR words: labels (small) left of or above their values."""
    s = scale
    rows = [("氏名", "NGUYEN VAN ANH"), ("生年月日", birth), ("住居地", "東京都新宿区西新宿2丁目8番1号"),
            ("在留資格", "技術・人文知識・国際業務"), ("在留期間(満了日)", period),
            ("許可の種類", "在留期間更新許可"), ("許可年月日", permission)]
    words = line("在留カード", 10 * s, 10 * s, 26 * s)
    y = 60.0
    for label, value in rows:
        if labels_above:
            words += line(label, 10 * s, y * s, 12 * s)
            words += line(value, 10 * s, (y + 16) * s, 20 * s)
            y += 50
        else:
            words += line(label, 10 * s, (y + 4) * s, 12 * s)
            words += line(value, 130 * s, y * s, 20 * s)
            y += 34
    words += line("交付年月日", 400 * s, (y - 34 + 4) * s, 12 * s)
    words += line("2024年12月25日", 470 * s, (y - 34) * s, 20 * s)
    words += line(expiry, 10 * s, (y + 10) * s, 20 * s)
    return words


def read(words: Sequence[Word], special: bool = False) -> dict[str, front_dates.FaceDate]:
    dates, reason = dates_from_words(words, special=special, today=TODAY)
    assert reason is None, reason
    return dates


def got(dates: dict[str, front_dates.FaceDate]) -> dict[str, object]:
    return {name: d.date or (d.status.value, d.reason) for name, d in dates.items()}


GOOD = {layout.RESIDENCE_EXPIRY: dt.date(2029, 12, 31), layout.CARD_EXPIRY: dt.date(2029, 12, 31),
        layout.BIRTH_DATE: dt.date(1990, 1, 31), layout.PERMISSION_DATE: dt.date(2024, 12, 20)}


@pytest.mark.parametrize("labels_above", [False, True])
@pytest.mark.parametrize("scale", [0.6, 1.0, 3.2])
def test_labels_left_or_above_at_any_scale(labels_above: bool, scale: float) -> None:
    dates = read(card_lines(scale, labels_above=labels_above))
    assert got(dates) == GOOD
    # the box is where the value was drawn, in the words' pixels
    period = dates[layout.RESIDENCE_EXPIRY]
    assert period.box is not None and period.label_box is not None
    assert period.box[0] > period.label_box[0]
    assert period.crop_box is not None and period.crop_box[0] == period.label_box[0]


def test_the_issue_date_on_the_permission_row_is_not_taken_for_it() -> None:
    dates = read(card_lines())
    assert dates[layout.PERMISSION_DATE].date == dt.date(2024, 12, 20)
    assert dates[layout.PERMISSION_DATE].text.endswith("2024年12月20日")


def test_a_label_split_over_two_lines() -> None:
    words = [w for w in card_lines() if not w.text.startswith(tuple("在留期間(満了日)"))
             or w.box[1] != 174]
    words += line("在留期間", 10, 174, 12) + line("(満了日)", 10, 188, 12)
    assert got(read(words)) == GOOD


def test_the_validity_sentence_broken_after_wa() -> None:
    words = [w for w in card_lines() if w.box[1] < 290]
    words += line("このカードは", 10, 300, 20) + line("2029年12月31日まで有効です。", 10, 324, 20)
    assert got(read(words)) == GOOD


def test_permanent_resident() -> None:
    dates = read(card_lines(period="無期限"))
    assert dates[layout.RESIDENCE_EXPIRY].status is Status.INDEFINITE
    assert dates[layout.CARD_EXPIRY].date == dt.date(2029, 12, 31)


def test_special_permanent_resident_certificate() -> None:
    words = line("特別永住者証明書", 10, 10, 26) + line("生年月日", 10, 64, 12)
    words += line("1975年09月09日", 130, 60, 20)
    words += line("このカードは2032年05月29日まで有効です。", 10, 200, 20)
    dates = read(words, special=True)
    assert got(dates) == {layout.RESIDENCE_EXPIRY: ("absent", None),
                          layout.CARD_EXPIRY: dt.date(2032, 5, 29),
                          layout.BIRTH_DATE: dt.date(1975, 9, 9),
                          layout.PERMISSION_DATE: ("absent", None)}


def test_a_special_certificate_showing_a_period_is_refused() -> None:
    dates, reason = dates_from_words(card_lines(), special=True, today=TODAY)
    assert (dates, reason) == ({}, "not-expected")


digit_forms = st.sampled_from(["ascii", "full-width", "spaced", "letters"])


def _form(text: str, form: str) -> str:
    if form == "full-width":
        return text.translate(FULL)
    if form == "spaced":
        return " ".join(text)
    if form == "letters":  # the unambiguous confusions only: O for 0, l for 1
        return text.replace("0", "O").replace("1", "l")
    return text


@settings(max_examples=60, deadline=None)
@given(digit_forms, st.dates(dt.date(2025, 1, 1), dt.date(2040, 12, 31)),
       st.floats(0.5, 4.0))
def test_full_width_spaced_and_letter_digits_read_the_same(
        form: str, expiry: dt.date, scale: float) -> None:
    printed = f"{expiry.year}年{expiry.month:02d}月{expiry.day:02d}日"
    dates = read(card_lines(scale, period=f"5年（{_form(printed, form)}）",
                            expiry=f"このカードは{_form(printed, form)}まで有効です。"))
    assert dates[layout.RESIDENCE_EXPIRY].date == expiry
    assert dates[layout.CARD_EXPIRY].date == expiry


@settings(max_examples=60, deadline=None)
@given(st.integers(2013, 2040), st.integers(1, 12), st.integers(29, 31))
def test_a_date_that_does_not_exist_is_never_guessed(year: int, month: int, day: int) -> None:
    try:
        dt.date(year, month, day)
    except ValueError:
        pass
    else:
        return
    printed = f"{year}年{month:02d}月{day:02d}日"
    dates = read(card_lines(birth=printed))
    assert (dates[layout.BIRTH_DATE].status, dates[layout.BIRTH_DATE].reason) == (
        Status.UNCERTAIN, "no-such-date")
    assert dates[layout.BIRTH_DATE].date is None


@pytest.mark.parametrize(("birth", "reason"), [
    ("2029年02月30日", "no-such-date"), ("2029年13月01日", "no-such-date"),
    ("1990年1月31日", "not-found"),  # the card prints two digits: a lost digit is not a date
    ("1990年01月3S日", "not-found"),  # S could be 5 or 8: not corrected
])
def test_strict_form(birth: str, reason: str) -> None:
    d = read(card_lines(birth=birth))[layout.BIRTH_DATE]
    assert (d.status, d.date, d.reason) == (Status.UNCERTAIN, None, reason)


@pytest.mark.parametrize("second", [
    line("1991年02月01日", 58, 108, 10),  # just below the label
    line("1991年02月01日", 100, 94, 2),  # squeezed in between label and value
])
def test_two_candidate_dates_for_one_label_are_ambiguous(second: list[Word]) -> None:
    d = read(card_lines(birth="1990年01月31日1991年02月01日"))[layout.BIRTH_DATE]
    assert (d.status, d.date, d.reason) == (Status.UNCERTAIN, None, "ambiguous")
    d = read(card_lines() + second)[layout.BIRTH_DATE]
    assert (d.status, d.date, d.reason) == (Status.UNCERTAIN, None, "ambiguous")


def _without(words: Sequence[Word], *rows: int, right_of: int = 0) -> list[Word]:
    """``words`` less those whose top is one of ``rows`` and which start at ``right_of``
    or further right."""
    return [w for w in words if w.box[1] not in rows or w.box[0] < right_of]


def test_a_missing_label_leaves_its_date_uncertain() -> None:
    # 生年月日 gone and the issue date lost too: the card's structure does not leave one
    # date for the birth date (a date is missing: which one is not known)
    words = [w for w in card_lines() if w.box[1] != 98 or w.box[0] >= 130]
    words = [w for w in words if not (w.box[0] >= 470 and w.box[1] == 264)]
    d = read(words)[layout.BIRTH_DATE]
    assert (d.status, d.date) == (Status.UNCERTAIN, None)
    assert d.reason in ("label-missing", "not-found")


def test_the_birth_date_by_elimination() -> None:
    # 生年月日 unread: the page shows the five dates the card prints, the topmost, claimed
    # by no label, earlier than every other: the card prints only the birth date there
    words = [w for w in card_lines() if w.box[1] != 98 or w.box[0] >= 130]
    d = read(words)[layout.BIRTH_DATE]
    assert (d.status, d.date) == (Status.READ, dt.date(1990, 1, 31))


@pytest.mark.parametrize("change", ["extra-date", "not-earliest", "two-on-top", "no-period"])
def test_the_birth_date_is_not_taken_by_elimination_when_more_than_one_could_be(
        change: str) -> None:
    words = [w for w in card_lines() if w.box[1] != 98 or w.box[0] >= 130]
    if change == "extra-date":  # a sixth date (where the card prints none): which is which?
        words += line("2001年02月03日", 130, 162, 20)
    elif change == "not-earliest":  # the topmost is not earlier than the others
        words = [w for w in words if w.box[1] != 94] + line("2025年01月31日", 130, 94, 20)
    elif change == "two-on-top":  # two dates level at the top: neither is above the other
        words += line("1990年01月30日", 400, 94, 20)
        words = [w for w in words if not (w.box[0] >= 470 and w.box[1] == 264)]
    else:  # the period row unread: how many dates the card prints is not known
        words = [w for w in words if w.box[1] not in (196, 200)]
    d = read(words)[layout.BIRTH_DATE]
    assert (d.status, d.date) == (Status.UNCERTAIN, None)


def test_the_permission_date_by_elimination() -> None:
    # 許可年月日 unread: birth, period and validity claimed by their labels, the two dates
    # left are the permission's and the issue's, printed in that order
    words = [w for w in card_lines() if not (w.box[1] == 268 and w.box[0] < 130)]
    d = read(words)[layout.PERMISSION_DATE]
    assert (d.status, d.date) == (Status.READ, dt.date(2024, 12, 20))
    # ... not when the left one is later than the right one (which is which is not known)
    words = [w for w in words if not (w.box[1] == 264 and w.box[0] < 400)]
    words += line("2024年12月28日", 130, 264, 20)
    d = read(words)[layout.PERMISSION_DATE]
    assert (d.status, d.date) == (Status.UNCERTAIN, None)
    # ... nor when another date is missing (the validity sentence's date unread)
    words = [w for w in card_lines() if not (w.box[1] == 268 and w.box[0] < 130)]
    words = [w for w in words if w.box[1] < 300] + line("このカードは2029年12月3日", 10, 318, 20)
    d = read(words)[layout.PERMISSION_DATE]
    assert (d.status, d.date) == (Status.UNCERTAIN, None)


@pytest.mark.parametrize(("text", "kind"), [
    ("生年月昌", "birth"), ("主宇月日", "birth"), ("生年月R", "birth"),
    ("和ま年月日", None),  # two edits from both 生年月日 and 許可年月日
    ("詩可年月日", "permission"), ("許加條月日", "permission"), ("委付年月日", "issue"),
    ("交信年月日", "issue"),
    ("閣本年月日", None),  # two edits from both 許可年月日 and 交付年月日: neither
    ("付年月日", None),  # one edit from both 生年月日 and 交付年月日
    ("在留資格", None), ("住居地", None), ("年月", None), ("性別男", None)])
def test_a_label_misread_by_up_to_two_characters_is_known_by_edit_distance(
        text: str, kind: str | None) -> None:
    assert front_dates._nearest_label_text(text) == kind


def test_a_tolerantly_matched_label_reads_its_date() -> None:
    words = [w for w in card_lines() if w.box[1] not in (94, 98, 264, 268)]
    words += line("生年月昌", 10, 98, 12) + line("1990年01月31日", 130, 94, 20)
    words += line("詩可年月日", 10, 268, 12) + line("2024年12月20日", 130, 264, 20)
    # the issue date gone: neither date could come by elimination
    words = [w for w in words if not (w.box[0] >= 470 and w.box[1] == 264)]
    dates = read(words)
    assert dates[layout.BIRTH_DATE].date == dt.date(1990, 1, 31)
    assert dates[layout.PERMISSION_DATE].date == dt.date(2024, 12, 20)
    # a misread 生年月日 below the later rows is not the birth date's (許可年月日 as 言年月日)
    words = [w for w in card_lines() if w.box[1] not in (94, 98, 264, 268, 322)]
    words += line("生年月昌", 10, 268, 12) + line("2020年01月31日", 130, 264, 20)
    assert read(words)[layout.BIRTH_DATE].date is None


def test_a_date_level_with_its_small_label_is_its_own_though_a_text_above_reaches_over(
        ) -> None:
    # 許可の種類's long value printed just above 許可年月日's date, reaching over its start,
    # within the margin of its line: the date's own text is still the label level with it
    words = [w for w in card_lines() if w.box[1] not in (230, 234, 264, 268)]
    words += line("許可の種類", 10, 238, 12) + line("在留期間更新許可(東京)", 100, 244, 20)
    words += line("許可年月日", 10, 268, 12) + line("2024年12月20日", 130, 264, 20)
    d = read(words)[layout.PERMISSION_DATE]
    assert (d.status, d.date) == (Status.READ, dt.date(2024, 12, 20))


def test_the_validity_sentence_misread_around_its_date_leaves_the_date_uncertain() -> None:
    # A sentence the engine garbled on both sides of the date (neither 「このカードは」 nor
    # 「まで有効です」 read as such) says that region was read badly: its digits are not
    # taken on the two models' word alone (the engines have agreed on a wrong digit there).
    for printed in (line("こカード", 10, 318, 20) + line("2029年12月31日まで再効です。", 10, 342, 20),
                    line("は2029年12月31日", 10, 318, 20)):  # a bare 「は」 the same
        words = [w for w in card_lines() if w.box[1] < 300] + printed
        d = read(words)[layout.CARD_EXPIRY]
        assert (d.status, d.date, d.reason) == (Status.UNCERTAIN, None, "label-missing")
    # whereas 「このカードは」 misread by one character is still its label (edit distance)
    words = [w for w in card_lines() if w.box[1] < 300] + \
        line("このカードいは2029年12月31日有劾", 10, 318, 20)
    assert read(words)[layout.CARD_EXPIRY].date == dt.date(2029, 12, 31)


def test_a_doubtful_digit_is_low_confidence_and_the_period_is_not_trusted_alone() -> None:
    words = [Word(w.text, 0.4 if w.box[1] == 308 and w.text == "3" else w.confidence, w.box,
                  w.line) for w in card_lines()]
    dates = read(words)
    assert dates[layout.CARD_EXPIRY].reason == "low-confidence"
    # the period, read once, cannot be checked against the card's date: uncertain too
    assert dates[layout.RESIDENCE_EXPIRY].status is Status.UNCERTAIN


def test_card_and_period_that_disagree_are_both_uncertain() -> None:
    dates = read(card_lines(period="5年（2029年12月30日）"))
    for name in (layout.RESIDENCE_EXPIRY, layout.CARD_EXPIRY):
        assert (dates[name].status, dates[name].reason) == (Status.UNCERTAIN,
                                                            "cross-check-failed")


def test_a_birth_date_after_the_card_expiry_is_not_trusted() -> None:
    assert read(card_lines(birth="2030年01月31日"))[layout.BIRTH_DATE].status is \
        Status.UNCERTAIN


def test_no_label_at_all() -> None:
    assert dates_from_words(line("ｱｲｳｴｵ 12345", 10, 10), special=False, today=TODAY) == (
        {}, "no-text")
    assert dates_from_words([], special=False, today=TODAY) == ({}, "no-text")


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["生年月日", "許可年月日", "在留期間", "1990年01月31日",
                                           "2029年12月31日", "5年(2029年12月31日)", "このカードは",
                                           "まで有効です", "無期限", "2024年12月20日"]),
                          st.integers(0, 1500), st.integers(0, 900), st.integers(8, 60)),
                max_size=14))
def test_any_arrangement_never_reads_a_date_that_was_not_printed(
        parts: list[tuple[str, int, int, int]]) -> None:
    words = [w for text, x, y, size in parts for w in line(text, x, y, size)]
    dates, _ = dates_from_words(words, special=False, today=TODAY)
    printed = {dt.date(1990, 1, 31), dt.date(2029, 12, 31), dt.date(2024, 12, 20)}
    for d in dates.values():
        assert d.date is None or d.date in printed


# --- the whole reader with a scripted engine --------------------------------------------------


class Scripted:
    """An engine that answers prepared words for the page, and ``second`` for the second
    look at the dates' crops."""

    name = "scripted"

    def __init__(self, words: list[Word], second: list[Word] | None = None) -> None:
        self.pages = [words, second or []]
        self.calls = 0

    def words(self, image: Image.Image) -> list[Word]:
        self.calls += 1
        return self.pages[min(self.calls, 2) - 1]


def _g4(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("1").save(out, "TIFF", compression="group4")
    return out.getvalue()


def _page(width: int = 640, height: int = 404, glyph: int = 16) -> bytes:
    """A front image with ink where ``card_lines()`` stands: a block ``glyph`` pixels high
    per character (the reader measures how high a date is printed)."""
    image = Image.new("1", (width, height), 1)
    image.paste(0, (10, 10, 200, 40))
    for w in card_lines():
        left, top, right, bottom = w.box
        middle = (top + bottom) // 2
        image.paste(0, (left + 1, middle - glyph // 2, right - 1, middle - glyph // 2 + glyph))
    return _g4(image)


def test_no_date_rests_on_one_reading() -> None:
    # the second look sees nothing at its first height: every date the page gave is
    # uncertain (and none is left to look at again)
    engine = Scripted(card_lines(1400 / 640))
    result = read_front_dates(_page(), special=False, engine=engine, today=TODAY)
    assert engine.calls == 2
    assert {d.reason for d in result.dates} <= {"second-look-differs"}
    assert all(d.date is None for d in result.dates)
    assert result.image_size == (640, 404)


def _all(result: front_dates.FaceDates, reason: str) -> None:
    assert result.reason == reason
    assert all(d.date is None for d in result.dates)
    assert {d.status for d in result.dates} <= {Status.UNCERTAIN, Status.ABSENT}
    assert front_dates.REASONS[reason]


def test_signature_invalid_reads_nothing() -> None:
    engine = Scripted(card_lines())
    _all(read_front_dates(_page(), special=False, engine=engine, signature_invalid=True),
         "signature-invalid")
    assert engine.calls == 0


@pytest.mark.parametrize("data", [b"", b"II*\x00garbage" * 10, b"\xff" * 8000])
def test_undecodable(data: bytes) -> None:
    _all(read_front_dates(data, special=False, engine=Scripted(card_lines())), "undecodable")


def test_blank_image() -> None:
    _all(read_front_dates(_g4(Image.new("1", (640, 404), 1)), special=False,
                          engine=Scripted(card_lines())), "blank-image")


def test_an_image_with_no_card_text() -> None:
    _all(read_front_dates(_page(900, 560), special=False, engine=Scripted([])), "no-text")


def test_missing_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> front_dates.Engine:
        raise front_dates.OcrUnavailable(detail="pytesseract is not installed")

    monkeypatch.setattr(front_dates, "default_engine", missing)
    result = read_front_dates(_page(), special=False)
    _all(result, "no-ocr-engine")
    assert "[ocr]" in result.dates[0].reason_text("en")


def test_a_failing_engine_is_uncertain() -> None:
    class Broken:
        name = "broken"

        def words(self, image: Image.Image) -> list[Word]:
            raise RuntimeError("engine crashed")

    _all(read_front_dates(_page(), special=False, engine=Broken()), "ocr-failed")


def test_the_json_carries_the_boxes() -> None:
    d = front_dates.FaceDate(layout.CARD_EXPIRY, Status.READ, dt.date(2029, 12, 31), 0.9,
                             "x", None, (1, 2, 3, 4), (0, 2, 1, 4))
    assert d.to_json()["box"] == [1, 2, 3, 4] and d.to_json()["label_box"] == [0, 2, 1, 4]
    assert d.crop_box == (0, 2, 3, 4)


def test_the_crop_a_person_compares_the_date_with() -> None:
    image = Image.new("1", (640, 404), 1)
    image.paste(0, (100, 200, 300, 230))
    data = _g4(image)
    across, down = front_dates.CROP_MARGIN
    with Image.open(io.BytesIO(front_dates.crop_png(data, (100, 200, 300, 230)))) as crop:
        # widened by the margin, then enlarged to the height a person reads easily
        scale = front_dates.CROP_HEIGHT / (30 + 2 * down)
        assert crop.size == (round((200 + 2 * across) * scale), front_dates.CROP_HEIGHT)
        grey = crop.convert("L")
        assert grey.getpixel((crop.width // 2, crop.height // 2)) < 64  # the box's ink
        assert grey.getpixel((1, 1)) > 192  # the margin around it
    with Image.open(io.BytesIO(front_dates.crop_png(data, None))) as whole:
        assert whole.width == front_dates.WHOLE_WIDTH
        assert whole.width / whole.height == pytest.approx(640 / 404, 0.02)
    with pytest.raises(front_dates.CropOutside):
        front_dates.crop_png(data, (700, 500, 800, 520))
    with pytest.raises(front_dates.CropUnavailable):
        front_dates.crop_png(b"not an image", (0, 0, 10, 10))


def test_the_next_entry_with_its_label_misread_is_not_a_second_candidate() -> None:
    words = [w for w in card_lines() if not (400 <= w.box[0] < 470 and w.box[1] == 268)]
    assert len(words) == len(card_lines()) - 5
    words += line("叶層年HH", 400, 268, 12)  # 交付年月日, misread
    dates = read(words)
    assert dates[layout.PERMISSION_DATE].date == dt.date(2024, 12, 20)


@pytest.mark.parametrize("misread", ["交村年月日", "人け全月晶", "委付年月晶", "叶層年HH", "文什牛目"])
def test_a_date_by_a_misread_label_is_never_taken_for_another_entry(misread: str) -> None:
    # 許可年月日 [its date unreadable] 交付年月日 2024年12月25日, the second label misread:
    # the issue date stands by a text that is not 許可年月日, so it is not the permission's
    words = [w for w in card_lines() if w.box[1] not in (264, 268)]
    words += (line("許可年月日", 10, 268, 12) + line("2024年1Z月20日", 130, 264, 20)
              + line(misread, 330, 268, 12) + line("2024年12月25日", 396, 264, 20))
    d = read(words)[layout.PERMISSION_DATE]
    assert (d.status, d.date, d.reason) == (Status.UNCERTAIN, None, "not-found")


def test_of_two_close_rows_each_date_is_its_own_labels() -> None:
    # 許可年月日 and 交付年月日 on rows closer than their labels are high (a tall 日 box):
    # the issue date lies within reach of both labels' lines, and is the issue label's
    words = [w for w in card_lines() if w.box[1] not in (264, 268)
             and not (w.box[0] >= 400 and 254 <= w.box[1] <= 290)]
    words += (line("許可年月日", 56, 470, 40, key=1) + line("2024年12月20日", 266, 470, 40, key=1)
              + line("交付年月日", 56, 514, 40, key=2) + line("2024年12月25日", 216, 514, 40, key=2))
    d = read(words)[layout.PERMISSION_DATE]
    assert (d.status, d.date) == (Status.READ, dt.date(2024, 12, 20))


def _period_row(label: str, value: str) -> list[Word]:
    return [w for w in card_lines() if w.box[1] not in (196, 200)] + \
        line(label, 10, 200, 12) + line(value, 130, 196, 20)


@pytest.mark.parametrize("label", ["在留期間(満了日)", "在客期同(漠日)", "劉剛則半了昌)"])
def test_the_period_is_known_by_its_own_form(label: str) -> None:
    dates = read(_period_row(label, "3年（2029年12月31日）"))
    assert dates[layout.RESIDENCE_EXPIRY].date == dt.date(2029, 12, 31)
    # ... and still must agree with the card's own date
    dates = read(_period_row(label, "3年（2029年12月30日）"))
    assert dates[layout.RESIDENCE_EXPIRY].status is Status.UNCERTAIN
    # a bare bracketed date is not the period's form
    dates = read(_period_row("在客期同(漠日)", "（2029年12月31日）"))
    assert dates[layout.RESIDENCE_EXPIRY].status is Status.UNCERTAIN


@pytest.mark.parametrize(("label", "value", "status"), [
    ("在留期間(満了日)", "無期限", Status.INDEFINITE),
    ("在填天同", "無期限", Status.INDEFINITE),  # read whole: printed nowhere else
    ("在留期間(満了日)", "無著限", Status.INDEFINITE),  # one misread, by its label
    ("在填天同", "無著限", Status.UNCERTAIN),  # one misread and no label: not taken
    ("就労制限の有無", "有無期", Status.UNCERTAIN),
])
def test_indefinite(label: str, value: str, status: Status) -> None:
    dates = read(_period_row(label, value))
    assert dates[layout.RESIDENCE_EXPIRY].status is status
    assert dates[layout.RESIDENCE_EXPIRY].date is None


def test_the_validity_sentence_with_de_misread() -> None:
    words = [w for w in card_lines() if w.box[1] < 300] + \
        line("このカード", 10, 318, 20) + line("2029年12月31日まて有効てす、", 10, 342, 20)
    assert read(words)[layout.CARD_EXPIRY].date == dt.date(2029, 12, 31)


def _sheet_rows(image: Image.Image, texts: Sequence[str]) -> list[Word]:
    """``texts`` as an engine reads a look's sheet: one row per crop, from the top (the
    sheet's rows are the crops' heights apart)."""
    pitch = image.height / max(1, len(texts))
    return [w for n, t in enumerate(texts)
            for w in line(t, 10, pitch * n + pitch / 2 - 4, 8, key=n)]


class Looks:
    """The page, then each look at the dates' crops as scripted (a list of texts, one
    per look, each put on the sheet's rows from the top)."""

    name = "looks"

    def __init__(self, page: list[Word], looks: list[list[str]]) -> None:
        self.page = page
        self.looks = looks
        self.calls = 0

    def words(self, image: Image.Image) -> list[Word]:
        self.calls += 1
        if self.calls == 1:
            return self.page
        texts = self.looks[self.calls - 2] if self.calls - 2 < len(self.looks) else []
        return _sheet_rows(image, texts)


class Digits:
    """The independent digit reader, as scripted: per look, one text per date crop on its
    sheet, from the top."""

    name = "digits"

    def __init__(self, looks: list[list[str]]) -> None:
        self.looks = looks
        self.calls = 0

    def words(self, image: Image.Image) -> list[Word]:
        self.calls += 1
        return _sheet_rows(image, self.looks[self.calls - 1])


#: The page of ``card_lines`` as the engine sees it (the image enlarged to 1400 px), and
#: what a second look at its four dates' crops reads when it reads them right.
LOOK_PAGE = [Word(w.text, w.confidence, tuple(v + front_dates._PAD for v in w.box), w.line)  # type: ignore[arg-type]
             for w in card_lines(1400 / 640)]
RIGHT_LOOK = ["5年(2029年12月31日)", "は2029年12月31日ま", "1990年01月31日", "2024年12月20日"]


def test_a_date_the_second_look_shows_at_one_height_only_is_uncertain() -> None:
    page, right = LOOK_PAGE, RIGHT_LOOK
    dropped = [right[0], right[1], "1990年0月31晶", right[3]]
    # shown at both heights: read
    engine = Looks(page, [right, right])
    result = read_front_dates(_page(), special=False, engine=engine, today=TODAY)
    assert [d.date for d in result.dates] == [GOOD[name] for name in front_dates.FIELDS]
    assert engine.calls == 1 + len(front_dates._LOOK_HEIGHTS)
    # at one height only (either): uncertain; the other dates stand (the second height
    # looks again at the dates the first confirmed, from the sheet's top)
    for looks in ([dropped, [right[0], right[1], right[3]]], [right, dropped]):
        engine = Looks(page, looks)
        result = read_front_dates(_page(), special=False, engine=engine, today=TODAY)
        d = result.get(layout.BIRTH_DATE)
        assert (d.date, d.reason) == (None, "second-look-differs")
        assert result.card_expiry.date == dt.date(2029, 12, 31)
        assert result.get(layout.PERMISSION_DATE).date == dt.date(2024, 12, 20)
    assert engine.calls == 3


@pytest.mark.parametrize("misread", ["可年月日", "付年月日"])
def test_a_permission_or_issue_label_that_lost_its_first_character_is_not_birth(
        misread: str) -> None:
    # 生年月日 unread, and 許可年月日 / 交付年月日 read without its first character: its
    # date is never taken for the birth date
    words = [w for w in card_lines() if w.box[1] not in (94, 98)]
    words += line(misread, 10, 98, 12) + line("2020年12月25日", 130, 94, 20)
    d = read(words)[layout.BIRTH_DATE]
    assert d.date is None


def test_a_second_look_that_reads_another_date() -> None:
    page, right = LOOK_PAGE, RIGHT_LOOK
    other = [right[0], right[1], "1990年01月37日", right[3]]
    engine = Looks(page, [other, [right[0], right[1], right[3]]])
    result = read_front_dates(_page(), special=False, engine=engine, today=TODAY)
    d = result.get(layout.BIRTH_DATE)
    assert (d.date, d.reason) == (None, "second-look-differs")
    assert engine.calls == 3
    assert result.card_expiry.date == dt.date(2029, 12, 31)


def test_a_date_printed_too_small_is_not_read() -> None:
    # 9 pixels high in the stored image: a 2 and an 8 merge (both models read 3)
    engine = Looks(LOOK_PAGE, [RIGHT_LOOK, RIGHT_LOOK])
    result = read_front_dates(_page(glyph=9), special=False, engine=engine, today=TODAY)
    assert {(d.date, d.reason) for d in result.dates} == {(None, "text-too-small")}
    assert front_dates.REASONS["text-too-small"]
    engine = Looks(LOOK_PAGE, [RIGHT_LOOK, RIGHT_LOOK])
    result = read_front_dates(_page(glyph=front_dates.MIN_TEXT_HEIGHT), special=False,
                              engine=engine, today=TODAY)
    assert [d.date for d in result.dates] == [GOOD[name] for name in front_dates.FIELDS]


# --- the independent digit reading ---------------------------------------------------------


def test_a_digit_the_digit_model_reads_otherwise_is_uncertain() -> None:
    # the page's model read the birth year 1990 where the digit model reads 1996: which
    # is printed is not known, so the date is not read
    engine = Looks(LOOK_PAGE, [])
    digits = Digits([["5(20291231)", "20291231", "19960131", "20241220"],
                     ["5(20291231)", "20291231", "20241220"]])
    result = read_front_dates(_page(), special=False, engine=engine, today=TODAY,
                              digits=digits)
    d = result.get(layout.BIRTH_DATE)
    assert (d.status, d.date, d.reason) == (Status.UNCERTAIN, None, "second-look-differs")
    assert digits.calls == 2  # the dates it confirmed, looked at again at the second height
    # the dates both models read alike stand
    assert result.card_expiry.date == dt.date(2029, 12, 31)
    assert result.get(layout.PERMISSION_DATE).date == dt.date(2024, 12, 20)
    # ... and so does the birth date when the digit model agrees (年/月/日 read as digits
    # or not at all)
    engine = Looks(LOOK_PAGE, [])
    digits = Digits([["5(20291231)", "2029812831", "199040131", "20241220"]] * 2)
    result = read_front_dates(_page(), special=False, engine=engine, today=TODAY,
                              digits=digits)
    assert [d.date for d in result.dates] == [GOOD[name] for name in front_dates.FIELDS]
    assert digits.calls == 2
    # the digit model agrees at its first height and reads another date at its second (it
    # agreed with the page's misread digit at one scale only): uncertain
    engine = Looks(LOOK_PAGE, [])
    digits = Digits([["5(20291231)", "20291231", "19900131", "20241220"],
                     ["5(20291231)", "20291231", "19900181", "20241220"]])
    result = read_front_dates(_page(), special=False, engine=engine, today=TODAY,
                              digits=digits)
    d = result.get(layout.BIRTH_DATE)
    assert (d.date, d.reason) == (None, "second-look-differs")
    assert result.get(layout.PERMISSION_DATE).date == dt.date(2024, 12, 20)
    assert digits.calls == 2


@pytest.mark.parametrize(("text", "agrees"), [
    ("20291231", True), ("2029812831", True), ("42029481208318", True),
    ("20391231", False), ("2029123", False), ("", False), ("20298881231", False),
    ("12312029", False),
])
def test_the_digit_reading_must_show_each_group_whole_and_in_order(text: str,
                                                                    agrees: bool) -> None:
    assert front_dates._digits_agree(text, dt.date(2029, 12, 31)) is agrees


class _ScriptedTesseract(front_dates.Tesseract):
    """Tesseract as far as the reader can tell, answering as ``Looks`` does."""

    def __init__(self, looks: Looks) -> None:
        self.name = "scripted-tesseract"
        self.psm = 11
        self.in_process = False
        self.looks = looks
        self.turns_asked = 0

    def words(self, image: Image.Image) -> list[Word]:
        return self.looks.words(image)

    def rotation(self, image: Image.Image) -> int:
        self.turns_asked += 1
        return 0


def test_a_page_whose_dates_are_printed_too_small_is_not_turned(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # its dates were found upright: orientation detection (1.3 s) would only cost time
    def none(page: object = None) -> tuple[front_dates.Engine, int]:
        raise front_dates.OcrUnavailable(detail="no fallback in this test")

    monkeypatch.setattr(front_dates, "default_fallback", none)
    engine = _ScriptedTesseract(Looks(LOOK_PAGE, []))
    result = read_front_dates(_page(glyph=9), special=False, engine=engine, today=TODAY,
                              digits=Digits([]))
    assert {d.reason for d in result.dates} == {"text-too-small"}
    assert engine.turns_asked == 0
    # a page where nothing was found is asked about
    engine = _ScriptedTesseract(Looks([], []))
    read_front_dates(_page(), special=False, engine=engine, today=TODAY, digits=Digits([]))
    assert engine.turns_asked == 1


def test_without_the_digit_model_no_date_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(page: object = None) -> front_dates.Engine:
        raise front_dates.OcrUnavailable(detail="the Tesseract model 'eng' is not installed")

    monkeypatch.setattr(front_dates, "default_digit_engine", missing)
    monkeypatch.setattr(front_dates, "default_fallback", missing)
    engine = _ScriptedTesseract(Looks(LOOK_PAGE, []))
    result = read_front_dates(_page(), special=False, engine=engine, today=TODAY)
    assert all(d.date is None for d in result.dates)
    assert {d.reason for d in result.dates} == {"no-digit-engine"}
    assert "'eng'" in result.dates[0].reason_text("en")


def test_a_date_misread_out_of_its_form_still_parts_the_labels_around_it() -> None:
    # 許可年月日 2016年04月25日 交付年月日 2016年05月14日 on one line, the first date's
    # year read 「O16」 (no date) and 交付 read 交全 (no label): the issue date is not the
    # permission date
    words = [w for w in card_lines() if w.box[1] not in (264, 268)]
    words += line("許可年月日O16年04月25日交全年月日2016年05月14日", 10, 264, 20)
    d = read(words)[layout.PERMISSION_DATE]
    assert (d.status, d.date) == (Status.UNCERTAIN, None)


@pytest.mark.parametrize("misread", ["言年月日", "坐年月日"])
def test_a_label_with_its_first_character_misread_below_the_later_rows_is_not_birth(
        misread: str) -> None:
    # 生年月日 unread, 許可年月日 read 「言年月日」 (許可 as one character): below 在留期間
    # it is not the birth date's label
    words = [w for w in card_lines() if w.box[1] not in (94, 98, 264, 268)]
    words += line(misread, 10, 268, 12) + line("2012年07月22日", 130, 264, 20)
    assert read(words)[layout.BIRTH_DATE].date is None
    # ... while on the birth date's own row (above them) it is
    words = [w for w in card_lines() if w.box[1] not in (94, 98)]
    words += line(misread, 10, 98, 12) + line("1990年01月31日", 130, 94, 20)
    assert read(words)[layout.BIRTH_DATE].date == dt.date(1990, 1, 31)


@pytest.mark.parametrize("printed", ["<024年12月20日", "こ024年]2月20日", "2024年」2月20日",
                                     "2024年】2月20日"])
def test_a_digit_read_as_a_mark_is_proposed_for_the_second_look(printed: str) -> None:
    # the page's model reads a broken 2 as < or こ, a 1 as 」, 】 or ]: the date is
    # proposed with the digit (the second look by the digit model must show it)
    words = [w for w in card_lines() if w.box[1] not in (264, 268)]
    words += line("許可年月日", 10, 268, 12) + line(printed, 130, 264, 20)
    assert read(words)[layout.PERMISSION_DATE].date == dt.date(2024, 12, 20)


class _Strips:
    """An engine that reads the re-reading's sheet as scripted (words in sheet pixels)."""

    name = "strips"

    def __init__(self, words: list[Word]) -> None:
        self.answer = words
        self.calls = 0

    def words(self, image: Image.Image) -> list[Word]:
        self.calls += 1
        return self.answer


def _reread(strip_words: list[Word], name: str = layout.PERMISSION_DATE,
            label_box: tuple[int, int, int, int] = (10, 268, 70, 280)
            ) -> tuple[front_dates.FaceDate, int]:
    """The label of ``name`` (default: the permission's) found at ``label_box`` of a 640 x
    404 image, no date beside it on the page, every other field read; its strip read as
    ``strip_words`` (sheet pixels: the strip enlarged 36 / label height times, padded 16;
    for the default label, 3 times, its line at sheet y 16 + 3 * (y - 262))."""
    grey = Image.new("L", (640, 404), 255)
    dates = {other: front_dates.FaceDate(other, Status.READ, GOOD[other], 0.95)
             for other in front_dates.FIELDS}
    dates[name] = front_dates.FaceDate(name, Status.UNCERTAIN, reason="not-found",
                                       label_box=label_box)
    engine = _Strips(strip_words)
    front_dates._reread(grey, dates, engine)
    return dates[name], engine.calls


def test_a_label_without_its_date_is_read_again_beside_it() -> None:
    d, calls = _reread(line("2024年12月20日", 196, 22, 60))
    assert calls == 1
    assert (d.status, d.date) == (Status.READ, dt.date(2024, 12, 20))
    assert d.box is not None and d.box[0] == 130 and d.label_box == (10, 268, 70, 280)


@pytest.mark.parametrize(("strip", "reason"), [
    # the next row's label and date, caught by the strip's lower edge
    (line("付年月日2024年12月25日", 100, 22, 60), "not-found"),
    # the date below the label's line, not level with it
    (line("2024年12月20日", 196, 58, 60), "not-found"),
    # two dates: which is the permission's is not known
    (line("2024年12月20日", 196, 22, 60) + line("2024年12月25日", 1000, 22, 60), "not-found"),
    # a date that does not exist is never guessed
    (line("2029年02月30日", 196, 22, 60), "no-such-date"),
])
def test_the_reading_beside_a_label_takes_nothing_doubtful(strip: list[Word], reason: str
                                                           ) -> None:
    d, _ = _reread(strip)
    assert (d.status, d.date, d.reason) == (Status.UNCERTAIN, None, reason)


def test_the_validity_sentence_without_a_date_in_its_form_is_read_again() -> None:
    # the page read the sentence with 年 and 月 misread as two characters each: its tail
    # is the card's validity's label, the date not found (not "label-missing")
    d = read(card_lines(expiry="このカードは2029和有12有31日まで有効です。"))[layout.CARD_EXPIRY]
    assert (d.status, d.reason) == (Status.UNCERTAIN, "not-found")
    assert d.label_box == (10 + 18 * 20, 308, 10 + 22 * 20, 328)  # 「まで有効」
    # its row read again (the label: 「まで有効です」 at 300-400, 12 high at y 370, the strip
    # from x 0 (28 label heights left of it), enlarged 3 times): the sentence whole
    tail = (300, 370, 400, 382)
    sentence = line("このカードは2029年12月31日まで有効です。", 16 + 3 * 100, 16 + 3 * 6, 36)
    d, calls = _reread(sentence, layout.CARD_EXPIRY, tail)
    assert calls == 1
    assert (d.status, d.date, d.label_box) == (Status.READ, dt.date(2029, 12, 31), tail)


@pytest.mark.parametrize("strip", [
    # a date alone, not inside the sentence (another row's date the strip caught)
    line("2029年12月31日", 16 + 3 * 100, 16 + 3 * 6, 36),
    # the sentence, but on another row than its label
    line("このカードは2029年12月31日まで有効です。", 16 + 3 * 100, 16 + 3 * 22, 36),
])
def test_the_validity_sentence_read_again_takes_only_its_own_date(strip: list[Word]) -> None:
    d, _ = _reread(strip, layout.CARD_EXPIRY, (300, 370, 400, 382))
    assert (d.status, d.date, d.reason) == (Status.UNCERTAIN, None, "not-found")


@pytest.mark.parametrize(("printed", "date"), [
    ("3年(2029年12月31日)", dt.date(2029, 12, 31)),
    # a date right of 在留期間 but not in the period's form is not its value
    ("2029年12月31日", None),
])
def test_the_period_of_stay_is_read_again_in_its_own_form(printed: str, date: dt.date | None
                                                          ) -> None:
    # 在留期間(満了日) at (10, 160)-(130, 172): the strip right of it from x 130, enlarged 3
    d, _ = _reread(line(printed, 16 + 3 * 20, 16 + 3 * 6, 36), layout.RESIDENCE_EXPIRY,
                   (10, 160, 130, 172))
    assert d.date == date
    assert d.status is (Status.READ if date else Status.UNCERTAIN)


def test_nothing_is_read_again_when_every_label_has_its_date() -> None:
    grey = Image.new("L", (640, 404), 255)
    dates = {name: front_dates.FaceDate(name, Status.READ, dt.date(2024, 12, 20), 0.95)
             for name in front_dates.FIELDS}
    engine = _Strips([])
    front_dates._reread(grey, dates, engine)
    assert engine.calls == 0


@pytest.mark.parametrize(("listing", "folder"), [
    (b'List of available languages in "/usr/share/tesseract-ocr/5/tessdata/" (3):\neng\njpn\n'
     b"osd\n", "/usr/share/tesseract-ocr/5/tessdata/"),
    (b'List of available languages in "C:\\Program Files\\Tesseract-OCR/tessdata/" (4):\r\n'
     b"eng\r\njpn\r\n", "C:\\Program Files\\Tesseract-OCR/tessdata/"),
    (b'List of available languages in "/opt/homebrew/share/tessdata/" (163):\n',
     "/opt/homebrew/share/tessdata/"),
    (b"Error opening data file ./jpn.traineddata\n", None),
    (b"", None),
])
def test_the_tesseract_programs_model_folder_is_read_from_its_listing(
        listing: bytes, folder: str | None) -> None:
    # tesserocr reads the same models as the program (Debian, the Windows installer, Homebrew)
    assert front_dates.tessdata_of_listing(listing) == folder
