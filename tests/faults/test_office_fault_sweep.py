"""Fault sweep over `cardtool office`: a My Number card then a second-generation residence
card, each fault kind at each exchange position (on both cards). The session must go on
after a bad card (one clear line for it), never crash, and every report file must stay
readable with every row completed before the fault."""

from __future__ import annotations

import collections
import io
import json
from pathlib import Path

import pytest

from cardtool import virtual
from cardtool.cli import main
from cardtool.virtual.faults import FaultPlan, FaultyCard
from tests.faults.test_fault_sweep import ORIGINAL_MAKE, plans

CARD_NUMBER = "AB98765432CD"
STDIN = f"A1\n{CARD_NUMBER}\nA2\n"


def run_office(plan: str | None, tmp: Path, monkeypatch: pytest.MonkeyPatch,
               capsys: pytest.CaptureFixture[str]) -> tuple[int, str, list[FaultyCard]]:
    made: list[FaultyCard] = []

    def faulty(spec: str) -> FaultyCard:
        card = FaultyCard(ORIGINAL_MAKE(spec), FaultPlan.parse(plan) if plan else FaultPlan(()))
        made.append(card)
        return card

    monkeypatch.setattr(virtual, "make_virtual_card", faulty)
    monkeypatch.setattr("sys.stdin", io.StringIO(STDIN))
    code = 0
    try:
        main(["--lang", "en", "office", "--virtual", "mynumber", "--virtual", "residence2",
              "--json", str(tmp / "office.json"), "--csv", str(tmp / "office.csv")])
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err, made


def test_office_fault_sweep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    code, err, cards = run_office(None, tmp_path, monkeypatch, capsys)
    assert code == 0, err
    n = max(card.exchange for card in cards)
    outcomes: collections.Counter[tuple[str, int]] = collections.Counter()
    for i, plan in enumerate(plans(n)):
        run_dir = tmp_path / f"run{i}"
        run_dir.mkdir()
        code, err, cards = run_office(plan, run_dir, monkeypatch, capsys)
        context = f"office {plan}: exit {code}: {err[-400:]!r}"
        assert code == 0, context
        assert "Traceback" not in err and "Internal error" not in err, context
        rows = 0
        report = run_dir / "office.json"
        if report.exists():
            data = json.loads(report.read_text(encoding="utf-8"))
            rows = len(data["rows"])
            for row in data["rows"]:
                assert CARD_NUMBER not in json.dumps(row), context
        csv_path = run_dir / "office.csv"
        if csv_path.exists():
            text = csv_path.read_text(encoding="utf-8-sig")
            assert CARD_NUMBER not in text
            assert len([ln for ln in text.splitlines()[1:] if ln.strip()]) >= rows, context
        # The My Number card is read before any fault can touch the residence card's
        # later exchanges; whenever it read fine, its row is in the report.
        outcomes[(plan.split("@")[0], rows)] += 1
        for card in cards:
            verifies = [c for c in card.log if c[1] == 0x20 and len(c) > 5]
            assert len(verifies) <= 1, context
    print(f"\noffice: {sum(outcomes.values())} runs over {n} exchanges; rows written: "
          + ", ".join(f"{k}->{r} rows: {v}" for (k, r), v in sorted(outcomes.items())))
