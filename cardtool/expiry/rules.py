"""The expiry rules (``shared/spec/residence-card.md`` §6, §9, §10; ``mynumber-card.md``
§4): pure functions over ``cardtool.expiry.model``; every date is a JST calendar date,
``today`` is always passed in. Which rules a card gets is its kind's profile
(``cardtool.card_kind``): a kind is never compared by name here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import assert_never

from cardtool.card_kind import CardExpiryRules, DateSource
from cardtool.day_words import format_date, relative_days
from cardtool.expiry.law import SPECIAL_PERIOD_MONTHS, months_period_end, special_period_end
from cardtool.expiry.messages import CODE_OF_VARIANT, MESSAGES
from cardtool.expiry.model import (
    Assessment,
    CardFacts,
    ClientRecord,
    DateCheck,
    DateField,
    Finding,
    Level,
    Thresholds,
    level_for,
)
from cardtool.jst import days_left


def _finding(template: str, level: Level, today: dt.date, date: dt.date | None,
             card_index: int | None, **dates: dt.date) -> Finding:
    en, ja = MESSAGES[template]

    def fill(text: str, lang: str) -> str:
        params = {k: format_date(v, lang) for k, v in dates.items()}
        if date is not None:
            params["date"] = format_date(date, lang)
            params["rel"] = relative_days(days_left(date, today), lang)
        return text.format(**params)

    return Finding(CODE_OF_VARIANT.get(template, template), level, date, fill(en, "en"),
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

    source = card.profile.residence_expiry
    match source:
        case DateSource.CHIP:
            add(card.residence_expiry, DateField.RESIDENCE, "chip")
        case DateSource.FACE:
            add(card.typed_residence_expiry, DateField.RESIDENCE, card.face_source or "typed")
        case DateSource.CERTIFICATE | None:
            pass
        case _:
            assert_never(source)
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


def _card_prefix(rules: CardExpiryRules | None) -> str:
    """The finding codes' prefix for a residence card's own validity."""
    match rules:
        case CardExpiryRules.SPECIFIED_CARD:
            return "specified-card"
        case CardExpiryRules.RESIDENCE_CARD | CardExpiryRules.MYNUMBER_CARD | None:
            return "residence-card"
        case _:
            assert_never(rules)


def _residence_findings(card: CardFacts, index: int, today: dt.date,
                        thresholds: Thresholds) -> list[Finding]:
    found: list[Finding] = []
    expiry = card.known_residence_expiry
    rules = card.profile.card_expiry_rules
    if card.profile.dates_typed and expiry is None and not card.no_period:
        found.append(_finding("residence-check-by-eye", Level.CHECK, today, None, index))
        if card.renewal_pending:
            found.append(_finding("residence-renewal-pending-no-date", Level.CHECK, today, None,
                                  index))
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
    if rules is CardExpiryRules.SPECIFIED_CARD and card.renewal_pending:
        found.append(_finding("specified-renewal-pending", Level.CHECK, today, None, index))

    # The card's own validity, when it differs from the period of stay (permanent residents,
    # or a card valid longer than the stay); equal dates are one fact, reported once.
    card_expiry = card.card_expiry
    if card_expiry is not None and card_expiry != expiry:
        level = level_for(days_left(card_expiry, today), thresholds)
        prefix = _card_prefix(rules)
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
    separate_card = card.profile.card_expiry_rules is CardExpiryRules.MYNUMBER_CARD
    residence = _latest_residence(cards) if separate_card else None
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
    if separate_card and card_expiry is not None and not covered_card_date:
        level = level_for(days_left(card_expiry, today), thresholds)
        if level is Level.EXPIRED:
            found.append(_finding("mynumber-card-expired", level, today, card_expiry, index))
        elif level > Level.OK:
            found.append(_finding("mynumber-card-expiring", level, today, card_expiry, index))
    elif separate_card and card_expiry is None:
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
