"""The dates of a first-generation residence card, read by OCR from its front image.

First-generation cards (在留カード / 特別永住者証明書, types 1 and 2) keep the card's validity
and the period of stay's end only inside the front image (DF1/EF01, a 1-bit TIFF G4 signed
by ISA; spec §6). The size, resolution, font and exact positions of real cards' images are
not published, so this reader assumes none of them: it recognises the **whole image** once
(word boxes from the engine), finds the printed labels and the date patterns by their
**text**, and ties each date to its label by geometry **relative to the label** (same line
to its right, or below it within a few label heights), never relative to the image.

- 在留期間(満了日): a date in brackets after the period, 「5年（2029年12月31日）」, or 「無期限」,
  right of or below the label (which may be split over two lines: 在留期間 / (満了日)); the
  value's own form (N年（…）, 無期限 read whole) is printed nowhere else, so it is known
  also when the label is misread (the card's own date must still agree);
- カード有効期限: the date of 「このカードは 2029年12月31日 まで有効です。」 (the sentence may
  break after は); a sentence garbled on both sides of its date (no part of it read as a
  label) leaves the date uncertain: that region was read badly, and the two models have
  agreed on a wrong digit there;
- 生年月日, 許可年月日 (and 交付年月日, read only so that its date is not taken for another):
  the nearest date right of or below the label, and only when the text where that date's
  label stands (level with it to its left, else left of it on its line, else just above
  it) is that label: a date by an unrecognised text (交付年月日 misread 交村年月日) is never
  another entry's value;
- a label misread by up to two characters (生年月昌, 詩可年月日) is known by edit distance
  when it is strictly nearer to one label's text than to every other label's and every
  other printed text's (閣本年月日, as near to 許可年月日 as to 交付年月日, is neither); a
  misread 生年月日 counts only above the rows the card prints after it;
- a label found with no date in the card's form beside it: the strip level with it, to
  its right, is read again alone (enlarged; one engine call for all such strips), and a
  date taken only when the strip shows exactly one, level with the label, nothing between;
  likewise the period of stay (a date in its 「N年（…）」 form right of 在留期間) and the
  validity sentence read without a date in its form (its row around 「このカードは」 or
  「まで有効」, a date inside the sentence);
- by elimination, only when the card's structure leaves one possibility: the page shows
  exactly as many dates as the card prints (2 on a 特別永住者証明書; 4 with 無期限, else 5),
  then the birth date is the topmost one, claimed by no label, earlier than every other;
  and the permission date the first in print order (left, else upper) of the two left
  when birth, period and validity are claimed by their labels, not later than the second.

Every date comes back with a confidence and the pixel box it was read from (in the original
image's coordinates, for a person to compare with the card), and **below the threshold, or
when a check fails, the date is ``uncertain``** (no date) with a reason: staff confirm or
type it. Never a guessed date. Checks before a date is ``read``:

- the chip's signature over the image did not fail (``invalid``: nothing is read);
- the image decodes through the card-image guard and is not blank;
- the label is found, exactly one date is tied to it, in the card's printed form
  (YYYY年MM月DD日: four, two and two digits; full-width digits, spaces and the unambiguous
  letter-for-digit confusions O→0, I/l/|→1 are accepted, and a misread 年/月/日 — the
  digits keep their count), a real calendar date in range, and every digit of the date
  has at least ``THRESHOLD`` confidence;
- printed at least ``MIN_TEXT_HEIGHT`` pixels high (smaller, a 2 and an 8 merge);
- a second look by **another model**: the date's crop, alone and enlarged, read by
  Tesseract's ``eng`` model limited to digits, shows the same year, month and day digits
  **at each of two heights** (at one scale the digit model now and then misreads a digit
  as the page's model did; at the other it does not). The page's own model, asked again,
  misreads a digit as it did on the page; a date is ``read`` only when two models agree
  digit for digit, twice;
- consistent with the card kind: a 特別永住者証明書 has no period of stay; on a 在留カード
  with a period the card is valid until the period's end (or, for a holder under 16, the
  16th birthday if earlier), so the two dates, read separately, must agree; a birth date
  before the permission date before the card's end.

For a person to confirm each date (the desk, ``office``): ``FaceDate.status`` / ``.date`` /
``.confidence`` / ``.reason`` (``reason_text(lang)``), ``.box`` (the value) and ``.label_box``,
``.crop_box`` (both), in pixels of the stored image (``FaceDates.image_size``), also for an
uncertain date when a candidate was seen; ``crop_png(front_image, box)`` renders the crop
from the card's own image (the one crop function: the desk and ``office`` use it).

The OCR engine is Tesseract 5 (Debian ``tesseract-ocr`` + ``tesseract-ocr-jpn``, LSTM model),
in this process through ``tesserocr`` where the ``ocr`` extra brings its wheel, else the
``tesseract`` program through ``pytesseract`` (``Tesseract``). One reading for the page (hOCR
with each character's box and confidence, page mode 11); one per height for the second
look at the dates' crops (``eng``, digits only; the second height only for the dates the
first confirmed); one more (page mode 3, another scale) only when a field was not found at
all; one for the strips beside labels found without their date; and, when nothing at all
was read, Tesseract's orientation detection (``osd``, if installed) to read a sideways or
upside-down image turned upright. Without Tesseract every date is ``uncertain`` with reason
``no-ocr-engine`` and the typed-date path works as before. Not measured: faces with a dotted
zero (the fixed-pitch IPA Gothic / Takao Gothic), which Tesseract reads as 6 or 9; on such a
card the second look and the cross-checks are the only guard. Accuracy and time:
``bench/ocr_accuracy.py`` (development and held-out layouts separately).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import itertools
import os
import re
import subprocess
import threading
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cache, lru_cache
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
#: Lowest confidence of Tesseract's orientation detection for a page to be turned (a wrong
#: turn only costs time: the turned page's dates pass every check as any other's).
OSD_CONFIDENCE = 1.0
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

#: A box in pixels: left, top, right, bottom (right and bottom exclusive).
Box = tuple[int, int, int, int]


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
    "no-text": ("no printed label of the card face was recognised (rotated, cropped or not a "
                "card face?)", "券面の項目名が読み取れません(回転・欠け・券面以外の画像?)"),
    "label-missing": ("the entry's label was not found on the image",
                      "この項目の見出しが画像に見つかりません"),
    "ocr-failed": ("the OCR engine failed on this image", "OCR が失敗しました"),
    "not-found": ("no date in the expected form next to its label",
                  "見出しの近くに想定した形式の日付がありません"),
    "ambiguous": ("more than one date could belong to this entry",
                  "この項目に当てはまる日付が複数あります"),
    "no-such-date": ("the date read does not exist in the calendar",
                     "読み取った日付は暦に存在しません"),
    "low-confidence": ("the OCR is not sure enough of every digit",
                       "OCR の確信度が基準に達しない文字があります"),
    "second-look-differs": ("a second, separate reading of the date's digits did not agree",
                            "日付の数字を別に読み直した結果が一致しません"),
    "text-too-small": ("the date is printed too small to tell its digits apart",
                       "日付の文字が小さすぎて数字を見分けられません"),
    "no-digit-engine": ("the second reading of the digits needs Tesseract's 'eng' data",
                        "数字の読み直しに Tesseract の 'eng' データが必要です"),
    "out-of-range": ("the date is not possible for this card", "このカードではありえない日付です"),
    "cross-check-failed": ("the card's validity and the period of stay disagree",
                           "カード有効期限と在留期間満了日が一致しません"),
    "not-expected": ("this card kind has no such entry, yet the image shows one",
                     "このカードの種類にはない記載があります"),
}


@dataclass(frozen=True)
class FaceDate:
    """One date field of the card face as read. ``box``: where on the front image the value
    was read (pixels of the image as stored on the card: left, top, right, bottom), also for
    an uncertain date when a candidate was seen; ``label_box`` likewise for its label."""

    field: str
    status: Status
    date: dt.date | None = None  # only when READ
    confidence: float = 0.0  # lowest character confidence of the date, 0..1
    text: str = ""  # what the OCR saw (for the record; never parsed into a date by anyone)
    reason: str | None = None  # a REASONS key when UNCERTAIN
    box: Box | None = None
    label_box: Box | None = None

    def reason_text(self, lang: str) -> str:
        return pick(REASONS.get(self.reason or "", (self.reason or "", self.reason or "")), lang)

    @property
    def crop_box(self) -> Box | None:
        """The region to show a person next to the date: the value and its label."""
        boxes = [b for b in (self.box, self.label_box) if b is not None]
        return _union(boxes) if boxes else None

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "status": self.status.value,
                "date": self.date.isoformat() if self.date else None,
                "confidence": round(self.confidence, 3), "text": self.text,
                "reason": self.reason,
                "reason_text": self.reason_text("en") if self.reason else None,
                "box": list(self.box) if self.box else None,
                "label_box": list(self.label_box) if self.label_box else None}


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
    #: The front image's size in pixels (what ``FaceDate.box`` refers to).
    image_size: tuple[int, int] | None = None

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
                "signature": self.signature, "threshold": THRESHOLD,
                "image_size": list(self.image_size) if self.image_size else None,
                "dates": [d.to_json() for d in self.dates]}


_NOT_ON_SPECIAL = frozenset({layout.RESIDENCE_EXPIRY, layout.PERMISSION_DATE})


def _all_uncertain(reason: str, special: bool, engine: str | None = None,
                   size: tuple[int, int] | None = None) -> FaceDates:
    dates = tuple(FaceDate(name, Status.ABSENT) if special and name in _NOT_ON_SPECIAL
                  else FaceDate(name, Status.UNCERTAIN, reason=reason) for name in FIELDS)
    return FaceDates(dates, engine=engine, reason=reason, image_size=size)


def _union(boxes: Iterable[Box]) -> Box:
    b = list(boxes)
    return (min(x[0] for x in b), min(x[1] for x in b), max(x[2] for x in b),
            max(x[3] for x in b))


# --- engines --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    """One recognised word (for Japanese often one character) with its box in the image
    the engine saw, and the engine's text line it belongs to."""

    text: str
    confidence: float  # 0..1
    box: Box
    line: tuple[int, ...]  # the engine's line key (block, paragraph, line)


