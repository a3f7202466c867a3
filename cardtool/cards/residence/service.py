"""Read a residence card end to end: the card type (free), then the card number (asked
only now, format-checked before any authentication APDU), authentication, every file the
card type has, the signature check; plus the text rendering and the PNG export.

The CLI calls ``read_residence``; ``render_text`` and ``to_json`` give what it prints.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from apdu.session import Session
from cardtool.cards.residence import ids
from cardtool.cards.residence import specified as specified_path
from cardtool.cards.residence.auth import Channel, authenticate, check_card_number
from cardtool.cards.residence.crypto import suite_for
from cardtool.cards.residence.parse import CardDate, FirstGenData, SecondGenData
from cardtool.cards.residence.reader import ResidenceReader, read_card_type, read_spec_version
from cardtool.cards.residence.signature import (
    SignatureCheck,
    SignatureStatus,
    check_signature,
    first_gen_signed_data,
    second_gen_signed_data,
)
from cardtool.errors import EXIT_CARD, CardtoolError, UnsupportedCard
from cardtool.images import write_pngs
from cardtool.jst import days_left, today_jst


class SpecifiedCardTypeUnreadable(CardtoolError):
    en = ("This card has the residence application of a 特定在留カード, but its card type "
          "could not be read there. cardtool's reading of the 特定在留カード layout is "
          "unverified (see README); please report this card model.")
    ja = ("このカードには特定在留カードの在留APがありますが、カード種別を読み取れませんでした。"
          "cardtool の特定在留カードの構成は未検証です(README 参照)。報告をお願いします。")
    exit_code = EXIT_CARD


#: Returns the card number as typed (prompt, stdin or environment). Called at most once,
#: and only when the card turned out to be a residence card.
CardNumberSource = Callable[[], str]


@dataclass(frozen=True)
class ResidenceOptions:
    trust_anchors: tuple[x509.Certificate, ...] = ()
    today: dt.date | None = None


def mask_card_number(number: str) -> str:
    """AB********CD: enough to tell cards apart, not enough to authenticate."""
    if len(number) != ids.CARD_NUMBER_LENGTH:
        return "*" * len(number)
    return number[:2] + "*" * 8 + number[-2:]


@dataclass
class ResidenceResult:
    card_type: ids.CardType
    today: dt.date
    signature: SignatureCheck
    spec_version: str | None = None
    first: FirstGenData | None = None
    second: SecondGenData | None = None
    #: Second generation: whether the number stored in DF1/EF01 equals the one verified.
    card_number_matches: bool | None = None
    apdu_count: int = 0
    #: The card number as shown: masked (AB********CD); the number itself is not kept.
    masked_number: str = ""

    @property
    def generation(self) -> ids.Generation:
        return ids.GENERATION_OF[self.card_type]

    @property
    def card_expiry(self) -> CardDate | None:
        return self.second.entries.card_expiry if self.second else None

    @property
    def residence_expiry(self) -> CardDate | None:
        return self.second.entries.residence_expiry if self.second else None

    @property
    def renewal_pending(self) -> bool | None:
        if self.first is not None:
            return self.first.renewal_pending
        return self.second.renewal_pending if self.second else None

    def images(self) -> dict[str, bytes]:
        """Image name -> bytes as read (TIFF G4 / JPEG 2000); empty ones left out."""
        if self.first is not None:
            pictures = {"front": self.first.front_image, "photo": self.first.photo}
        elif self.second is not None:
            pictures = {"name": self.second.name_image, "photo": self.second.photo,
                        "address": self.second.address_image}
        else:
            pictures = {}
        return {name: data for name, data in pictures.items() if data.strip(b"\x00")}

    def _date_json(self, value: CardDate | None) -> tuple[str | None, int | None]:
        if value is None:
            return None, None
        return value.iso(), (days_left(value.date, self.today) if value.date else None)

    def to_json(self) -> dict[str, Any]:
        card_expiry, card_left = self._date_json(self.card_expiry)
        residence_expiry, residence_left = self._date_json(self.residence_expiry)
        out: dict[str, Any] = {
            "generation": self.generation.value,
            "card_type": self.card_type.value,
            "card_type_name": ids.CARD_TYPE_NAMES[self.card_type][0],
            "spec_version": self.spec_version,
            "card_number": self.masked_number,
            "card_number_matches": self.card_number_matches,
            "card_expiry": card_expiry,
            "card_expiry_days_left": card_left,
            "residence_expiry": residence_expiry,
            "residence_expiry_days_left": residence_left,
            "renewal_pending": self.renewal_pending,
            "signature": self.signature.to_json(),
            "images": {name: len(data) for name, data in self.images().items()},
            "apdu_count": self.apdu_count,
        }
        if self.first is not None:
            out["note"] = ("first-generation cards hold the card expiry and the residence "
                           "expiry only in the front image (write it with --images)")
            out["fields"] = self._first_fields(self.first)
        elif self.second is not None:
            out["fields"] = self._second_fields(self.second)
        return out

    @staticmethod
    def _first_fields(f: FirstGenData) -> dict[str, Any]:
        return {
            "addresses": [{"written": a.written.iso(), "municipality_code": a.municipality_code,
                           "address": a.address} for a in f.addresses],
            "comprehensive_permission": f.comprehensive_permission,
            "individual_permission": f.individual_permission,
            "renewal_pending_code": f.renewal_pending_text,
        }

    def _second_fields(self, s: SecondGenData) -> dict[str, Any]:
        e = s.entries
        sex = ids.SEX_CODES.get(e.sex)
        work = ids.WORK_RESTRICTION_CODES.get(e.work_restriction or "")
        comprehensive = ids.COMPREHENSIVE_PERMISSION_CODES.get(s.comprehensive_permission or "")
        perm_expiry, perm_left = self._date_json(s.comprehensive_permission_expiry)
        return {
            "birth_date": e.birth_date.iso(),
            "sex": sex[0] if sex else None,
            "sex_code": e.sex,
            "nationality_code": e.nationality,
            "status_code": e.status,
            "period_of_stay": e.period_of_stay,
            "period_of_stay_text": period_text(e.period_of_stay, "en"),
            "permission_type": e.permission_type,
            "permission_date": e.permission_date.iso() if e.permission_date else None,
            "work_restriction_code": e.work_restriction,
            "work_restriction": work[0] if work else None,
            "comprehensive_permission_code": s.comprehensive_permission,
            "comprehensive_permission": comprehensive[0] if comprehensive else None,
            "comprehensive_permission_expiry": perm_expiry,
            "comprehensive_permission_expiry_days_left": perm_left,
            "individual_permission": s.individual_permission,
            "renewal_pending_code": s.renewal_pending_text,
            "commissioner_entry": s.commissioner_entry,
            "reserved_text": s.reserved_text or None,
        }


def period_text(code: str, lang: str) -> str:
    """Period of stay: YYMM years and months, DDD days, 0000 indefinite (spec §2)."""
    ja = lang == "ja"
    if code == ids.PERIOD_INDEFINITE:
        return "無期限" if ja else "indefinite"
    if len(code) == 4 and code.isdigit():
        years, months = int(code[:2]), int(code[2:])
        parts = []
        if years:
            parts.append(f"{years}年" if ja else f"{years} year{'s' * (years != 1)}")
        if months:
            parts.append(f"{months}月" if ja else f"{months} month{'s' * (months != 1)}")
        return ("" if ja else " ").join(parts) or code
    if len(code) == 3 and code.isdigit():
        return f"{int(code)}日" if ja else f"{int(code)} days"
    return code


def _verify(result_type: ids.CardType, first: FirstGenData | None,
            second: SecondGenData | None, check_code: bytes, certificate: bytes,
            anchors: list[x509.Certificate]) -> SignatureCheck:
    generation = ids.GENERATION_OF[result_type]
    if first is not None:
        data = first_gen_signed_data(first.front_image, first.photo)
    else:
        assert second is not None
        data = second_gen_signed_data(second.entries.entries, second.photo, second.name_image)
    return check_signature(generation, check_code, certificate, data, anchors)


def read_residence(session: Session, card_number: CardNumberSource,
                   options: ResidenceOptions | None = None, *,
                   card_type: ids.CardType | None = None,
                   specified: bool = False) -> ResidenceResult:
    """Read the residence card in ``session``. ``card_type``: when detection already read
    it (the current DF is then where it was found). ``specified``: detection found the
    在留AP on a My Number card chip (the card type is then read inside the AP)."""
    options = options or ResidenceOptions()
    if card_type is None:
        card_type = read_card_type(session)
        if card_type is None and specified:
            raise SpecifiedCardTypeUnreadable()
        if card_type is None:
            raise UnsupportedCard(atr="-")
    generation = ids.GENERATION_OF[card_type]
    if generation is ids.Generation.SPECIFIED:
        specified_path.select_residence_ap(session)
    spec_version = read_spec_version(session)
    typed = check_card_number(card_number())
    channel: Channel
    if generation is ids.Generation.SPECIFIED:
        channel = specified_path.authenticate(session, typed)
    else:
        channel = authenticate(session, suite_for(generation), typed)
    reader = ResidenceReader(session, channel)
    first = second = None
    if generation is ids.Generation.FIRST:
        first = reader.first_generation(card_type)
    else:
        second = reader.second_generation(card_type)
    block = reader.signature(generation)
    signature = _verify(card_type, first, second, block.check_code, block.certificate,
                        list(options.trust_anchors))
    result = ResidenceResult(
        card_type=card_type,
        today=options.today or today_jst(),
        signature=signature,
        spec_version=spec_version,
        first=first,
        second=second,
        card_number_matches=(second.card_number == typed.decode("ascii")) if second else None,
        apdu_count=session.apdu_count,
        masked_number=mask_card_number(second.card_number if second else typed.decode("ascii")),
    )
    return result


def write_images(result: ResidenceResult, directory: str | Path) -> list[Path]:
    """PNG files (front/photo or name/photo/address) in ``directory``: every image is
    decoded first, so an undecodable one writes nothing; each file is written atomically."""
    return write_pngs(result.images(), directory, prefix="residence-")


# --- text ------------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Terminal columns: East Asian wide and fullwidth characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad_label(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def _when(day: CardDate | None, today: dt.date, lang: str) -> str:
    ja = lang == "ja"
    if day is None:
        return "-"
    if day.date is None:
        return day.text or "-"
    n = days_left(day.date, today)
    iso = day.date.isoformat()
    if ja:
        if n < 0:
            return f"{iso}(期限切れ: {-n:,} 日経過)"
        return f"{iso}(本日まで)" if n == 0 else f"{iso}(残り {n:,} 日)"
    if n < 0:
        return f"{iso} (EXPIRED {-n:,} days ago)"
    return f"{iso} (expires today)" if n == 0 else f"{iso} ({n:,} days left)"


def is_masked(text: str | None) -> bool:
    """A value a redacted trace replaced (replay fills each byte with '*')."""
    return bool(text) and set(text or "") == {"*"}


def _redacted(lang: str) -> str:
    return "(トレースで秘匿化済み)" if lang == "ja" else "(redacted in the trace)"


def _shown(text: str | None, lang: str, empty: str = "-") -> str:
    if is_masked(text):
        return _redacted(lang)
    return text or empty


def _yes_no(value: bool | None, lang: str, raw: str | None = None) -> str:
    if value is None:
        return _redacted(lang) if is_masked(raw) else "-"
    if lang == "ja":
        return "あり" if value else "なし"
    return "yes" if value else "no"


_STATUS_TEXT = {
    SignatureStatus.VALID: ("VALID", "有効"),
    SignatureStatus.INVALID: ("INVALID", "無効"),
    SignatureStatus.NO_ANCHOR: ("NOT CHECKED AGAINST A TRUST ANCHOR", "トラストアンカー未検証"),
}


def render_text(result: ResidenceResult, lang: str) -> list[str]:
    ja = lang == "ja"
    today = result.today

    def row(en: str, jp: str, value: str) -> str:
        return pad_label(f"{jp if ja else en}:", 22 if ja else 26) + " " + value

    name_en, name_ja = ids.CARD_TYPE_NAMES[result.card_type]
    code = result.card_type.value
    if result.generation is ids.Generation.FIRST:
        kind = f"{name_ja}(第1世代、種別 {code})" if ja else \
            f"{name_en} (first generation, type {code})"
    else:
        kind = f"{name_ja}(種別 {code})" if ja else f"{name_en} (type {code})"
    specified = result.generation is ids.Generation.SPECIFIED
    lines = [row("Residence application" if specified else "Card",
                 "在留AP" if specified else "カード種別", kind)]
    if result.spec_version:
        lines.append(row("Spec version", "仕様バージョン", result.spec_version))
    number = result.masked_number
    if result.card_number_matches is False:
        number += "(カード内の番号と入力が異なります)" if ja else " (differs from the number entered)"
    lines.append(row("Card number", "在留カード番号", number))
    if result.first is not None:
        lines.extend(_first_lines(result.first, lang, row))
    elif result.second is not None:
        lines.extend(_second_lines(result.second, today, lang, row))
    status_en, status_ja = _STATUS_TEXT[result.signature.status]
    lines.append(row("Signature", "電子署名",
                     f"{status_ja}: {result.signature.reason('ja')}" if ja else
                     f"{status_en}: {result.signature.reason('en')}"))
    images = result.images()
    if images:
        listing = ", ".join(f"{name} ({len(data):,} bytes)" for name, data in images.items())
        lines.append(row("Images", "画像", listing))
    return lines


Row = Callable[[str, str, str], str]


def _first_lines(f: FirstGenData, lang: str, row: Row) -> list[str]:
    ja = lang == "ja"
    in_image = ("券面画像にのみ記録(第1世代のカードには文字データがありません。--images で出力)"
                if ja else "only in the front image on first-generation cards "
                           "(no text on the chip; write it with --images DIR)")
    lines = [row("Card expiry", "カード有効期限", in_image)]
    if f.card_type is ids.CardType.RESIDENCE_1:  # special permanent residents have none
        lines.append(row("Residence expiry", "在留期間満了日", in_image))
    for entry in f.addresses:
        if is_masked(entry.address):
            lines.append(row("Address", "住居地", _redacted(lang)))
            continue
        lines.append(row("Address", "住居地",
                         f"{entry.address}  [{entry.written.iso() or '-'}, "
                         f"{'市区町村コード' if ja else 'municipality'} "
                         f"{entry.municipality_code or '-'}]"))
    if f.card_type is ids.CardType.RESIDENCE_1:
        none = "なし" if ja else "none"
        lines.append(row("Permission (general)", "資格外活動(包括)",
                         _shown(f.comprehensive_permission, lang, none)))
        lines.append(row("Permission (individual)", "資格外活動(個別)",
                         _shown(f.individual_permission, lang, none)))
        lines.append(row("Renewal pending", "在留期間更新等申請中",
                         _yes_no(f.renewal_pending, lang, f.renewal_pending_text)))
    return lines


def _second_lines(s: SecondGenData, today: dt.date, lang: str, row: Row) -> list[str]:
    ja = lang == "ja"
    e = s.entries
    lines = [row("Card expiry", "カード有効期限", _when(e.card_expiry, today, lang))]
    if e.residence_expiry is not None:
        lines.append(row("Residence expiry", "在留期間満了日",
                         _when(e.residence_expiry, today, lang)))
    elif s.card_type not in ids.SPECIAL_PERMANENT_TYPES:
        lines.append(row("Residence expiry", "在留期間満了日", "-"))
    sex = ids.SEX_CODES.get(e.sex)
    lines += [
        row("Name", "氏名", "画像のみ(--images で出力)" if ja else
            "image only (write it with --images DIR)"),
        row("Birth date", "生年月日", e.birth_date.iso() or "-"),
        row("Sex", "性別", (sex[2] if ja else sex[1]) if sex else e.sex),
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
                         (work[1] if ja else work[0]) if work else e.work_restriction))
    if s.comprehensive_permission is not None:  # DF2/EF01 was read (type 05/07)
        masked = is_masked(s.comprehensive_permission)
        known = ids.COMPREHENSIVE_PERMISSION_CODES.get(s.comprehensive_permission)
        text = (known[1] if ja else known[0]) if known else _shown(s.comprehensive_permission,
                                                                   lang)
        expiry = s.comprehensive_permission_expiry
        if expiry is not None and not masked:
            text += f", {'期限' if ja else 'until'} " + _when(expiry, today, lang)
        lines.append(row("Permission (general)", "資格外活動(包括)", text))
        lines.append(row("Permission (individual)", "資格外活動(個別)",
                         _yes_no(s.individual_permission, lang, "*" if masked else None)))
    if s.card_type not in ids.SPECIAL_PERMANENT_TYPES or s.renewal_pending is not None:
        lines.append(row("Renewal pending", "在留期間更新等申請中",
                         _yes_no(s.renewal_pending, lang, s.renewal_pending_text)))
    lines.append(row("Address", "住居地", "画像のみ(--images で出力)" if ja else
                     "image only (write it with --images DIR)"))
    if s.reserved_text:
        lines.append(row("Other entries", "その他の記載", _shown(s.reserved_text, lang)))
    return lines
