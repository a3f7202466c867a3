"""`cardtool expiry` and `cardtool office` end to end (subprocess, virtual cards)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from cardtool.excel_csv import BOM
from cardtool.jst import today_jst
from cardtool.services.office_files import read_csv_rows
from cardtool.virtual.persona import load_persona
from tests.support.cli import cardtool, one_line_error
from tests.support.ocr import needs_ocr


def number(kind: str, persona: str | None = None) -> str:
    value = load_persona(persona, kind).card_number
    assert value is not None
    return value


def expiry_json(*args: str, stdin: str | None = None) -> tuple[int, dict[str, object]]:
    out = cardtool("expiry", "--json", *args, stdin=stdin)
    assert out.returncode in (0, 5), out.stderr
    return out.returncode, json.loads(out.stdout)


def codes(result: dict[str, object]) -> list[str]:
    findings = result["findings"]
    assert isinstance(findings, list)
    return [f["code"] for f in findings]


def test_expiry_exit_5_for_a_card_expiring_in_20_days() -> None:
    code, result = expiry_json("--virtual", "mynumber:office-renewed-mynumber")
    assert code == 5
    assert result["level"] == "urgent" and codes(result) == ["mynumber-card-expiring"]
    assert result["as_of"] == today_jst().isoformat()


def test_expiry_exit_0_when_fine_and_the_thresholds_move_it() -> None:
    code, result = expiry_json("--virtual", "mynumber")
    assert code == 0 and result["level"] == "ok"
    assert codes(result) == ["certificate-before-card"]  # a note, level ok
    code, _ = expiry_json("--virtual", "mynumber:office-renewed-mynumber", "--soon-days", "10",
                          "--urgent-days", "5")
    assert code == 0


def test_expiry_second_generation_with_the_number_on_stdin() -> None:
    code, result = expiry_json("--virtual", "residence2:office-pending-residence2",
                               "--card-number-stdin",
                               stdin=number("residence2", "office-pending-residence2") + "\n")
    assert code == 5
    assert codes(result) == ["residence-renewal-pending"]
    assert result["renewal_pending"] is True


@needs_ocr
def test_expiry_first_generation_ocr_check_by_eye_or_typed() -> None:
    n = number("residence") + "\n"
    code, result = expiry_json("--virtual", "residence", "--card-number-stdin", stdin=n)
    assert (code, result["level"], codes(result)) == (0, "ok", [])
    assert {d["source"] for d in result["dates"]} == {"ocr"}
    assert result["face_dates"]["note"] == "read from the card image — confirm against the card"
    blank = number("residence", "residence-blank") + "\n"
    code, result = expiry_json("--virtual", "residence:residence-blank", "--card-number-stdin",
                               stdin=blank)
    assert (code, result["level"], codes(result)) == (0, "check", ["residence-check-by-eye"])
    assert result["face_dates"]["reason"] == "blank-image"
    soon = (today_jst() + dt.timedelta(days=20)).isoformat()
    code, result = expiry_json("--virtual", "residence", "--card-number-stdin",
                               "--typed-expiry", soon, stdin=n)
    assert (code, result["level"], codes(result)) == (5, "urgent", ["residence-expiring"])


def test_expiry_text_in_japanese() -> None:
    out = cardtool("--lang", "ja", "expiry", "--virtual", "specified:office-specified",
                   "--card-number-stdin", stdin=number("specified", "office-specified") + "\n")
    assert out.returncode == 5, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "特定在留カード:"
    assert lines[-1] == "判定: 期限間近"
    assert any("在留期間更新許可申請" in line for line in lines)


def test_expiry_usage_errors_are_one_line() -> None:
    out = cardtool("expiry", "--virtual", "mynumber", "--typed-expiry", "2027-01-01")
    assert out.returncode == 1 and "first-generation" in one_line_error(out)
    out = cardtool("expiry", "--virtual", "mynumber", "--soon-days", "10", "--urgent-days", "20")
    assert out.returncode == 1 and "urgent (20) <= soon (10)" in one_line_error(out)
    out = cardtool("expiry", "--virtual", "residence", "--typed-expiry", "someday")
    assert out.returncode == 1 and "is not a date" in one_line_error(out)


def test_office_session_with_virtual_cards(tmp_path: Path) -> None:
    csv_path, json_path, html_path = (tmp_path / n for n in ("o.csv", "o.json", "o.html"))
    answers = [
        number("residence2", "office-renewed-residence2"), "",  # number, no reference
        "", "",  # My Number card: no reference, same client (default yes)
        number("specified", "office-specified"), "S-1",
    ]
    out = cardtool("office", "--virtual", "residence2:office-renewed-residence2",
                   "--virtual", "mynumber:office-renewed-mynumber",
                   "--virtual", "specified:office-specified",
                   "--csv", str(csv_path), "--json", str(json_path), "--html", str(html_path),
                   stdin="".join(a + "\n" for a in answers))
    assert out.returncode == 0, out.stderr
    rows = json.loads(json_path.read_text(encoding="utf-8"))["rows"]
    assert [(r["no"], r["reference"], r["kinds"], r["level"]) for r in rows] == [
        (1, "", ["residence-second", "mynumber"], "urgent"),
        (2, "S-1", ["specified"], "soon"),
    ]
    assert [f["code"] for f in rows[0]["findings"]] == ["mynumber-not-updated"]
    assert csv_path.read_bytes().startswith(BOM)
    assert len(read_csv_rows(csv_path)) == 3
    assert "Cards read: 3; clients: 2." in out.stderr
    for text in (out.stdout, out.stderr, csv_path.read_text(encoding="utf-8-sig"),
                 json_path.read_text(encoding="utf-8"), html_path.read_text(encoding="utf-8")):
        for secret in answers[0], answers[4]:
            assert secret not in text
        assert load_persona("office-renewed-mynumber", "mynumber").my_number not in text


def test_office_refuses_a_foreign_csv_before_any_card(tmp_path: Path) -> None:
    other = tmp_path / "clients.csv"
    other.write_text("name,phone\n", encoding="utf-8")
    out = cardtool("office", "--virtual", "mynumber", "--csv", str(other), stdin="")
    assert out.returncode == 6
    assert "not a cardtool office CSV" in one_line_error(out)
    assert "Hold the next card" not in out.stderr
    out = cardtool("office", "--virtual", "mynumber", "--reader", "0", stdin="")
    assert out.returncode == 1 and "not both" in one_line_error(out)


def test_office_with_db_saves_every_card_to_the_register(tmp_path: Path) -> None:
    """`office --db`: each client of the session becomes a register client with a check per
    card; the residence card is recognised by its keyed hash on the next visit (a second
    session without a reference lands on the same client), and its number is nowhere in the
    database file."""
    from cardtool.register import Register

    db = tmp_path / "register.sqlite3"
    residence = "residence2:office-renewed-residence2"
    card_number = number("residence2", "office-renewed-residence2")
    # residence card: number, reference; My Number card: no reference, same client: yes.
    out = cardtool("office", "--virtual", residence, "--virtual", "mynumber:office-renewed-mynumber",
                   "--db", str(db), "--desk", "desk-1",
                   stdin="".join(a + "\n" for a in (card_number, "A-0042", "", "y")))
    assert out.returncode == 0, out.stderr
    assert str(db) in out.stderr  # "Written: …" names the register
    out = cardtool("office", "--virtual", residence, "--db", str(db), "--desk", "desk-2",
                   stdin="".join(a + "\n" for a in (card_number, "")))
    assert out.returncode == 0, out.stderr
    register = Register.open(str(db))
    try:
        (client,) = register.find_clients("")
        assert client.reference == "A-0042"
        history = register.history(client.id)
        assert sorted(c.card_kind for c in history) == [
            "mynumber", "residence-second", "residence-second"]
        assert {c.desk for c in history} == {"desk-1", "desk-2"}
        # Every read audited as the desk audits its reads (one save-to-client path).
        reads = sorted((desk, subject) for _, desk, action, subject
                       in register.audit_trail() if action == "read")
        assert reads == [("desk-1", "card:mynumber"), ("desk-1", "card:residence-second"),
                         ("desk-2", "card:residence-second")]
    finally:
        register.close()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("register.sqlite3*"))
    assert card_number.encode() not in stored


def test_office_with_a_register_that_cannot_be_opened_stops_before_any_card(
        tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    out = cardtool("office", "--virtual", "mynumber", "--db", str(blocker / "r.sqlite3"),
                   stdin="")
    assert out.returncode == 8, out.stderr
    assert "Hold the next card" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_office_records_one_trace_per_card_and_replays_one(tmp_path: Path) -> None:
    """office takes the global sources: --record writes one numbered trace per card, and
    --replay of one of them is a session of that one card with the same row."""
    trace = tmp_path / "o.jsonl"
    out = cardtool("office", "--virtual", "mynumber", "--virtual", "mynumber:office-renewed-mynumber",
                   "--record", str(trace), "--json", str(tmp_path / "live.json"),
                   stdin="A-1\nA-2\n")
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in tmp_path.glob("o*.jsonl")) == ["o-1.jsonl", "o-2.jsonl"]
    out = cardtool("office", "--replay", str(tmp_path / "o-2.jsonl"),
                   "--json", str(tmp_path / "replayed.json"), stdin="A-2\n")
    assert out.returncode == 0, out.stderr
    live = json.loads((tmp_path / "live.json").read_text(encoding="utf-8"))["rows"]
    replayed = json.loads((tmp_path / "replayed.json").read_text(encoding="utf-8"))["rows"]
    assert len(replayed) == 1
    keys = ("reference", "kinds", "level", "mynumber_card_expiry", "certificate_expiry")
    assert {k: replayed[0][k] for k in keys} == {k: live[1][k] for k in keys}
    out = cardtool("read", "--virtual", "mynumber", "--virtual", "residence", stdin="")
    assert out.returncode == 1 and "only a session of several cards" in one_line_error(out)


def test_office_csv_writes_a_formula_reference_as_text(tmp_path: Path) -> None:
    """A reference typed as a spreadsheet formula reaches the office CSV as text: Excel and
    LibreOffice would run ``=HYPERLINK(...)`` from a cell that starts with ``=``."""
    formula = '=HYPERLINK("http://x","A")'
    csv_path = tmp_path / "office.csv"
    out = cardtool("office", "--virtual", "mynumber", "--csv", str(csv_path),
                   stdin=formula + "\n")
    assert out.returncode == 0, out.stderr
    (row,) = read_csv_rows(csv_path)
    assert row["reference"] == "'" + formula
    assert not any(cell.startswith(("=", "+", "@")) for cell in row.values())
    assert b"'=HYPERLINK(" in csv_path.read_bytes()
