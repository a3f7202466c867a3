"""The dates of a first-generation residence card, read by OCR from its front image.

First-generation cards (在留カード / 特別永住者証明書, types 1 and 2) keep the card's validity
and the period of stay's end only inside the front image (DF1/EF01, a 1-bit TIFF G4 signed
by ISA; spec §6). This module crops the image by the card face's layout
(``cardtool.cards.residence.front_layout``), recognises the date fields with an OCR engine
and parses them strictly. Every date comes back with a confidence, and **below the
threshold, or when a cross-check fails, the date is ``uncertain``** (no date): staff confirm
or type it. Never a guessed date.

Checks before a date is ``read``:
- the chip's signature over the image did not fail (an ``invalid`` signature: nothing read);
- the image decodes through the card-image guard, is not blank and has the known layout;
- each field's text matches its pattern exactly (「5年（2029年12月31日）」, 「無期限」,
  「このカードは2029年12月31日まで有効です。」, 「1990年01月31日」) with a real calendar date in
  range, and every recognised character of the date has at least ``THRESHOLD`` confidence;
- consistent with the card kind: a 特別永住者証明書 has no period of stay; on a 在留カード
  with a period the card is valid until the period's end (or, for a holder under 16, the
  16th birthday if earlier), so the two dates, read separately, must agree; a birth date
  before the permission date before the card's end.

The OCR engine is Tesseract 5 (Debian ``tesseract-ocr`` + ``tesseract-ocr-jpn``, LSTM model)
through ``pytesseract`` (the ``ocr`` extra). Without it every date is ``uncertain`` with
reason ``no-ocr-engine`` and the typed-date path works as before. Measured with
``bench/ocr_accuracy.py`` (500 synthetic faces, seed 15): all fields in one call (page mode
6) reads 96-99% per field, one call per field (page mode 7) 97-100% at three times the time;
the first followed by per-field looks at the doubtful fields only reads 100% at about 0.4 s
CPU per card, with no confident wrong date in any mode. RapidOCR (ONNX, models in its
wheel) reads the digits as well but not the kana of 「このカードは…まで有効です。」 (its model
is Chinese), and gives one score per line, not per character: not used.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from cardtool.cards.residence import front_layout as layout
from cardtool.errors import CardtoolError
from cardtool.i18n import pick
from cardtool.images import RESIDENCE_FRONT, CardImage, decode_card_image
from cardtool.install import install_command

if TYPE_CHECKING:
    from PIL import Image

#: Lowest confidence (0..1) of any character of a date for the date to count as read.
THRESHOLD = 0.80
#: First-generation cards exist from 2012-07-09 (the new residence management system).
FIRST_CARDS = dt.date(2012, 7, 9)
LATEST = dt.date(2100, 12, 31)
ENABLE_HINT = (install_command("ocr") + " and Tesseract with its Japanese data (Debian: "
               "tesseract-ocr tesseract-ocr-jpn; Windows, macOS: README, OCR)")

#: The fields read, in the order shown.
FIELDS = (layout.RESIDENCE_EXPIRY, layout.CARD_EXPIRY, layout.BIRTH_DATE,
          layout.PERMISSION_DATE)
FIELD_NAMES: dict[str, tuple[str, str]] = {
    layout.RESIDENCE_EXPIRY: ("period of stay (expiry)", "在留期間(満了日)"),
    layout.CARD_EXPIRY: ("card valid until", "カード有効期限"),
    layout.BIRTH_DATE: ("date of birth", "生年月日"),
    layout.PERMISSION_DATE: ("date of permission", "許可年月日"),
}


class Status(Enum):
    READ = "read"  # a date, confidence at or above the threshold, every check passed
    UNCERTAIN = "uncertain"  # no date: the reason says why; staff confirm or type it
    INDEFINITE = "indefinite"  # 在留期間: 無期限 (permanent resident)
    ABSENT = "absent"  # the card kind has no such entry (特別永住者証明書: no period)


#: Why a date is uncertain: (English, Japanese).
REASONS: dict[str, tuple[str, str]] = {
    "no-ocr-engine": ("OCR is not installed (" + ENABLE_HINT + ")",
                      "OCR が入っていません(" + ENABLE_HINT + ")"),
    "signature-invalid": ("the chip's signature over the image is invalid: its text is not "
                          "trusted", "画像に対するICチップの署名が無効なため、読み取りません"),
    "undecodable": ("the front image does not decode", "表面画像をデコードできません"),
    "blank-image": ("the front image is blank", "表面画像が空白です"),
    "layout-unknown": ("the front image's layout is not one cardtool knows",
                       "表面画像のレイアウトが既知のものではありません"),
    "ocr-failed": ("the OCR engine failed on this image", "OCR が失敗しました"),
    "not-found": ("no date in the expected form", "想定した形式の日付がありません"),
    "low-confidence": ("the OCR is not sure enough of every digit",
                       "OCR の確信度が基準に達しない文字があります"),
    "out-of-range": ("the date is not possible for this card", "このカードではありえない日付です"),
    "cross-check-failed": ("the card's validity and the period of stay disagree",
                           "カード有効期限と在留期間満了日が一致しません"),
    "not-expected": ("this card kind has no such entry, yet the image shows text there",
                     "このカードの種類にはない記載があります"),
}


@dataclass(frozen=True)
class FaceDate:
    """One date field of the card face as read."""

    field: str
    status: Status
    date: dt.date | None = None  # only when READ
    confidence: float = 0.0  # lowest character confidence of the date, 0..1
    text: str = ""  # what the OCR saw (for the record; never parsed into a date by anyone)
    reason: str | None = None  # a REASONS key when UNCERTAIN

    def reason_text(self, lang: str) -> str:
        return pick(REASONS.get(self.reason or "", (self.reason or "", self.reason or "")), lang)

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "status": self.status.value,
                "date": self.date.isoformat() if self.date else None,
                "confidence": round(self.confidence, 3), "text": self.text,
                "reason": self.reason,
                "reason_text": self.reason_text("en") if self.reason else None}


@dataclass(frozen=True)
class FaceDates:
    """The dates of one front image, every field of ``FIELDS`` once."""

    dates: tuple[FaceDate, ...]
    engine: str | None = None
    reason: str | None = None  # why nothing at all was read (a REASONS key)
    seconds: float = 0.0
    note: str = "read from the card image — confirm against the card"
    extra: dict[str, str] = field(default_factory=dict)
    #: The chip's signature over the image, as the reader checked it: "valid", "no-anchor"
    #: (matches the card's own certificate, which no trust anchor was given to check) or
    #: "invalid" (then nothing was read).
    signature: str | None = None

    def get(self, name: str) -> FaceDate:
        for d in self.dates:
            if d.field == name:
                return d
        return FaceDate(name, Status.UNCERTAIN, reason=self.reason or "not-found")

    @property
    def residence_expiry(self) -> FaceDate:
        return self.get(layout.RESIDENCE_EXPIRY)

    @property
    def card_expiry(self) -> FaceDate:
        return self.get(layout.CARD_EXPIRY)

    def to_json(self) -> dict[str, Any]:
        return {"note": self.note, "engine": self.engine, "reason": self.reason,
                "signature": self.signature,
                "threshold": THRESHOLD, "dates": [d.to_json() for d in self.dates]}


def _all_uncertain(reason: str, special: bool, engine: str | None = None) -> FaceDates:
    dates = tuple(FaceDate(name, Status.ABSENT) if special and name in _NOT_ON_SPECIAL
                  else FaceDate(name, Status.UNCERTAIN, reason=reason) for name in FIELDS)
    return FaceDates(dates, engine=engine, reason=reason)


_NOT_ON_SPECIAL = frozenset({layout.RESIDENCE_EXPIRY, layout.PERMISSION_DATE})


# --- engines --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    text: str
    confidence: float  # 0..1


class OcrUnavailable(CardtoolError):
    en = "OCR is not available ({detail}): " + ENABLE_HINT + "."
    ja = "OCR が使えません({detail})。" + ENABLE_HINT + "。"


class Engine(Protocol):
    name: str

    def recognise(self, crops: Sequence[Image.Image]) -> list[list[Token]]:
        """The tokens of each crop (one text line each), in reading order."""
        ...


_GAP = 24  # white pixels between stacked crops
_SCALE = 2  # crops are enlarged before recognition (Tesseract likes ~30 px capitals)


def _prepare(crop: Image.Image, scale: int = _SCALE) -> Image.Image:
    from PIL import Image as PILImage
    from PIL import ImageOps

    big = crop.convert("L").resize((crop.width * scale, crop.height * scale),
                                   PILImage.Resampling.LANCZOS)
    return ImageOps.expand(big, border=10, fill=255)


def _tokens(data: dict[str, list[Any]], index: int) -> Token:
    return Token(str(data["text"][index]).strip(), max(0.0, float(data["conf"][index])) / 100)


class Tesseract:
    """Tesseract with the ``jpn`` model through pytesseract. ``stacked``: all crops in one
    image, one process per card (page mode 6); else one call per crop (page mode 7)."""

    def __init__(self, stacked: bool = True, scale: int = _SCALE) -> None:
        self.stacked = stacked
        self.scale = scale
        self.name = ("tesseract-jpn-" + ("stacked-psm6" if stacked else "per-field-psm7")
                     + f"-x{scale}")
        check_tesseract()

    def _data(self, image: Image.Image, psm: int) -> dict[str, list[Any]]:
        import pytesseract

        data: dict[str, list[Any]] = pytesseract.image_to_data(
            image, lang="jpn", config=f"--psm {psm}", output_type=pytesseract.Output.DICT)
        return data

    def recognise(self, crops: Sequence[Image.Image]) -> list[list[Token]]:
        prepared = [_prepare(c, self.scale) for c in crops]
        if not self.stacked:
            out = []
            for image in prepared:
                data = self._data(image, 7)
                out.append([t for i in range(len(data["text"]))
                            if (t := _tokens(data, i)).text])
            return out
        from PIL import Image as PILImage

        width = max(p.width for p in prepared)
        height = sum(p.height + _GAP for p in prepared)
        sheet = PILImage.new("L", (width, height), 255)
        starts = []
        y = 0
        for p in prepared:
            sheet.paste(p, (0, y))
            starts.append((y, y + p.height))
            y += p.height + _GAP
        data = self._data(sheet, 6)
        out = [[] for _ in prepared]
        for i in range(len(data["text"])):
            token = _tokens(data, i)
            if not token.text:
                continue
            middle = int(data["top"][i]) + int(data["height"][i]) // 2
            for n, (top, bottom) in enumerate(starts):
                if top <= middle < bottom:
                    out[n].append(token)
                    break
        return out


@lru_cache(maxsize=1)
def _tesseract_languages() -> tuple[str, ...] | str:
    """The installed Tesseract languages, or why Tesseract cannot be used."""
    try:
        import pytesseract
    except ImportError:
        return "pytesseract is not installed"
    try:
        return tuple(pytesseract.get_languages(config=""))
    except (OSError, RuntimeError, pytesseract.TesseractNotFoundError,
            pytesseract.TesseractError) as exc:
        return f"tesseract does not run: {type(exc).__name__}"


def check_tesseract() -> None:
    languages = _tesseract_languages()
    if isinstance(languages, str):
        raise OcrUnavailable(detail=languages)
    if "jpn" not in languages:
        raise OcrUnavailable(detail="the Tesseract model 'jpn' is not installed")


def default_engine() -> Engine:
    """The engine cardtool uses (raises ``OcrUnavailable``): every field in one Tesseract
    call (one process per card)."""
    return Tesseract(stacked=True)


def default_retry_engines() -> tuple[Engine, ...]:
    """Second, independent looks at the fields the first call was not sure of, in turn: each
    field alone (page mode 7) enlarged 2 times, then 3 times."""
    return Tesseract(stacked=False, scale=2), Tesseract(stacked=False, scale=3)


#: Reasons a second reading may help (the OCR's own doubt, not a contradiction).
_RETRY = frozenset({"low-confidence", "not-found", "out-of-range"})


# --- parsing --------------------------------------------------------------------------------

_DATE = r"(\d{4})年(\d{1,2})月(\d{1,2})日"
_PATTERNS = {
    layout.BIRTH_DATE: re.compile(rf"^{_DATE}$"),
    layout.PERMISSION_DATE: re.compile(rf"^{_DATE}$"),
    layout.RESIDENCE_EXPIRY: re.compile(rf"^(?:\d{{1,2}}年)?(?:\d{{1,2}}月)?(?:\d{{1,3}}日)?"
                                        rf"\({_DATE}\)$"),
    layout.CARD_EXPIRY: re.compile(rf"^このカードは{_DATE}まで有効です。?$"),
}
_INDEFINITE = "無期限"


def _normalise(text: str) -> str:
    """NFKC (full-width digits and brackets to ASCII), no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _line(tokens: Sequence[Token]) -> tuple[str, list[tuple[int, int, float]]]:
    """The normalised line and each token's (start, end, confidence) in it."""
    text = ""
    spans = []
    for token in tokens:
        part = _normalise(token.text)
        spans.append((len(text), len(text) + len(part), token.confidence))
        text += part
    return text, spans


