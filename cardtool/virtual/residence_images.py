"""Synthetic images for the virtual residence cards, drawn with Pillow: bilevel text images
as CCITT G4 (MMR) TIFF (the front side, the name, the address) and a drawn colour
"photo" as JPEG 2000, each within the size its card field allows.

Every image says TEST SPECIMEN. Latin text uses Pillow's bundled font; Japanese text needs
a CJK font (``CARDTOOL_CJK_FONT`` or a common system path) and is drawn as boxes without
one: the images are synthetic either way.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

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


def _g4(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("1").save(out, "TIFF", compression="group4")
    return out.getvalue()


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
        data = _g4(image)
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
