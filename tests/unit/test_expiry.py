"""The expiry rules on their boundaries: the day before, of and after; month ends; leap
days; JST midnight against UTC."""

from __future__ import annotations

import dataclasses
import datetime as dt
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cardtool.authenticity import Authenticity
from cardtool.expiry import (
    FINDING_CODES,
    MESSAGES,
    BadCardFacts,
    BadThresholds,
    CardFacts,
    ClientRecord,
    DateField,
    Level,
    Thresholds,
    assess,
    assess_card,
    date_in_jst,
    format_date,
    level_for,
    months_period_end,
    special_period_end,
)
from cardtool.jst import today_jst

TODAY = dt.date(2027, 3, 10)
DAY = dt.timedelta(days=1)
UTC = dt.UTC


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def in_days(n: int, today: dt.date = TODAY) -> dt.date:
    return today + dt.timedelta(days=n)


def codes_of(*cards: CardFacts, today: dt.date = TODAY,
             thresholds: Thresholds | None = None) -> list[str]:
    return [f.code for f in assess(ClientRecord("R-1", cards), today, thresholds).findings]


def finding(code: str, *cards: CardFacts, today: dt.date = TODAY):  # type: ignore[no-untyped-def]
    found = [f for f in assess(ClientRecord(None, cards), today).findings if f.code == code]
    assert len(found) == 1, [f.code for f in assess(ClientRecord(None, cards), today).findings]
    return found[0]


def mynumber(card: dt.date | None, cert: dt.date | None = None) -> CardFacts:
    return CardFacts("mynumber", card_expiry=card, certificate_expiry=cert,
                     expiry_source="get-data-f2")


def residence2(stay: dt.date | None, card: dt.date | None = None,
               pending: bool | None = False) -> CardFacts:
    return CardFacts("residence-second", card_expiry=card if card is not None else stay,
                     residence_expiry=stay, renewal_pending=pending)


# --- two months (民法 140条, 143条) -----------------------------------------------------------

@pytest.mark.parametrize(("expiry", "end"), [
    ("2027-03-31", "2027-05-31"),  # the example every practitioner page gives
    ("2027-04-15", "2027-06-15"),
    ("2027-01-31", "2027-03-31"),
    ("2027-01-30", "2027-03-30"),
    ("2027-01-29", "2027-03-29"),
    ("2026-12-30", "2027-02-28"),  # no Feb 31: the last day of February
    ("2026-12-31", "2027-02-28"),
    ("2027-12-28", "2028-02-28"),  # leap year: Feb 29 exists, the period ends the day before
    ("2027-12-29", "2028-02-29"),
    ("2027-12-30", "2028-02-29"),
    ("2027-12-31", "2028-02-29"),
    ("2027-02-28", "2027-04-30"),  # a month end ends on the month end two months later
    ("2028-02-28", "2028-04-28"),  # ... but 2028-02-28 is not a month end
    ("2028-02-29", "2028-04-30"),
    ("2027-06-30", "2027-08-31"),
    ("2027-11-30", "2028-01-31"),
    ("2027-11-15", "2028-01-15"),  # over the year end
])
def test_two_months_after_an_expiry(expiry: str, end: str) -> None:
    assert special_period_end(d(expiry)) == d(end)
    assert months_period_end(d(expiry), 2) == d(end)


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_two_months_is_always_about_two_months_and_never_goes_backwards(day: dt.date) -> None:
    end = months_period_end(day, 2)
    assert 58 <= (end - day).days <= 62
    assert months_period_end(day + DAY, 2) >= end
    # The day after the end is the corresponding day of the start (the day after ``day``)
    # two months on, or, when that month is too short, the 1st of the month after.
    start = day + DAY
    after = end + DAY
    assert (after.month - start.month) % 12 in (2, 3)
    if (after.month - start.month) % 12 == 2:
        assert after.day == start.day
    else:
        assert after.day == 1 and start.day > end.day


def test_months_period_end_refuses_zero_months() -> None:
    with pytest.raises(ValueError):
        months_period_end(TODAY, 0)


# --- levels ---------------------------------------------------------------------------

