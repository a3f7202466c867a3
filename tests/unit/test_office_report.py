"""Office report writers: the row's keys, CSV with one BOM and appends, atomic JSON and HTML,
references that look like a number refused, sorting by urgency."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from cardtool.errors import BadInputFile
from cardtool.excel_csv import BOM
from cardtool.expiry import CardFacts, ClientRecord, Thresholds, assess
from cardtool.services.office_files import CsvLog, OfficeReport, load_json_report, read_csv_rows
from cardtool.services.office_html import render_html
from cardtool.services.office_report import (
    FINDING_KEYS,
    JSON_ROW_KEYS,
    ROW_KEYS,
    csv_cells,
    row_from_assessment,
    urgency_key,
)
from cardtool.typed_text import ReferenceRejected, clean_reference
from tests.support.office_demo import DEMO_NOW, DEMO_TODAY, demo_records, demo_rows

#: What a row may ever say. A new key must be added here on purpose, after checking it
#: cannot carry a My Number, a name, an image, a photo or a card number.
ALLOWED_KEYS = {
    "no", "read_at", "as_of", "reference", "kinds", "level",
    "residence_expiry", "residence_days_left", "residence_expiry_source", "renewal_pending",
    "residence_card_expiry", "residence_card_days_left", "residence_card_expiry_source",
    "mynumber_card_expiry", "mynumber_card_days_left",
    "certificate_expiry", "certificate_days_left",
    "findings", "messages_ja", "messages_en",
    "authenticity", "authenticity_failures",
}


def report(tmp_path: Path, **kwargs: Any) -> OfficeReport:
    paths = {"csv_path": tmp_path / "r.csv", "json_path": tmp_path / "r.json",
             "html_path": tmp_path / "r.html"}
    paths.update(kwargs)
    return OfficeReport(lang="ja", now=lambda: DEMO_NOW, **paths)


def assessed(index: int) -> Any:
    return assess(demo_records()[index], DEMO_TODAY)


# --- rows ------------------------------------------------------------------------------------

def test_rows_have_only_the_allowed_keys() -> None:
    assert set(ROW_KEYS) <= ALLOWED_KEYS
    assert set(JSON_ROW_KEYS) <= ALLOWED_KEYS
    for row in demo_rows():
        assert set(row) == set(JSON_ROW_KEYS)
        for f in row["findings"]:
            assert set(f) == set(FINDING_KEYS)
        assert len(csv_cells(row)) == len(ROW_KEYS)


def test_row_content_for_a_client_whose_mynumber_card_was_not_updated() -> None:
    row = demo_rows()[0]
    assert row["no"] == 1 and row["reference"] == "A-101"
    assert row["kinds"] == ["residence-second", "mynumber"]
    assert row["level"] == "urgent"
    assert (row["residence_expiry"], row["residence_days_left"]) == ("2030-03-09", 1095)
    assert row["residence_expiry_source"] == "chip"
    assert (row["mynumber_card_expiry"], row["mynumber_card_days_left"]) == ("2027-03-30", 20)
    assert (row["certificate_expiry"], row["certificate_days_left"]) == ("2027-03-30", 20)
    assert row["renewal_pending"] is False
    assert [f["code"] for f in row["findings"]] == ["mynumber-not-updated"]
    assert row["read_at"] == "2027-03-10T17:30:00+09:00" and row["as_of"] == "2027-03-10"
    cells = dict(zip(ROW_KEYS, csv_cells(row), strict=True))
    assert cells["kinds"] == "residence-second mynumber"
    assert cells["renewal_pending"] == "false"
    assert "有効期間変更" in cells["messages_ja"] and "有効期間変更" in cells["messages_en"]


def test_first_generation_row_says_check_by_eye_or_typed() -> None:
    rows = demo_rows()
    by_ref = {r["reference"]: r for r in rows}
    assert by_ref["A-105"]["residence_expiry_source"] == "check-by-eye"
    assert by_ref["A-105"]["residence_expiry"] is None
    assert by_ref["A-105"]["level"] == "check"
    assert by_ref["A-107"]["residence_expiry_source"] == "typed"


@pytest.mark.parametrize("text", [
    "123456789018", "1234 5678 9018", "1234-5678-9018", "１２３４５６７８９０１８",
    "client 123456789018", "AB12345678CD", "ab-12345678-cd", "ＡＢ１２３４５６７８ＣＤ",
    "x" * 41,
])
def test_number_like_or_long_references_are_refused(text: str) -> None:
    with pytest.raises(ReferenceRejected) as info:
        clean_reference(text)
    assert info.value.exit_code == 1


def test_references_are_cleaned() -> None:
    assert clean_reference("  A-102\t") == "A-102"
    assert clean_reference("2027/0042") == "2027/0042"
    assert clean_reference("Ａ－１０２") == "A-102"  # NFKC: what a Japanese IME types
    assert clean_reference("a\x1b[31mb") == "a[31mb"  # no terminal escapes in a report
    assert clean_reference("") is None and clean_reference("   ") is None
    assert clean_reference(None) is None


def test_a_number_like_reference_never_reaches_a_row() -> None:
    a = assess(ClientRecord("123456789018", (CardFacts("mynumber"),)), DEMO_TODAY)
    with pytest.raises(ReferenceRejected):
        row_from_assessment(a, 1, DEMO_NOW)


def test_urgency_order() -> None:
    rows = sorted(demo_rows(), key=urgency_key)
    assert [r["reference"] for r in rows] == [
        "A-106", "A-101", "A-102", "A-107", "A-104", "", "A-105", "A-103"]


# --- CSV ---------------------------------------------------------------------------------------

def test_csv_bom_only_once_and_rows_appended(tmp_path: Path) -> None:
    path = tmp_path / "office.csv"
    log = CsvLog(path)
    rows = demo_rows()
    for row in rows[:3]:
        log.append(row)
    log.close()
    raw = path.read_bytes()
    assert raw.startswith(BOM + b"no,read_at,as_of,reference,")
    assert raw.count(BOM) == 1
    # A later session appends: still one BOM, one header.
    log = CsvLog(path)
    for row in rows[3:]:
        log.append(row)
    log.close()
    raw = path.read_bytes()
    assert raw.count(BOM) == 1 and raw.count(b"no,read_at,as_of") == 1
    back = read_csv_rows(path)
    assert [r["reference"] for r in back] == [r["reference"] for r in rows]
    assert list(back[0]) == list(ROW_KEYS)
    # Japanese and multi-line cells survive (what Excel shows thanks to the BOM).
    assert back[1]["messages_ja"].count("\n") == 1
    assert "特例期間" in back[1]["messages_ja"]
    assert raw.endswith(b"\r\n")


def test_csv_torn_last_row_is_dropped_on_reopen(tmp_path: Path) -> None:
    path = tmp_path / "office.csv"
    log = CsvLog(path)
    rows = demo_rows()
    log.append(rows[0])
    log.close()
    with open(path, "ab") as fh:
        fh.write(b'2,2027-03-10T17:30:00+09:00,2027-03-10,A-1,"residence')  # power cut
    log = CsvLog(path)
    log.append(rows[1])
    log.close()
    assert [r["reference"] for r in read_csv_rows(path)] == ["A-101", "A-102"]


def test_csv_with_a_torn_header_is_completed(tmp_path: Path) -> None:
    path = tmp_path / "office.csv"
    path.write_bytes(BOM + b"no,read_at,as")
    log = CsvLog(path)
    log.append(demo_rows()[2])
    log.close()
    assert path.read_bytes().count(BOM) == 1
    assert [r["reference"] for r in read_csv_rows(path)] == ["A-103"]


def test_csv_of_another_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("name,my_number\nsomeone,1\n", encoding="utf-8")
    with pytest.raises(BadInputFile) as info:
        CsvLog(path)
    assert info.value.exit_code == 6
    assert path.read_text(encoding="utf-8") == "name,my_number\nsomeone,1\n"


def test_unwritable_paths_fail_before_any_card(tmp_path: Path) -> None:
    with pytest.raises(BadInputFile):
        report(tmp_path, csv_path=tmp_path / "missing-dir" / "r.csv")
    with pytest.raises(BadInputFile):
        report(tmp_path, json_path=tmp_path / "missing-dir" / "r.json")
    with pytest.raises(BadInputFile):
        report(tmp_path, html_path=tmp_path / "missing-dir" / "r.html")


# --- JSON and HTML snapshots -------------------------------------------------------------------

def test_json_and_html_are_complete_after_every_card(tmp_path: Path) -> None:
    r = report(tmp_path)
    # Written at once (empty), so a wrong path shows before the first card.
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["rows"] == []
    assert "まだカードを読み取っていません" in (tmp_path / "r.html").read_text(encoding="utf-8")
    for i in range(3):
        r.add(assessed(i))
        doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
        assert doc["format"] == "cardtool-office-report" and doc["version"] == 1
        assert [row["no"] for row in doc["rows"]] == list(range(1, i + 2))
        assert doc["thresholds"] == {"soon_days": 90, "urgent_days": 30}
        page = (tmp_path / "r.html").read_text(encoding="utf-8")
        assert page.endswith("</html>\n") and page.count("<tr>") == i + 2
    r.close()
    # No temp file is left behind by the atomic writes.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.html", "r.json"]


def test_second_card_of_a_client_replaces_the_row(tmp_path: Path) -> None:
    r = report(tmp_path)
    record = ClientRecord("B-7", (CardFacts("residence-second", card_expiry=DEMO_TODAY,
                                            residence_expiry=DEMO_TODAY + dt.timedelta(900),
                                            renewal_pending=False),))
    first = r.add(assess(record, DEMO_TODAY))
    both = record.with_card(CardFacts("mynumber", card_expiry=DEMO_TODAY + dt.timedelta(10)))
    second = r.replace_last(assess(both, DEMO_TODAY))
    r.close()
    assert first["no"] == second["no"] == 1
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert len(doc["rows"]) == 1 and doc["rows"][0]["kinds"] == ["residence-second", "mynumber"]
    # The CSV is append-only: the client's row again, complete, with the same number.
    csv_rows = read_csv_rows(tmp_path / "r.csv")
    assert [(c["no"], c["kinds"]) for c in csv_rows] == [
        ("1", "residence-second"), ("1", "residence-second mynumber")]
    assert "mynumber-not-updated" in csv_rows[-1]["findings"]


def test_an_existing_json_report_is_continued(tmp_path: Path) -> None:
    r = report(tmp_path)
    r.add(assessed(0))
    r.add(assessed(1))
    r.close()
    r = report(tmp_path)
    assert [row["no"] for row in r.rows] == [1, 2]
    r.add(assessed(2))
    r.close()
    assert [row["no"] for row in load_json_report(tmp_path / "r.json")] == [1, 2, 3]
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert all(ref in page for ref in ("A-101", "A-102", "A-103"))


@pytest.mark.parametrize("content", [b"[1, 2]", b'{"format": "other"}', b"not json", b"\xff\xfe"])
def test_a_foreign_json_file_is_refused_and_kept(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(content)
    with pytest.raises(BadInputFile):
        report(tmp_path, csv_path=None, html_path=None)
    assert path.read_bytes() == content


def test_html_report_layout(tmp_path: Path) -> None:
    page = render_html(demo_rows(), DEMO_NOW, Thresholds(), "ja")
    assert '<html lang="ja">' in page
    assert "@page { size: A4 portrait;" in page
    assert '"Noto Sans CJK JP"' in page
    assert "作成日時 2027-03-10 17:30(日本時間)" in page
    # The legend names every level with the thresholds in force.
    for name in ("期限切れ", "至急", "期限間近", "要目視確認", "問題なし"):
        assert name in page
    assert "残り30日以内" in page and "残り31〜90日" in page
    # Rows most urgent first.
    refs = re.findall(r"<td>(A-\d+)</td>", page)
    assert refs == ["A-106", "A-101", "A-102", "A-107", "A-104", "A-105", "A-103"]
    en = render_html(demo_rows(Thresholds(60, 14)), DEMO_NOW, Thresholds(60, 14), "en")
    assert "Generated 2027-03-10 17:30 (JST)" in en and "15 to 60 days left" in en


def test_html_escapes_what_staff_typed(tmp_path: Path) -> None:
    a = assess(ClientRecord("<b>x</b>&", (CardFacts("mynumber"),)), DEMO_TODAY)
    page = render_html([row_from_assessment(a, 1, DEMO_NOW)], DEMO_NOW, Thresholds(), "en")
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;&amp;" in page