class OcrUnavailable(CardtoolError):
    en = "OCR is not available ({detail}): " + ENABLE_HINT + "."
    ja = "OCR が使えません({detail})。" + ENABLE_HINT + "。"


class Engine(Protocol):
    name: str

    def words(self, image: Image.Image) -> list[Word]:
        """Every word of the page with its box, in reading order."""
        ...


class Tesseract:
    """Tesseract, the whole page in one call: the ``jpn`` model for the page (``lang``), or
    ``eng`` limited to ``chars`` for the second look at the dates' digits
    (``default_digit_engine``). Page mode 11 (sparse text: every text island found, without
    assuming columns or a reading order) was measured against 3 (automatic) and 6 (one
    uniform block) with ``bench/ocr_accuracy.py`` on the development layouts.

    The model runs **in this process** (``tesserocr``, Tesseract's library in a wheel, the
    ``ocr`` extra where a wheel exists: each model loaded once, the page handed over in
    memory) when it is installed and finds the model's data; else through the ``tesseract``
    program (``pytesseract``: a process per call, which loads the model again each time).
    Both give Tesseract's hOCR, read by the one ``parse_hocr``; ``bench/ocr_accuracy.py``
    says which ran (``backend``)."""

    def __init__(self, psm: int = 11, lang: str = "jpn", chars: str | None = None, *,
                 in_process: bool = True) -> None:
        self.psm = psm
        self.lang = lang
        self.chars = chars
        self.in_process = in_process  # False: the program even when tesserocr is there
        self.name = f"tesseract-{lang}-psm{psm}" + ("-digits" if chars else "")
        check_tesseract(lang, in_process=in_process)

    @property
    def backend(self) -> str:
        """``in-process`` (tesserocr) or ``program`` (pytesseract)."""
        return "program" if self._model(self.lang) is None else "in-process"

    def _model(self, lang: str) -> _LoadedModel | None:
        return _loaded_model(lang) if self.in_process else None

    def rotation(self, image: Image.Image) -> int:
        """How many degrees clockwise the page must turn to stand upright (0, 90, 180,
        270), by Tesseract's orientation detection (page mode 0, the ``osd`` data); 0 when
        it is not installed, fails or is not sure."""
        page = image.convert("L")
        model = self._model("osd")
        if model is not None:
            found = model.orientation(page)
            if found is None:
                return 0
            quarter, sure = found
        else:
            import pytesseract

            languages = _tesseract_languages()
            if isinstance(languages, str) or "osd" not in languages:
                return 0
            page.format = "PPM"  # Pillow writes a grey image as PGM (P5)
            try:
                osd = pytesseract.image_to_osd(page, config="--psm 0")
            except (OSError, RuntimeError, pytesseract.TesseractError):
                return 0
            turn = re.search(r"Rotate: (\d+)", osd)
            confidence = re.search(r"Orientation confidence: ([\d.]+)", osd)
            if turn is None or confidence is None:
                return 0
            quarter, sure = int(turn[1]), float(confidence[1])
        if sure < OSD_CONFIDENCE:
            return 0
        return quarter if quarter in (90, 180, 270) else 0

    def words(self, image: Image.Image) -> list[Word]:
        page = image.convert("L")
        settings = _settings(self.chars)
        model = self._model(self.lang)
        if model is not None:
            return parse_hocr(model.hocr(page, self.psm, settings))
        import pytesseract

        # handed over uncompressed (PGM): pytesseract's default PNG costs more to write
        # and to read than the page's recognition saves
        page.format = "PPM"  # Pillow writes a grey image as PGM (P5)
        hocr = pytesseract.image_to_pdf_or_hocr(
            page, lang=self.lang, extension="hocr",
            config=f"--psm {self.psm} " + " ".join(f"-c {k}={v}" for k, v in settings.items()
                                                  if v))
        return parse_hocr(hocr)


def _settings(chars: str | None) -> dict[str, str]:
    """Tesseract's settings for every reading, in either backend. ``hocr_char_boxes``: each
    character's box and confidence. ``tessedit_do_invert=0``: the card prints black on
    white, so Tesseract 5's second reading of each unsure line as white on black only
    costs time (the same dates on 300 development cards, ``bench/ocr_diagnose.py``; up to a
    third of the page's time on a badly printed one). ``chars``: the only characters the
    model may answer (empty: any)."""
    return {"hocr_char_boxes": "1", "tessedit_do_invert": "0",
            "tessedit_char_whitelist": chars or ""}