@pytest.mark.parametrize(("days", "level"), [
    (-400, Level.EXPIRED), (-1, Level.EXPIRED), (0, Level.URGENT), (1, Level.URGENT),
    (29, Level.URGENT), (30, Level.URGENT), (31, Level.SOON), (89, Level.SOON),
    (90, Level.SOON), (91, Level.OK), (5000, Level.OK),
])
def test_default_levels_on_their_boundaries(days: int, level: Level) -> None:
    assert level_for(days, Thresholds()) is level


def test_thresholds_are_configurable() -> None:
    th = Thresholds(soon_days=60, urgent_days=7)
    assert [level_for(n, th) for n in (-1, 0, 7, 8, 60, 61)] == [
        Level.EXPIRED, Level.URGENT, Level.URGENT, Level.SOON, Level.SOON, Level.OK]
    assert codes_of(residence2(in_days(61)), thresholds=th) == []
    assert codes_of(residence2(in_days(60)), thresholds=th) == ["residence-expiring"]
    # Equal thresholds: no "soon" band at all.
    same = Thresholds(soon_days=10, urgent_days=10)
    assert [level_for(n, same) for n in (10, 11)] == [Level.URGENT, Level.OK]


@pytest.mark.parametrize(("soon", "urgent"), [(30, 31), (10, -1), (-1, -2)])
def test_inconsistent_thresholds_are_refused(soon: int, urgent: int) -> None:
    with pytest.raises(BadThresholds) as info:
        Thresholds(soon_days=soon, urgent_days=urgent)
    assert info.value.exit_code == 1
    assert "しきい値" in info.value.render("ja")


# --- JST, not UTC -------------------------------------------------------------------------

def test_23_30_utc_is_already_the_next_day_in_japan() -> None:
    late = dt.datetime(2027, 3, 30, 23, 30, tzinfo=UTC)
    assert date_in_jst(late) == d("2027-03-31")
    assert today_jst(late) == d("2027-03-31")
    assert today_jst(dt.datetime(2027, 3, 30, 14, 59, 59, tzinfo=UTC)) == d("2027-03-30")
    assert today_jst(dt.datetime(2027, 3, 30, 15, 0, tzinfo=UTC)) == d("2027-03-31")
    # A naive instant is UTC (what the certificate library returns).
    assert date_in_jst(dt.datetime(2027, 3, 30, 23, 30)) == d("2027-03-31")


def test_certificate_not_after_at_23_59_59_jst_is_that_day() -> None:
    assert date_in_jst(dt.datetime(2031, 5, 20, 14, 59, 59, tzinfo=UTC)) == d("2031-05-20")
    assert date_in_jst(dt.datetime(2031, 5, 20, 15, 0, 0, tzinfo=UTC)) == d("2031-05-21")


def test_a_card_expiring_on_the_japanese_today_is_not_yet_expired() -> None:
    # 23:30 UTC on 30 March is 08:30 on 31 March in Japan.
    today = today_jst(dt.datetime(2027, 3, 30, 23, 30, tzinfo=UTC))
    on_31 = assess_card(residence2(d("2027-03-31")), today)
    assert on_31.dates[0].days_left == 0
    assert [f.code for f in on_31.findings] == ["residence-expiring"]
    assert on_31.level is Level.URGENT
    # A card expiring on 30 March is expired in Japan although it is still the 30th in UTC.
    on_30 = assess_card(residence2(d("2027-03-30")), today)
    assert [f.code for f in on_30.findings] == ["residence-expired"]
    assert on_30.findings[0].message_en.endswith("This needs immediate attention: please "
                                                  "consult us today.")


# --- per date ---------------------------------------------------------------------------

@pytest.mark.parametrize(("days", "codes", "level"), [
    (91, [], Level.OK),
    (90, ["residence-expiring"], Level.SOON),
    (31, ["residence-expiring"], Level.SOON),
    (30, ["residence-expiring"], Level.URGENT),
    (1, ["residence-expiring"], Level.URGENT),
    (0, ["residence-expiring"], Level.URGENT),
    (-1, ["residence-expired"], Level.EXPIRED),
])
def test_residence_expiry_day_before_of_and_after(days: int, codes: list[str],
                                                   level: Level) -> None:
    result = assess_card(residence2(in_days(days)), TODAY)
    assert [f.code for f in result.findings] == codes
    assert result.level is level
    # Both dates are listed; the card expiry equal to the stay is one fact, one finding.
    assert [(x.field, x.days_left, x.source) for x in result.dates] == [
        (DateField.RESIDENCE, days, "chip"), (DateField.CARD, days, "chip")]


