"""Rendering of the expiry rules: exit codes, text (ja/en), JSON, the live table."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cardtool.cli.expiry_render import (
    assessment_json,
    exit_code_for,
    render_assessment,
    table_lines,
)
from cardtool.cli.render import display_width
from cardtool.expiry import CardFacts, Thresholds, assess_card
from tests.support.office_demo import DEMO_TODAY, demo_rows


def in_days(n: int) -> dt.date:
    return DEMO_TODAY + dt.timedelta(days=n)


@pytest.mark.parametrize(("days", "code"), [(91, 0), (90, 5), (30, 5), (0, 5), (-1, 5)])
def test_exit_code_5_when_soon_urgent_or_expired(days: int, code: int) -> None:
    card = CardFacts("mynumber", card_expiry=in_days(days))
    assert exit_code_for(assess_card(card, DEMO_TODAY)) == code


def test_exit_code_follows_the_thresholds() -> None:
    card = CardFacts("mynumber", card_expiry=in_days(50))
    assert exit_code_for(assess_card(card, DEMO_TODAY, Thresholds(40, 10))) == 0
    assert exit_code_for(assess_card(card, DEMO_TODAY, Thresholds(50, 10))) == 5


def test_check_by_eye_alone_is_not_an_expiry_warning() -> None:
    first = assess_card(CardFacts("residence-first", renewal_pending=False), DEMO_TODAY)
    assert exit_code_for(first) == 0
    lines = render_assessment(first, "ja")
    assert lines[-1] == "判定: 要目視確認"
    assert "日付なし(カード表面を確認)" in lines[1]


def test_text_rendering_in_both_languages() -> None:
    card = CardFacts("specified", card_expiry=in_days(20), certificate_expiry=in_days(20),
                     residence_expiry=in_days(20), renewal_pending=False)
    en = render_assessment(assess_card(card, DEMO_TODAY), "en")
    assert en[0] == "特定在留カード:"
    assert en[1] == "  period of stay: 2027-03-30 (20 days left) Urgent [chip]"
    assert "Findings:" in en and en[-1] == "Result: Urgent"
    ja = render_assessment(assess_card(card, DEMO_TODAY), "ja")
    assert ja[1] == "  在留期間満了日: 2027-03-30 (残り20日) 至急 [ICチップ]"
    assert any(line.startswith("  [至急] 在留期間の満了日は2027年3月30日") for line in ja)
    today = render_assessment(assess_card(CardFacts("mynumber", card_expiry=DEMO_TODAY,
                                                    expiry_source="get-data-f2"), DEMO_TODAY),
                              "en")
    assert today[1] == ("  card expiry: 2027-03-10 (last day today) Urgent "
                        "[card data (GET DATA)]")


def test_json_rendering() -> None:
    card = CardFacts("mynumber", card_expiry=in_days(-2), certificate_expiry=in_days(-2))
    out = assessment_json(assess_card(card, DEMO_TODAY))
    json.dumps(out)  # serialisable as is
    assert out["level"] == "expired" and out["as_of"] == "2027-03-10"
    assert [d["field"] for d in out["dates"]] == ["card-expiry", "certificate-expiry"]
    assert out["dates"][0]["days_left"] == -2
    assert [f["code"] for f in out["findings"]] == ["mynumber-card-expired"]
    assert out["findings"][0]["message_ja"].startswith("マイナンバーカードの有効期限は")


def test_live_table_is_aligned_with_japanese_text() -> None:
    lines = table_lines(demo_rows(), "ja")
    assert lines[0].startswith("No.  参照番号")
    assert len(lines) == 1 + len(demo_rows())
    # The findings column starts at the same terminal column on every line.
    starts = {display_width(lines[0][:lines[0].index("所見")])}
    for line, row in zip(lines[1:], demo_rows(), strict=True):
        codes = " ".join(f["code"] for f in row["findings"]) or "-"
        assert line.endswith(codes)
        starts.add(display_width(line[:-len(codes)]))
    assert len(starts) == 1, lines
    assert "2027-03-07 (-3)" in lines[6]
