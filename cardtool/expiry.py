"""Expiry rules for residence cards and My Number cards, the ones foreign residents trip over.

Pure functions: every date is a JST calendar date (``cardtool.jst``), ``today`` is always
passed in, nothing here reads a card, a clock or a file. The read services fill the input
model (``CardFacts``, one per card; ``ClientRecord``, the cards of one client); ``assess``
returns the dates with their days left and level, and the findings, each with a stable code
and a ja/en message a client could be shown.

The input model carries dates and flags only: no My Number, name, image, photo or card
number can enter it, so none can reach a report. (A first-generation card's OCR result
rides along for display: the text of its date fields only, never written to a report.)

Facts (``shared/spec/residence-card.md`` §6, §9, §10; ``mynumber-card.md`` §4):

- A resident with a period of stay has a My Number card (and its certificates) that end on
  the period-of-stay expiry date. Renewing the stay does not extend the card: the holder
  must do 有効期間変更 at the municipal office before the old date, or the card lapses.
- While a renewal is pending (申請中) the stay stays lawful until the decision, at the latest
  until two months after the expiry (特例期間, 入管法 20条6項); the municipality extends the
  My Number card by up to two months if asked before the card expires.
- A 特定在留カード is one card: its residence and My Number sides move together, so its own
  dates are never compared against each other.
- A first-generation residence card has its dates only in the card-face image: staff type
  the date, or the row says "check by eye".

Levels: a date ``n`` days away (0 = the date is today, still valid: a card is valid through
its expiry date) is *expired* when ``n < 0``, *urgent* when ``n <= urgent_days`` (30),
*soon* when ``n <= soon_days`` (90), else *ok*. *check* marks what the chip cannot tell.

Two months (民法 140条 and 143条, how Japanese law counts periods in months): the period
starts the day after the given date; it ends the day before the same day-of-month two months
later, or, when that month has no such day, on the last day of that month. So 3/31 ends
5/31, 1/31 ends 3/31, 12/30 and 12/31 end on the last day of February (28th or 29th), and a
month-end date ends on the month-end two months later (2/28/2027 ends 4/30/2027, 6/30 ends
8/31). No extension for weekends or holidays is applied: the 特例期間 is a period of lawful
stay, not a filing deadline. ``months_period_end`` is the one place to change this.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any

from cardtool.authenticity import Authenticity, Status
from cardtool.card_kind import EXPIRY_KINDS, MYNUMBER_KINDS, RESIDENCE_KINDS, CardKind, kind_label
from cardtool.date_sources import SOURCE_NAMES as DATE_SOURCE_NAMES
from cardtool.date_sources import UNCONFIRMED_FACE_SOURCES
from cardtool.errors import CardtoolError, UsageError
from cardtool.i18n import Messages, pick
from cardtool.jst import days_left, to_jst

#: The kinds the rules check (``cardtool.card_kind``; a kind compares equal to its string).
Kind = CardKind
KINDS: tuple[CardKind, ...] = EXPIRY_KINDS

DEFAULT_SOON_DAYS = 90
DEFAULT_URGENT_DAYS = 30
#: The 特例期間 and the My Number card extension both last two months.
SPECIAL_PERIOD_MONTHS = 2


#: Authenticity statuses from the strongest to the weakest claim: a client's row shows the
#: weakest of the client's cards.
_WEAKNESS: dict[Status, int] = {status: rank for rank, status in enumerate((
    Status.GENUINE, Status.DATA_GENUINE, Status.TEST_ANCHOR, Status.NOT_CHECKED,
    Status.UNANCHORED, Status.INVALID))}


class Level(IntEnum):
    """Ordered by how much attention a row needs."""

    OK = 0
    CHECK = 1  # the chip does not hold the date (first-generation card): look at the card
    SOON = 2
    URGENT = 3
    EXPIRED = 4

    @property
    def code(self) -> str:
        return self.name.lower()


#: (English, Japanese) name of each level, and the legend line a printed report shows.
LEVEL_NAMES: dict[Level, tuple[str, str]] = {
    Level.OK: ("OK", "問題なし"),
    Level.CHECK: ("Check", "要目視確認"),
    Level.SOON: ("Soon", "期限間近"),
    Level.URGENT: ("Urgent", "至急"),
    Level.EXPIRED: ("Expired", "期限切れ"),
}


def level_legend(level: Level, lang: str, thresholds: Thresholds) -> str:
    """What a level means, with the configured thresholds."""
    soon, urgent = thresholds.soon_days, thresholds.urgent_days
    texts = {
        Level.OK: (f"more than {soon} days left, nothing to do",
                   f"残り{soon}日超。対応不要"),
        Level.CHECK: ("the date is only printed on the card: check it by eye",
                      "日付がカード表面にのみ記載: 目視で確認"),
        Level.SOON: (f"{urgent + 1} to {soon} days left: plan the procedure",
                     f"残り{urgent + 1}〜{soon}日: 手続きの準備を"),
        Level.URGENT: (f"{urgent} days or fewer left (the expiry day counts as valid)",
                       f"残り{urgent}日以内(満了日当日まで有効)"),
        Level.EXPIRED: ("the date has passed", "期限を過ぎています"),
    }
    return pick(texts[level], lang)


class BadThresholds(UsageError):
    pass


@dataclass(frozen=True)
class Thresholds:
    soon_days: int = DEFAULT_SOON_DAYS
    urgent_days: int = DEFAULT_URGENT_DAYS

    def __post_init__(self) -> None:
        if not 0 <= self.urgent_days <= self.soon_days:
            raise BadThresholds(
                f"Thresholds must satisfy 0 <= urgent ({self.urgent_days}) <= soon "
                f"({self.soon_days}).",
                f"しきい値は 0 ≦ 至急({self.urgent_days}) ≦ 期限間近({self.soon_days}) "
                "にしてください。",
            )


def level_for(days: int, thresholds: Thresholds) -> Level:
    if days < 0:
        return Level.EXPIRED
    if days <= thresholds.urgent_days:
        return Level.URGENT
    if days <= thresholds.soon_days:
        return Level.SOON
    return Level.OK


def months_period_end(day: dt.date, months: int) -> dt.date:
    """The last day of a period of ``months`` months counted from the day after ``day``
    (民法 140条: the first day is not counted; 143条: by the calendar, ending the day before
    the corresponding day, or on the month's last day when there is none)."""
    if months < 1:
        raise ValueError("months must be at least 1")
    start = day + dt.timedelta(days=1)
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    if start.day > last:
        return dt.date(year, month, last)
    return dt.date(year, month, start.day) - dt.timedelta(days=1)


def special_period_end(residence_expiry: dt.date) -> dt.date:
    """The latest day of lawful stay while a renewal filed before ``residence_expiry`` is
    pending (特例期間)."""
    return months_period_end(residence_expiry, SPECIAL_PERIOD_MONTHS)


def date_in_jst(moment: dt.datetime) -> dt.date:
    """The JST calendar date of an instant, e.g. a certificate's notAfter: ``…14:59:59Z``
    is 23:59:59 JST of the same day, ``…15:00:00Z`` is already the next day. Naive = UTC."""
    return to_jst(moment).date()


# --- input model ----------------------------------------------------------------------


class BadCardFacts(CardtoolError):
    en = "Card facts are inconsistent: {detail}."
    ja = "カード情報に矛盾があります: {detail}。"


def _check_date(name: str, value: object) -> None:
    # A datetime is a date too, but its calendar day depends on a time zone: callers must
    # convert to the JST date first (date_in_jst).
    if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
        raise BadCardFacts(detail=f"{name} must be a JST calendar date, not {type(value).__name__}")


@dataclass(frozen=True)
class CardFacts:
    """What the expiry rules need from one card, and nothing else.

    kind                    "mynumber" | "residence-first" | "residence-second" | "specified"
    card_expiry             the card's own expiry (My Number card: GET DATA / 共通 DF / DF29;
                            residence second gen / 特定: C5). None on a first-gen card.
    certificate_expiry      the JPKI authentication certificate's notAfter as a JST date
                            (My Number / 特定 only).
    residence_expiry        在留期間満了日 from the chip (CD; second gen / 特定 only);
                            None for permanent residents (no period) or when not read.
    renewal_pending         申請中 flag (D7 first gen, D8 second gen); None = not read.
    expiry_source           where card_expiry came from (e.g. "get-data-f2"), for the record.
    typed_residence_expiry  first gen only: the 在留期間満了日 staff typed from the card face.
    authenticity            the verdict on the chip's signed data (cardtool.authenticity);
                            None when the card service gave none.
    """

    kind: Kind
    card_expiry: dt.date | None = None
    certificate_expiry: dt.date | None = None
    residence_expiry: dt.date | None = None
    renewal_pending: bool | None = None
    expiry_source: str | None = None
    typed_residence_expiry: dt.date | None = None
    authenticity: Authenticity | None = None
    #: First generation: where typed_residence_expiry came from (card_expiry's source is
    #: expiry_source): "ocr" (read from the signed front image, not yet confirmed),
    #: "ocr-confirmed", "typed" or "eye" (cardtool.date_sources).
    face_source: str | None = None
    #: First generation: the face shows no period of stay (永住者 無期限, 特別永住者証明書).
    no_period: bool = False
    #: First generation: the OCR result (``cardtool.front_dates.FaceDates``), for display;
    #: never written to a report.
    face: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise BadCardFacts(detail=f"unknown kind {self.kind!r}")
        # Given as its string ("mynumber") or as the enum: always kept as the enum.
        object.__setattr__(self, "kind", CardKind(self.kind))
        for name in ("card_expiry", "certificate_expiry", "residence_expiry",
                     "typed_residence_expiry"):
            _check_date(name, getattr(self, name))
        if self.certificate_expiry is not None and self.kind not in MYNUMBER_KINDS:
            raise BadCardFacts(detail=f"a {self.kind} card has no JPKI certificate")
        if self.residence_expiry is not None and self.kind not in ("residence-second",
                                                                   "specified"):
            raise BadCardFacts(detail=f"a {self.kind} card has no residence expiry in its chip")
        if self.typed_residence_expiry is not None and self.kind != "residence-first":
            raise BadCardFacts(detail="only a first-generation card needs a typed expiry")
        if self.renewal_pending is not None and self.kind not in RESIDENCE_KINDS:
            raise BadCardFacts(detail="a My Number card has no renewal-pending flag")

    @property
    def has_mynumber(self) -> bool:
        return self.kind in MYNUMBER_KINDS

    @property
    def is_residence(self) -> bool:
        return self.kind in RESIDENCE_KINDS

    @property
    def known_residence_expiry(self) -> dt.date | None:
        """The 在留期間満了日 from the chip, or typed by staff (first generation)."""
        return self.residence_expiry or self.typed_residence_expiry


@dataclass(frozen=True)
class ClientRecord:
    """The cards one client brought. ``reference``: the office's file number (optional)."""

    reference: str | None
    cards: tuple[CardFacts, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cards", tuple(self.cards))

    def with_card(self, card: CardFacts) -> ClientRecord:
        return ClientRecord(self.reference, (*self.cards, card))


# --- output model ---------------------------------------------------------------------


class DateField(Enum):
    RESIDENCE = "residence-expiry"  # 在留期間満了日
    CARD = "card-expiry"  # the card's own validity
    CERTIFICATE = "certificate-expiry"  # JPKI certificates


@dataclass(frozen=True)
class DateCheck:
    card_index: int
    kind: Kind
    field: DateField
    date: dt.date
    days_left: int
    level: Level
    source: str | None = None  # "chip" | "typed" | the card service's expiry source


@dataclass(frozen=True)
class Finding:
    code: str
    level: Level
    date: dt.date | None
    message_en: str
    message_ja: str
    card_index: int | None = None

    def message(self, lang: str) -> str:
        return pick((self.message_en, self.message_ja), lang)


@dataclass(frozen=True)
class Assessment:
    reference: str | None
    kinds: tuple[Kind, ...]
    today: dt.date
    thresholds: Thresholds
    dates: tuple[DateCheck, ...]
    findings: tuple[Finding, ...]
    #: Any residence card says 申請中: True; all read say not: False; none read: None.
    renewal_pending: bool | None = None
    #: Each card's authenticity verdict (None: not given), in card order.
    authenticities: tuple[Authenticity | None, ...] = ()

    @property
    def authenticity(self) -> Authenticity | None:
        """The weakest verdict of the client's cards (None: none was given)."""
        given = [a for a in self.authenticities if a is not None]
        return max(given, key=lambda a: _WEAKNESS[a.status], default=None)

    @property
    def not_genuine(self) -> bool:
        """A card's authenticity check failed (``cardtool expiry`` exits 7)."""
        return any(a is not None and a.is_invalid for a in self.authenticities)

    @property
    def level(self) -> Level:
        return max((f.level for f in self.findings), default=Level.OK)

    @property
    def min_days_left(self) -> int | None:
        return min((d.days_left for d in self.dates), default=None)

    @property
    def needs_attention(self) -> bool:
        """Soon, urgent or expired: what ``cardtool expiry`` signals with exit code 5."""
        return self.level >= Level.SOON


# --- messages ---------------------------------------------------------------------------

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
              "Dec")


_DATES = Messages({
    "date": ("{day} {month_en} {year}", "{year}年{month}月{day}日"),
    "today": ("today", "本日"),
    "tomorrow": ("tomorrow", "明日"),
    "yesterday": ("yesterday", "昨日"),
    "in_days": ("in {n} days", "あと{n}日"),
    "days_ago": ("{n} days ago", "{n}日前"),
})


def format_date(day: dt.date, lang: str) -> str:
    return _DATES("date", lang, year=day.year, month=day.month, day=day.day,
                  month_en=_MONTHS_EN[day.month - 1])


def relative_days(days: int, lang: str) -> str:
    if days == 0:
        return _DATES("today", lang)
    if days == 1:
        return _DATES("tomorrow", lang)
    if days == -1:
        return _DATES("yesterday", lang)
    return _DATES("in_days", lang, n=days) if days > 0 else _DATES("days_ago", lang, n=-days)


#: code -> (English, Japanese) templates. Placeholders: {date} {rel} (the finding's date and
#: how far it is), {residence} (period-of-stay expiry), {card} (card expiry), {end} (end of
#: the 特例期間).
MESSAGES: dict[str, tuple[str, str]] = {
    "residence-expiring": (
        "Your period of stay ends on {date} ({rel}). Please apply for an extension of your "
        "period of stay before that date.",
        "在留期間の満了日は{date}({rel})です。満了日までに在留期間更新許可申請をしてください。",
    ),
    "residence-expired": (
        "Your period of stay ended on {date} ({rel}). This needs immediate attention: please "
        "consult us today.",
        "在留期間は{date}({rel})に満了しています。至急の対応が必要です。本日ご相談ください。",
    ),
    "residence-renewal-pending": (
        "Your renewal application is pending (申請中). Your period of stay ends on {date}; "
        "you may stay lawfully until the decision, but at the latest until {end} "
        "(two months after {date}).",
        "在留期間更新等の申請中です。在留期間の満了日は{date}ですが、処分の時まで、"
        "遅くとも{end}(満了日から2か月を経過する日)まで適法に在留できます。",
    ),
    "residence-renewal-pending-no-date": (
        "Your renewal application is pending (申請中). You may stay lawfully until the "
        "decision, but at the latest until two months after the expiry date printed on the "
        "card. Please check that date on the card.",
        "在留期間更新等の申請中です。処分の時まで、遅くともカードに記載の満了日から2か月を"
        "経過する日まで適法に在留できます。カード表面の満了日を確認してください。",
    ),
    "residence-special-period-over": (
        "The card shows a pending renewal, but the special period after {date} ended on "
        "{end}. Please check the result of the application and bring the new residence card.",
        "カードには申請中と記載されていますが、{date}の満了後の特例期間は{end}に終了して"
        "います。申請の結果を確認し、新しい在留カードをお持ちください。",
    ),
    "mynumber-card-check-by-eye": (
        "This My Number card gives its own expiry date only with the card face (which needs "
        "the 14-digit collation number B). "
        "Please check the expiry date printed on the card.",
        "このマイナンバーカードは有効期限を券面事項(照合番号B)でのみ提供します。"
        "カードに記載の有効期限を確認してください。",
    ),
    "residence-check-by-eye": (
        "This first-generation residence card records its dates only on the card face. "
        "Please check the expiry date printed on the card.",
        "この在留カード(第1世代)は有効期限等をICチップに文字で記録していません。"
        "カード表面の満了日を目で確認してください。",
    ),
    "residence-card-check-by-eye": (
        "The validity date printed on this first-generation residence card was read from its "
        "image but not confirmed (or marked for checking by eye). Please check it on the card.",
        "この在留カード(第1世代)の有効期限は、画像から読み取ったものの確認されていません"
        "(または目視確認とされています)。カード表面の有効期限を目で確認してください。",
    ),
    "residence-card-expiring": (
        "Your residence card itself is valid until {date} ({rel}). Please apply to renew the "
        "card (有効期間更新) before that date.",
        "在留カードの有効期間は{date}まで({rel})です。満了日までに有効期間更新申請を"
        "してください。",
    ),
    "residence-card-expired": (
        "Your residence card expired on {date} ({rel}). Please apply for a new card as soon "
        "as possible.",
        "在留カードの有効期間は{date}({rel})に満了しています。至急、手続きをしてください。",
    ),
    "specified-card-expiring": (
        "Your 特定在留カード (residence card with My Number card functions) is valid until "
        "{date} ({rel}). Please apply to renew it before that date.",
        "特定在留カードの有効期間は{date}まで({rel})です。満了日までに更新の手続きを"
        "してください。",
    ),
    "specified-card-expired": (
        "Your 特定在留カード expired on {date} ({rel}). Please apply for a new card as soon as "
        "possible.",
        "特定在留カードの有効期間は{date}({rel})に満了しています。至急、手続きをしてください。",
    ),
    "specified-renewal-pending": (
        "Your renewal application is pending (申請中). Whether the My Number functions of a "
        "特定在留カード stay usable during the special period could not be confirmed: please "
        "ask the immigration bureau or your municipal office.",
        "在留期間更新等の申請中です。特例期間中に特定在留カードのマイナンバーカード機能を"
        "引き続き使えるかは確認できていません。出入国在留管理局または市区町村の窓口に"
        "確認してください。",
    ),
    "mynumber-card-expiring": (
        "Your My Number card expires on {date} ({rel}). Please renew it at your municipal "
        "office before that date.",
        "マイナンバーカードの有効期限は{date}({rel})です。期限までに市区町村の窓口で"
        "手続きをしてください。",
    ),
    "mynumber-card-expiring-with-stay": (
        "Your My Number card expires on {date} ({rel}), together with your period of stay. "
        "Once your stay is extended, take the new residence card to your municipal office and "
        "extend the My Number card (有効期間変更) before {date}.",
        "マイナンバーカードの有効期限は在留期間と同じ{date}({rel})です。在留期間の更新後、"
        "新しい在留カードを持って{date}までに市区町村の窓口で有効期間変更の手続きを"
        "してください。",
    ),
    "mynumber-card-expired": (
        "Your My Number card expired on {date} ({rel}). Please ask your municipal office "
        "about a new card.",
        "マイナンバーカードの有効期限は{date}({rel})に切れています。再交付について"
        "市区町村の窓口にご相談ください。",
    ),
    "mynumber-not-updated": (
        "Your period of stay was extended to {residence}, but your My Number card still "
        "expires on {date} ({rel}). Please go to your municipal office to extend the card "
        "(有効期間変更) before {date}; otherwise the card lapses.",
        "在留期間は{residence}まで更新されていますが、マイナンバーカードの有効期限は"
        "{date}({rel})のままです。{date}までに市区町村の窓口で有効期間変更の手続きを"
        "してください。過ぎるとカードは失効します。",
    ),
    "mynumber-lapsed": (
        "Your My Number card expired on {date} ({rel}) although your period of stay runs "
        "until {residence}: it was not extended in time. Please ask your municipal office "
        "about a new card.",
        "在留期間は{residence}までありますが、マイナンバーカードは有効期間変更がされないまま"
        "{date}({rel})に失効しています。再交付について市区町村の窓口にご相談ください。",
    ),
    "mynumber-2-month-extension": (
        "Your renewal application is pending and your My Number card expires on {date} "
        "({rel}). Please ask your municipal office for the 2-month extension (特例期間) before "
        "{date}; bring the residence card with the 申請中 stamp (or the online application "
        "receipt).",
        "在留期間更新等の申請中で、マイナンバーカードの有効期限は{date}({rel})です。"
        "{date}までに市区町村の窓口で特例期間による有効期間の延長(2か月)を申し出て"
        "ください。「申請中」の記載がある在留カード(オンライン申請の場合は受付の通知)を"
        "お持ちください。",
    ),
    "certificate-before-card": (
        "The electronic certificates on your My Number card expire on {date} ({rel}), before "
        "the card itself ({card}). Please renew them at your municipal office before {date}; "
        "online procedures need them.",
        "マイナンバーカードの電子証明書の有効期限は{date}({rel})で、カード本体({card})より"
        "先に切れます。{date}までに市区町村の窓口で電子証明書を更新してください"
        "(オンラインでの手続きに必要です)。",
    ),
    "certificate-expiring": (
        "The electronic certificates on your My Number card expire on {date} ({rel}). Please "
        "renew them at your municipal office before that date.",
        "マイナンバーカードの電子証明書の有効期限は{date}({rel})です。期限までに"
        "市区町村の窓口で更新してください。",
    ),
    "certificate-expired": (
        "The electronic certificates on your My Number card expired on {date} ({rel}). Please "
        "renew them at your municipal office.",
        "マイナンバーカードの電子証明書の有効期限は{date}({rel})に切れています。"
        "市区町村の窓口で更新してください。",
    ),
}

#: Every code a finding can carry (the message variants share their finding's code).
FINDING_CODES: frozenset[str] = frozenset(MESSAGES) - {
    "mynumber-card-expiring-with-stay", "residence-renewal-pending-no-date"}
_CODE_OF_VARIANT = {"mynumber-card-expiring-with-stay": "mynumber-card-expiring",
                    "residence-renewal-pending-no-date": "residence-renewal-pending"}


def _finding(template: str, level: Level, today: dt.date, date: dt.date | None,
             card_index: int | None, **dates: dt.date) -> Finding:
    en, ja = MESSAGES[template]

    def fill(text: str, lang: str) -> str:
        params = {k: format_date(v, lang) for k, v in dates.items()}
        if date is not None:
            params["date"] = format_date(date, lang)
            params["rel"] = relative_days(days_left(date, today), lang)
        return text.format(**params)

    return Finding(_CODE_OF_VARIANT.get(template, template), level, date, fill(en, "en"),
                   fill(ja, "ja"), card_index)


# --- the rules ----------------------------------------------------------------------------


def _dates_of(card: CardFacts, index: int, today: dt.date,
              thresholds: Thresholds) -> list[DateCheck]:
    out: list[DateCheck] = []

    def add(date: dt.date | None, what: DateField, source: str | None) -> None:
        if date is not None:
            n = days_left(date, today)
            out.append(DateCheck(index, card.kind, what, date, n, level_for(n, thresholds),
                                 source))

    if card.residence_expiry is not None:
        add(card.residence_expiry, DateField.RESIDENCE, "chip")
    else:
        add(card.typed_residence_expiry, DateField.RESIDENCE, card.face_source or "typed")
    add(card.card_expiry, DateField.CARD, card.expiry_source or "chip")
    add(card.certificate_expiry, DateField.CERTIFICATE, "certificate")
    return out


def _latest_residence(cards: Sequence[CardFacts]) -> tuple[int, CardFacts] | None:
    """The residence card with the latest known period-of-stay expiry (a client may bring an
    old and a new card)."""
    known = [(i, c) for i, c in enumerate(cards) if c.is_residence and c.known_residence_expiry]
    if not known:
        return None
    return max(known, key=lambda ic: (ic[1].known_residence_expiry, ic[0]))


def _residence_findings(card: CardFacts, index: int, today: dt.date,
                        thresholds: Thresholds) -> list[Finding]:
    found: list[Finding] = []
    expiry = card.known_residence_expiry
    if card.kind == "residence-first" and expiry is None and not card.no_period:
        found.append(_finding("residence-check-by-eye", Level.CHECK, today, None, index))
        if card.renewal_pending:
            found.append(_finding("residence-renewal-pending-no-date", Level.CHECK, today, None,
                                  index))
    if (card.kind == "residence-first" and card.card_expiry is None
            and card.expiry_source in UNCONFIRMED_FACE_SOURCES):
        # Read from the image and not confirmed, or marked by staff: never a deadline.
        found.append(_finding("residence-card-check-by-eye", Level.CHECK, today, None, index))
    elif expiry is not None and card.renewal_pending:
        end = special_period_end(expiry)
        if days_left(end, today) < 0:
            found.append(_finding("residence-special-period-over", Level.EXPIRED, today, expiry,
                                  index, end=end))
        else:
            level = level_for(days_left(end, today), thresholds)
            found.append(_finding("residence-renewal-pending", level, today, expiry, index,
                                  end=end))
    elif expiry is not None:
        level = level_for(days_left(expiry, today), thresholds)
        if level is Level.EXPIRED:
            found.append(_finding("residence-expired", level, today, expiry, index))
        elif level > Level.OK:
            found.append(_finding("residence-expiring", level, today, expiry, index))
    if card.kind == "specified" and card.renewal_pending:
        found.append(_finding("specified-renewal-pending", Level.CHECK, today, None, index))

    # The card's own validity, when it differs from the period of stay (permanent residents,
    # or a card valid longer than the stay); equal dates are one fact, reported once.
    card_expiry = card.card_expiry
    if card_expiry is not None and card_expiry != expiry:
        level = level_for(days_left(card_expiry, today), thresholds)
        prefix = "specified-card" if card.kind == "specified" else "residence-card"
        if level is Level.EXPIRED:
            found.append(_finding(f"{prefix}-expired", level, today, card_expiry, index))
        elif level > Level.OK:
            found.append(_finding(f"{prefix}-expiring", level, today, card_expiry, index))
    return found


def _mynumber_findings(card: CardFacts, index: int, cards: Sequence[CardFacts], today: dt.date,
                       thresholds: Thresholds) -> list[Finding]:
    found: list[Finding] = []
    card_expiry = card.card_expiry
    covered_card_date = False
    # A separate My Number card against the client's residence card. A 特定在留カード is
    # both at once: its two sides move together and are never compared with each other.
    residence = _latest_residence(cards) if card.kind == "mynumber" else None
    if card_expiry is not None and residence is not None:
        _, residence_card = residence
        stay_until = residence_card.known_residence_expiry
        assert stay_until is not None
        n = days_left(card_expiry, today)
        if card_expiry < stay_until:
            # Renewed stay, card not updated (whatever is pending now: the card needs
            # 有効期間変更 with the residence card the client holds).
            if n < 0:
                found.append(_finding("mynumber-lapsed", Level.EXPIRED, today, card_expiry,
                                      index, residence=stay_until))
            else:
                level = max(Level.SOON, level_for(n, thresholds))
                found.append(_finding("mynumber-not-updated", level, today, card_expiry, index,
                                      residence=stay_until))
            covered_card_date = True
        elif (residence_card.renewal_pending and n >= 0
              and card_expiry <= months_period_end(today, SPECIAL_PERIOD_MONTHS)):
            level = max(Level.SOON, level_for(n, thresholds))
            found.append(_finding("mynumber-2-month-extension", level, today, card_expiry,
                                  index))
            covered_card_date = True
        elif card_expiry == stay_until and n >= 0:
            level = level_for(n, thresholds)
            if level > Level.OK:
                found.append(_finding("mynumber-card-expiring-with-stay", level, today,
                                      card_expiry, index))
            covered_card_date = True
    if card.kind == "mynumber" and card_expiry is not None and not covered_card_date:
        level = level_for(days_left(card_expiry, today), thresholds)
        if level is Level.EXPIRED:
            found.append(_finding("mynumber-card-expired", level, today, card_expiry, index))
        elif level > Level.OK:
            found.append(_finding("mynumber-card-expiring", level, today, card_expiry, index))
    elif card.kind == "mynumber" and card_expiry is None:
        # Neither GET DATA F2 nor the 共通 DF answered (spec §2.4): never a guessed date.
        found.append(_finding("mynumber-card-check-by-eye", Level.CHECK, today, None, index))

    cert = card.certificate_expiry
    if cert is not None:
        level = level_for(days_left(cert, today), thresholds)
        if card_expiry is not None and cert < card_expiry:
            code = "certificate-expired" if level is Level.EXPIRED else "certificate-before-card"
            found.append(_finding(code, level, today, cert, index, card=card_expiry))
        elif card_expiry is None and level > Level.OK:
            code = "certificate-expired" if level is Level.EXPIRED else "certificate-expiring"
            found.append(_finding(code, level, today, cert, index))
    return found


def assess(record: ClientRecord, today: dt.date,
           thresholds: Thresholds | None = None) -> Assessment:
    """Every date of the client's cards with its days left and level, and every finding,
    most urgent first."""
    thresholds = thresholds or Thresholds()
    cards = record.cards
    dates: list[DateCheck] = []
    findings: list[Finding] = []
    for index, card in enumerate(cards):
        dates.extend(_dates_of(card, index, today, thresholds))
        if card.is_residence:
            findings.extend(_residence_findings(card, index, today, thresholds))
        if card.has_mynumber:
            findings.extend(_mynumber_findings(card, index, cards, today, thresholds))
    findings.sort(key=lambda f: (-f.level, f.date or dt.date.max, f.code))
    flags = [c.renewal_pending for c in cards if c.is_residence]
    pending = True if True in flags else (False if False in flags else None)
    return Assessment(record.reference, tuple(c.kind for c in cards), today, thresholds,
                      tuple(dates), tuple(findings), pending,
                      tuple(c.authenticity for c in cards))


def assess_card(card: CardFacts, today: dt.date,
                thresholds: Thresholds | None = None) -> Assessment:
    """One card on its own (``cardtool expiry``)."""
    return assess(ClientRecord(None, (card,)), today, thresholds)


def codes(findings: Iterable[Finding]) -> list[str]:
    return [f.code for f in findings]


# --- names for the faces (the terminal and the desk) ------------------------------------

FIELD_NAMES: dict[DateField, tuple[str, str]] = {
    DateField.RESIDENCE: ("period of stay", "在留期間満了日"),
    DateField.CARD: ("card expiry", "カード有効期限"),
    DateField.CERTIFICATE: ("certificates", "電子証明書"),
}
#: Where a date came from (``DateCheck.source``), in words.
SOURCE_NAMES: dict[str, tuple[str, str]] = {
    # chip, typed, ocr-confirmed, ocr (unconfirmed), eye: one home (cardtool.date_sources).
    **DATE_SOURCE_NAMES,
    "certificate": ("certificate", "証明書"),
    "get-data-f2": ("card data (GET DATA)", "カード内データ(GET DATA)"),
    "common-df-record": ("card data (common DF record)", "カード内データ(共通DF)"),
    "card-face-df29": ("card face (券面事項確認AP)", "券面事項確認AP"),
    "residence-c5": ("residence data (C5)", "在留AP(C5)"),
}


def level_name(level: Level, lang: str) -> str:
    return pick(LEVEL_NAMES[level], lang)


def kind_name(kind: str, lang: str) -> str:
    return kind_label(kind, lang, short=True)


def days_text(days: int, lang: str) -> str:
    if days < 0:
        return pick((f"{-days} days ago", f"{-days}日経過"), lang)
    if days == 0:
        return pick(("last day today", "本日まで"), lang)
    return pick((f"{days} days left", f"残り{days}日"), lang)



__all__ = [
    "FIELD_NAMES",
    "FINDING_CODES",
    "KINDS",
    "LEVEL_NAMES",
    "SOURCE_NAMES",
    "Assessment",
    "BadCardFacts",
    "BadThresholds",
    "CardFacts",
    "ClientRecord",
    "DateCheck",
    "DateField",
    "Finding",
    "Kind",
    "Level",
    "Thresholds",
    "assess",
    "assess_card",
    "date_in_jst",
    "days_text",
    "format_date",
    "kind_name",
    "level_for",
    "level_legend",
    "level_name",
    "months_period_end",
    "special_period_end",
]