class _LoadedModel:
    """One Tesseract model loaded in this process (a ``tesserocr`` API). Tesseract's API
    is not safe across threads (the desk reads in a worker thread per request): one
    reading at a time."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.lock = threading.Lock()

    def hocr(self, page: Image.Image, psm: int, settings: dict[str, str]) -> bytes:
        with self.lock:
            self.api.SetPageSegMode(psm)
            for name, value in settings.items():
                self.api.SetVariable(name, value)
            self.api.SetImage(page)
            body = str(self.api.GetHOCRText(0))
            self.api.Clear()
        # the API gives the page's element alone; the program, a whole document
        return ('<html xmlns="http://www.w3.org/1999/xhtml"><body>' + body
                + "</body></html>").encode()

    def orientation(self, page: Image.Image) -> tuple[int, float] | None:
        """Degrees to turn clockwise and the detection's confidence, as the program's
        ``Rotate`` (the API gives the page's current orientation, the other way round)."""
        with self.lock:
            self.api.SetImage(page)
            try:
                found = self.api.DetectOrientationScript()
            except RuntimeError:
                found = None
            self.api.Clear()
        if not found:
            return None
        return (360 - int(found["orient_deg"])) % 360, float(found["orient_conf"])


@cache
def _loaded_model(lang: str) -> _LoadedModel | None:
    """``lang``'s model loaded in this process, or None (``tesserocr`` is not installed or
    does not find the model's data: the ``tesseract`` program is used)."""
    try:
        import tesserocr
    except ImportError:
        return None
    folder = _tessdata_folder(lang)
    if folder is None:
        return None
    try:
        if lang == "osd":  # the orientation model is the classic engine's
            api = tesserocr.PyTessBaseAPI(path=folder, lang=lang, psm=tesserocr.PSM.OSD_ONLY,
                                          oem=tesserocr.OEM.TESSERACT_ONLY)
        else:
            api = tesserocr.PyTessBaseAPI(path=folder, lang=lang,
                                          oem=tesserocr.OEM.LSTM_ONLY)
    except RuntimeError:  # the data does not load (another version's, damaged)
        return None
    return _LoadedModel(api)


#: Where Tesseract's installers put the models, for a program that does not name its folder
#: (Tesseract 4's ``--list-langs``: Debian 11, Ubuntu 22.04) or is not on ``PATH`` (Windows).
KNOWN_TESSDATA = (
    "/usr/share/tesseract-ocr/5/tessdata",  # Debian 12, Ubuntu 24.04
    "/usr/share/tesseract-ocr/4.00/tessdata",  # Debian 11, Ubuntu 20.04 and 22.04
    "/usr/share/tessdata",  # Fedora, Arch
    "/opt/homebrew/share/tessdata",  # Homebrew on Apple silicon
    "/usr/local/share/tessdata",  # Homebrew on Intel, built from source
    os.path.join(os.environ.get("PROGRAMFILES", r"C:\Program Files"), "Tesseract-OCR",
                 "tessdata"),  # UB Mannheim's Windows installer
)


def _tessdata_folder(lang: str) -> str | None:
    """Where ``lang``'s data (``<lang>.traineddata``) is, as Tesseract itself looks: the
    folder ``TESSDATA_PREFIX`` names when it is set, else the installed ``tesseract``
    program's (its ``--list-langs`` names it), else the installers' usual folders
    (``KNOWN_TESSDATA``). Never ``tesserocr.get_languages()``: with the wheel's default
    folder (``./``) it searches the whole current directory tree for models (a second in
    /tmp, without end in a home folder)."""
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        candidates = [prefix]
    else:
        candidates = [folder for folder in (_program_tessdata(), *KNOWN_TESSDATA) if folder]
    for folder in candidates:
        if os.path.isfile(os.path.join(folder, f"{lang}.traineddata")):
            return folder
    return None


@lru_cache(maxsize=1)
def _program_tessdata() -> str | None:
    """The data folder the ``tesseract`` program reads (None: no program)."""
    try:
        import pytesseract
    except ImportError:
        command = "tesseract"
    else:
        command = pytesseract.pytesseract.tesseract_cmd
    try:
        done = subprocess.run([command, "--list-langs"], capture_output=True, timeout=30,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return tessdata_of_listing(done.stdout + done.stderr)


def tessdata_of_listing(listing: bytes) -> str | None:
    """The folder in ``tesseract --list-langs``'s first line: ``List of available languages
    in "/usr/share/tesseract-ocr/5/tessdata/" (3):`` (Debian), ``"C:\\Program
    Files\\Tesseract-OCR/tessdata/"`` (Windows), ``"/opt/homebrew/share/tessdata/"``
    (Homebrew)."""
    folder = re.search(rb'languages in "([^"]+)"', listing)
    return os.fsdecode(folder[1]) if folder else None


_HOCR_LINES = frozenset({"ocr_line", "ocr_textfloat", "ocr_header", "ocr_caption"})
_BBOX = re.compile(r"(?:bbox|x_bboxes) (-?\d+) (-?\d+) (-?\d+) (-?\d+)")
_CONF = re.compile(r"x_conf ([\d.]+)")


def parse_hocr(hocr: bytes) -> list[Word]:
    """Tesseract's hOCR with character boxes (``hocr_char_boxes=1``): one ``Word`` per
    character, with the character's own confidence (the LSTM's, not the word's)."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(hocr)
    out: list[Word] = []
    line = 0
    for element in root.iter():
        kind = element.get("class", "")
        if kind in _HOCR_LINES:
            line += 1
        elif kind == "ocrx_cinfo":
            title = element.get("title", "")
            box = _BBOX.search(title)
            conf = _CONF.search(title)
            text = (element.text or "").strip()
            if text and box and conf:
                out.append(Word(text, float(conf[1]) / 100,
                                (int(box[1]), int(box[2]), int(box[3]), int(box[4])), (line,)))
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


def check_tesseract(lang: str = "jpn", *, in_process: bool = True) -> None:
    if in_process and _loaded_model(lang) is not None:
        return
    languages = _tesseract_languages()
    if isinstance(languages, str):
        raise OcrUnavailable(detail=languages)
    if lang not in languages:
        raise OcrUnavailable(detail=f"the Tesseract model '{lang}' is not installed")


def default_engine() -> Engine:
    """The engine cardtool uses (raises ``OcrUnavailable``)."""
    return Tesseract()


#: The digit reader's characters: the digits only (a separator 年/月/日, which the ``eng``
#: model does not know, comes out as a digit or nothing: ``_digits_agree`` allows for it).
DIGITS = "0123456789"


def default_digit_engine(page: Tesseract | None = None) -> Tesseract:
    """The independent reading of a date's digits (raises ``OcrUnavailable``): Tesseract's
    ``eng`` model (installed with Tesseract itself on Debian, Windows and macOS), limited to
    the digits, one block of text (page mode 6). Another model than the page's: where the
    ``jpn`` model misreads a digit on the page and again on the date's crop (3 for 5, 5 for
    6), ``eng`` reads its own way (measured on the development layouts with
    ``bench/ocr_diagnose.py``: 8 of the 10 confident wrong dates of the last 1,000-card run
    caught, the other two were ties to a wrong label)."""
    return Tesseract(psm=6, lang="eng", chars=DIGITS, in_process=_in_process(page))


def default_fallback(page: Tesseract | None = None) -> tuple[Tesseract, int]:
    """A second reading of the page when the first found a field's label or value not at
    all: another page mode (automatic layout, 3) at another scale, so the engine segments
    and sees the page differently."""
    return Tesseract(psm=3, in_process=_in_process(page)), FALLBACK_WIDTH


def _in_process(page: Tesseract | None) -> bool:
    """The page's backend for its fallback and second look (default: in this process)."""
    return page is None or page.in_process


def _turned_back(result: FaceDates, quarter: int, size: tuple[int, int], seconds: float
                 ) -> FaceDates:
    """``result`` read from the image turned ``quarter`` degrees clockwise, with its boxes
    in the stored (unturned) image's pixels."""
    width, height = size

    def back(box: Box | None) -> Box | None:
        if box is None:
            return None
        x0, y0, x1, y1 = box
        if quarter == 90:  # (x, y) was turned to (height - y, x)
            return (y0, height - x1, y1, height - x0)
        if quarter == 180:
            return (width - x1, height - y1, width - x0, height - y0)
        return (width - y1, x0, width - y0, x1)  # 270: (x, y) was turned to (y, width - x)

    dates = tuple(dataclasses.replace(d, box=back(d.box), label_box=back(d.label_box))
                  for d in result.dates)
    return FaceDates(dates, result.engine, seconds=seconds, image_size=size,
                     extra={**result.extra, "turned": str(quarter)})


# --- the image ------------------------------------------------------------------------------

#: The width the page is scaled to before recognition: card text then stands about 25-40
#: pixels high, where Tesseract reads best (any stored width from about 400 to 2000 px).
WORK_WIDTH = 1400
#: The fallback reading's width (see ``default_fallback``).
FALLBACK_WIDTH = 1100
#: Gaussian radius, in stored pixels, applied to the enlarged page.
SMOOTHING = 0.5
_PAD = 16  # white border added around the page (pixels of the scaled image)


@dataclass(frozen=True)
class _Page:
    image: Image.Image  # what the engine sees
    scale: float  # engine pixels per original pixel

    def to_original(self, box: Box, size: tuple[int, int]) -> Box:
        def back(v: int, limit: int) -> int:
            return max(0, min(limit, round((v - _PAD) / self.scale)))

        return (back(box[0], size[0]), back(box[1], size[1]),
                back(box[2], size[0]), back(box[3], size[1]))


def _despeckle(image: Image.Image) -> Image.Image:
    """Isolated ink pixels (no other ink in their 3 x 3 neighbourhood) removed: scanner dust,
    never part of a glyph at any size the card is stored in."""
    from PIL import ImageChops, ImageFilter

    ink = image.point(lambda v: 1 if v < 128 else 0)
    count = ink.filter(ImageFilter.Kernel((3, 3), [1] * 9, scale=1))
    alone = ImageChops.multiply(ink.point(lambda v: 255 * v),
                                count.point(lambda v: 255 if v <= 1 else 0))
    return ImageChops.lighter(image, alone)


def _prepare(image: Image.Image, width: int = WORK_WIDTH) -> _Page:
    from PIL import Image as PILImage
    from PIL import ImageFilter, ImageOps

    grey = _despeckle(image.convert("L"))
    scale = width / grey.width
    size = (width, max(1, round(grey.height * scale)))
    big = grey.resize(size, PILImage.Resampling.LANCZOS)
    if scale > 1:
        # the bilevel image's staircase edges softened (half a stored pixel): the engine
        # reads the enlarged glyphs better (measured with bench/ocr_diagnose.py; blurring
        # before enlarging, cheaper, read fewer dates)
        big = big.filter(ImageFilter.GaussianBlur(SMOOTHING * scale))
    return _Page(ImageOps.expand(big, border=_PAD, fill=255), scale)


# --- text: lines, labels, dates -------------------------------------------------------------

#: Letters and marks Tesseract's ``jpn`` model gives for a digit where only a digit can
#: stand (inside YYYY年MM月DD日): O for 0; I, l, |, !, 」, 】, ] for 1; < and こ for 2 (a
#: 2 whose foot the scan broke). Taken as that digit only to propose the date: the second
#: look (another model, digits only) must show the same digits. Nothing else is corrected
#: (S/5, B/8, Z/2 could be either).
_LOOKALIKES = {"O": "0", "o": "0", "I": "1", "l": "1", "|": "1", "!": "1", "」": "1",
               "】": "1", "]": "1", "<": "2", "こ": "2"}
_DIGIT_LOOKALIKES = str.maketrans(_LOOKALIKES)
_ALIKE = re.escape("".join(_LOOKALIKES))
_D = rf"[0-9{_ALIKE}]"
#: A separator the engine misread (年 as 皇, 月 as 同, 日 as H): any one character that is
#: neither a digit nor a digit's look-alike. The digits keep their count (4, 2, 2: a lost or
#: an extra digit is no date) and the second look must give the same eight; the
#: separators carry no part of the date's value.
_SEP = rf"[^0-9{_ALIKE}\s]"
_DATE = re.compile(rf"(?<![0-9])({_D}{{4}})({_SEP})({_D}{{2}})({_SEP})({_D}{{2}})"
                   rf"(?:日|(?!{_D}))")
_DURATION = re.compile(r"(?:\d{1,2}年)?(?:\d{1,2}月)?(?:\d{1,3}日)?\($")
_PERIOD_FORM = re.compile(r"(?<!\d)\d{1,2}[年月](?:\d{1,2}月)?\($")


@dataclass(frozen=True)
class _Char:
    ch: str
    confidence: float
    box: Box


@dataclass
class _Line:
    chars: list[_Char]

    @property
    def text(self) -> str:
        return "".join(c.ch for c in self.chars)

    def box(self, start: int, end: int) -> Box:
        return _union(c.box for c in self.chars[start:end])

    def confidence(self, start: int, end: int) -> float:
        return min((c.confidence for c in self.chars[start:end]), default=0.0)


def _lines(words: Sequence[Word]) -> list[_Line]:
    """The engine's lines as normalised characters (NFKC: full-width digits and brackets to
    ASCII; no spaces), each character with its word's confidence and box."""
    grouped: dict[tuple[int, ...], list[_Char]] = {}
    for w in words:
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", w.text))
        chars = grouped.setdefault(w.line, [])
        n = len(text)
        width = (w.box[2] - w.box[0]) / max(1, n)
        for i, ch in enumerate(text):
            # a word's characters share its confidence; boxes split its width evenly
            left = round(w.box[0] + i * width)
            chars.append(_Char(ch, w.confidence, (left, w.box[1], round(left + width),
                                                  w.box[3])))
    return [_Line(chars) for chars in grouped.values() if chars]


@dataclass(frozen=True)
class _Date:
    text: str  # as printed, digits normalised
    value: tuple[int, int, int]
    confidence: float
    box: Box
    before: str  # the line's text before the date
    after: str
    line: int


@dataclass(frozen=True)
class _Label:
    kind: str  # birth, permission, issue, period, indefinite, expiry-head, expiry-tail
    box: Box
    confidence: float
    line: int


# How each label is recognised. Tesseract misreads small label characters now and then
# (生 as 定, 許 as 証, 交 as 父): a label is known by the characters that set it apart, and
# a text that could be two labels is neither.
_VALUE_NEXT = rf"(?=$|[(\d０-９{_ALIKE}])"  # a label ends its line or its value follows
_LABEL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("period", re.compile(rf"(?:在留期間|.留期間|在.期間|在留.間|在留期.)(?:\(?.了日?\)?)?"
                          rf"{_VALUE_NEXT[:-1]}|無)|期間\(?.了|満了日\)"
                          # 在留 and two misread characters, the value right after (not
                          # 在留資格, 在留カード)
                          r"|在留(?![資格カ])[^\W\d]{2}(?=[(\d無])")),
    ("indefinite", re.compile(r"無期限")),
    # 無期限 with one character misread: taken only where a 在留期間 label claims it
    ("indefinite-like", re.compile(r"(?<!有)無(?:[^\W\d]限|期[^\W\d])")),
    ("expiry-head", re.compile(r"このカード|カードは")),
    ("expiry-tail", re.compile(r"ま[でて]有効|[でて]有効|有効[でて]す")),
    ("birth", re.compile(rf"(?:生年.日?|生.月日){_VALUE_NEXT}")),
    # 生年月日 with its first character misread: also what is left of 許可年月日 or 交付年月日
    # with theirs lost or merged (許可 as 言): taken for the birth date only above the rows
    # the card prints after it (``_LATER_ROWS``)
    ("birth-like", re.compile(rf"(?:^|(?<=\W))[^\W\d可付]年月日{_VALUE_NEXT}")),
    ("permission", re.compile(rf"(?:許可(?![の(])[^\d(]{{1,3}}|(?<![0-9])可年.日){_VALUE_NEXT}")),
    ("issue", re.compile(rf"(?:交付[^\d(]{{1,3}}|(?<![0-9])付年.日){_VALUE_NEXT}")),
)


