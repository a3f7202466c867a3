"""Card kinds are declared once (``cardtool.card_kind``): a kind added only as a profile (here
a test-only second-generation My Number card, registered for the test) gets the expiry
rules' card-expiry findings, its office columns and its register row, without any other
file knowing its name."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from cardtool import card_kind
from cardtool.card_kind import PROFILES, CardKind, KindLabel, kind_label, kind_profile
from cardtool.expiry import BadCardFacts, CardFacts, ClientRecord, assess, codes
from cardtool.register.model import as_kind
from cardtool.services.office_report import row_from_assessment

TODAY = dt.date(2027, 3, 10)
NEW_KIND = "mynumber-gen2-test"


@pytest.fixture
def new_kind(monkeypatch: pytest.MonkeyPatch) -> str:
    profile = dataclasses.replace(
        PROFILES[CardKind.MYNUMBER], kind=NEW_KIND,
        label=KindLabel(("My Number card (2nd gen, test)", "次期マイナンバーカード(試験)"),
                        ("My Number 2", "マイナンバー2")))
    monkeypatch.setitem(PROFILES, NEW_KIND, profile)
    return NEW_KIND


def test_a_test_only_kind_gets_its_card_expiry_findings(new_kind: str) -> None:
    soon = CardFacts(new_kind, card_expiry=TODAY + dt.timedelta(days=20),
                     certificate_expiry=TODAY + dt.timedelta(days=20))
    assert soon.kind == new_kind and soon.has_mynumber and not soon.is_residence
    assert codes(assess(ClientRecord(None, (soon,)), TODAY).findings) == [
        "mynumber-card-expiring"]
    expired = CardFacts(new_kind, card_expiry=TODAY - dt.timedelta(days=1))
    assert codes(assess(ClientRecord(None, (expired,)), TODAY).findings) == [
        "mynumber-card-expired"]
    # Against the client's residence card, as a My Number card is: renewed stay, card not.
    residence = CardFacts(CardKind.RESIDENCE_SECOND, residence_expiry=TODAY + dt.timedelta(
        days=1000), card_expiry=TODAY + dt.timedelta(days=1000), renewal_pending=False)
    assessment = assess(ClientRecord("A-1", (residence, soon)), TODAY)
    assert codes(assessment.findings) == ["mynumber-not-updated"]
    # The office row's My Number column and the register's kind take it too.
    row = row_from_assessment(assessment, 1, dt.datetime(2027, 3, 10, tzinfo=dt.UTC))
    assert row["mynumber_card_days_left"] == 20 and row["kinds"] == ["residence-second",
                                                                      new_kind]
    assert as_kind(new_kind) == new_kind
    assert kind_label(new_kind, "ja", short=True) == "マイナンバー2"


def test_without_its_profile_the_kind_is_refused() -> None:
    with pytest.raises(BadCardFacts):
        CardFacts(NEW_KIND, card_expiry=TODAY)
    with pytest.raises(ValueError):
        as_kind(NEW_KIND)
    assert kind_label(NEW_KIND, "en") == NEW_KIND  # a report from a newer version


def test_every_declared_kind_has_a_profile_and_the_sets_follow_from_it() -> None:
    assert set(PROFILES) == {k.value for k in CardKind}
    assert {k for k in CardKind if kind_profile(k).has_mynumber} == {CardKind.MYNUMBER,
                                                                      CardKind.SPECIFIED}
    assert {k for k in CardKind if kind_profile(k).is_residence} == {
        CardKind.RESIDENCE_FIRST, CardKind.RESIDENCE_SECOND, CardKind.SPECIFIED}
    assert {k for k in CardKind if kind_profile(k).expiry_checked} == {
        CardKind.MYNUMBER, CardKind.SPECIFIED, CardKind.RESIDENCE_FIRST,
        CardKind.RESIDENCE_SECOND}
    assert [k for k in CardKind if kind_profile(k).dates_typed] == [CardKind.RESIDENCE_FIRST]
    assert [k for k in CardKind if kind_profile(k).separate_mynumber_card] == [CardKind.MYNUMBER]
    with pytest.raises(card_kind.UnknownKind):
        kind_profile("no-such-kind")


def _kind_names_compared(source: str) -> list[int]:
    import ast

    names = {k.value for k in CardKind}
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            parts = [node.left, *node.comparators]
            for part in parts:
                elts = part.elts if isinstance(part, ast.Tuple | ast.List | ast.Set) else [part]
                if any(isinstance(e, ast.Constant) and e.value in names for e in elts):
                    found.append(node.lineno)
    return found


def test_the_rules_office_and_register_never_compare_a_kind_by_name() -> None:
    """(expiry.py compared kind strings in six places, so a new kind got no findings.)"""
    from tests.support.cli import ROOT

    paths = [*sorted((ROOT / "cardtool" / "expiry").glob("*.py")),
             *sorted((ROOT / "cardtool" / "register").glob("*.py")),
             ROOT / "cardtool" / "services" / "office.py",
             ROOT / "cardtool" / "services" / "office_report.py",
             ROOT / "cardtool" / "services" / "office_files.py",
             ROOT / "cardtool" / "services" / "office_html.py",
             ROOT / "cardtool" / "services" / "card_facts.py"]
    found = {f"{p.name}:{n}" for p in paths for n in _kind_names_compared(
        p.read_text(encoding="utf-8"))}
    assert not found, sorted(found)
    assert _kind_names_compared('if card.kind == "residence-first": pass') == [1]