def test_expiry_messages_name_the_date_in_both_languages() -> None:
    f = finding("residence-expiring", residence2(in_days(0)))
    assert "10 Mar 2027 (today)" in f.message_en
    assert "2027年3月10日(本日)" in f.message_ja
    f = finding("residence-expiring", residence2(in_days(1)))
    assert "(tomorrow)" in f.message_en and "(明日)" in f.message_ja
    f = finding("residence-expiring", residence2(in_days(45)))
    assert "24 Apr 2027 (in 45 days)" in f.message_en and "(あと45日)" in f.message_ja
    f = finding("residence-expired", residence2(in_days(-3)))
    assert "(3 days ago)" in f.message_en and "(3日前)" in f.message_ja
    f = finding("residence-expired", residence2(in_days(-1)))
    assert "(yesterday)" in f.message_en and "(昨日)" in f.message_ja


def test_a_residence_card_valid_beyond_the_stay_gets_its_own_finding() -> None:
    # Permanent resident: no period of stay, the card itself expires.
    permanent = CardFacts("residence-second", card_expiry=in_days(60), residence_expiry=None,
                          renewal_pending=False)
    assert codes_of(permanent) == ["residence-card-expiring"]
    expired = dataclasses.replace(permanent, card_expiry=in_days(-1))
    assert codes_of(expired) == ["residence-card-expired"]
    assert codes_of(dataclasses.replace(permanent, card_expiry=in_days(91))) == []


def test_mynumber_card_alone_day_before_of_and_after() -> None:
    assert codes_of(mynumber(in_days(91))) == []
    assert codes_of(mynumber(in_days(90))) == ["mynumber-card-expiring"]
    assert codes_of(mynumber(in_days(0))) == ["mynumber-card-expiring"]
    assert codes_of(mynumber(in_days(-1))) == ["mynumber-card-expired"]


# --- My Number card not updated after the visa renewal -------------------------------------

def test_renewed_stay_with_an_old_mynumber_card() -> None:
    stay = in_days(3 * 365)
    f = finding("mynumber-not-updated", residence2(stay), mynumber(in_days(20), in_days(20)))
    assert f.level is Level.URGENT
    assert f.date == in_days(20)
    assert "go to your municipal office to extend the card (有効期間変更) before 30 Mar 2027" \
        in f.message_en
    assert "2027年3月30日までに市区町村の窓口で有効期間変更" in f.message_ja
    assert format_date(stay, "ja") in f.message_ja
    assert f.card_index == 1


def test_not_updated_boundaries() -> None:
    stay = in_days(400)
    # The day before the stay ends: flagged; the same day: moves with the stay; after: fine.
    assert "mynumber-not-updated" in codes_of(residence2(stay), mynumber(stay - DAY))
    assert codes_of(residence2(stay), mynumber(stay)) == []
    assert codes_of(residence2(stay), mynumber(stay + DAY)) == []
    # Even a far date needs the procedure: at least "soon".
    far = finding("mynumber-not-updated", residence2(in_days(2000)), mynumber(in_days(400)))
    assert far.level is Level.SOON
    # The card's last valid day is today: still "not updated", urgent; tomorrow it lapsed.
    assert finding("mynumber-not-updated", residence2(stay), mynumber(TODAY)).level \
        is Level.URGENT
    lapsed = finding("mynumber-lapsed", residence2(stay), mynumber(TODAY - DAY))
    assert lapsed.level is Level.EXPIRED
    assert "mynumber-card-expired" not in codes_of(residence2(stay), mynumber(TODAY - DAY))


def test_not_updated_uses_the_newest_residence_card() -> None:
    old_card = residence2(in_days(10))
    new_card = residence2(in_days(1000))
    codes = codes_of(old_card, new_card, mynumber(in_days(10)))
    assert "mynumber-not-updated" in codes


def test_mynumber_expiring_with_the_stay_says_what_to_do_after_renewal() -> None:
    stay = in_days(45)
    f = finding("mynumber-card-expiring", residence2(stay), mynumber(stay))
    assert "Once your stay is extended" in f.message_en
    assert "有効期間変更" in f.message_ja
    assert codes_of(residence2(stay), mynumber(stay)) == ["mynumber-card-expiring",
                                                          "residence-expiring"]