def _confidence(spans: Sequence[tuple[int, int, float]], start: int, end: int) -> float:
    covering = [c for s, e, c in spans if s < end and e > start]
    return min(covering, default=0.0)


def _parse(name: str, tokens: Sequence[Token]) -> FaceDate:
    text, spans = _line(tokens)
    if name == layout.RESIDENCE_EXPIRY and text == _INDEFINITE:
        confidence = _confidence(spans, 0, len(text))
        if confidence < THRESHOLD:
            return FaceDate(name, Status.UNCERTAIN, None, confidence, text, "low-confidence")
        return FaceDate(name, Status.INDEFINITE, None, confidence, text)
    match = _PATTERNS[name].match(text)
    if match is None:
        return FaceDate(name, Status.UNCERTAIN, None, 0.0, text, "not-found")
    confidence = _confidence(spans, match.start(1), match.end(3) + 1)
    try:
        day = dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return FaceDate(name, Status.UNCERTAIN, None, confidence, text, "out-of-range")
    if confidence < THRESHOLD:
        return FaceDate(name, Status.UNCERTAIN, None, confidence, text, "low-confidence")
    return FaceDate(name, Status.READ, day, confidence, text)


def _demote(d: FaceDate, reason: str) -> FaceDate:
    return FaceDate(d.field, Status.UNCERTAIN, None, d.confidence, d.text, reason)


