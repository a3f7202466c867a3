"""Synthetic images for the virtual cards (Pillow): 1-bit PNG text images, a JPEG 2000
"photo" (an abstract face drawn from a seed, never a real person), TIFF G4 front images.
Deterministic for the same input. Glyphs Pillow's built-in font lacks (e.g. kanji) come
out as boxes; that is fine for synthetic data."""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType size support
        return ImageFont.load_default()


def _text_image(lines: list[str], width: int, height: int, size: int) -> Image.Image:
    img = Image.new("1", (width, height), 1)
    draw = ImageDraw.Draw(img)
    y = 4
    for line in lines:
        draw.text((6, y), line, fill=0, font=_font(size))
        y += size + 4
    return img


@lru_cache(maxsize=64)
def text_png(text: str, width: int = 512, height: int = 64, size: int = 20) -> bytes:
    """A 1-bit PNG of ``text`` (lines split on newlines), like the card's name/address images."""
    out = io.BytesIO()
    _text_image(text.split("\n"), width, height, size).save(out, "PNG", optimize=True)
    return out.getvalue()


@lru_cache(maxsize=32)
def photo_jp2(seed: str, width: int = 120, height: int = 150) -> bytes:
    """An abstract portrait as JPEG 2000 (colours and shapes from ``seed``)."""
    h = hashlib.sha256(seed.encode()).digest()
    img = Image.new("RGB", (width, height), (200 + h[0] % 56, 210 + h[1] % 46, 220 + h[2] % 36))
    draw = ImageDraw.Draw(img)
    skin = (180 + h[3] % 60, 140 + h[4] % 60, 110 + h[5] % 60)
    draw.ellipse((30, 25, 90, 100), fill=skin)
    draw.rectangle((20, 105, 100, 150), fill=(h[6], h[7], h[8]))
    draw.ellipse((45, 50, 52, 57), fill=(20, 20, 20))
    draw.ellipse((68, 50, 75, 57), fill=(20, 20, 20))
    draw.arc((48, 65, 72, 85), 20, 160, fill=(90, 30, 30), width=2)
    out = io.BytesIO()
    img.save(out, "JPEG2000", quality_mode="rates", quality_layers=[40], irreversible=True)
    return out.getvalue()


def g4_tiff(image: Image.Image) -> bytes:
    """``image`` as a residence card stores its pictures of text: 1 bit per pixel,
    compressed with CCITT Group 4 (MMR), in TIFF."""
    out = io.BytesIO()
    image.convert("1").save(out, "TIFF", compression="group4")
    return out.getvalue()


@lru_cache(maxsize=32)
def tiff_g4(text: str, width: int = 600, height: int = 380, size: int = 18) -> bytes:
    """A 1-bit image compressed with CCITT Group 4 (MMR) in TIFF, like residence front images."""
    return g4_tiff(_text_image(text.split("\n"), width, height, size))
