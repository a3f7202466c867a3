"""A family of first-generation card faces: the same printed fields as the real front side
(spec §6: 在留カード / 特別永住者証明書), drawn at a random size, in one of several Japanese
fonts, with random margins, row spacing, label placement, line breaks and scanner-like noise.

The layout-free date reader (``cardtool.front_dates``) is measured on these faces; nothing in
the reader knows them. A ``FaceLayout`` comes from a seed and a font key, so a persona can ask
for one (``extra.front_layout``: ``{"seed": 7, "font": "ipa-mincho", "width": 720}``) and a
benchmark can draw thousands.

The fields keep the real card's order — title and number; 氏名; 生年月日, 性別, 国籍・地域;
住居地; 在留資格; 就労制限の有無; 在留期間(満了日); 許可の種類; 許可年月日, 交付年月日;
「このカードは…まで有効です。」 — but which of them share a row, whether a label stands left of
its value or above it, and where lines break, vary. Synthetic only (TEST SPECIMEN).
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from cardtool.virtual.drawing import g4_tiff
from cardtool.virtual.residence_images import (
    SPECIMEN,
    FrontFace,
    ImageTooLarge,
    face_date,
)

#: Japanese fonts from Debian packages (fonts-noto-cjk, fonts-ipafont-gothic,
#: fonts-ipafont-mincho, fonts-takao-gothic, fonts-vlgothic), in their proportional cuts: the
#: fixed-pitch IPA Gothic / Takao Gothic draw a dotted zero, which Tesseract reads as 6 or
#: 9 (a card printer's proportional face does not).
FONT_FILES: dict[str, tuple[str, int]] = {
    "noto-sans": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0),
    "noto-serif": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 0),
    "ipa-pgothic": ("/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf", 0),
    "ipa-pmincho": ("/usr/share/fonts/opentype/ipafont-mincho/ipamp.ttf", 0),
    "takao-pgothic": ("/usr/share/fonts/truetype/takao-gothic/TakaoPGothic.ttf", 0),
    "vl-pgothic": ("/usr/share/fonts/truetype/vlgothic/VL-PGothic-Regular.ttf", 0),
    # Never drawn while the reader was written: bench/ocr_accuracy.py's "fresh" set only
    # (fonts-noto-cjk's bold weight; fonts-takao-mincho).
    "noto-sans-bold": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 0),
    "takao-pmincho": ("/usr/share/fonts/truetype/takao-mincho/TakaoPMincho.ttf", 0),
}

#: The card's aspect (ID-1: 85.60 x 53.98 mm).
ASPECT = 53.98 / 85.60

Box = tuple[int, int, int, int]  # left, top, right, bottom (pixels of the drawn image)


class FontMissing(Exception):
    """The font a layout asks for is not installed."""


def available_fonts() -> tuple[str, ...]:
    return tuple(k for k, (path, _) in FONT_FILES.items() if Path(path).exists())


@lru_cache(maxsize=256)
def _font(key: str, size: int) -> ImageFont.FreeTypeFont:
    path, index = FONT_FILES[key]
    try:
        return ImageFont.truetype(path, max(6, size), index=index)
    except OSError:
        raise FontMissing(f"font {key!r} ({path}) is not installed") from None


@dataclass(frozen=True)
class FaceLayout:
    """How one face is drawn (all random choices, fixed by ``seed``)."""

    seed: int
    font: str
    width: int
    margin: float  # left/top margin, fraction of the width
    value_size: float  # date/value font size at 640 px wide
    label_size: float
    row_gap: float  # extra space between rows, fraction of the value size
    labels_above: bool  # a label above its value instead of left of it
    label_column: bool  # values aligned in one column after the widest label (when left)
    split_period_label: bool  # 在留期間 / (満了日) on two lines
    one_row_dates: bool  # 許可年月日 and 交付年月日 side by side (else two rows)
    birth_row_shared: bool  # 性別 and 国籍・地域 on the birth date's row
    expiry_wrap: bool  # 「このカードは」 on one line, the date on the next
    full_width_digits: bool  # dates printed with full-width digits
    photo_right: float  # the photo's width, fraction of the card width
    rotation: float  # degrees
    blur: float  # Gaussian radius at 640 px
    speckle: float  # fraction of pixels flipped black
    jpeg_quality: int  # 0: no JPEG round trip
    threshold: int  # bilevel threshold after the noise

    @property
    def height(self) -> int:
        return round(self.width * ASPECT)


def random_layout(seed: int, font: str, width: int | None = None, noise: bool = True
                  ) -> FaceLayout:
    """The layout drawn from ``seed`` in ``font`` (a ``FONT_FILES`` key)."""
    if font not in FONT_FILES:
        raise FontMissing(f"unknown font {font!r}; one of {', '.join(FONT_FILES)}")
    rng = random.Random(f"face-layout-{seed}")
    chosen_width = width or int(rng.choice((rng.uniform(400, 900), rng.uniform(600, 2000))))
    quiet = not noise
    return FaceLayout(
        seed=seed, font=font, width=chosen_width,
        margin=rng.uniform(0.01, 0.05), value_size=rng.uniform(16, 22),
        label_size=rng.uniform(12.5, 16), row_gap=rng.uniform(0.1, 0.6),
        labels_above=rng.random() < 0.2, label_column=rng.random() < 0.5,
        split_period_label=rng.random() < 0.3, one_row_dates=rng.random() < 0.6,
        birth_row_shared=rng.random() < 0.6, expiry_wrap=rng.random() < 0.25,
        full_width_digits=rng.random() < 0.2,
        photo_right=rng.uniform(0.18, 0.26),
        rotation=0.0 if quiet else rng.uniform(-1.2, 1.2),
        blur=0.0 if quiet else rng.choice((0.0, 0.0, rng.uniform(0.2, 0.5))),
        speckle=0.0 if quiet else rng.choice((0.0, rng.uniform(0.0005, 0.004))),
        jpeg_quality=0 if quiet else rng.choice((0, 0, rng.randint(50, 90))),
        threshold=rng.randint(150, 190))


_FULL = str.maketrans("0123456789", "０１２３４５６７８９")
_SEX = {"male": "男 M.", "female": "女 F."}


@dataclass
class _Pen:
    """Draws text rows top-down, wrapping long values, and remembers where dates went."""

    draw: ImageDraw.ImageDraw
    layout: FaceLayout
    scale: float
    x0: int
    right: int  # the text area's right edge
    y: int
    boxes: dict[str, Box]

    def font(self, size: float) -> ImageFont.FreeTypeFont:  # .size: whole pixels
        # never below what a person could read on the stored image
        return _font(self.layout.font, max(11, round(size * self.scale)))

    def _text(self, xy: tuple[int, int], text: str, fnt: ImageFont.FreeTypeFont) -> Box:
        self.draw.text(xy, text, font=fnt, fill=0)
        left, top, right, bottom = self.draw.textbbox(xy, text, font=fnt)
        return int(left), int(top), int(right), int(bottom)

    def _wrap(self, text: str, fnt: ImageFont.FreeTypeFont, width: int) -> list[str]:
        lines: list[str] = []
        current = ""
        for ch in text:
            if current and self.draw.textlength(current + ch, font=fnt) > width:
                lines.append(current)
                current = ch.lstrip()
            else:
                current += ch
        return [*lines, current] if current else lines

    def row(self, items: Sequence[tuple[str, str, str | None]], value_size: float | None = None,
            label_width: int = 0) -> None:
        """One printed row: (label, value, date field name or None) side by side."""
        lay = self.layout
        vfont = self.font(value_size or lay.value_size)
        lfont = self.font(lay.label_size)
        vsize, lsize = int(vfont.size), int(lfont.size)
        pitch = round(vsize * 1.25)
        gap = round(vsize * (0.6 + lay.row_gap))
        x = self.x0
        bottom = self.y
        share = (self.right - self.x0) // max(1, len(items))
        for label, value, date_field in items:
            top = self.y
            label_lines = [label]
            if label == "在留期間(満了日)" and lay.split_period_label:
                label_lines = ["在留期間", "(満了日)"]
            lw = max((int(self.draw.textlength(t, font=lfont)) for t in label_lines),
                     default=0) if label else 0
            if lay.labels_above:
                ly = top
                for t in label_lines:
                    self._text((x, ly), t, lfont)
                    ly += round(lsize * 1.2)
                vx, vy = x, ly + round(lsize * 0.2)
                width = share - round(vsize * 0.8) if len(items) > 1 else self.right - x
            else:
                ly = top + max(0, (vsize - lsize) // 2)
                for t in label_lines:
                    self._text((x, ly), t, lfont)
                    ly += round(lsize * 1.15)
                column = max(lw, label_width if len(items) == 1 or x == self.x0 else 0)
                vx = x + column + round(lsize * 0.9) if label else x
                vy = top
                width = (x + share - vx - round(vsize * 0.8) if len(items) > 1
                         else self.right - vx)
            # A date is never broken (the card prints it on one line), other values wrap.
            lines = ([value] if date_field else
                     self._wrap(value, vfont, max(width, vsize * 3)) if value else [])
            if date_field == "card_expiry":
                head = "このカードは"
                lines = ([head, value[len(head):]] if lay.expiry_wrap
                         else self._wrap(value, vfont, max(width, vsize * 3)))
            end_x = vx
            ly_value = vy
            for line in lines:
                box = self._text((vx, ly_value), line, vfont)
                end_x = max(end_x, box[2])
                if date_field:
                    old = self.boxes.get(date_field)
                    self.boxes[date_field] = box if old is None else (
                        min(old[0], box[0]), min(old[1], box[1]), max(old[2], box[2]),
                        max(old[3], box[3]))
                ly_value += pitch
            bottom = max(bottom, ly_value, ly)
            x = max(end_x + round(vsize * 1.2), x + share) if len(items) > 1 else end_x
        self.y = bottom + gap - pitch + vsize


def draw_face(face: FrontFace, layout: FaceLayout) -> tuple[Image.Image, dict[str, Box]]:
    """The face as a bilevel image in ``layout`` and the pixel box of each date field's
    printed value (``birth_date``, ``residence_expiry``, ``permission_date``, ``issue_date``,
    ``card_expiry``) before noise and rotation. The text shrinks until every row fits."""
    scale = layout.width / 640
    footer = round(layout.margin * layout.width + 14 * layout.width / 640)
    for _ in range(6):
        image, boxes, bottom = _draw(face, layout, scale, layout.height)
        if bottom <= layout.height - footer:
            break
        scale *= max(0.5, (layout.height - footer) / bottom) * 0.98
    else:
        # The smallest readable text does not fit the card's aspect: a taller image.
        image, boxes, bottom = _draw(face, layout, scale, bottom + footer)
    return _noisy(image, layout), boxes


def _draw(face: FrontFace, layout: FaceLayout, scale: float, height: int
          ) -> tuple[Image.Image, dict[str, Box], int]:
    width = layout.width
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    margin = round(layout.margin * width)
    photo_w = round(layout.photo_right * width)
    pen = _Pen(draw, layout, scale, margin, width - photo_w - 2 * margin, margin, {})
    if face.blank:
        return image, {}, 0

    def date(day: object) -> str:
        assert hasattr(day, "year")
        text = face_date(day)  # type: ignore[arg-type]
        return text.translate(_FULL) if layout.full_width_digits else text

    title = "特別永住者証明書" if face.special else "在留カード"
    title_font = pen.font(layout.value_size * 1.15)
    pen._text((margin, pen.y), title, title_font)
    number_font = pen.font(layout.label_size * 1.2)
    pen._text((width - margin - int(draw.textlength(f"番号 {face.card_number}",
                                                    font=number_font)), pen.y),
              f"番号 {face.card_number}", number_font)
    pen.y += round(title_font.size * (1.4 + layout.row_gap))
    labels = ["氏名", "生年月日", "住居地"] + ([] if face.special else [
        "在留資格", "就労制限の有無", "在留期間(満了日)", "許可の種類", "許可年月日"])
    lfont = pen.font(layout.label_size)
    column = (max(int(draw.textlength("在留期間" if layout.split_period_label else t,
                                      font=lfont)) for t in labels)
              if layout.label_column else 0)
    pen.row([("氏名", face.name, None)], label_width=column)
    birth = ("生年月日", date(face.birth_date), "birth_date")
    sex = ("性別", _SEX.get(face.sex, "-"), None)
    nation = ("国籍・地域", face.nationality, None)
    if layout.birth_row_shared:
        pen.row([birth, sex], label_width=column)
        pen.row([nation], label_width=column)
    else:
        pen.row([birth], label_width=column)
        pen.row([sex, nation], label_width=column)
    pen.row([("住居地", face.address, None)], layout.value_size * 0.8, label_width=column)
    if not face.special:
        pen.row([("在留資格", face.status, None)], layout.value_size * 0.8, label_width=column)
        pen.row([("就労制限の有無", face.work, None)], layout.value_size * 0.75,
                label_width=column)
        period = face.period or "無期限"
        if face.residence_expiry is not None:
            period = f"{face.period}（{date(face.residence_expiry)}）"
        pen.row([("在留期間(満了日)", period, "residence_expiry")], label_width=column)
        pen.row([("許可の種類", face.permission_kind, None)], layout.value_size * 0.75,
                label_width=column)
        permission = [("許可年月日", date(face.permission_date), "permission_date")
                      if face.permission_date else None,
                      ("交付年月日", date(face.issue_date), "issue_date")
                      if face.issue_date else None]
        present = [p for p in permission if p is not None]
        if layout.one_row_dates and present:
            pen.row(present, layout.value_size * 0.9, label_width=column)
        else:
            for p in present:
                pen.row([p], layout.value_size * 0.9, label_width=column)
    pen.right = width - margin
    pen.row([("", f"このカードは{date(face.card_expiry)}まで有効です。", "card_expiry")])
    bottom = max(b[3] for b in pen.boxes.values())
    # The photo's place, a frame with a drawn figure (the real photo is a separate file).
    px0, py0 = width - margin - photo_w, round(height * 0.14)
    px1, py1 = width - margin, min(height - margin, py0 + round(photo_w * 1.3))
    draw.rectangle((px0, py0, px1, py1), outline=0, width=max(1, round(scale)))
    cx = (px0 + px1) // 2
    r = photo_w // 4
    draw.ellipse((cx - r, py0 + r // 2, cx + r, py0 + r * 3), outline=0,
                 width=max(1, round(2 * scale)))
    small = _font(layout.font, max(7, round(8 * layout.width / 640)))
    draw.text((margin, height - margin - small.size), SPECIMEN, font=small, fill=0)
    return image, pen.boxes, bottom


def _noisy(image: Image.Image, layout: FaceLayout) -> Image.Image:
    """Scanner-like damage, then the card image's 1 bit per pixel."""
    rng = random.Random(f"face-noise-{layout.seed}")
    scale = layout.width / 640
    if layout.rotation:
        image = image.rotate(layout.rotation, resample=Image.Resampling.BILINEAR,
                             expand=False, fillcolor=255)
    if layout.blur:
        image = image.filter(ImageFilter.GaussianBlur(layout.blur * scale))
    if layout.jpeg_quality:
        out = io.BytesIO()
        image.save(out, "JPEG", quality=layout.jpeg_quality)
        out.seek(0)
        with Image.open(out) as decoded:
            image = decoded.convert("L")
    if layout.speckle:
        pixels = image.load()
        assert pixels is not None
        dots = int(layout.speckle * image.width * image.height)
        for _ in range(dots):
            pixels[rng.randrange(image.width), rng.randrange(image.height)] = 0
    return image.point(lambda v: 255 if v > layout.threshold else 0).convert("1")


def front_image_in_layout(face: FrontFace, layout: FaceLayout, limit: int) -> bytes:
    """The face as a bilevel G4 TIFF (the chip's DF1/EF01) of at most ``limit`` bytes."""
    image, _ = draw_face(face, layout)
    stored = g4_tiff(image)
    if len(stored) > limit:
        raise ImageTooLarge(f"front image {len(stored)} bytes in layout {layout.seed}/"
                            f"{layout.font} ({layout.width} px), at most {limit}")
    return stored


__all__ = ["FONT_FILES", "FaceLayout", "FontMissing", "available_fonts", "draw_face",
           "front_image_in_layout", "random_layout"]
