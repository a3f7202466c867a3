"""The first-generation date reader with the real engine (Tesseract) on drawn front images:
several layouts, sizes and fonts of the family (``cardtool.virtual.front_family``) and
cardtool's classic drawing, and bad images (blank, rotated, cropped, a missing label, a date
that does not exist, two dates for one label): uncertain with a reason, never a guessed
date. Skipped without Tesseract, except under CARDTOOL_REQUIRE_OCR=1."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from cardtool import front_dates
from cardtool.cards.residence import front_layout as layout
from cardtool.front_dates import Status, read_face_image, read_front_dates
from cardtool.virtual.front_family import _font, available_fonts, draw_face, random_layout
from cardtool.virtual.residence_images import FrontFace, front_image
from tests.support.ocr import needs_ocr, needs_tesserocr

pytestmark = needs_ocr
TODAY = dt.date(2026, 11, 30)


def face(**changes: object) -> FrontFace:
    base = FrontFace(
        special=False, name="NGUYEN VAN ANH", birth_date=dt.date(1990, 1, 31), sex="female",
        nationality="ベトナム", address="東京都新宿区西新宿2丁目8番1号 サンハイツ南1203号室",
        card_expiry=dt.date(2029, 12, 31), card_number="AB12345678CD",
        status="技術・人文知識・国際業務", work="在留資格に基づく就労活動のみ可", period="5年",
        residence_expiry=dt.date(2029, 12, 31), permission_kind="在留期間更新許可",
        permission_date=dt.date(2024, 12, 20), issue_date=dt.date(2024, 12, 25))
    return FrontFace(**{**base.__dict__, **changes})  # type: ignore[arg-type]


EXPECTED = {layout.RESIDENCE_EXPIRY: dt.date(2029, 12, 31),
            layout.CARD_EXPIRY: dt.date(2029, 12, 31)}
PRINTED = {**EXPECTED, layout.BIRTH_DATE: dt.date(1990, 1, 31),
           layout.PERMISSION_DATE: dt.date(2024, 12, 20)}


def _inside(box: tuple[int, int, int, int] | None, truth: tuple[int, int, int, int]) -> bool:
    """The box read lies on the value as drawn (its centre inside the drawn box, widened a
    little for the slight rotation)."""
    assert box is not None
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    pad = (truth[3] - truth[1])
    return truth[0] - pad <= cx <= truth[2] + pad and truth[1] - pad <= cy <= truth[3] + pad


@pytest.mark.parametrize(("seed", "font", "width"), [
    (21, "noto-serif", 880), (40, "ipa-pgothic", 720), (11, "ipa-pmincho", 760),
])
def test_faces_in_other_layouts_give_the_dates_and_where_they_are(
        seed: int, font: str, width: int) -> None:
    if font not in available_fonts() and os.environ.get("CARDTOOL_REQUIRE_OCR") != "1":
        pytest.skip(f"font {font} is not installed (scripts/debian-deps.sh test)")
    image, boxes = draw_face(face(), random_layout(seed, font, width, noise=False))
    result = read_face_image(image, special=False, today=TODAY)
    assert result.image_size == (width, image.height)
    for name, day in EXPECTED.items():
        d = result.get(name)
        assert (d.status, d.date) == (Status.READ, day), d
        assert _inside(d.box, boxes[name]), (d.box, boxes[name])
    for d in result.dates:  # the others: right or uncertain, never another date
        assert d.date is None or d.date in (dt.date(1990, 1, 31), dt.date(2024, 12, 20),
                                            dt.date(2029, 12, 31))


def test_the_classic_drawing_is_still_read() -> None:
    result = read_front_dates(front_image(face(), 7000), special=False, today=TODAY)
    assert {d.field: d.date for d in result.dates} == {
        **EXPECTED, layout.BIRTH_DATE: dt.date(1990, 1, 31),
        layout.PERMISSION_DATE: dt.date(2024, 12, 20)}


def _sheet(rows: list[tuple[str, str]], width: int = 900) -> Image.Image:
    """A plain face: label left of value, one row each, then the validity sentence."""
    image = Image.new("L", (width, 60 + 44 * (len(rows) + 1)), 255)
    draw = ImageDraw.Draw(image)
    draw.text((16, 12), "在留カード", font=_font("noto-sans", 30), fill=0)
    y = 60
    for label, value in rows:
        if label:
            draw.text((16, y + 6), label, font=_font("noto-sans", 18), fill=0)
        draw.text((200 if label else 16, y), value, font=_font("noto-sans", 26), fill=0)
        y += 44
    return image.convert("1")


def _rows(birth: str = "1990年01月31日", birth_label: str = "生年月日") -> list[tuple[str, str]]:
    return [("氏名", "NGUYEN VAN ANH"), (birth_label, birth),
            ("在留期間(満了日)", "5年（2029年12月31日）"), ("許可年月日", "2024年12月20日"),
            ("", "このカードは2029年12月31日まで有効です。")]


def test_a_plain_face_is_read() -> None:
    result = read_face_image(_sheet(_rows()), special=False, today=TODAY)
    assert result.get(layout.BIRTH_DATE).date == dt.date(1990, 1, 31)
    assert result.card_expiry.date == dt.date(2029, 12, 31)


def test_a_date_that_does_not_exist() -> None:
    d = read_face_image(_sheet(_rows(birth="2029年02月30日")), special=False,
                        today=TODAY).get(layout.BIRTH_DATE)
    assert (d.status, d.date) == (Status.UNCERTAIN, None)
    assert d.reason in ("no-such-date", "second-look-differs", "low-confidence", "not-found")


def test_two_dates_for_one_label() -> None:
    d = read_face_image(_sheet(_rows(birth="1990年01月31日  1991年02月01日")), special=False,
                        today=TODAY).get(layout.BIRTH_DATE)
    assert (d.status, d.date) == (Status.UNCERTAIN, None)


def test_a_missing_label() -> None:
    d = read_face_image(_sheet(_rows(birth_label="")), special=False,
                        today=TODAY).get(layout.BIRTH_DATE)
    assert (d.status, d.date) == (Status.UNCERTAIN, None)


def test_blank_rotated_and_cropped_images_give_no_wrong_date() -> None:
    image, _ = draw_face(face(), random_layout(21, "noto-serif", 880, noise=False))
    blank = read_face_image(Image.new("1", (880, 555), 1), special=False, today=TODAY)
    assert blank.reason == "blank-image"
    for quarter in (90, 180, 270):
        # turned upright by the engine's orientation detection when it is installed (then
        # the right dates, boxes in the stored image's pixels), else uncertain: never
        # another date
        turned = read_face_image(image.rotate(quarter, expand=True), special=False,
                                 today=TODAY)
        for d in turned.dates:
            assert (d.date is None and d.reason) or d.date == PRINTED[d.field]
        if "osd" in front_dates._tesseract_languages():
            assert turned.extra.get("turned") == str(quarter)
            assert turned.card_expiry.date == dt.date(2029, 12, 31)
            box = turned.card_expiry.box
            assert box is not None and box[2] <= turned.image_size[0]
    top = read_face_image(image.crop((0, 0, image.width, image.height // 2)), special=False,
                          today=TODAY)
    assert top.card_expiry.date is None and top.card_expiry.reason
    for d in top.dates:
        assert d.date is None or d.date == dt.date(1990, 1, 31)


@pytest.fixture
def fresh_models() -> Iterator[None]:
    """The caches of what is installed emptied before and after (a test changes it)."""
    caches = (front_dates._loaded_model, front_dates._tesseract_languages)
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


@needs_tesserocr
def test_in_process_and_through_the_program_the_same_dates_are_read() -> None:
    image, _ = draw_face(face(), random_layout(40, "ipa-pgothic", 720, noise=False))
    inside = front_dates.Tesseract()
    program = front_dates.Tesseract(in_process=False)
    assert (inside.backend, program.backend) == ("in-process", "program")
    for engine in (inside, program):
        result = read_face_image(image, special=False, engine=engine, today=TODAY)
        assert {d.field: d.date for d in result.dates} == PRINTED, engine.backend
    # the second look and the fallback take the page's backend
    assert front_dates.default_digit_engine(program).backend == "program"
    assert front_dates.default_digit_engine(inside).backend == "in-process"
    assert front_dates.default_fallback(program)[0].backend == "program"


@needs_tesserocr
def test_in_process_the_page_is_turned_as_the_program_turns_it() -> None:
    image, _ = draw_face(face(), random_layout(21, "noto-serif", 880, noise=False))
    if "osd" not in front_dates._tesseract_languages():
        pytest.skip("Tesseract's osd data is not installed")
    page = image.convert("L")
    for quarter in (90, 180, 270):
        turned = page.rotate(quarter, expand=True)
        # turned counter-clockwise by quarter: that many degrees clockwise stand it upright
        assert front_dates.Tesseract().rotation(turned) == quarter
        assert front_dates.Tesseract(in_process=False).rotation(turned) == quarter


@needs_tesserocr
def test_two_threads_reading_at_once_get_what_one_reading_gets() -> None:
    # the desk reads in worker threads; one Tesseract API must not serve two at once
    image, _ = draw_face(face(), random_layout(40, "ipa-pgothic", 720, noise=False))
    engine = front_dates.Tesseract(psm=6, lang="eng", chars=front_dates.DIGITS)
    page = front_dates._prepare(image.convert("L")).image
    alone = engine.words(page)
    assert len(alone) > 20
    with ThreadPoolExecutor(max_workers=3) as pool:
        together = list(pool.map(engine.words, [page] * 6))
    assert all(words == alone for words in together)


@pytest.mark.usefixtures("fresh_models")
def test_without_tesserocr_the_program_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tesserocr", None)  # import tesserocr fails
    engine = front_dates.Tesseract()
    assert engine.backend == "program"
    result = read_face_image(_sheet(_rows()), special=False, engine=engine, today=TODAY)
    assert result.get(layout.BIRTH_DATE).date == dt.date(1990, 1, 31)


@needs_tesserocr
@pytest.mark.usefixtures("fresh_models")
def test_the_models_are_looked_for_where_tesseract_looks(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = front_dates._program_tessdata()
    assert folder and os.path.isfile(os.path.join(folder, "jpn.traineddata"))
    monkeypatch.delenv("TESSDATA_PREFIX", raising=False)
    assert front_dates._tessdata_folder("jpn") == folder
    # TESSDATA_PREFIX, when set, is the only place (as for the program): here no model
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    assert front_dates._tessdata_folder("jpn") is None
    assert front_dates._loaded_model("jpn") is None
    with pytest.raises(front_dates.OcrUnavailable):
        front_dates.Tesseract()


@needs_tesserocr
@pytest.mark.usefixtures("fresh_models")
def test_without_a_folder_from_the_program_the_installers_folders_are_looked_in(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Tesseract 4's --list-langs names no folder; on Windows the program may not be on PATH
    import tesserocr

    def searches_the_current_directory() -> None:
        raise AssertionError("tesserocr.get_languages() walks the current directory tree")

    monkeypatch.setattr(tesserocr, "get_languages", searches_the_current_directory)
    monkeypatch.delenv("TESSDATA_PREFIX", raising=False)
    monkeypatch.setattr(front_dates, "_program_tessdata", lambda: None)
    (tmp_path / "jpn.traineddata").write_bytes(b"")
    monkeypatch.setattr(front_dates, "KNOWN_TESSDATA", (str(tmp_path / "none"), str(tmp_path)))
    assert front_dates._tessdata_folder("jpn") == str(tmp_path)
    assert front_dates._tessdata_folder("deu") is None  # a model in no folder