# --- renewal pending: the 2-month extension ----------------------------------------------

def test_renewal_pending_asks_for_the_two_month_extension() -> None:
    stay = in_days(40)
    f = finding("mynumber-2-month-extension", residence2(stay, pending=True), mynumber(stay))
    assert f.level is Level.SOON
    assert "2-month extension (特例期間) before 19 Apr 2027" in f.message_en
    assert "2027年4月19日までに" in f.message_ja
    # Without the pending flag it is the ordinary expiring-with-the-stay finding.
    assert "mynumber-2-month-extension" not in codes_of(residence2(stay), mynumber(stay))


@pytest.mark.parametrize(("today", "window_end"), [
    (d("2027-03-10"), d("2027-05-10")),
    (d("2027-12-31"), d("2028-02-29")),  # leap day as the window's last day
    (d("2026-12-31"), d("2027-02-28")),
    (d("2027-02-28"), d("2027-04-30")),
    (d("2027-01-31"), d("2027-03-31")),
])
def test_two_month_window_day_of_and_after(today: dt.date, window_end: dt.date) -> None:
    def codes_for(card_day: dt.date) -> list[str]:
        stay = card_day  # the card follows the stay
        return codes_of(residence2(stay, pending=True), mynumber(card_day), today=today)

    assert "mynumber-2-month-extension" in codes_for(window_end - DAY)
    assert "mynumber-2-month-extension" in codes_for(window_end)
    assert "mynumber-2-month-extension" not in codes_for(window_end + DAY)


def test_extension_on_the_last_day_and_too_late() -> None:
    f = finding("mynumber-2-month-extension", residence2(TODAY, pending=True), mynumber(TODAY))
    assert f.level is Level.URGENT and "(today)" in f.message_en
    late = codes_of(residence2(TODAY - DAY, pending=True), mynumber(TODAY - DAY))
    assert "mynumber-2-month-extension" not in late
    assert "mynumber-card-expired" in late


def test_pending_renewal_keeps_the_stay_lawful_for_two_months() -> None:
    stay = d("2027-02-28")  # expired 10 days ago; special period until 2027-04-30
    result = assess(ClientRecord(None, (residence2(stay, pending=True),)), TODAY)
    (f,) = result.findings
    assert f.code == "residence-renewal-pending"
    assert "at the latest until 30 Apr 2027" in f.message_en
    assert "遅くとも2027年4月30日" in f.message_ja
    assert f.level is Level.SOON  # 51 days to the end of the special period
    assert "residence-expired" not in codes_of(residence2(stay, pending=True))


def test_special_period_day_of_and_after() -> None:
    stay = d("2027-01-31")  # special period ends 2027-03-31
    on_last_day = codes_of(residence2(stay, pending=True), today=d("2027-03-31"))
    assert on_last_day == ["residence-renewal-pending"]
    after = assess_card(residence2(stay, pending=True), d("2027-04-01"))
    assert [f.code for f in after.findings] == ["residence-special-period-over"]
    assert after.level is Level.EXPIRED
    assert "ended on 31 Mar 2027" in after.findings[0].message_en


# --- certificates --------------------------------------------------------------------------

def test_certificate_expiry_before_card_expiry() -> None:
    card = in_days(1000)
    f = finding("certificate-before-card", mynumber(card, card - DAY))
    assert f.level is Level.OK  # far away: a note, nothing urgent
    assert codes_of(mynumber(card, card)) == []
    soon = finding("certificate-before-card", mynumber(card, in_days(20)))
    assert soon.level is Level.URGENT
    assert format_date(card, "en") in soon.message_en
    gone = finding("certificate-expired", mynumber(card, in_days(-1)))
    assert gone.level is Level.EXPIRED
    assert finding("certificate-before-card", mynumber(card, TODAY)).level is Level.URGENT


def test_certificate_alone_when_the_card_expiry_is_unknown() -> None:
    # The card's own date is unknown (a card without GET DATA F2 and the 共通 DF): staff are
    # told to look at the printed date, never given a guess; the certificate is judged alone.
    by_eye = "mynumber-card-check-by-eye"
    assert codes_of(mynumber(None, in_days(91))) == [by_eye]
    assert codes_of(mynumber(None, in_days(90))) == ["certificate-expiring", by_eye]
    assert codes_of(mynumber(None, in_days(-1))) == ["certificate-expired", by_eye]
    assert finding(by_eye, mynumber(None, in_days(91))).level is Level.CHECK


