"""Fault sweep: every main flow, once per exchange position with each fault kind, through
the CLI in-process. Every run must end in success or one clear line with a documented exit
code, never an internal error; no second VERIFY after a failed or uncertain one; no PIN try
lost; the trace stays readable with every exchange completed before the fault."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from apdu.trace import read_trace
from cardtool import virtual
from cardtool.cli import main
from cardtool.era import collation_number_b
from cardtool.virtual.card_os import CardOS
from cardtool.virtual.faults import FaultKind, FaultPlan, FaultyCard
from cardtool.virtual.persona import load_persona
from cardtool.virtual.quirks import Quirk

DOCUMENTED_EXIT_CODES = {0, 1, 2, 3, 4, 5, 6, 7}
KIND_ARGS = {
    FaultKind.SW: "6F00", FaultKind.TRUNCATE: None, FaultKind.PAD: "3",
    FaultKind.OVERSIZE: "40", FaultKind.DELAY: "1", FaultKind.REMOVE_BEFORE: None,
    FaultKind.REMOVE_AFTER: None, FaultKind.DROP: None,
}


@dataclass
class Flow:
    name: str
    args: list[str]
    stdin: str
    virtual: str


_PERSONA = load_persona(None, "mynumber")
FACE_B = collation_number_b(_PERSONA.birth_date, _PERSONA.card_expiry,
                            _PERSONA.security_code or "")
ALL_QUIRKS = "mynumber:default+" + "+".join(q.value for q in Quirk)

FLOWS = [
    Flow("mynumber-read", ["read"], "", "mynumber"),
    Flow("mynumber-read-text", ["read", "--text", "--pin-stdin"], "5678\n", "mynumber"),
    Flow("pin-verify", ["pin", "verify", "auth", "--pin-stdin"], "1234\n", "mynumber"),
    # The face-to-face check: card face, CV certificate, chip challenge.
    Flow("mynumber-face-check", ["read", "--face", "--pin-stdin"], FACE_B + "\n", "mynumber"),
    # The quirk fallbacks: every shortcut refused, data via GET RESPONSE, text records
    # behind filler, the text integrity check and the chip challenge.
    Flow("mynumber-text-all-quirks", ["read", "--text", "--pin-stdin"], "5678\n", ALL_QUIRKS),
]


ORIGINAL_MAKE = virtual.make_virtual_card


def _counters(card: CardOS) -> dict[tuple[bytes, int], int]:
    return {(aid, fid): pin.remaining for aid, df in card.dfs.items()
            for fid, pin in df.pins.items()}


def run_flow(flow: Flow, plan: str | None, tmp: Path, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> tuple[int, str, FaultyCard, Path]:
    made: list[FaultyCard] = []
    original = ORIGINAL_MAKE

    def faulty(spec: str) -> FaultyCard:
        card = FaultyCard(original(spec), FaultPlan.parse(plan) if plan else FaultPlan(()))
        made.append(card)
        return card

    monkeypatch.setattr(virtual, "make_virtual_card", faulty)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(flow.stdin))
    trace = tmp / f"{flow.name}.jsonl"
    code = 0
    try:
        main(["--lang", "en", *flow.args, "--virtual", flow.virtual, "--record", str(trace)])
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert made, f"{flow.name} {plan}: no card was made: exit {code}: {err!r}"
    return code, err, made[0], trace


def exchange_count(flow: Flow, tmp: Path, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> int:
    code, err, card, _ = run_flow(flow, None, tmp, monkeypatch, capsys)
    assert code == 0, err
    return card.exchange


def plans(n: int) -> Iterator[str]:
    for kind, arg in KIND_ARGS.items():
        for at in range(1, n + 1):
            yield f"{kind.value}@{at}" + (f"={arg}" if arg else "")


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.name)
def test_fault_sweep(flow: Flow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                     capsys: pytest.CaptureFixture[str]) -> None:
    n = exchange_count(flow, tmp_path, monkeypatch, capsys)
    outcomes: collections.Counter[tuple[str, int]] = collections.Counter()
    for plan in plans(n):
        code, err, card, trace = run_flow(flow, plan, tmp_path, monkeypatch, capsys)
        kind = plan.split("@")[0]
        outcomes[(kind, code)] += 1
        context = f"{flow.name} {plan}: exit {code}: {err!r}"
        assert code in DOCUMENTED_EXIT_CODES, context
        assert "Traceback" not in err, context
        if code != 0:
            lines = [line for line in err.strip().splitlines() if line.startswith("cardtool:")]
            assert len(lines) == 1, context
        inner = card.inner
        assert isinstance(inner, CardOS)
        # At most one VERIFY with data: never a second one after a failed or uncertain one.
        verifies = [c for c in card.log if c[1] == 0x20 and len(c) > 5 and c[0] & 0x80 == 0]
        assert len(verifies) <= 1, context
        # No try lost: the user typed the right PIN, so no counter may have gone down.
        for (aid, fid), remaining in _counters(inner).items():
            max_tries = inner.dfs[aid].pins[fid].max_tries
            assert remaining == max_tries, f"{context}: key {fid:04X} has {remaining}"
        tr = read_trace(trace)
        numbers = [e["n"] for e in tr.exchanges()]
        assert numbers == list(range(1, len(numbers) + 1)), context
    print(f"\n{flow.name}: {sum(outcomes.values())} runs over {n} exchanges; outcomes "
          + ", ".join(f"{k}->{c}: {v}" for (k, c), v in sorted(outcomes.items())))
