"""`cardtool office` through the real pcscd + vpcd: one vpcd slot, the clients' cards held
one after the other (each served by its own `cardtool emulate` process), the prompts
answered on standard input, Ctrl-C to finish; then the CSV and JSON rows and findings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cardtool.excel_csv import BOM
from cardtool.jst import today_jst
from cardtool.services.office_files import read_csv_rows
from cardtool.services.office_report import ROW_KEYS
from cardtool.virtual.persona import load_persona
from tests.support.pcsc import emulated, require_vpcd, vpcd_reader_name, wait_for

pytestmark = pytest.mark.pcsc
ROOT = Path(__file__).resolve().parents[2]
SLOT = 0
READER = vpcd_reader_name(SLOT)
HOLD = "Hold the next card on the reader (Ctrl-C to finish)"
REMOVE = "Remove the card."


def number(kind: str, persona: str | None) -> str:
    value = load_persona(persona, kind).card_number
    assert value is not None
    return value


# (kind, persona, answers to the prompts this card brings, in order)
CARDS: list[tuple[str, str | None, list[str]]] = [
    # A: renewed visa, My Number card not updated. No reference: paired by order.
    ("residence2", "office-renewed-residence2",
     [number("residence2", "office-renewed-residence2"), ""]),
    ("mynumber", "office-renewed-mynumber", ["", ""]),  # no reference; same client? [Y/n]
    # B: renewal pending; paired by reference (the My Number card first this time).
    ("mynumber", "office-pending-mynumber", ["B-2"]),
    ("residence2", "office-pending-residence2",
     [number("residence2", "office-pending-residence2"), "B-2"]),
    # C: fine. The previous client has two cards: the default is "no", staff say "n"...
    ("residence2", None, [number("residence2", None), "", "n"]),
    # ... and "y" for the second card.
    ("mynumber", "office-fine-mynumber", ["", "y"]),
    # D: a 特定在留カード holder whose stay ends in 60 days.
    ("specified", "office-specified", [number("specified", "office-specified"), "D-4"]),
]


def test_office_session_over_pcsc(tmp_path: Path) -> None:
    require_vpcd()
    csv_path, json_path, html_path = (tmp_path / n for n in ("o.csv", "o.json", "o.html"))
    out_path, err_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8", "CARDTOOL_LANG": "en"}
    answers = "".join(a + "\n" for _, _, card_answers in CARDS for a in card_answers)
    started = time.monotonic()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cardtool", "office", "--reader", READER,
             "--csv", str(csv_path), "--json", str(json_path), "--html", str(html_path)],
            stdin=subprocess.PIPE, stdout=out, stderr=err, text=True, cwd=ROOT, env=env)
        try:
            assert proc.stdin is not None
            proc.stdin.write(answers)
            proc.stdin.flush()
            for i, (kind, persona, _) in enumerate(CARDS, start=1):
                wait_for(err_path, HOLD, i, proc)  # staff hold a card only when asked
                with emulated(kind, persona, SLOT):
                    wait_for(err_path, REMOVE, i, proc)
                # The card is off the reader (emulate stopped, pcscd saw the removal).
            wait_for(err_path, HOLD, len(CARDS) + 1, proc)
            proc.send_signal(signal.SIGINT)  # Ctrl-C: finish
            assert proc.wait(timeout=30) == 0, err_path.read_text(encoding="utf-8")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    elapsed = time.monotonic() - started
    stderr = err_path.read_text(encoding="utf-8")
    stdout = out_path.read_text(encoding="utf-8")
    assert "Cards read: 7; clients: 4." in stderr
    # Cards 2 and 6 complete a one-card client (default yes); card 5 follows a complete
    # client (default no); references answer the question for cards 3, 4 and 7.
    assert stderr.count("Same client as the previous card? [Y/n]") == 2
    assert stderr.count("Same client as the previous card? [y/N]") == 1
    assert "PIN" not in stderr  # never asked for a My Number card PIN

    today = today_jst()
    doc = json.loads(json_path.read_text(encoding="utf-8"))
    rows = doc["rows"]
    assert [(r["no"], r["reference"], r["kinds"], r["level"]) for r in rows] == [
        (1, "", ["residence-second", "mynumber"], "urgent"),
        (2, "B-2", ["mynumber", "residence-second"], "urgent"),
        (3, "", ["residence-second", "mynumber"], "ok"),
        (4, "D-4", ["specified"], "soon"),
    ]
    assert all(r["as_of"] == today.isoformat() for r in rows)
    findings = [[f["code"] for f in r["findings"]] for r in rows]
    assert findings == [
        ["mynumber-not-updated"],
        ["mynumber-2-month-extension", "residence-renewal-pending"],
        [],
        ["residence-expiring"],
    ]
    a, b, c, d = rows
    assert (a["residence_days_left"], a["mynumber_card_days_left"],
            a["certificate_days_left"]) == (1095, 20, 20)
    assert a["renewal_pending"] is False and b["renewal_pending"] is True
    assert (b["residence_days_left"], b["mynumber_card_days_left"]) == (25, 25)
    assert (c["residence_days_left"], c["mynumber_card_days_left"]) == (1400, 1400)
    assert (d["residence_days_left"], d["residence_card_days_left"],
            d["mynumber_card_days_left"], d["certificate_days_left"]) == (60, 60, 60, 60)
    not_updated = a["findings"][0]
    assert "有効期間変更" in not_updated["message_ja"]
    assert not_updated["date"] == a["mynumber_card_expiry"]

    raw = csv_path.read_bytes()
    assert raw.startswith(BOM) and raw.count(BOM) == 1
    csv_rows = read_csv_rows(csv_path)
    assert list(csv_rows[0]) == list(ROW_KEYS)
    # One row per card; the last row of each client is the complete one.
    assert [(r["no"], r["kinds"]) for r in csv_rows] == [
        ("1", "residence-second"), ("1", "residence-second mynumber"),
        ("2", "mynumber"), ("2", "mynumber residence-second"),
        ("3", "residence-second"), ("3", "residence-second mynumber"),
        ("4", "specified"),
    ]
    last = {r["no"]: r for r in csv_rows}
    assert [last[n]["findings"] for n in "1234"] == [" ".join(f) for f in findings]
    assert "特例期間" in last["2"]["messages_ja"]

    page = html_path.read_text(encoding="utf-8")
    assert page.index("B-2") < page.index("D-4")  # urgent before soon

    # Nothing personal or secret anywhere: no card number, My Number, name.
    everything = stdout + stderr + raw.decode("utf-8") + json.dumps(doc, ensure_ascii=False) + page
    for kind, persona, _ in CARDS:
        p = load_persona(persona, kind)
        for secret in (p.card_number, p.my_number, p.name):
            if secret:
                assert secret not in everything, (kind, persona)
    assert elapsed < 240