# --- first generation ------------------------------------------------------------------------

def test_first_generation_without_a_typed_date_says_check_by_eye() -> None:
    card = CardFacts("residence-first", renewal_pending=False)
    result = assess_card(card, TODAY)
    assert [f.code for f in result.findings] == ["residence-check-by-eye"]
    assert result.level is Level.CHECK
    assert not result.needs_attention
    assert result.dates == ()
    assert "目で確認" in result.findings[0].message_ja
    pending = assess_card(dataclasses.replace(card, renewal_pending=True), TODAY)
    assert {f.code for f in pending.findings} == {"residence-check-by-eye",
                                                  "residence-renewal-pending"}


def test_first_generation_with_the_typed_date_uses_it() -> None:
    typed = CardFacts("residence-first", typed_residence_expiry=in_days(30),
                      renewal_pending=False)
    result = assess_card(typed, TODAY)
    assert [f.code for f in result.findings] == ["residence-expiring"]
    assert result.dates[0].source == "typed"
    # The typed date counts for the client's My Number card too.
    renewed = dataclasses.replace(typed, typed_residence_expiry=in_days(900))
    assert "mynumber-not-updated" in codes_of(renewed, mynumber(in_days(30)))


# --- 特定在留カード -------------------------------------------------------------------------------

def specified(stay: dt.date | None, card: dt.date, cert: dt.date | None = None,
              pending: bool = False) -> CardFacts:
    return CardFacts("specified", card_expiry=card, certificate_expiry=cert,
                     residence_expiry=stay, renewal_pending=pending)


def test_specified_card_sides_move_together() -> None:
    stay = in_days(60)
    assert codes_of(specified(stay, stay, stay)) == ["residence-expiring"]
    # Its own dates are never "not updated", even when they differ.
    codes = codes_of(specified(in_days(1000), in_days(40)))
    assert "mynumber-not-updated" not in codes
    assert codes == ["specified-card-expiring"]
    assert codes_of(specified(in_days(1000), in_days(1000))) == []


def test_specified_card_with_a_separate_old_mynumber_card_is_compared() -> None:
    codes = codes_of(specified(in_days(1000), in_days(1000)), mynumber(in_days(20)))
    assert "mynumber-not-updated" in codes


def test_specified_card_with_renewal_pending_asks_to_confirm() -> None:
    stay = in_days(20)
    codes = codes_of(specified(stay, stay, stay, pending=True))
    assert codes == ["residence-renewal-pending", "specified-renewal-pending"]


def test_specified_card_certificate_before_card() -> None:
    stay = in_days(1000)
    assert codes_of(specified(stay, stay, in_days(10))) == ["certificate-before-card"]


# --- the model carries no personal data -------------------------------------------------------

def test_card_facts_hold_dates_and_flags_only() -> None:
    names = {f.name for f in dataclasses.fields(CardFacts)}
    assert names == {"kind", "card_expiry", "certificate_expiry", "residence_expiry",
                     "renewal_pending", "expiry_source", "typed_residence_expiry",
                     "authenticity",
                     # first generation: where the face dates came from, 無期限, and the
                     # OCR result for display (date boxes only; never in a report)
                     "face_source", "no_period", "face"}
    # The verdict is a status, named checks with their reasons and the anchor: no card data.
    assert {f.name for f in dataclasses.fields(Authenticity)} == {
        "status", "checks", "anchor", "advice_en", "advice_ja"}
    assert {f.name for f in dataclasses.fields(ClientRecord)} == {"reference", "cards"}


@pytest.mark.parametrize("kwargs", [
    {"kind": "passport"},
    {"kind": "residence-second", "certificate_expiry": TODAY},
    {"kind": "mynumber", "residence_expiry": TODAY},
    {"kind": "residence-first", "residence_expiry": TODAY},
    {"kind": "residence-second", "typed_residence_expiry": TODAY},
    {"kind": "mynumber", "renewal_pending": True},
    {"kind": "mynumber", "card_expiry": dt.datetime(2027, 1, 1, tzinfo=UTC)},
])
def test_inconsistent_card_facts_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(BadCardFacts):
        CardFacts(**kwargs)  # type: ignore[arg-type]


