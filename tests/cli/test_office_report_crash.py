"""kill -9 while the office report is being written: every row already written survives,
the CSV has whole rows only, the JSON and HTML are complete documents."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cardtool.excel_csv import BOM
from cardtool.services.office_files import OfficeReport, load_json_report, read_csv_rows
from cardtool.services.office_report import ROW_KEYS

ROOT = Path(__file__).resolve().parents[2]

WRITER = r"""
import sys
from cardtool.expiry import assess
from cardtool.services.office_files import OfficeReport
from tests.support.office_demo import DEMO_NOW, DEMO_TODAY, demo_records

report = OfficeReport(csv_path=sys.argv[1], json_path=sys.argv[2], html_path=sys.argv[3],
                      lang="ja", now=lambda: DEMO_NOW)
records = [r for r in demo_records() if r.reference]
n = 0
while True:
    report.add(assess(records[n % len(records)], DEMO_TODAY))
    n += 1
    print(n, flush=True)
"""


@pytest.mark.parametrize("extra_delay", [0.0, 0.013, 0.051])
def test_sigkill_mid_run_keeps_every_written_row(tmp_path: Path, extra_delay: float) -> None:
    csv_path, json_path, html_path = (tmp_path / n for n in ("o.csv", "o.json", "o.html"))
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(csv_path), str(json_path),
                             str(html_path)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    confirmed = 0
    while confirmed < 12:
        line = proc.stdout.readline()
        assert line, "writer died"
        confirmed = int(line)
    time.sleep(extra_delay)  # land the kill at different points of a write
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    raw = csv_path.read_bytes()
    assert raw.count(BOM) == 1 and raw.endswith(b"\r\n")
    csv_rows = read_csv_rows(csv_path)
    assert len(csv_rows) >= confirmed
    assert [int(r["no"]) for r in csv_rows] == list(range(1, len(csv_rows) + 1))
    assert all(list(r) == list(ROW_KEYS) and r["level"] and r["as_of"] for r in csv_rows)

    doc = json.loads(json_path.read_text(encoding="utf-8"))
    assert len(doc["rows"]) >= confirmed
    assert [r["no"] for r in doc["rows"]] == list(range(1, len(doc["rows"]) + 1))
    page = html_path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    assert page.count("<tr>") - 1 >= confirmed

    # The next session continues both files where the crash left them.
    again = OfficeReport(csv_path=csv_path, json_path=json_path, lang="ja")
    assert len(again.rows) == len(doc["rows"])
    again.close()
    assert read_csv_rows(csv_path) == csv_rows
    assert len(load_json_report(json_path)) == len(doc["rows"])
