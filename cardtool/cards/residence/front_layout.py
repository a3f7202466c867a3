"""The names of the first-generation card face's date fields (shared by the date reader,
``cardtool/front_dates.py``, and the virtual cards), and where cardtool's classic drawing
(``cardtool/virtual/residence_images.py``) puts its entries in the front image (DF1/EF01, a
1-bit TIFF G4 of at most 7000 bytes). The reader does **not** use these positions: it finds
the labels and dates by their text, on images of any size and arrangement.

The layout follows the printed card (在留カード / 特別永住者証明書, front side): 氏名, 生年月日
and 性別, 国籍・地域, 住居地, 在留資格, 就労制限の有無, 在留期間(満了日), 許可の種類,
許可年月日 and 交付年月日, and the line 「このカードは YYYY年MM月DD日まで有効です。」. Pixel
positions are those of cardtool's rendering at 640 x 404 (about 190 dpi). The size and
positions of real cards' front images are not published (spec §6); other layouts are drawn by
``cardtool/virtual/front_family.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 640
HEIGHT = 404


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def bounds(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.x + self.w, self.y + self.h


# Fields whose value is a date, and where the value is drawn (label to the left of it).
BIRTH_DATE = "birth_date"
RESIDENCE_EXPIRY = "residence_expiry"  # the 在留期間(満了日) row: 5年（2029年12月31日） or 無期限
PERMISSION_DATE = "permission_date"
ISSUE_DATE = "issue_date"
CARD_EXPIRY = "card_expiry"  # このカードは 2029年12月31日まで有効です。

VALUE_BOXES: dict[str, Box] = {
    BIRTH_DATE: Box(84, 84, 200, 32),
    RESIDENCE_EXPIRY: Box(132, 228, 340, 34),
    PERMISSION_DATE: Box(84, 290, 180, 30),
    ISSUE_DATE: Box(354, 290, 180, 30),
    CARD_EXPIRY: Box(4, 330, 490, 38),
}

#: Font sizes (pixels) of the date values as drawn.
DATE_FONT = 22

# Other parts of the face (drawing only).
TITLE = Box(8, 4, 300, 32)
NUMBER = Box(396, 8, 240, 24)
NAME = Box(60, 40, 424, 44)
SEX = Box(330, 84, 150, 32)
NATIONALITY = Box(100, 118, 380, 24)
ADDRESS = Box(84, 142, 400, 44)
STATUS = Box(100, 186, 380, 22)
WORK = Box(130, 208, 360, 20)
PERMISSION_KIND = Box(100, 266, 390, 22)
PHOTO = Box(500, 44, 130, 170)
SPECIMEN = Box(8, 382, 620, 18)

#: Label (left edge x, row box) of every field: the label is drawn at (x, box.y).
LABELS: dict[str, tuple[str, int, Box]] = {
    "name": ("氏名", 8, NAME),
    BIRTH_DATE: ("生年月日", 8, VALUE_BOXES[BIRTH_DATE]),
    "sex": ("性別", 290, SEX),
    "nationality": ("国籍・地域", 8, NATIONALITY),
    "address": ("住居地", 8, ADDRESS),
    "status": ("在留資格", 8, STATUS),
    "work": ("就労制限の有無", 8, WORK),
    RESIDENCE_EXPIRY: ("在留期間(満了日)", 8, VALUE_BOXES[RESIDENCE_EXPIRY]),
    "permission_kind": ("許可の種類", 8, PERMISSION_KIND),
    PERMISSION_DATE: ("許可年月日", 8, VALUE_BOXES[PERMISSION_DATE]),
    ISSUE_DATE: ("交付年月日", 278, VALUE_BOXES[ISSUE_DATE]),
}

#: The fields a special permanent resident certificate (特別永住者証明書) shows: no status,
#: no period of stay, no permission.
SPECIAL_FIELDS = frozenset({"name", BIRTH_DATE, "sex", "nationality", "address"})
