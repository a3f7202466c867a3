"""Text rendering of reports (ja/en). JSON comes from the reports' own to_json()."""

from __future__ import annotations

import datetime as dt
import unicodedata

from cardtool.card_kind import CardKind, kind_label
from cardtool.cli.render_authenticity import authenticity_lines
from cardtool.day_words import days_text
from cardtool.i18n import Messages, pick
from cardtool.jst import days_left
from cardtool.services.read import (
    EXPIRY_NOT_ON_CARD_FACE,
    KeyStatus,
    MaskedCertificate,
    MyNumberReport,
)

#: Where the card's expiry came from. None of these is signed by the issuer (spec §2.5: DF29
#: comes after DF28), so each says so.
SOURCE_NAMES = {
    "get-data-f2": ("card data (GET DATA), not signed", "カード内データ(GET DATA・署名なし)"),
    "common-df-record": ("card data (common DF record), not signed",
                         "カード内データ(共通DF・署名なし)"),
    "card-face-df29": ("card face (券面事項確認AP DF29), not signed",
                       "券面事項確認AP(DF29・署名なし)"),
}
SEX_NAMES = {"male": ("male", "男"), "female": ("female", "女"),
             "not-applicable": ("not applicable", "適用不能"), "unknown": ("unknown", "不明")}


MESSAGES = Messages({
    "expired": ("{day} (EXPIRED, {ago})", "{day}(期限切れ: {ago})"),
    "expires_today": ("{day} (expires today)", "{day}(本日まで)"),
    "days_left": ("{day} ({left})", "{day}({left})"),
    "blocked": ("BLOCKED", "ロック中"),
    "smartphone": ("This is a smartphone JPKI token; cardtool reads cards.",
                   "スマートフォン用電子証明書です(カードではありません)。"),
    "expiry_not_on_face": ("not on the card face (DF29 holds no date): see the printed card",
                           "券面事項(DF29)に日付がありません。カード券面を確認してください"),
    "expiry_with_face": ("this card gives it only with the card face: use --face (照合番号B)",
                         "このカードは券面事項でのみ提供します。--face(照合番号B)で読めます"),
    "signing_present": ("present", "あり"),
    "signing_none": ("none (cards of people under 15 have none)", "なし"),
    "redacted": (" (redacted in the trace)", " (トレースで秘匿化済み)"),
    "check_digit_mismatch": (" (check digit mismatch)", " (チェックデジット不一致)"),
    "not_signed": ("  [not signed]", "  [署名なし]"),
})


def display_width(text: str) -> int:
    """Terminal columns: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def when(day: dt.date, today: dt.date, lang: str) -> str:
    n = days_left(day, today)
    if n < 0:
        return MESSAGES("expired", lang, day=day.isoformat(), ago=days_text(n, lang))
    if n == 0:
        return MESSAGES("expires_today", lang, day=day.isoformat())
    return MESSAGES("days_left", lang, day=day.isoformat(), left=days_text(n, lang))


def pin_line(statuses: dict[str, KeyStatus], lang: str) -> str:
    parts = []
    for name, s in statuses.items():
        if s.remaining is None:
            value = "?"
        elif s.remaining == 0:
            value = MESSAGES("blocked", lang)
        else:
            value = f"{s.remaining}/{s.key.max_tries}"
        parts.append(f"{name} {value}")
    return ", ".join(parts)


def render_mynumber(report: MyNumberReport, lang: str, show_number: bool) -> list[str]:
    today = report.today
    d = report.detection

    def row(en: str, jp: str, value: str) -> str:
        label = pick((en, jp), lang) + ":"
        return label + " " * max(1, 23 - display_width(label)) + value

    lines = [row("Card", "カード種別", kind_label(d.kind, lang))]
    if d.kind is CardKind.JPKI_SMARTPHONE:
        lines.append(MESSAGES("smartphone", lang))
        return lines
    if report.card_expiry is not None:
        src = pick(SOURCE_NAMES[report.card_expiry.source.value], lang)
        lines.append(row("Card expiry", "カード有効期限",
                         f"{when(report.card_expiry.date, today, lang)}  [{src}]"))
    elif report.card_expiry_unavailable == EXPIRY_NOT_ON_CARD_FACE:
        lines.append(row("Card expiry", "カード有効期限", MESSAGES("expiry_not_on_face", lang)))
    else:
        lines.append(row("Card expiry", "カード有効期限", MESSAGES("expiry_with_face", lang)))
    cert = report.auth_certificate
    if cert is not None:
        lines.append(row("Auth certificate", "利用者証明用証明書",
                         f"{cert.not_before.date().isoformat()} – "
                         f"{when(cert.not_after.date(), today, lang)} JST"))
        lines.append(row("  Issuer", "  発行者", cert.issuer))
        lines.append(row("  Serial", "  シリアル番号", f"{cert.serial:X}"))
    if report.signing_certificate_present is not None:
        present = report.signing_certificate_present
        lines.append(row("Signing certificate", "署名用証明書",
                         MESSAGES("signing_present" if present else "signing_none", lang)))
    if report.pins:
        lines.append(row("PIN tries left", "暗証番号の残り回数", pin_line(report.pins, lang)))
    if report.my_number is not None:
        number = report.my_number.digits if show_number else report.my_number.masked()
        ok = report.my_number.check_digit_ok
        if report.my_number.redacted:
            note = MESSAGES("redacted", lang)
        else:
            note = "" if ok else MESSAGES("check_digit_mismatch", lang)
        lines.append(row("My Number", "個人番号", number + note))
    if report.basic_info is not None:
        b = report.basic_info
        lines.append(row("Name", "氏名", b.name))
        lines.append(row("Address", "住所", b.address))
        lines.append(row("Birth date", "生年月日",
                         b.birth_date.isoformat() if b.birth_date else b.birth_date_text))
        lines.append(row("Sex", "性別", pick(SEX_NAMES.get(b.sex, ("?", "?")), lang)))
    if report.face is not None:
        f = report.face
        lines.append(row("Face: birth date", "券面: 生年月日",
                         f.birth_date.isoformat() if f.birth_date else f.birth_date_text))
        lines.append(row("Face: sex", "券面: 性別", pick(SEX_NAMES.get(f.sex, ("?", "?")), lang)))
        lines.append(row("Face: card expiry", "券面: 有効期限",
                         (when(f.card_expiry, today, lang) if f.card_expiry
                          else f.card_expiry_text) + MESSAGES("not_signed", lang)))
    sc = report.signing_certificate
    if isinstance(sc, MaskedCertificate):
        lines.append(row("Signing certificate", "署名用証明書",
                         sc.subject + MESSAGES("redacted", lang)))
    elif sc is not None:
        lines.append(row("Signing certificate", "署名用証明書",
                         f"{sc.not_before.date().isoformat()} – "
                         f"{when(sc.not_after.date(), today, lang)} JST"))
        lines.append(row("  Subject", "  主体者", sc.subject))
    if report.authenticity is not None:
        lines += authenticity_lines(report.authenticity, lang, row)
    return lines
