"""Synthetic images for the virtual residence cards, drawn with Pillow: bilevel text images
as CCITT G4 (MMR) TIFF (the front side, the name, the address) and a drawn colour
"photo" as JPEG 2000, each within the size its card field allows.

Every image says TEST SPECIMEN. Latin text uses Pillow's bundled font; Japanese text needs
a CJK font (``CARDTOOL_CJK_FONT`` or a common system path) and is drawn as boxes without
one: the images are synthetic either way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from cardtool.cards.residence import front_layout as layout
from cardtool.virtual.drawing import g4_tiff

_CJK_FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/truetype/takao-gothic/TakaoGothic.ttf",
)
SPECIMEN = "TEST SPECIMEN - SYNTHETIC - NOT A REAL CARD"

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


class ImageTooLarge(Exception):
    """The drawn image does not fit its field even at the smallest size tried."""


@lru_cache(maxsize=16)
def font(size: int, cjk: bool) -> Font:
    if cjk:
        candidates = [os.environ.get("CARDTOOL_CJK_FONT", ""), *_CJK_FONT_PATHS]
        for path in candidates:
            if path and Path(path).exists():
                try:
                    return ImageFont.truetype(path, size)
                except OSError:
                    continue
    return ImageFont.load_default(size=size)


def _needs_cjk(text: str) -> bool:
    return any(ord(ch) > 0x2FF for ch in text)


_TOKEN = re.compile(r"[!-~\u00A0-\u02FF]+ ?| |.")


def _wrap(text: str, width: int, fnt: Font, draw: ImageDraw.ImageDraw) -> list[str]:
    """Greedy wrap at spaces for Latin words and between any two other characters
    (Japanese has no spaces); a word wider than the line is cut by characters."""
    lines: list[str] = []
    current = ""
    for token in _TOKEN.findall(text):
        if not current or draw.textlength((current + token).rstrip(), font=fnt) <= width:
            current += token
            continue
        lines.append(current.rstrip())
        current = token.lstrip()
    if current.strip():
        lines.append(current.rstrip())
    out: list[str] = []
    for line in lines:
        while draw.textlength(line, font=fnt) > width and len(line) > 1:
            cut = len(line) - 1
            while cut > 1 and draw.textlength(line[:cut], font=fnt) > width:
                cut -= 1
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    return out


def text_image(rows: Sequence[tuple[str, str]], size: tuple[int, int], limit: int,
               title: str | None = None) -> bytes:
    """A bilevel G4 TIFF with ``label: value`` rows, shrinking the text until it fits both
    the picture and ``limit`` bytes."""
    width, height = size
    for font_size in (22, 20, 18, 16, 14, 12, 10):
        image = Image.new("1", size, 1)
        draw = ImageDraw.Draw(image)
        small = font(max(9, font_size - 6), False)
        draw.text((8, height - font_size), SPECIMEN, font=small, fill=0)
        y = 6
        if title:
            draw.text((8, y), title, font=font(font_size, _needs_cjk(title)), fill=0)
            y += font_size + 8
        fits = True
        for label, value in rows:
            fnt = font(font_size, _needs_cjk(value))
            label_width = 0
            if label:
                draw.text((8, y + 2), label, font=small, fill=0)
                label_width = int(draw.textlength(label, font=small)) + 16
            for line in _wrap(value, width - 16 - label_width, fnt, draw):
                if y + font_size > height - font_size - 4:
                    fits = False
                    break
                draw.text((8 + label_width, y), line, font=fnt, fill=0)
                y += font_size + 4
            y += 4
        if not fits:
            continue
        data = g4_tiff(image)
        if len(data) <= limit:
            return data
    raise ImageTooLarge(f"{len(rows)} rows do not fit {size} within {limit} bytes")


def photo(seed: str, limit: int, size: tuple[int, int] = (120, 150)) -> bytes:
    """A drawn head-and-shoulders figure in colours derived from ``seed``, as JPEG 2000
    (JP2) compressed until it fits ``limit`` bytes."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    w, h = size
    background = (200 + digest[0] % 50, 205 + digest[1] % 45, 210 + digest[2] % 40)
    skin = (150 + digest[3] % 90, 110 + digest[4] % 80, 80 + digest[5] % 70)
    clothes = (digest[6] % 160, digest[7] % 160, 60 + digest[8] % 160)
    hair = (digest[9] % 90, digest[10] % 70, digest[11] % 60)
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    draw.rectangle((w * 0.12, h * 0.68, w * 0.88, h), fill=clothes)
    draw.ellipse((w * 0.27, h * 0.12, w * 0.73, h * 0.62), fill=skin)
    draw.chord((w * 0.25, h * 0.08, w * 0.75, h * 0.45), 180, 360, fill=hair)
    for x in (0.4, 0.6):
        draw.ellipse((w * x - 4, h * 0.36 - 3, w * x + 4, h * 0.36 + 3), fill=(30, 30, 30))
    draw.arc((w * 0.4, h * 0.44, w * 0.6, h * 0.54), 20, 160, fill=(120, 40, 40), width=2)
    draw.text((4, h - 12), "TEST", font=font(10, False), fill=(255, 0, 0))
    for ratio in (12, 16, 24, 32, 48, 64, 96):
        out = io.BytesIO()
        image.save(out, "JPEG2000", quality_mode="rates", quality_layers=[ratio],
                   irreversible=True)
        if out.tell() <= limit:
            return out.getvalue()
    raise ImageTooLarge(f"photo does not fit {limit} bytes")


# --- the first-generation card face ---------------------------------------------------------