#: Texts of the rows a card prints below 生年月日 (spec §6: 住居地, 在留資格, 就労制限の有無,
#: 在留期間, 許可の種類, 許可年月日 / 交付年月日): a 「?年月日」 label below one of them is
#: not the birth date's.
_LATER_ROWS = re.compile(r"住居|資格|就労|の種類|許可|交付|期間")
_LATER_KINDS = frozenset({"period", "indefinite", "permission", "issue"})


#: The printed labels of the card's dates (spec §6), for the tolerant match: a text no
#: pattern above knew is taken for the label it is nearest to, by edit distance, when it
#: is at most ``_LABEL_EDITS`` edits from it and strictly nearer to it than to any other.
_LABEL_TEXTS = {"birth": "生年月日", "permission": "許可年月日", "issue": "交付年月日"}
_LABEL_EDITS = 2
#: A text of the card that no label's misreading may be taken for (their distance to a
#: label text counts as that of another label: a tie is no label).
_OTHER_TEXTS = ("在留期間", "許可の種類", "在留資格", "国籍・地域", "住居地", "性別")


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions) between two texts."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1,
                                           previous + (ca != cb))
    return row[-1]


def _nearest_label_text(text: str) -> str | None:
    """The label kind ``text`` is a misreading of (``_LABEL_TEXTS``), or None: at most
    ``_LABEL_EDITS`` edits from it, and strictly fewer than from every other label text
    and every other printed text of the card (two labels as near: neither)."""
    if not 2 <= len(text) <= 7:
        return None
    scored = sorted([(_edits(text, t), kind) for kind, t in _LABEL_TEXTS.items()]
                    + [(_edits(text, t), "") for t in _OTHER_TEXTS])
    (best, kind), (second, _) = scored[0], scored[1]
    if kind and best <= _LABEL_EDITS and best < second and best < len(text) - 1:
        return kind
    return None


def _tolerant_labels(line: _Line, n: int, taken: list[tuple[int, int]]) -> list[_Label]:
    """The labels of ``line`` that no pattern matched, by edit distance: each run of the
    line's letters between digits, dates and the labels already found."""
    out = []
    text = line.text
    cut = [i for i, ch in enumerate(text) if ch.isdigit() or ch in _LOOKALIKES
           or not re.match(r"[^\W\d_]", ch) or any(s <= i < e for s, e in taken)]
    bounds = [-1, *cut, len(text)]
    for before, end in itertools.pairwise(bounds):
        start = before + 1
        if end - start < 2:
            continue
        kind = _nearest_label_text(text[start:end])
        if kind is not None:
            # birth: a misread 生年月日 taken only above the later rows (as birth-like)
            out.append(_Label("birth-like" if kind == "birth" else kind,
                              line.box(start, end), line.confidence(start, end), n))
    return out


def _find_labels(lines: Sequence[_Line]) -> list[_Label]:
    out = []
    later: list[Box] = []  # texts of the rows printed below the birth date
    for n, line in enumerate(lines):
        text = line.text
        taken: list[tuple[int, int]] = []
        for m in _LATER_ROWS.finditer(text):
            later.append(line.box(m.start(), m.end()))
        for kind, pattern in _LABEL_PATTERNS:
            for m in pattern.finditer(text):
                if any(s < m.end() and m.start() < e for s, e in taken):
                    continue
                taken.append((m.start(), m.end()))
                out.append(_Label(kind, line.box(m.start(), m.end()),
                                  line.confidence(m.start(), m.end()), n))
        out += _tolerant_labels(line, n, taken)
    later += [lab.box for lab in out if lab.kind in _LATER_KINDS]
    return [dataclasses.replace(lab, kind="birth") if lab.kind == "birth-like" else lab
            for lab in out if lab.kind != "birth-like"
            or not any(box[3] <= lab.box[1] for box in later)]


def _find_dates(lines: Sequence[_Line]) -> list[_Date]:
    out = []
    for n, line in enumerate(lines):
        text = line.text
        for m in _DATE.finditer(text):
            digits = [m[g].translate(_DIGIT_LOOKALIKES) for g in (1, 3, 5)]
            # how sure the engine is of the value: its digits (a misread separator is
            # not part of it, the eight digits are checked again by the second look)
            sure = min(line.confidence(m.start(g), m.end(g)) for g in (1, 3, 5))
            out.append(_Date(f"{digits[0]}年{digits[1]}月{digits[2]}日",
                             (int(digits[0]), int(digits[1]), int(digits[2])),
                             sure, line.box(m.start(), m.end()),
                             text[:m.start()], text[m.end():], n))
    return out


def _height(box: Box) -> int:
    return max(1, box[3] - box[1])


def _tie(label: Box, value: Box) -> float | None:
    """How far ``value`` stands from ``label`` in label heights, if it is where a card prints
    a label's value: on the label's line to its right, or just below it (None otherwise)."""
    h = _height(label)
    middle = (value[1] + value[3]) / 2
    if label[1] - 0.6 * h <= middle <= label[3] + 0.6 * h and value[0] >= label[2] - h:
        gap = max(0.0, (value[0] - label[2]) / h)
        # off the label's middle counts too: of two labels on close rows (許可年月日 above
        # 交付年月日), the date stands level with its own
        off = abs(middle - (label[1] + label[3]) / 2) / h
        return gap + off if gap <= 30 else None
    below = (value[1] - label[3]) / h
    if -0.3 <= below <= 1.2 and label[0] - 2 * h <= value[0] <= label[2] + h:
        return 1.0 + below
    return None


def _level(label: Box, value: Box) -> bool:
    """Whether ``value`` stands level with ``label``, to its right: the value's middle
    within the label's own height (not only within the margin ``_tie`` allows)."""
    middle = (value[1] + value[3]) / 2
    return label[1] <= middle <= label[3] and value[0] >= label[2] - _height(label)