def test_client_record_is_immutable_and_grows_by_copy() -> None:
    record = ClientRecord("A-7", [mynumber(TODAY)])  # type: ignore[arg-type]
    assert isinstance(record.cards, tuple)
    grown = record.with_card(residence2(TODAY))
    assert len(record.cards) == 1 and len(grown.cards) == 2 and grown.reference == "A-7"


# --- messages -----------------------------------------------------------------------------------

def test_every_template_fills_in_both_languages() -> None:
    params = {"date": "D", "rel": "R", "residence": "S", "card": "C", "end": "E"}
    for code, (en, ja) in MESSAGES.items():
        for text in (en, ja):
            filled = text.format(**params)
            assert "{" not in filled and "}" not in filled, code
        assert not set(ja) <= set(string.printable), f"{code}: Japanese text missing"
        assert en.isascii() or any(c in en for c in "申特有定在"), code


def test_every_finding_code_is_reachable_and_findings_sort_most_urgent_first() -> None:
    stay = in_days(700)
    scenarios = [
        [residence2(in_days(40))], [residence2(in_days(-2))],
        [residence2(in_days(-2), pending=True)], [residence2(d("2026-01-01"), pending=True)],
        [CardFacts("residence-first")],
        [CardFacts("residence-first", expiry_source="eye")],
        [CardFacts("residence-second", card_expiry=in_days(20))],
        [CardFacts("residence-second", card_expiry=in_days(-20))],
        [specified(stay, in_days(20))], [specified(stay, in_days(-20))],
        [specified(stay, stay, pending=True)],
        [mynumber(in_days(20))], [mynumber(in_days(-20))],
        [residence2(stay), mynumber(in_days(20))], [residence2(stay), mynumber(in_days(-20))],
        [residence2(in_days(20), pending=True), mynumber(in_days(20))],
        [mynumber(stay, in_days(20))], [mynumber(None, in_days(20))],
        [mynumber(None, in_days(-20))],
    ]
    seen: set[str] = set()
    for cards in scenarios:
        result = assess(ClientRecord(None, cards), TODAY)
        levels = [f.level for f in result.findings]
        assert levels == sorted(levels, reverse=True)
        seen |= {f.code for f in result.findings}
    assert seen == FINDING_CODES


def test_client_level_is_the_worst_finding() -> None:
    result = assess(ClientRecord("X", (residence2(in_days(200)), mynumber(in_days(-5)))), TODAY)
    assert result.level is Level.EXPIRED and result.needs_attention
    assert result.min_days_left == -5
    fine = assess(ClientRecord("Y", (residence2(in_days(200)), mynumber(in_days(200)))), TODAY)
    assert fine.findings == () and fine.level is Level.OK and not fine.needs_attention
    assert fine.kinds == ("residence-second", "mynumber")


# --- expiry on a month end, checked the day before, of and after ---------------------------------

@pytest.mark.parametrize("expiry", ["2027-01-31", "2027-02-28", "2028-02-29", "2027-03-31",
                                    "2027-12-31"])
def test_month_end_expiry_day_before_of_and_after(expiry: str) -> None:
    day = d(expiry)
    for today, days, codes in [(day - DAY, 1, ["residence-expiring"]),
                               (day, 0, ["residence-expiring"]),
                               (day + DAY, -1, ["residence-expired"])]:
        result = assess_card(residence2(day), today)
        assert result.dates[0].days_left == days, today
        assert [f.code for f in result.findings] == codes, today
    # Leap year or not, the day after is the 1st of the next month.
    assert (day + DAY).day == 1


def test_leap_day_card_seen_from_the_previous_year() -> None:
    # 2028-02-29 is 365 days after 2027-03-01 (2028 is a leap year) and 366 after 2027-02-28.
    card = mynumber(d("2028-02-29"))
    assert assess_card(card, d("2027-03-01")).dates[0].days_left == 365
    assert assess_card(card, d("2027-02-28")).dates[0].days_left == 366
    # 90 days before the leap day: 2027-12-01 (Dec 30 + Jan 31 + Feb 29).
    assert codes_of(card, today=d("2027-12-01")) == ["mynumber-card-expiring"]
    assert codes_of(card, today=d("2027-11-30")) == []