@dataclass(frozen=True)
class FrontFace:
    """What the front side of a first-generation card shows (synthetic persona data)."""

    special: bool  # 特別永住者証明書 (no status, period or permission)
    name: str
    birth_date: dt.date
    sex: str  # "male" | "female" | other
    nationality: str
    address: str
    card_expiry: dt.date
    card_number: str
    status: str = ""
    work: str = ""
    period: str = ""  # "5年", "3年6月", "無期限"
    residence_expiry: dt.date | None = None  # None: 無期限 (or a special permanent resident)
    permission_kind: str = ""
    permission_date: dt.date | None = None
    issue_date: dt.date | None = None
    blank: bool = False  # some under-16 cards carry an empty front image


def face_date(day: dt.date) -> str:
    """A date as the card face prints it: 2029年12月31日."""
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


_SEX_FACE = {"male": "男 M.", "female": "女 F."}


def _pitch(size: int) -> int:
    return size + max(2, size // 6)


def _fit(draw: ImageDraw.ImageDraw, text: str, box: layout.Box, sizes: Sequence[int],
         lines: int = 1) -> tuple[list[str], Font, int]:
    """The largest font of ``sizes`` at which ``text`` wraps into at most ``lines`` lines of
    the box's width and height."""
    fnt: Font = font(sizes[-1], True)
    wrapped = [text]
    for size in sizes:
        fnt = font(size, True)
        wrapped = _wrap(text, box.w, fnt, draw)
        if len(wrapped) <= lines and len(wrapped) * _pitch(size) <= box.h:
            return wrapped, fnt, size
    return wrapped[:lines], fnt, sizes[-1]


def _put(draw: ImageDraw.ImageDraw, text: str, box: layout.Box, sizes: Sequence[int],
         lines: int = 1) -> None:
    """``text`` inside ``box``: every pixel of ink stays in the box (the date reader crops
    by these boxes), vertically centred."""
    if not text:
        return
    wrapped, fnt, size = _fit(draw, text, box, sizes, lines)
    pitch = _pitch(size)
    top = box.y + max(0, (box.h - len(wrapped) * pitch) // 2)
    for i, line in enumerate(wrapped):
        # "lm": y is the middle of the line (between ascender and descender)
        draw.text((box.x, top + i * pitch + pitch // 2), line, font=fnt, fill=0, anchor="lm")


def _figure(draw: ImageDraw.ImageDraw, box: layout.Box) -> None:
    """A line drawing where the photo is printed (the real photo is the separate JPEG 2000)."""
    x0, y0, x1, y1 = box.bounds
    draw.rectangle((x0, y0, x1, y1), outline=0, width=1)
    cx = (x0 + x1) // 2
    draw.ellipse((cx - 30, y0 + 25, cx + 30, y0 + 100), outline=0, width=2)
    draw.arc((cx - 60, y0 + 110, cx + 60, y1 + 60), 180, 360, fill=0, width=2)


def front_image(face: FrontFace, limit: int) -> bytes:
    """The card face as a 640 x 404 bilevel G4 TIFF of at most ``limit`` bytes, laid out by
    ``cardtool.cards.residence.front_layout`` with Japanese text in a CJK font."""
    image = Image.new("1", (layout.WIDTH, layout.HEIGHT), 1)
    if face.blank:
        return g4_tiff(image)
    draw = ImageDraw.Draw(image)
    label_font = font(12, True)
    title = "特別永住者証明書" if face.special else "在留カード"
    draw.text((layout.TITLE.x, layout.TITLE.y), title, font=font(24, True), fill=0)
    _put(draw, f"番号 {face.card_number}", layout.NUMBER, (16, 14))
    for key, (label, x, box) in layout.LABELS.items():
        if face.special and key not in layout.SPECIAL_FIELDS:
            continue
        draw.text((x, box.y + 2), label, font=label_font, fill=0)
    _put(draw, face.name, layout.NAME, (20, 18, 16, 14, 13, 12, 11, 10), lines=2)
    date_sizes = (layout.DATE_FONT,)
    _put(draw, face_date(face.birth_date), layout.VALUE_BOXES[layout.BIRTH_DATE], date_sizes)
    _put(draw, _SEX_FACE.get(face.sex, "-"), layout.SEX, (18,))
    _put(draw, face.nationality, layout.NATIONALITY, (16, 14, 12))
    _put(draw, face.address, layout.ADDRESS, (16, 14, 13, 12, 11, 10), lines=2)
    if not face.special:
        _put(draw, face.status, layout.STATUS, (16, 14, 12))
        _put(draw, face.work, layout.WORK, (14, 12, 11))
        period = face.period or "無期限"
        if face.residence_expiry is not None:
            period = f"{face.period}（{face_date(face.residence_expiry)}）"
        _put(draw, period, layout.VALUE_BOXES[layout.RESIDENCE_EXPIRY], date_sizes)
        _put(draw, face.permission_kind, layout.PERMISSION_KIND, (14, 12, 11))
        if face.permission_date is not None:
            _put(draw, face_date(face.permission_date),
                 layout.VALUE_BOXES[layout.PERMISSION_DATE], (20,))
        if face.issue_date is not None:
            _put(draw, face_date(face.issue_date), layout.VALUE_BOXES[layout.ISSUE_DATE], (20,))
    _put(draw, f"このカードは{face_date(face.card_expiry)}まで有効です。",
         layout.VALUE_BOXES[layout.CARD_EXPIRY], date_sizes)
    _figure(draw, layout.PHOTO)
    draw.text((layout.SPECIMEN.x, layout.SPECIMEN.y), SPECIMEN, font=font(11, False), fill=0)
    data = g4_tiff(image)
    if len(data) > limit:
        raise ImageTooLarge(f"front image {len(data)} bytes, at most {limit}")
    return data