def _nearest(value: Box, labels: Sequence[_Label], kinds: Iterable[str]
             ) -> tuple[_Label, float] | None:
    """The label ``value`` belongs to: of the labels level with it (a label printed left
    of its value, often smaller than the value), the nearest; else the nearest tied."""
    wanted = set(kinds)
    scored = [(lab, d) for lab in labels if lab.kind in wanted
              and (d := _tie(lab.box, value)) is not None]
    level = [(lab, d) for lab, d in scored if _level(lab.box, value)]
    return min(level or scored, key=lambda x: x[1], default=None)


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _fragments(lines: Sequence[_Line]) -> list[Box]:
    """The boxes of the page's texts that are not dates: each line cut at its dates, at
    every digit (a date the engine misread out of its form, 「O16年04月25日」, still parts
    the labels on either side of it: no label's text has a digit) and at gaps wider than
    its characters' height, kept when it has two letters or more (a label has, a stray
    mark has not)."""
    runs: list[list[_Char]] = []
    for line in lines:
        cuts = {i for m in _DATE.finditer(line.text) for i in range(m.start(), m.end())}
        cuts |= {i for i, c in enumerate(line.chars) if c.ch.isdigit()}
        run: list[_Char] = []
        for i, c in enumerate(line.chars):
            if i in cuts or (run and c.box[0] - run[-1].box[2]
                             > max(_height(run[-1].box), _height(c.box))):
                runs.append(run)
                run = []
            if i not in cuts:
                run.append(c)
        runs.append(run)
    return [_union(c.box for c in run) for run in runs
            if sum(1 for c in run if re.match(r"[^\W\d_]", c.ch)) >= 2]


def _own_text(value: Box, fragments: Sequence[Box]) -> Box | None:
    """The text where a value's label stands: the nearest text level with it to its left
    (a label left of its value), else the nearest text left of it on its line, else the
    nearest text just above it (a label above)."""
    level: list[tuple[float, Box]] = []
    beside: list[tuple[float, Box]] = []
    above: list[tuple[float, Box]] = []
    for frag in fragments:
        distance = _tie(frag, value)
        if distance is None:
            continue
        h = _height(frag)
        middle = (value[1] + value[3]) / 2
        # beside: on the value's line and ending before it (the line above, reaching over
        # the value's start, is a text above it, however near: 許可の種類's long value
        # above 許可年月日's date is not the date's label)
        same_line = frag[1] - 0.6 * h <= middle <= frag[3] + 0.6 * h \
            and value[0] >= frag[2] - h
        (level if _level(frag, value) else beside if same_line else above).append(
            (distance, frag))
    for group in (level, beside, above):
        if group:
            return min(group)[1]
    return None


# --- from text to dates ---------------------------------------------------------------------


@dataclass
class _Reading:
    """The candidates found for one field."""

    name: str
    label: _Label | None = None
    dates: list[_Date] = field(default_factory=list)
    indefinite: _Label | None = None
    by_form: bool = False  # a date in the period of stay's own form (3年（…）)
    scores: dict[int, float] = field(default_factory=dict)  # id(date): distance to label


def _classify(lines: Sequence[_Line], special: bool
              ) -> tuple[dict[str, _Reading], list[_Label]]:
    labels = _find_labels(lines)
    dates = _find_dates(lines)
    fragments = _fragments(lines)
    readings = {name: _Reading(name) for name in FIELDS}
    kinds = {"birth": layout.BIRTH_DATE, "permission": layout.PERMISSION_DATE,
             "period": layout.RESIDENCE_EXPIRY}
    for lab in labels:
        name = kinds.get(lab.kind)
        if name is not None and readings[name].label is None:
            readings[name].label = lab
    heads = [lab for lab in labels if lab.kind == "expiry-head"]
    for d in dates:
        above = any(_tie(h.box, d.box) is not None and h.line != d.line
                    and lines[h.line].text.endswith("は") for h in heads)
        if _in_validity_sentence(d) or above:
            readings[layout.CARD_EXPIRY].dates.append(d)
            if readings[layout.CARD_EXPIRY].label is None:
                near = [lab for lab in labels if lab.kind in ("expiry-head", "expiry-tail")
                        and (lab.line == d.line or (above and lab.kind == "expiry-head"))]
                readings[layout.CARD_EXPIRY].label = near[0] if near else None
            continue
        if _after_a_period(d):
            # 5年（2029年12月31日）: the period of stay, if 在留期間 stands by it
            tied = _nearest(d.box, labels, ("period",))
            reading = readings[layout.RESIDENCE_EXPIRY]
            if tied is not None:
                reading.label = tied[0]
            # 3年（…）/ 6月（…）: the period of stay's own form, printed nowhere else on
            # the card: its misread label is not needed (the card's date must agree)
            reading.by_form |= _PERIOD_FORM.search(d.before) is not None
            reading.dates.append(d)
            continue
        tied = _nearest(d.box, labels, ("birth", "permission", "issue", "period"))
        if tied is None:
            continue  # a date no label claims (e.g. in an address): not a field's value
        own = _own_text(d.box, fragments)
        if own is not None and not _overlap(own, tied[0].box):
            # The text where this date's label stands is not the label it was tied to: an
            # entry whose label was misread (交付年月日 as 交村年月日), never another's value.
            continue
        kind = tied[0].kind
        if kind == "issue":
            continue
        name = kinds[kind]
        readings[name].label = tied[0]
        readings[name].dates.append(d)
        readings[name].scores[id(d)] = tied[1]
    validity = readings[layout.CARD_EXPIRY]
    if validity.label is None:
        # the sentence read without a date in its form (a digit misread as a mark): its
        # label, for the re-reading of its line (``_reread``); the tail first, which
        # stands on the date's line also when the sentence breaks after は
        for kind in ("expiry-tail", "expiry-head"):
            sentence = [lab for lab in labels if lab.kind == kind]
            if sentence:
                validity.label = sentence[-1]
                break
    for lab in labels:
        if lab.kind in ("indefinite", "indefinite-like"):
            tied = _nearest(lab.box, labels, ("period",))
            if tied is not None:
                readings[layout.RESIDENCE_EXPIRY].indefinite = lab
                readings[layout.RESIDENCE_EXPIRY].label = tied[0]
            elif lab.kind == "indefinite":
                # 無期限 read whole: the period's value, printed nowhere else
                readings[layout.RESIDENCE_EXPIRY].indefinite = lab
    return readings, labels


def _in_validity_sentence(d: _Date) -> bool:
    """Whether ``d`` stands in 「このカードは YYYY年MM月DD日 まで有効です。」: まで / 有効
    right after it, or は / カード right before it."""
    return (re.match(r"(ま[でて]|[でて]有|有効)", d.after) is not None
            or d.before.endswith(("は", "カード")))


def _after_a_period(d: _Date) -> bool:
    """Whether ``d`` is bracketed after a duration, 「5年（2029年12月31日）」: the period of
    stay's value."""
    return _DURATION.search(d.before) is not None and d.before.endswith("(")


def _nearest_on_its_line(reading: _Reading) -> list[_Date]:
    """Of several dates right of one label on one line (許可年月日 2024年12月20日 交付年月日
    2024年12月25日 with the second label misread), the nearest, when other words stand
    between it and the next: those are another entry's label. Two dates side by side with
    nothing between them stay two candidates (ambiguous)."""
    ranked = sorted(reading.dates, key=lambda d: reading.scores.get(id(d), 99.0))
    best, others = ranked[0], ranked[1:]
    between = re.match(r"[^\d]*", best.after)
    letters = re.findall(r"[^\W\d_]", between.group() if between else "")
    if len(letters) >= 2 and all(o.line == best.line and o.box[0] > best.box[0]
                                 for o in others) and id(best) in reading.scores:
        return [best]
    return reading.dates


def _judge(reading: _Reading, to_original: Any) -> FaceDate:
    name = reading.name
    label_box = to_original(reading.label.box) if reading.label else None
    candidates = reading.dates
    if reading.indefinite is not None and not candidates:
        lab = reading.indefinite
        box = to_original(lab.box)
        if lab.confidence < THRESHOLD:
            return FaceDate(name, Status.UNCERTAIN, None, lab.confidence, "無期限",
                            "low-confidence", box, label_box)
        return FaceDate(name, Status.INDEFINITE, None, lab.confidence, "無期限", None, box,
                        label_box)
    if not candidates:
        return FaceDate(name, Status.UNCERTAIN, reason="not-found" if reading.label
                        else "label-missing", label_box=label_box)
    if len(candidates) > 1 and reading.indefinite is None:
        candidates = _nearest_on_its_line(reading)
    if len(candidates) > 1 or reading.indefinite is not None:
        box = _union(to_original(c.box) for c in candidates)
        text = " / ".join(c.text for c in candidates)
        return FaceDate(name, Status.UNCERTAIN, None, 0.0, text, "ambiguous", box, label_box)
    d = candidates[0]
    box = to_original(d.box)
    text = d.before + d.text + d.after
    if reading.label is None and not reading.by_form:
        return FaceDate(name, Status.UNCERTAIN, None, d.confidence, text, "label-missing", box)
    return _taken(name, d, box, label_box)


def _taken(name: str, d: _Date, box: Box, label_box: Box | None = None) -> FaceDate:
    """``d`` as the date of ``name`` (its label settled by the caller): read, unless no
    such day exists or the engine is not sure enough of it."""
    text = d.before + d.text + d.after
    try:
        day = dt.date(*d.value)
    except ValueError:
        return FaceDate(name, Status.UNCERTAIN, None, d.confidence, text, "no-such-date", box,
                        label_box)
    if d.confidence < THRESHOLD:
        return FaceDate(name, Status.UNCERTAIN, None, d.confidence, text, "low-confidence",
                        box, label_box)
    return FaceDate(name, Status.READ, day, d.confidence, text, None, box, label_box)


