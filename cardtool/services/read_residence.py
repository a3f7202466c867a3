"""Read a residence card end to end: the card type (free), then the card number (asked
only now, format-checked before any authentication APDU), authentication, every file the
card type has, the signature check; plus the text rendering and the PNG export.

The CLI calls ``read_residence``; ``to_json`` gives the data; the text rendering lives in
``cardtool/cli/render_residence.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apdu.session import Session
from cardtool.authenticity import NOTHING_READ, Anchor, AnchorProfile, Authenticity
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
from cardtool.cards.residence.verdict import residence_authenticity
from cardtool.errors import EXIT_CARD, CardtoolError, UnsupportedCard
from cardtool.i18n import Messages
from cardtool.images import (
    RESIDENCE_ADDRESS,
    RESIDENCE_FRONT,
    RESIDENCE_NAME,
    RESIDENCE_PHOTO,
    CardImage,
    write_pngs,
)
from cardtool.jst import days_left, today_jst
from cardtool.secret_format import mask_card_number
from cardtool.trust.options import ResidenceOptions as ResidenceOptions  # re-exported
from cardtool.trust.store import TrustAnchor

if TYPE_CHECKING:
    from cardtool.front_dates import FaceDates


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
    #: The verdict on the chip data (signature, chain, card number), the same for every card.
    authenticity: Authenticity = field(default=NOTHING_READ)
    #: First generation: the dates read from the front image (``front_dates.FaceDates``).
    face: FaceDates | None = None

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

    def card_images(self) -> list[CardImage]:
        """The images as read (TIFF G4 / JPEG 2000), each with the spec its decode is held
        to; empty ones left out."""
        if self.first is not None:
            pictures = [CardImage("front", RESIDENCE_FRONT, self.first.front_image),
                        CardImage("photo", RESIDENCE_PHOTO, self.first.photo)]
        elif self.second is not None:
            pictures = [CardImage("name", RESIDENCE_NAME, self.second.name_image),
                        CardImage("photo", RESIDENCE_PHOTO, self.second.photo),
                        CardImage("address", RESIDENCE_ADDRESS, self.second.address_image)]
        else:
            pictures = []
        return [image for image in pictures if image.data.strip(b"\x00")]

    def images(self) -> dict[str, bytes]:
        """Image name -> bytes as read (TIFF G4 / JPEG 2000); empty ones left out."""
        return {image.name: image.data for image in self.card_images()}

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
            "authenticity": self.authenticity.to_json(),
            "images": {name: len(data) for name, data in self.images().items()},
            "apdu_count": self.apdu_count,
        }
        if self.first is not None:
            out["note"] = ("first-generation cards hold the card expiry and the residence "
                           "expiry only in the front image (write it with --images)")
            out["fields"] = self._first_fields(self.first)
            if self.face is not None:
                out["face_dates"] = self.face.to_json()
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


_PERIOD = Messages({
    "indefinite": ("indefinite", "無期限"),
    "years": ("{n} year{s}", "{n}年"),
    "months": ("{n} month{s}", "{n}月"),
    "days": ("{n} days", "{n}日"),
    "separator": (" ", ""),
})


def period_text(code: str, lang: str) -> str:
    """Period of stay: YYMM years and months, DDD days, 0000 indefinite (spec §2)."""
    if code == ids.PERIOD_INDEFINITE:
        return _PERIOD("indefinite", lang)
    if len(code) == 4 and code.isdigit():
        years, months = int(code[:2]), int(code[2:])
        parts = []
        if years:
            parts.append(_PERIOD("years", lang, n=years, s="s" * (years != 1)))
        if months:
            parts.append(_PERIOD("months", lang, n=months, s="s" * (months != 1)))
        return _PERIOD("separator", lang).join(parts) or code
    if len(code) == 3 and code.isdigit():
        return _PERIOD("days", lang, n=int(code))
    return code


_PROFILE_RANK = {AnchorProfile.PRODUCTION: 0, AnchorProfile.TEST: 1, AnchorProfile.UNOFFICIAL: 2}


def _verify(result_type: ids.CardType, first: FirstGenData | None,
            second: SecondGenData | None, check_code: bytes, certificate: bytes,
            anchors: list[TrustAnchor]) -> tuple[SignatureCheck, Anchor | None]:
    """The signature check, and the anchor its chain ended in (None unless valid)."""
    generation = ids.GENERATION_OF[result_type]
    if first is not None:
        data = first_gen_signed_data(first.front_image, first.photo)
    else:
        assert second is not None
        data = second_gen_signed_data(second.entries.entries, second.photo, second.name_image)
    check = check_signature(generation, check_code, certificate, data,
                            [a.certificate for a in anchors])
    # The same certificate may come from several places (installed, --trust-anchor, a
    # virtual card's TEST CA): it counts as the strongest of them.
    same = [a.anchor for a in anchors if check.anchor_certificate is not None
            and a.certificate == check.anchor_certificate]
    return check, min(same, key=lambda a: _PROFILE_RANK[a.profile], default=None)


def read_residence(session: Session, card_number: CardNumberSource,
                   options: ResidenceOptions | None = None, *,
                   card_type: ids.CardType | None = None,
                   specified: bool = False, ap_selected: bool = False) -> ResidenceResult:
    """Read the residence card in ``session``. ``card_type``: when detection already read
    it (the current DF is then where it was found). ``specified``: detection found the
    在留AP on a My Number card chip (the card type is then read inside the AP);
    ``ap_selected``: the AP is still the current application (the My Number read probed
    it last), so it is not selected again."""
    options = options or ResidenceOptions()
    if card_type is None:
        card_type = read_card_type(session)
        if card_type is None and specified:
            raise SpecifiedCardTypeUnreadable()
        if card_type is None:
            raise UnsupportedCard(atr="-")
    generation = ids.GENERATION_OF[card_type]
    if generation is ids.Generation.SPECIFIED and not ap_selected:
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
    signature, anchor = _verify(card_type, first, second, block.check_code, block.certificate,
                                options.anchors())
    number_matches = (second.card_number == typed.decode("ascii")) if second else None
    result = ResidenceResult(
        card_type=card_type,
        today=options.today or today_jst(),
        signature=signature,
        spec_version=spec_version,
        first=first,
        second=second,
        card_number_matches=number_matches,
        apdu_count=session.apdu_count,
        masked_number=mask_card_number(second.card_number if second else typed.decode("ascii")),
        authenticity=residence_authenticity(signature, anchor, number_matches),
    )
    if first is not None and options.ocr:
        from cardtool.front_dates import read_front_dates

        face = read_front_dates(
            first.front_image, special=card_type is ids.CardType.SPECIAL_PERMANENT_1,
            signature_invalid=signature.status is SignatureStatus.INVALID, today=result.today)
        result.face = dataclasses.replace(face, signature=signature.status.value)
    return result


def write_images(result: ResidenceResult, directory: str | Path) -> list[Path]:
    """PNG files (front/photo or name/photo/address) in ``directory``: every image is
    decoded first, so an undecodable one writes nothing; each file is written atomically."""
    return write_pngs(result.card_images(), directory, prefix="residence-")


# What a face renders of a residence read reaches it through this service: the result types
# and the label tables of the residence card's codes (card types, sexes, work restrictions).
__all__ = ["CardDate", "CardNumberSource", "FirstGenData", "ResidenceOptions", "ResidenceResult",
           "SecondGenData", "SignatureStatus", "ids", "period_text", "read_residence",
           "write_images"]
