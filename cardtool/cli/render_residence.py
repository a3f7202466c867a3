"""Text rendering (ja/en) of a residence-card read; JSON comes from ResidenceResult.to_json."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from apdu.trace import is_redacted_fill as is_masked
from cardtool.cli.expiry_render import face_lines
from cardtool.cli.render import display_width, when
from cardtool.cli.render_authenticity import authenticity_lines
from cardtool.i18n import Messages, pick
from cardtool.services.read_residence import (
    CardDate,
    FirstGenData,
    ResidenceResult,
    SecondGenData,
    SignatureStatus,
    ids,
    period_text,
)

MESSAGES = Messages({
    "redacted": ("(redacted in the trace)", "(トレースで秘匿化済み)"),
    "yes": ("yes", "あり"),
    "no": ("no", "なし"),
    "none": ("none", "なし"),
    "kind_first": ("{name_en} (first generation, type {code})", "{name_ja}(第1世代、種別 {code})"),
    "kind": ("{name_en} (type {code})", "{name_ja}(種別 {code})"),
    "number_differs": (" (differs from the number entered)", "(カード内の番号と入力が異なります)"),
    "in_image": ("only in the front image on first-generation cards "
                 "(no text on the chip; write it with --images DIR)",
                 "券面画像にのみ記録(第1世代のカードには文字データがありません。--images で出力)"),
    "municipality": ("municipality", "市区町村コード"),
    "image_only": ("image only (write it with --images DIR)", "画像のみ(--images で出力)"),
    "until": ("until", "期限"),
})


def pad_label(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def _when(day: CardDate | None, today: dt.date, lang: str) -> str:
    if day is None:
        return "-"
    if day.date is None:
        return day.text or "-"
    return when(day.date, today, lang)


def _redacted(lang: str) -> str:
    return MESSAGES("redacted", lang)


def _shown(text: str | None, lang: str, empty: str = "-") -> str:
    if is_masked(text):
        return _redacted(lang)
    return text or empty


def _yes_no(value: bool | None, lang: str, raw: str | None = None) -> str:
    if value is None:
        return _redacted(lang) if is_masked(raw) else "-"
    return MESSAGES("yes" if value else "no", lang)


_STATUS_TEXT = {
    SignatureStatus.VALID: ("VALID", "有効"),
    SignatureStatus.INVALID: ("INVALID", "無効"),
    SignatureStatus.NO_ANCHOR: ("NOT CHECKED AGAINST A TRUST ANCHOR", "トラストアンカー未検証"),
}


def render_text(result: ResidenceResult, lang: str) -> list[str]:
    today = result.today

    def row(en: str, jp: str, value: str) -> str:
        return pick((pad_label(f"{en}:", 26), pad_label(f"{jp}:", 22)), lang) + " " + value

    name_en, name_ja = ids.CARD_TYPE_NAMES[result.card_type]
    kind = MESSAGES("kind_first" if result.generation is ids.Generation.FIRST else "kind", lang,
                    name_en=name_en, name_ja=name_ja, code=result.card_type.value)
    specified = result.generation is ids.Generation.SPECIFIED
    lines = [row("Residence application" if specified else "Card",
                 "在留AP" if specified else "カード種別", kind)]
    if result.spec_version:
        lines.append(row("Spec version", "仕様バージョン", result.spec_version))
    number = result.masked_number
    if result.card_number_matches is False:
        number += MESSAGES("number_differs", lang)
    lines.append(row("Card number", "在留カード番号", number))
    if result.first is not None:
        lines.extend(_first_lines(result.first, lang, row))
        lines.extend(face_lines(result.face, lang))
    elif result.second is not None:
        lines.extend(_second_lines(result.second, today, lang, row))
    lines.append(row("Signature", "電子署名",
                     f"{pick(_STATUS_TEXT[result.signature.status], lang)}: "
                     f"{result.signature.reason(lang)}"))
    lines += authenticity_lines(result.authenticity, lang, row)
    images = result.images()
    if images:
        listing = ", ".join(f"{name} ({len(data):,} bytes)" for name, data in images.items())
        lines.append(row("Images", "画像", listing))
    return lines


Row = Callable[[str, str, str], str]


def _first_lines(f: FirstGenData, lang: str, row: Row) -> list[str]:
    in_image = MESSAGES("in_image", lang)
    lines = [row("Card expiry", "カード有効期限", in_image)]
    if f.card_type is ids.CardType.RESIDENCE_1:  # special permanent residents have none
        lines.append(row("Residence expiry", "在留期間満了日", in_image))
    for entry in f.addresses:
        if is_masked(entry.address):
            lines.append(row("Address", "住居地", _redacted(lang)))
            continue
        lines.append(row("Address", "住居地",
                         f"{entry.address}  [{entry.written.iso() or '-'}, "
                         f"{MESSAGES('municipality', lang)} "
                         f"{entry.municipality_code or '-'}]"))
    if f.card_type is ids.CardType.RESIDENCE_1:
        none = MESSAGES("none", lang)
        lines.append(row("Permission (general)", "資格外活動(包括)",
                         _shown(f.comprehensive_permission, lang, none)))
        lines.append(row("Permission (individual)", "資格外活動(個別)",
                         _shown(f.individual_permission, lang, none)))
        lines.append(row("Renewal pending", "在留期間更新等申請中",
                         _yes_no(f.renewal_pending, lang, f.renewal_pending_text)))
    return lines


def _second_lines(s: SecondGenData, today: dt.date, lang: str, row: Row) -> list[str]:
    e = s.entries
    lines = [row("Card expiry", "カード有効期限", _when(e.card_expiry, today, lang))]
    if e.residence_expiry is not None:
        lines.append(row("Residence expiry", "在留期間満了日",
                         _when(e.residence_expiry, today, lang)))
    elif s.card_type not in ids.SPECIAL_PERMANENT_TYPES:
        lines.append(row("Residence expiry", "在留期間満了日", "-"))
    sex = ids.SEX_CODES.get(e.sex)
    lines += [
        row("Name", "氏名", MESSAGES("image_only", lang)),
        row("Birth date", "生年月日", e.birth_date.iso() or "-"),
        row("Sex", "性別", pick((sex[1], sex[2]), lang) if sex else e.sex),
        row("Nationality (code)", "国籍・地域(コード)", e.nationality),
        row("Status (code)", "在留資格(コード)", e.status),
        row("Period of stay", "在留期間", f"{period_text(e.period_of_stay, lang)}"
                                          f" [{e.period_of_stay}]"),
    ]
    if e.permission_type is not None:
        date = e.permission_date.iso() if e.permission_date else "-"
        lines.append(row("Permission", "許可", f"{e.permission_type} ({date})"))
    if e.work_restriction is not None:
        work = ids.WORK_RESTRICTION_CODES.get(e.work_restriction)
        lines.append(row("Work restriction", "就労制限",
                         pick(work, lang) if work else e.work_restriction))
    if s.comprehensive_permission is not None:  # DF2/EF01 was read (type 05/07)
        masked = is_masked(s.comprehensive_permission)
        known = ids.COMPREHENSIVE_PERMISSION_CODES.get(s.comprehensive_permission)
        text = pick(known, lang) if known else _shown(s.comprehensive_permission, lang)
        expiry = s.comprehensive_permission_expiry
        if expiry is not None and not masked:
            text += f", {MESSAGES('until', lang)} " + _when(expiry, today, lang)
        lines.append(row("Permission (general)", "資格外活動(包括)", text))
        lines.append(row("Permission (individual)", "資格外活動(個別)",
                         _yes_no(s.individual_permission, lang, "*" if masked else None)))
    if s.card_type not in ids.SPECIAL_PERMANENT_TYPES or s.renewal_pending is not None:
        lines.append(row("Renewal pending", "在留期間更新等申請中",
                         _yes_no(s.renewal_pending, lang, s.renewal_pending_text)))
    lines.append(row("Address", "住居地", MESSAGES("image_only", lang)))
    if s.reserved_text:
        lines.append(row("Other entries", "その他の記載", _shown(s.reserved_text, lang)))
    return lines