def _demote(d: FaceDate, reason: str) -> FaceDate:
    return FaceDate(d.field, Status.UNCERTAIN, None, d.confidence, d.text, reason, d.box,
                    d.label_box)


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
        # The period row not read: the card's date, found by its own sentence and confirmed
        # by the second look, stands as on a permanent resident's card (nothing to check it
        # against); the period is the deadline and never stands alone (above).
        return
    agree = card_date.date == period.date
    if not agree and birth is not None and card_date.date < period.date:
        agree = card_date.date == _sixteenth_birthday(birth)
    if not agree:
        dates[layout.RESIDENCE_EXPIRY] = _demote(period, "cross-check-failed")
        dates[layout.CARD_EXPIRY] = _demote(card_date, "cross-check-failed")


def _printed_count(readings: dict[str, _Reading], special: bool) -> int | None:
    """How many dates the card prints (spec §6), when its kind is known from the page:
    生年月日 and the validity on a 特別永住者証明書; on a 在留カード also 許可年月日 and
    交付年月日, and the period's end unless it is 無期限."""
    if special:
        return 2
    period = readings[layout.RESIDENCE_EXPIRY]
    if period.dates and period.indefinite is None:
        return 5
    if period.indefinite is not None and not period.dates:
        return 4
    return None


def _permission_by_elimination(dates: dict[str, FaceDate], readings: dict[str, _Reading],
                               labels: Sequence[_Label], found: Sequence[_Date],
                               to_original: Any) -> None:
    """The permission date (in place) when its label was not recognised and the card leaves
    one date for it: every date the card prints is on the page (the caller checked the
    count), the birth date, the period's end and the validity each claimed one by their
    labels, and the two left are 許可年月日's and 交付年月日's, printed in that order (side
    by side: the left one; else the upper one) and the first not later than the second."""
    permission = dates[layout.PERMISSION_DATE]
    if permission.status is not Status.UNCERTAIN or permission.reason != "label-missing":
        return
    owners = [layout.BIRTH_DATE, layout.CARD_EXPIRY]
    if readings[layout.RESIDENCE_EXPIRY].indefinite is None:
        owners.append(layout.RESIDENCE_EXPIRY)
    if any(len(readings[name].dates) != 1 for name in owners):
        return
    claimed = {(readings[name].dates[0].line, readings[name].dates[0].box) for name in owners}
    left = [d for d in found if (d.line, d.box) not in claimed]
    if len(left) != 2:
        return
    a, b = left
    a_middle, b_middle = (a.box[1] + a.box[3]) / 2, (b.box[1] + b.box[3]) / 2
    if b.box[1] <= a_middle <= b.box[3] or a.box[1] <= b_middle <= a.box[3]:
        if abs(a.box[0] - b.box[0]) < _height(a.box):
            return
        first, second = (a, b) if a.box[0] < b.box[0] else (b, a)
    elif a.box[3] <= b.box[1] or b.box[3] <= a.box[1]:
        first, second = (a, b) if a.box[1] < b.box[1] else (b, a)
    else:
        return  # neither one row nor one above the other
    try:
        day, then = dt.date(*first.value), dt.date(*second.value)
    except ValueError:
        return
    if day > then or _nearest(first.box, labels, ("birth", "issue", "period")) is not None:
        return  # not in print order, or the first tied to another entry's label
    dates[layout.PERMISSION_DATE] = _taken(layout.PERMISSION_DATE, first,
                                           to_original(first.box))


def _by_elimination(dates: dict[str, FaceDate], readings: dict[str, _Reading],
                    labels: Sequence[_Label], found: Sequence[_Date], special: bool,
                    to_original: Any) -> None:
    """The permission date, then the birth date (in place), by elimination: only when the
    page shows exactly as many dates as the card prints."""
    if _printed_count(readings, special) != len(found) or len(found) < 2:
        return
    _permission_by_elimination(dates, readings, labels, found, to_original)
    _birth_by_elimination(dates, readings, labels, found, to_original)


def _birth_by_elimination(dates: dict[str, FaceDate], readings: dict[str, _Reading],
                          labels: Sequence[_Label], found: Sequence[_Date],
                          to_original: Any) -> None:
    """The birth date (in place) when its label was not recognised and the card's structure
    leaves one date for it: of the dates the card prints (all on the page, the caller
    checked), one, claimed by no other entry, stands above every other date (the card
    prints 生年月日 first, above 住居地 and every later row) and is earlier than each of
    them. The date then passes every check a labelled one does (the second look, the
    cross-checks); anything less (a date lost, an extra one, a tie in height) and it stays
    ``uncertain``."""
    birth = dates[layout.BIRTH_DATE]
    if birth.status is not Status.UNCERTAIN or birth.reason != "label-missing":
        return
    claimed = {(d.line, d.box) for name, r in readings.items() if name != layout.BIRTH_DATE
               for d in r.dates}
    top = min(found, key=lambda d: d.box[1])
    others = [d for d in found if d is not top]
    if (top.line, top.box) in claimed or any(o.box[1] < top.box[3] for o in others) \
            or _nearest(top.box, labels, ("permission", "issue", "period")) is not None:
        return  # another entry's, or tied to another entry's label, or not alone on top
    try:
        day = dt.date(*top.value)
        later = [dt.date(*o.value) for o in others]
    except ValueError:
        return
    if any(day >= o for o in later):
        return
    dates[layout.BIRTH_DATE] = _taken(layout.BIRTH_DATE, top, to_original(top.box))


def dates_from_words(words: Sequence[Word], *, special: bool, today: dt.date,
                     to_original: Any = None, check: bool = True
                     ) -> tuple[dict[str, FaceDate], str | None]:
    """The fields' dates from the engine's words (the part of the reader that does not look
    at pixels), and an overall reason when the page shows no label of a card face at all.
    ``to_original`` maps an engine box to the stored image's pixels; ``check``: the
    cross-checks between the fields (False: the caller runs them once it has every
    reading)."""
    def same(box: Box) -> Box:
        return box

    mapper = to_original or same
    lines = _lines(words)
    readings, labels = _classify(lines, special)
    if not any(lab.kind in ("birth", "permission", "issue", "period", "expiry-head",
                            "expiry-tail") for lab in labels) \
            and not any(r.dates for r in readings.values()):
        return {}, "no-text"
    dates: dict[str, FaceDate] = {}
    for name in FIELDS:
        reading = readings[name]
        if special and name in _NOT_ON_SPECIAL:
            shows = reading.dates or reading.indefinite or (
                name == layout.RESIDENCE_EXPIRY and reading.label)
            dates[name] = (FaceDate(name, Status.UNCERTAIN, reason="not-expected")
                           if shows else FaceDate(name, Status.ABSENT))
            continue
        dates[name] = _judge(reading, mapper)
    _by_elimination(dates, readings, labels, _find_dates(lines), special, mapper)
    if special and any(d.reason == "not-expected" for d in dates.values()):
        # The chip says 特別永住者証明書, the image shows a period of stay: not this face.
        return {}, "not-expected"
    if check:
        _cross_check(dates, special, today)
    return dates, None


#: A date printed lower than this (pixels of inked rows in the stored image) is not read.
MIN_TEXT_HEIGHT = 11
#: The second look: each date's crop enlarged so its text stands this many pixels high;
#: a date is read only when the digit model shows it at every height.
_LOOK_HEIGHTS = (44, 60)
_LOOK_GAP = 28


def _own_line(crop: Image.Image, top: int, bottom: int) -> Image.Image:
    """``crop`` with whatever lies beyond the first white row above ``top`` and below
    ``bottom`` painted white: the edge of a neighbouring line, not the date's own glyphs."""
    def white(y: int) -> bool:
        lowest = crop.crop((0, y, crop.width, y + 1)).getextrema()[0]
        return isinstance(lowest, (int, float)) and lowest >= 128

    for y in range(min(bottom, crop.height - 1), crop.height):
        if white(y):
            crop.paste(255, (0, y, crop.width, crop.height))
            break
    for y in range(max(0, min(top, crop.height) - 1), -1, -1):
        if white(y):
            crop.paste(255, (0, 0, crop.width, y + 1))
            break
    return crop