def _sixteenth_birthday(birth: dt.date) -> dt.date:
    try:
        return birth.replace(year=birth.year + 16)
    except ValueError:  # 29 February
        return dt.date(birth.year + 16, 3, 1)


def _cross_check(dates: dict[str, FaceDate], special: bool, today: dt.date) -> None:
    """Demote (in place) every date that is impossible alone or contradicts another."""
    ranges = {
        layout.BIRTH_DATE: (dt.date(1900, 1, 1), today),
        layout.PERMISSION_DATE: (dt.date(1945, 1, 1), LATEST),
        layout.RESIDENCE_EXPIRY: (FIRST_CARDS, LATEST),
        layout.CARD_EXPIRY: (FIRST_CARDS, LATEST),
    }
    for name, (low, high) in ranges.items():
        d = dates[name]
        if d.date is not None and not low <= d.date <= high:
            dates[name] = _demote(d, "out-of-range")
    birth = dates[layout.BIRTH_DATE].date
    permission = dates[layout.PERMISSION_DATE].date
    card = dates[layout.CARD_EXPIRY].date
    if birth and permission and permission < birth:
        for name in (layout.BIRTH_DATE, layout.PERMISSION_DATE):
            dates[name] = _demote(dates[name], "cross-check-failed")
    if permission and card and card <= permission:
        for name in (layout.PERMISSION_DATE, layout.CARD_EXPIRY):
            dates[name] = _demote(dates[name], "cross-check-failed")
    if birth and card and card <= birth:
        for name in (layout.BIRTH_DATE, layout.CARD_EXPIRY):
            dates[name] = _demote(dates[name], "cross-check-failed")
    if special:
        return
    period = dates[layout.RESIDENCE_EXPIRY]
    card_date = dates[layout.CARD_EXPIRY]
    if period.status is Status.READ and card_date.status is not Status.READ:
        # Nothing to check the period against: it rests on one reading.
        if card_date.status is Status.UNCERTAIN:
            dates[layout.RESIDENCE_EXPIRY] = _demote(period, card_date.reason or "not-found")
        return
    if period.date is None or card_date.date is None:
        if period.status is Status.UNCERTAIN and card_date.status is Status.READ \
                and period.reason != "low-confidence":
            # The period row did not parse at all: the card's date alone is not checked.
            dates[layout.CARD_EXPIRY] = _demote(card_date, period.reason or "not-found")
        return
    agree = card_date.date == period.date
    if not agree and birth is not None and card_date.date < period.date:
        agree = card_date.date == _sixteenth_birthday(birth)
    if not agree:
        dates[layout.RESIDENCE_EXPIRY] = _demote(period, "cross-check-failed")
        dates[layout.CARD_EXPIRY] = _demote(card_date, "cross-check-failed")


