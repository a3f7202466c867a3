"""Every text of the expiry rules, in English and Japanese: the findings' messages (by
code), and the names of levels, date fields, sources and kinds the faces show. Dates and
day counts in words are ``cardtool.day_words``' (a plain read shows them too, without
loading the expiry rules).
"""

from __future__ import annotations

from cardtool.card_kind import kind_label
from cardtool.expiry.model import DateField, Level, Thresholds
from cardtool.i18n import pick

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
CODE_OF_VARIANT = {"mynumber-card-expiring-with-stay": "mynumber-card-expiring",
                    "residence-renewal-pending-no-date": "residence-renewal-pending"}


FIELD_NAMES: dict[DateField, tuple[str, str]] = {
    DateField.RESIDENCE: ("period of stay", "在留期間満了日"),
    DateField.CARD: ("card expiry", "カード有効期限"),
    DateField.CERTIFICATE: ("certificates", "電子証明書"),
}
#: Where a date came from (``DateCheck.source``), in words.
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


def level_name(level: Level, lang: str) -> str:
    return pick(LEVEL_NAMES[level], lang)


def kind_name(kind: str, lang: str) -> str:
    return kind_label(kind, lang, short=True)