def _whole_glyphs(crop: Image.Image) -> Image.Image:
    """``crop`` with the inked columns touching its left and right edges painted white, up
    to the first blank column: a glyph the crop cut through, not one of the date's."""
    def blank(x: int) -> bool:
        lowest = crop.crop((x, 0, x + 1, crop.height)).getextrema()[0]
        return isinstance(lowest, (int, float)) and lowest >= 128

    for columns in (range(crop.width), range(crop.width - 1, -1, -1)):
        cut = [x for x in columns[:crop.width // 3]]
        for x in cut:
            if blank(x):
                break
            crop.paste(255, (x, 0, x + 1, crop.height))
    return crop


def _ink_height(grey: Image.Image, box: Box) -> int:
    """How many pixel rows the printed line through ``box`` stands high in the stored image:
    the run of inked rows nearest the box's middle (the engine's box may be a little short
    of or beyond the glyphs), looked for up to half the box's height above and below."""
    left, top, right, bottom = box
    reach = (bottom - top) // 2
    upper = max(0, top - reach)
    lower = min(grey.height, bottom + reach)
    if right <= left or lower <= upper:
        return 0  # a box cut off at the image's edge: nothing printed to measure
    crop = grey.crop((left, upper, right, lower))
    inked = []
    for y in range(crop.height):
        lowest = crop.crop((0, y, crop.width, y + 1)).getextrema()[0]
        inked.append(isinstance(lowest, (int, float)) and lowest < 128)
    centre = (top + bottom) // 2 - upper
    rows = sorted((y for y, ink in enumerate(inked) if ink), key=lambda y: abs(y - centre))
    if not rows:
        return 0
    first = last = rows[0]  # the inked row nearest the box's middle
    while first > 0 and inked[first - 1]:
        first -= 1
    while last < len(inked) - 1 and inked[last + 1]:
        last += 1
    return last - first + 1


#: The fields whose value a re-reading of its label's row may find: 生年月日 and 許可年月日
#: right of their labels, the period of stay's 「N年（…）」 right of 在留期間, and the
#: validity sentence around its 「このカードは」 or 「まで有効です」.
_REREAD = (layout.BIRTH_DATE, layout.PERMISSION_DATE, layout.RESIDENCE_EXPIRY,
           layout.CARD_EXPIRY)
#: The re-reading beside a label: the strip level with it, this many label heights up and
#: down from its middle (a value printed larger than its label still inside; the next
#: row, at least 1.7 value heights down, not) and across to its right (both sides for
#: the validity sentence, whose label may be its tail).
_STRIP_HALF = 1.0
_STRIP_ACROSS = 28
#: The strip is enlarged so that the label stands this many pixels high.
_STRIP_HEIGHT = 36


def _strip(name: str, label: Box, size: tuple[int, int]) -> Box:
    """Where the value of ``name`` may stand on its label's row (pixels of the stored
    image)."""
    left, top, right, bottom = label
    h = max(1, bottom - top)
    middle = (top + bottom) / 2
    start = max(0, left - _STRIP_ACROSS * h) if name == layout.CARD_EXPIRY else right
    return (start, max(0, round(middle - _STRIP_HALF * h)),
            min(size[0], right + _STRIP_ACROSS * h),
            min(size[1], round(middle + _STRIP_HALF * h)))


def _stands_as_value(name: str, d: _Date, label: Box, box: Box) -> bool:
    """Whether a date the re-reading found is ``name``'s value: in its own form (bracketed
    after the period; inside the validity sentence) or, for 生年月日 and 許可年月日, with no
    letter or digit between label and date (else another entry's label: the next row's
    edge the strip caught); and level with the label (the sentence: on its row)."""
    if name == layout.CARD_EXPIRY:
        middle = (box[1] + box[3]) / 2
        return _in_validity_sentence(d) and label[1] <= middle <= label[3]
    if name == layout.RESIDENCE_EXPIRY:
        return _after_a_period(d) and _level(label, box)
    return not re.search(r"[^\W_]", d.before) and _level(label, box)


def _reread(grey: Image.Image, dates: dict[str, FaceDate], engine: Engine) -> None:
    """Read again (in place) the value of each field whose label was found but no date in
    the card's form beside it: only the strip of the label's row where its value stands
    (``_strip``), cut from the stored image and enlarged, read by the page's engine (all
    strips on one sheet, one call). A date is taken only when its strip shows exactly one,
    standing as the field's value (``_stands_as_value``); it then goes through every check
    a page date does (the second look, the cross-checks). Nothing below the label is read:
    there a labels-left layout prints the next row's date."""
    from PIL import Image as PILImage
    from PIL import ImageOps

    wanted = [name for name in _REREAD if dates[name].status is Status.UNCERTAIN
              and dates[name].reason == "not-found" and dates[name].label_box is not None]
    if not wanted:
        return
    strips: list[tuple[Box, float, Image.Image] | None] = []
    for name in wanted:
        label = dates[name].label_box or (0, 0, 0, 0)
        h = max(1, label[3] - label[1])
        box = _strip(name, label, grey.size)
        if box[2] - box[0] < 2 * h or box[3] <= box[1]:
            strips.append(None)
            continue
        crop = _own_line(grey.crop(box), label[1] - box[1], label[3] - box[1])
        scale = _STRIP_HEIGHT / h
        big = crop.resize((max(1, round(crop.width * scale)),
                           max(1, round(crop.height * scale))), PILImage.Resampling.LANCZOS)
        strips.append((box, scale, ImageOps.expand(big, border=_PAD, fill=255)))
    shown = [st for st in strips if st is not None]
    if not shown:
        return
    sheet = PILImage.new("L", (max(st[2].width for st in shown),
                               sum(st[2].height + _LOOK_GAP for st in shown)), 255)
    places: list[tuple[int, int] | None] = []
    y = 0
    for st in strips:
        if st is None:
            places.append(None)
            continue
        sheet.paste(st[2], (0, y))
        places.append((y, y + st[2].height))
        y += st[2].height + _LOOK_GAP
    try:
        words = engine.words(sheet)
    except Exception:  # noqa: BLE001 - the first reading stands
        return
    for name, st, place in zip(wanted, strips, places, strict=True):
        if st is None or place is None:
            continue
        (x0, y0, _, _), scale, _ = st
        mine = [w for w in words if place[0] <= (w.box[1] + w.box[3]) / 2 < place[1]]
        found = _find_dates(_lines(mine))
        if len(found) != 1:
            continue
        d = found[0]
        box = (x0 + round((d.box[0] - _PAD) / scale),
               y0 + round((d.box[1] - place[0] - _PAD) / scale),
               x0 + round((d.box[2] - _PAD) / scale),
               y0 + round((d.box[3] - place[0] - _PAD) / scale))
        old = dates[name]
        if _stands_as_value(name, d, old.label_box or box, box):
            dates[name] = _taken(name, d, box, old.label_box)


def _second_look(grey: Image.Image, dates: dict[str, FaceDate], engine: Engine) -> None:
    """Demote (in place) every read date that a second, separate reading of its digits does
    not confirm: one reading of the page is not enough for a date a person may rely on.

    - Printed less than ``MIN_TEXT_HEIGHT`` pixels high, a date is not read at all: at that
      size a 2 and an 8 merge into what both models read as 3 (measured).
    - ``engine`` (``default_digit_engine``: another model than the page's) reads every
      date's crop, alone and enlarged, in one call per height (``_LOOK_HEIGHTS``); a date
      it does not show (``_digits_agree``) at every height is uncertain. At one height
      alone, the digit model agreed with the page's misreading of a bold 6 as 5 and 8 as
      3, a Mincho 8 as 3 (fresh set 6,000,000: 3 of its 3 wrong dates), where the other
      height did not; asking for both costs 4% of the dates read right (development
      cards 0-299: 30 of 774; the fresh sets 6,000,000 and 7,000,000, cards 0-299: 31 of
      759, 28 of 772; every height looked at on every date). The page's
      model is not asked again: on its own crop it misreads a digit as it did on the
      page (3 for 5, 5 for 6), where another model reads it its own way.
    """
    for name, d in dates.items():
        # (no ink at all where the engine put the date: a box it misplaced, not small
        # print; the look below finds nothing there)
        if d.status is Status.READ and d.box and \
                0 < _ink_height(grey, d.box) < MIN_TEXT_HEIGHT:
            dates[name] = _demote(d, "text-too-small")
    wanted = [name for name, d in dates.items() if d.status is Status.READ and d.box]
    for height in _LOOK_HEIGHTS:
        if not wanted:
            return
        texts = _look(grey, [dates[name] for name in wanted], engine, height)
        for name, text in zip(wanted, texts, strict=True):
            if not _digits_agree(text, dates[name].date or dt.date.min):
                dates[name] = _demote(dates[name], "second-look-differs")
        wanted = [name for name in wanted if dates[name].status is Status.READ]


def _digits_agree(text: str, day: dt.date) -> bool:
    """Whether the second look's ``text`` of a date's crop shows ``day``: its year, month
    and day digits in that order, each group whole, with at most two characters between
    groups (a separator 年/月/日 the digit model read as digits; the crop's neighbours may
    add more before and after). Letters are ignored."""
    digits = "".join(ch for ch in text.translate(_DIGIT_LOOKALIKES) if ch.isdigit())
    year, month, mday = day.strftime("%Y"), day.strftime("%m"), day.strftime("%d")
    return re.search(rf"{year}\d{{0,2}}{month}\d{{0,2}}{mday}", digits) is not None


def _look(grey: Image.Image, found: Sequence[FaceDate], engine: Engine, height: int
          ) -> list[str]:
    """What the engine reads on each date's crop, enlarged so its text stands ``height``
    pixels high, all crops on one sheet (one engine call)."""
    from PIL import Image as PILImage
    from PIL import ImageOps

    crops = []
    bands = []  # where the date itself lies in each crop, pixels from the crop's top
    for found_date in found:
        left, top, right, bottom = found_date.box or (0, 0, 0, 0)
        pad = max(2, (bottom - top) // 4)
        upper = max(0, top - pad)
        # across: 1.2 times its height beyond the box (the engine's character boxes are
        # approximate: off by a digit now and then), less the glyph the crop's edge cuts
        # through (half a 「(」 merges with the first digit)
        side = max(3, (bottom - top) * 6 // 5)
        crop = _own_line(_whole_glyphs(grey.crop((max(0, left - side), upper,
                                                  min(grey.width, right + side),
                                                  min(grey.height, bottom + pad)))),
                         top - upper, bottom - upper)
        scale = height / max(1, crop.height)
        # not smoothed as the page is: a look as unlike the first as it can be, so that
        # the two do not misread a digit alike (measured: smoothed, they did)
        big = crop.resize((max(1, round(crop.width * scale)), height),
                          PILImage.Resampling.LANCZOS)
        crops.append(ImageOps.expand(big, border=8, fill=255))
        bands.append((8 + (top - upper) * scale, 8 + (bottom - upper) * scale))
    sheet = PILImage.new("L", (max(c.width for c in crops) + 16,
                               sum(c.height + _LOOK_GAP for c in crops) + _LOOK_GAP), 255)
    rows = []
    y = _LOOK_GAP
    for c, (inner_top, inner_bottom) in zip(crops, bands, strict=True):
        sheet.paste(c, (8, y))
        # a character counts for this date only if its middle lies on the date's own line,
        # not on a neighbouring line's edge that the crop's margin caught
        rows.append((y + inner_top, y + inner_bottom))
        y += c.height + _LOOK_GAP
    try:
        words = engine.words(sheet)
    except Exception:  # noqa: BLE001 - no second look: no date rests on one reading
        words = []
    texts = ["" for _ in found]
    for w in words:  # the engine's reading order
        middle = (w.box[1] + w.box[3]) / 2
        for n, (row_top, row_bottom) in enumerate(rows):
            if row_top <= middle < row_bottom:
                texts[n] += re.sub(r"\s+", "", unicodedata.normalize("NFKC", w.text))
    return texts


#: A first reading with these reasons may find the field on a second reading of the page.
_NOT_SEEN = frozenset({"label-missing", "not-found", "ambiguous"})


def read_face_image(image: Image.Image, *, special: bool, engine: Engine | None = None,
                    today: dt.date | None = None,
                    fallback: tuple[Engine, int] | bool | None = True,
                    digits: Engine | None = None,
                    turn: bool = True) -> FaceDates:
    """The dates of a decoded front image (any size). ``fallback``: a second engine and
    page width for the fields the first reading did not find (True: ``default_fallback``;
    None/False: none). ``digits``: the engine of the second look at the dates' digits
    (None: ``default_digit_engine`` with Tesseract; another engine looks again itself).
    ``turn``: when no card text is found at all, ask the engine for the
    page's orientation (Tesseract's OSD, when installed) and read the image turned upright
    (boxes stay in the stored image's pixels). Never raises for bad input."""
    started = time.perf_counter()
    size = (image.width, image.height)
    grey = image.convert("L")
    lowest, highest = grey.getextrema()
    assert isinstance(lowest, (int, float)) and isinstance(highest, (int, float))
    if lowest > 127 or highest < 128:
        return _all_uncertain("blank-image", special, size=size)
    if engine is None:
        try:
            engine = default_engine()
        except OcrUnavailable:
            return _all_uncertain("no-ocr-engine", special, size=size)
    today = today or dt.date.today()
    page = _prepare(grey)
    try:
        words = engine.words(page.image)
    except CardtoolError:
        raise
    except Exception as exc:  # noqa: BLE001 - a third-party engine: any failure is "uncertain"
        result = _all_uncertain("ocr-failed", special, engine.name, size)
        return FaceDates(result.dates, engine.name, "ocr-failed", image_size=size,
                         extra={"error": type(exc).__name__})
    dates, reason = dates_from_words(words, special=special, today=today, check=False,
                                     to_original=lambda b: page.to_original(b, size))
    if fallback is True:
        try:
            fallback = default_fallback(engine) if isinstance(engine, Tesseract) else None
        except OcrUnavailable:
            fallback = None
    if fallback and (reason == "no-text" or any(
            d.reason in _NOT_SEEN for d in dates.values())):
        second_engine, width = fallback
        second_page = _prepare(grey, width)
        try:
            more = second_engine.words(second_page.image)
        except Exception:  # noqa: BLE001 - the first reading stands
            more = []
        again, again_reason = dates_from_words(
            more, special=special, today=today, check=False,
            to_original=lambda b: second_page.to_original(b, size))
        if reason is not None and again_reason is None:
            dates, reason = again, None
        elif reason is None and again_reason is None:
            for name, d in dates.items():
                if d.reason in _NOT_SEEN and again[name].status is not Status.UNCERTAIN:
                    dates[name] = again[name]
    if digits is None and not isinstance(engine, Tesseract):
        digits = engine
    elif digits is None and isinstance(engine, Tesseract):
        # without a second model, no date is read on one model's word (below)
        with contextlib.suppress(OcrUnavailable):
            digits = default_digit_engine(engine)
    if reason is None:
        if digits is None:
            for name, d in dates.items():
                if d.status is Status.READ:
                    dates[name] = _demote(d, "no-digit-engine")
        else:
            clean = _despeckle(grey)
            _reread(clean, dates, engine)
            _second_look(clean, dates, digits)
        _cross_check(dates, special, today)
    if turn and isinstance(engine, Tesseract) and (reason is not None or not any(
            d.status in (Status.READ, Status.INDEFINITE) or d.reason == "text-too-small"
            for d in dates.values())):
        # Nothing read at all (a date read but printed too small was read upright):
        # perhaps the image lies on its side or upside down.
        quarter = engine.rotation(page.image)
        if quarter:
            upright = read_face_image(grey.rotate(-quarter, expand=True), special=special,
                                      engine=engine, today=today, fallback=fallback,
                                      digits=digits, turn=False)
            if any(d.status in (Status.READ, Status.INDEFINITE) for d in upright.dates):
                return _turned_back(upright, quarter, size, time.perf_counter() - started)
    if reason is not None:
        return _all_uncertain(reason, special, engine.name, size)
    return FaceDates(tuple(dates[name] for name in FIELDS), engine.name,
                     seconds=time.perf_counter() - started, image_size=size)


def read_front_dates(front_image: bytes, *, special: bool, signature_invalid: bool = False,
                     engine: Engine | None = None, today: dt.date | None = None,
                     digits: Engine | None = None) -> FaceDates:
    """The dates of a first-generation card's front image (DF1/EF01 as read from the chip).
    ``special``: a 特別永住者証明書 (card type 2). ``signature_invalid``: the chip's signature
    over the images failed: nothing is read. ``engine``, ``digits``: as
    ``read_face_image``'s. Never raises for bad input: each problem gives ``uncertain``
    with a reason."""
    if signature_invalid:
        return _all_uncertain("signature-invalid", special)
    try:
        decoded = decode_card_image(CardImage("front", RESIDENCE_FRONT, front_image))
    except CardtoolError:
        return _all_uncertain("undecodable", special)
    with decoded:
        image = decoded.convert("L")
    return read_face_image(image, special=special, engine=engine, today=today, digits=digits)


#: The crop shown to a person is enlarged to this height (px) at most (three times at
#: most), the whole image (no box) scaled down to this width.
CROP_HEIGHT = 72
WHOLE_WIDTH = 480
#: Pixels of the image kept around a box, across and up/down: the rows above and below
#: are close, a larger margin shows a sliver of them.
CROP_MARGIN = (6, 2)


class CropUnavailable(CardtoolError):
    en = "The card image cannot be shown ({detail})."
    ja = "カード画像を表示できません({detail})。"


class CropOutside(CropUnavailable):
    en = "the box {box} lies outside the front image ({size})"
    ja = "指定の範囲 {box} は表面画像({size})の外です"


def crop_png(front_image: bytes, box: Box | None) -> bytes:
    """A PNG of ``box`` (a ``FaceDate.crop_box``: the date with its label, or ``.box``)
    cut from the card's own front image (DF1/EF01 bytes as read), widened by
    ``CROP_MARGIN`` and enlarged for the eye; the whole image scaled down when ``box`` is
    None. What a person compares the OCR'd date with: rendered on demand, never stored.
    Raises ``CropUnavailable`` for an image that does not decode, ``CropOutside`` for a
    box outside it. The one crop of the front image (the desk's and ``office``'s)."""
    import io

    from PIL import Image as PILImage

    try:
        decoded = decode_card_image(CardImage("front", RESIDENCE_FRONT, front_image))
    except CardtoolError as exc:
        raise CropUnavailable(detail=type(exc).__name__) from None
    with decoded:
        image = decoded.convert("L")
    if box is None:
        image.thumbnail((WHOLE_WIDTH, WHOLE_WIDTH), PILImage.Resampling.LANCZOS)
    else:
        across, down = CROP_MARGIN
        left, top, right, bottom = box
        bounds = (max(0, left - across), max(0, top - down), min(image.width, right + across),
                  min(image.height, bottom + down))
        if bounds[0] >= bounds[2] or bounds[1] >= bounds[3]:
            raise CropOutside(box=str(box), size=f"{image.width}x{image.height}",
                              detail="outside")
        image = image.crop(bounds)
        scale = max(1.0, min(3.0, CROP_HEIGHT / image.height))
        image = image.resize((round(image.width * scale), round(image.height * scale)),
                             PILImage.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


__all__ = ["FIELDS", "THRESHOLD", "Box", "CropOutside", "CropUnavailable", "Engine", "FaceDate", "FaceDates",
           "OcrUnavailable", "Status", "Tesseract", "Word", "crop_png", "dates_from_words",
           "read_face_image", "read_front_dates"]