# --- the image ------------------------------------------------------------------------------


def _has_ink(image: Image.Image, box: layout.Box) -> bool:
    lowest, _ = image.crop(box.bounds).getextrema()
    return bool(lowest == 0)


def _known_layout(image: Image.Image) -> bool:
    if image.size != (layout.WIDTH, layout.HEIGHT):
        return False
    # The title and the labels of the first rows are always printed.
    return _has_ink(image, layout.TITLE) and all(
        _has_ink(image, layout.Box(x, box.y, 40, 18))
        for key, (_, x, box) in layout.LABELS.items() if key in ("name", layout.BIRTH_DATE))


def read_front_dates(front_image: bytes, *, special: bool, signature_invalid: bool = False,
                     engine: Engine | None = None, retry: Sequence[Engine] | None = None,
                     today: dt.date | None = None) -> FaceDates:
    """The dates of a first-generation card's front image. ``special``: a 特別永住者証明書
    (card type 2). ``signature_invalid``: the chip's signature over the images failed: nothing
    is read. Never raises for bad input: each problem gives ``uncertain`` with a reason."""
    started = time.perf_counter()
    if signature_invalid:
        return _all_uncertain("signature-invalid", special)
    try:
        decoded = decode_card_image(CardImage("front", RESIDENCE_FRONT, front_image))
    except CardtoolError:
        return _all_uncertain("undecodable", special)
    with decoded:
        image = decoded.convert("L")
    if image.getextrema()[0] != 0:
        return _all_uncertain("blank-image", special)
    if not _known_layout(image):
        return _all_uncertain("layout-unknown", special)
    if engine is None:
        try:
            engine = default_engine()
        except OcrUnavailable:
            return _all_uncertain("no-ocr-engine", special)
    wanted = [name for name in FIELDS if not (special and name in _NOT_ON_SPECIAL)]
    dates: dict[str, FaceDate] = {}
    for name in FIELDS:
        if name not in wanted and _has_ink(image, layout.VALUE_BOXES[name]):
            return _all_uncertain("not-expected", special, engine.name)
        if name not in wanted:
            dates[name] = FaceDate(name, Status.ABSENT)
    inked = [name for name in wanted if _has_ink(image, layout.VALUE_BOXES[name])]
    for name in wanted:
        if name not in inked:
            # Nothing printed: no permission date on some cards; the others must be there.
            absent = name in (layout.PERMISSION_DATE, layout.BIRTH_DATE)
            dates[name] = (FaceDate(name, Status.ABSENT) if absent
                           else FaceDate(name, Status.UNCERTAIN, reason="not-found"))
    try:
        lines = engine.recognise([image.crop(layout.VALUE_BOXES[n].bounds) for n in inked])
    except CardtoolError:
        raise
    except Exception as exc:  # noqa: BLE001 - a third-party engine: any failure is "uncertain"
        result = _all_uncertain("ocr-failed", special, engine.name)
        return FaceDates(result.dates, engine.name, "ocr-failed",
                         extra={"error": type(exc).__name__})
    for name, tokens in zip(inked, lines, strict=True):
        dates[name] = _parse(name, tokens)
    for second_engine in default_retry_engines() if retry is None else retry:
        doubtful = [n for n in inked
                    if dates[n].status is Status.UNCERTAIN and dates[n].reason in _RETRY]
        if not doubtful:
            break
        try:
            again = second_engine.recognise(
                [image.crop(layout.VALUE_BOXES[n].bounds) for n in doubtful])
        except Exception:  # noqa: BLE001 - the first reading stands (uncertain)
            again = []
        for name, tokens in zip(doubtful, again, strict=False):
            second = _parse(name, tokens)
            if second.status is not Status.UNCERTAIN:
                dates[name] = second
    _cross_check(dates, special, today or dt.date.today())
    return FaceDates(tuple(dates[name] for name in FIELDS), engine.name,
                     seconds=time.perf_counter() - started)


__all__ = ["FIELDS", "THRESHOLD", "Engine", "FaceDate", "FaceDates", "OcrUnavailable", "Status",
           "Tesseract", "read_front_dates"]
