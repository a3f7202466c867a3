"""Fault sweep over the residence flows (as tests/faults/test_fault_sweep.py does for the My
Number flows): each fault kind at each exchange of a normal read. Every run ends in success
or one clear line with a documented exit code; at most one VERIFY of the card number is
ever sent; the trace stays readable."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from apdu.trace import read_trace
from cardtool import front_dates
from tests.faults.test_fault_sweep import (
    DOCUMENTED_EXIT_CODES,
    Flow,
    exchange_count,
    plans,
    run_flow,
)

ANCHOR = ["--trust-anchor", "cardtool/virtual/pki/residence2-ca-TEST.crt.pem"]
FLOWS = [
    Flow("residence-read", ["read", "--card-number-stdin"], "AB12345678CD\n", "residence"),
    Flow("residence2-read", ["read", "--card-number-stdin", *ANCHOR], "AB98765432CD\n",
         "residence2"),
    Flow("specified-read", ["read", "--card-number-stdin", *ANCHOR], "TK12345678AP\n",
         "specified"),
]


def _no_tesseract() -> front_dates.Engine:
    raise front_dates.OcrUnavailable(detail="left out of the fault sweep")


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.name)
def test_residence_fault_sweep(flow: Flow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    # The sweep is about the APDUs; OCR of the front image sends none and would cost
    # seconds of Tesseract per run, so each run reads as on a PC without Tesseract (a
    # real path: the dates are then left to typing, with the hint).
    monkeypatch.setattr(front_dates, "default_engine", _no_tesseract)
    n = exchange_count(flow, tmp_path, monkeypatch, capsys)
    outcomes: collections.Counter[tuple[str, int]] = collections.Counter()
    for plan in plans(n):
        code, err, card, trace = run_flow(flow, plan, tmp_path, monkeypatch, capsys)
        outcomes[(plan.split("@")[0], code)] += 1
        context = f"{flow.name} {plan}: exit {code}: {err!r}"
        assert code in DOCUMENTED_EXIT_CODES, context
        assert "Traceback" not in err, context
        if code != 0:
            lines = [line for line in err.strip().splitlines() if line.startswith("cardtool:")]
            assert len(lines) == 1, context
        verifies = [c for c in card.log if c[1] == 0x20 and len(c) > 5 and c[0] & 0x80 == 0]
        assert len(verifies) <= 1, context
        numbers = [e["n"] for e in read_trace(trace).exchanges()]
        assert numbers == list(range(1, len(numbers) + 1)), context
    print(f"\n{flow.name}: {sum(outcomes.values())} runs over {n} exchanges; outcomes "
          + ", ".join(f"{k}->{c}: {v}" for (k, c), v in sorted(outcomes.items())))
