"""Names of the expiry rules' dates, levels, kinds and sources in Japanese and English, and
the days-left wording: shared by the terminal (``cardtool.cli.expiry_render``) and the desk
(``cardtool.desk``)."""

from __future__ import annotations

from cardtool.expiry import LEVEL_NAMES, DateField, Level
from cardtool.office_report import KIND_LABELS

FIELD_NAMES: dict[DateField, tuple[str, str]] = {
    DateField.RESIDENCE: ("period of stay", "在留期間満了日"),
    DateField.CARD: ("card expiry", "カード有効期限"),
    DateField.CERTIFICATE: ("certificates", "電子証明書"),
}
SOURCE_NAMES: dict[str, tuple[str, str]] = {
    "typed": ("typed by staff", "手入力"),
    "ocr": ("read from the card image — confirm against the card",
            "カード画像から読取 — カードで確認してください"),
    "confirmed": ("read from the card image, confirmed by staff", "カード画像から読取・確認済み"),
    "chip": ("chip", "ICチップ"),
    "certificate": ("certificate", "証明書"),
    "get-data-f2": ("card data (GET DATA)", "カード内データ(GET DATA)"),
    "common-df-record": ("card data (common DF record)", "カード内データ(共通DF)"),
    "card-face-df29": ("card face (券面事項確認AP)", "券面事項確認AP"),
    "residence-c5": ("residence data (C5)", "在留AP(C5)"),
}


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "ja" else pair[0]


def level_name(level: Level, lang: str) -> str:
    return pick(LEVEL_NAMES[level], lang)


def kind_name(kind: str, lang: str) -> str:
    return pick(KIND_LABELS.get(kind, (kind, kind)), lang)


def days_text(days: int, lang: str) -> str:
    if lang == "ja":
        if days < 0:
            return f"{-days}日経過"
        return "本日まで" if days == 0 else f"残り{days}日"
    if days < 0:
        return f"{-days} days ago"
    return "last day today" if days == 0 else f"{days} days left"
