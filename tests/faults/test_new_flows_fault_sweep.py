"""Fault sweep over the flows added after the first sweep (issue 17): a recorded session
served back as a card (``emulate --replay``'s card, ``apdu.simulators.ReplayCard``) with the
faults on the replayed card's side; ``trace import`` of foreign logs cut at every line and
with every byte flipped; the OCR of a first-generation residence card's front image with a
fault at each exchange around that image; and the desk's read path (``cardtool.services.check_session``)
with a faulty virtual card at each exchange.

Every run ends in success or one documented line and exit code (the desk: a message on the
page, the server still answering, no check saved from a failed read), never a traceback.
Each sweep prints its count of runs and outcomes, as the first sweeps do."""

from __future__ import annotations

import collections
import datetime as dt
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from apdu.simulators import ReplayCard
from apdu.trace import read_trace
from apdu.transport.replay import ReplayTransport
from cardtool import virtual
from cardtool.cli import main
from cardtool.virtual.faults import FaultPlan, FaultyCard
from cardtool.virtual.persona import load_persona
from tests.faults.test_fault_sweep import DOCUMENTED_EXIT_CODES, ORIGINAL_MAKE, plans
from tests.support.ocr import needs_ocr

ROOT = Path(__file__).resolve().parents[2]
TRACES = ROOT / "fixtures" / "traces"
FOREIGN = ROOT / "tests" / "data" / "importers"


def _run_cli(args: list[str], stdin: str, capsys: pytest.CaptureFixture[str],
             monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = 0
    try:
        main(["--lang", "en", *args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_documented_line(code: int, err: str, context: str) -> None:
    assert code in DOCUMENTED_EXIT_CODES, context
    assert "Traceback" not in err and "Internal error" not in err, context
    if code != 0:
        lines = [line for line in err.strip().splitlines() if line.startswith("cardtool:")]
        assert len(lines) == 1, context


def _summary(name: str, outcomes: collections.Counter[tuple[str, int]], n: int) -> str:
    return (f"\n{name}: {sum(outcomes.values())} runs over {n} exchanges; outcomes "
            + ", ".join(f"{k}->{c}: {v}" for (k, c), v in sorted(outcomes.items())))


# --- 1. a recorded session served as a card (emulate --replay), faults on the card side ----

REPLAYS = [
    ("mynumber-read.jsonl", ["read"], ""),
    ("mynumber-pin-status.jsonl", ["pin", "status"], ""),
    ("mynumber-cert-auth.jsonl", ["cert", "auth", "--out", "{tmp}/auth.der"], ""),
]


def _replay_run(trace: Path, match: str, args: list[str], plan: str | None, tmp: Path,
                capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
                ) -> tuple[int, str, FaultyCard, ReplayCard]:
    made: list[tuple[FaultyCard, ReplayCard]] = []

    def served(_spec: str) -> FaultyCard:
        replay = ReplayCard(ReplayTransport(trace, match=match))
        card = FaultyCard(replay, FaultPlan.parse(plan) if plan else FaultPlan(()))
        made.append((card, replay))
        return card

    monkeypatch.setattr(virtual, "make_virtual_card", served)
    argv = [a.replace("{tmp}", str(tmp)) for a in args]
    code, _out, err = _run_cli([*argv, "--virtual", "mynumber"], "", capsys, monkeypatch)
    assert made, f"{trace.name} {plan}: no card: exit {code}: {err!r}"
    return code, err, *made[0]


@pytest.mark.parametrize("match", ["strict", "by-command"])
@pytest.mark.parametrize(("name", "args", "stdin"), REPLAYS, ids=[r[0] for r in REPLAYS])
def test_replayed_card_fault_sweep(name: str, args: list[str], stdin: str, match: str,
                                   tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    trace = TRACES / name
    code, err, card, replay = _replay_run(trace, match, args, None, tmp_path, capsys,
                                          monkeypatch)
    assert code == 0 and replay.error is None, err
    n = card.exchange
    recorded = replay.replay.exchanges_recorded
    outcomes: collections.Counter[tuple[str, int]] = collections.Counter()
    for plan in plans(n):
        code, err, card, replay = _replay_run(trace, match, args, plan, tmp_path, capsys,
                                              monkeypatch)
        context = f"replay {name} {match} {plan}: exit {code}: {err!r}"
        outcomes[(plan.split("@")[0], code)] += 1
        _one_documented_line(code, err, context)
        # The replayed card answers no more than was recorded: one command past the end
        # is a divergence, kept with its exchange number (what `emulate` reports, exit 6).
        served = replay.replay.exchanges_served
        assert served <= recorded + 1, context
        if served > recorded:
            assert replay.error is not None, context
        if replay.error is not None:
            assert replay.error.exit_code == 6, context
            assert re.search(r"\d", replay.error.render("en")), context
    print(_summary(f"replay {name} ({match})", outcomes, n))


# --- 2. trace import of foreign logs, cut and byte-flipped ------------------------------

FOREIGN_LOGS = ["mynumber-session.dump", "session-raw.spy", "session-decoded.spy",
                "session-opensc.log"]


def _mutations(data: bytes) -> Iterator[tuple[str, bytes]]:
    offsets = [m.end() for m in re.finditer(rb"\n", data)]
    for end in offsets:  # cut after every line
        yield f"cut-line@{end}", data[:end]
    starts = [0, *offsets]
    for start, end in zip(starts, [*offsets, len(data)], strict=True):
        if end - start > 2:  # cut in the middle of every line
            middle = start + (end - start) // 2
            yield f"cut-mid@{middle}", data[:middle]
    for i in range(len(data)):  # every byte flipped (and a UTF-8-breaking high bit)
        yield f"flip@{i}", data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]
        if i % 7 == 0:
            yield f"high@{i}", data[:i] + bytes([data[i] ^ 0x80]) + data[i + 1:]


@pytest.mark.parametrize("name", FOREIGN_LOGS)
def test_trace_import_of_cut_and_flipped_logs(name: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    data = (FOREIGN / name).read_bytes()
    source = tmp_path / name
    outcomes: collections.Counter[tuple[str, int]] = collections.Counter()
    for i, (what, mutated) in enumerate(_mutations(data)):
        source.write_bytes(mutated)
        out_dir = tmp_path / f"out{i}"
        code, _out, err = _run_cli(["trace", "import", str(source), "-o", str(out_dir)], "",
                                   capsys, monkeypatch)
        context = f"import {name} {what}: exit {code}: {err!r}"
        outcomes[(what.split("@")[0], code)] += 1
        _one_documented_line(code, err, context)
        written = sorted(out_dir.glob("*")) if out_dir.exists() else []
        if code == 0:
            assert len(written) == 1, context
            read_trace(written[0])  # what was written is a valid trace
        else:
            assert code == 6, context  # a malformed file: exit 6 ...
            assert written == [], context  # ... and nothing written
    print(f"\ntrace import {name}: {sum(outcomes.values())} runs; outcomes "
          + ", ".join(f"{k}->{c}: {v}" for (k, c), v in sorted(outcomes.items())))


# --- 3. OCR of a first-generation residence card's front image ---------------------------

RESIDENCE_NUMBER = "AB12345678CD"
FRONT_FILE_SFI = 0x85  # READ BINARY by short EF id 05: the front image (cards/residence/ids)


def _ocr_run(plan: str | None, capsys: pytest.CaptureFixture[str],
             monkeypatch: pytest.MonkeyPatch, command: list[str]
             ) -> tuple[int, str, str, FaultyCard]:
    made: list[FaultyCard] = []

    def faulty(spec: str) -> FaultyCard:
        card = FaultyCard(ORIGINAL_MAKE(spec), FaultPlan.parse(plan) if plan else FaultPlan(()))
        made.append(card)
        return card

    monkeypatch.setattr(virtual, "make_virtual_card", faulty)
    code, out, err = _run_cli([*command, "--virtual", "residence"], RESIDENCE_NUMBER + "\n",
                              capsys, monkeypatch)
    assert made, err
    return code, out, err, made[0]


def _no_wrong_date(out: str, context: str) -> int:
    """Every date the OCR says it read is the persona's (synthetic) printed date."""
    persona = load_persona(None, "residence")
    truth = {"card_expiry": persona.card_expiry, "residence_expiry": persona.residence_expiry,
             "birth_date": persona.birth_date}
    face = json.loads(out)["residence"]["face_dates"]
    read = 0
    for date in (face or {}).get("dates", []):
        if date["status"] == "read" and date["field"] in truth:
            assert dt.date.fromisoformat(date["date"]) == truth[date["field"]], context
            read += 1
    return read


@needs_ocr
@pytest.mark.parametrize("command", [["read", "--json", "--card-number-stdin"],
                                     ["expiry", "--json", "--card-number-stdin"]],
                         ids=["read", "expiry"])
def test_ocr_front_image_fault_sweep(command: list[str], capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err, card = _ocr_run(None, capsys, monkeypatch, command)
    assert code in (0, 5), err
    if command[0] == "read":
        assert _no_wrong_date(out, "no fault") >= 3, out  # the OCR really ran and read
    # From the SELECT before the front image to the end: the image, the photo, the fields
    # (what the OCR's verdict rests on: the signature over them).
    front = next(i for i, c in enumerate(card.log, 1) if len(c) > 2 and c[1] == 0xB0
                 and c[2] == FRONT_FILE_SFI)
    positions = range(max(1, front - 1), card.exchange + 1)
    outcomes: collections.Counter[tuple[str, int]] = collections.Counter()
    for plan in plans(card.exchange):
        if int(plan.split("@")[1].split("=")[0]) not in positions:
            continue
        code, out, err, _ = _ocr_run(plan, capsys, monkeypatch, command)
        context = f"ocr {command[0]} {plan}: exit {code}: {err!r}"
        outcomes[(plan.split("@")[0], code)] += 1
        _one_documented_line(code, err, context)
        if code in (0, 5) and command[0] == "read":
            _no_wrong_date(out, context)
    print(_summary(f"ocr front image ({command[0]})", outcomes, len(positions)))


def _count(db: Path, table: str) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


# --- 4. the desk's read path -------------------------------------------------------------

DESK_FLOWS = [("mynumber", None), ("residence2", "AB98765432CD")]


@pytest.mark.parametrize(("kind", "number"), DESK_FLOWS, ids=[f[0] for f in DESK_FLOWS])
def test_desk_read_path_fault_sweep(kind: str, number: str | None, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("starlette")
    pytest.importorskip("sqlalchemy")
    from cardtool.desk.registry import RegisterAccess
    from cardtool.services.check_session import Stage
    from tests.desk.support import desk, wait_version

    monkeypatch.setenv("CARDTOOL_DATA_DIR", str(tmp_path / "data"))
    db = tmp_path / "register.sqlite3"
    access = RegisterAccess.open(str(db))
    assert access.ready and access.register is not None
    made: list[FaultyCard] = []
    plan_now: list[str | None] = [None]

    def faulty(spec: str) -> FaultyCard:
        plan = plan_now[0]
        card = FaultyCard(ORIGINAL_MAKE(spec), FaultPlan.parse(plan) if plan else FaultPlan(()))
        made.append(card)
        return card

    monkeypatch.setattr(virtual, "make_virtual_card", faulty)
    # A virtual card stays "present" after a transmission failure: do not wait 2 s for the
    # watcher to see it go each time.
    monkeypatch.setattr("cardtool.services.check_session.REMOVAL_GRACE_SECONDS", 0.05)

    def one_read(plan: str | None, reference: str) -> tuple[str, int]:
        made.clear()
        plan_now[0] = plan
        with desk(kind, register=access) as (client, reader):
            result = wait_version(reader, 0)
            if number is not None and result.stage is Stage.NEEDS_CARD_NUMBER:
                answer = client.post("/check/read", data={"card_number": number})
                assert answer.status_code == 303, answer.text
                result = reader.result
            context = f"desk {kind} {plan}: {result.stage} {result.error!r}"
            page = client.get("/check")
            assert page.status_code == 200, context
            assert "Traceback" not in page.text and "Internal error" not in page.text, context
            if result.stage is Stage.FAILED:
                assert result.error is not None, context
                message = result.error.render("en").split(".")[0]
                assert message in page.text.replace("&#39;", "'"), context
            else:
                assert result.stage is Stage.DONE, context
            # The server still answers, and a save saves a whole check or nothing.
            assert client.get("/state").status_code == 200, context
            before = _count(db, "checks")
            answer = client.post("/check/save", data={"version": str(result.version),
                                                      "reference": reference})
            if result.stage is Stage.DONE:
                assert answer.status_code == 303, context
                assert answer.headers["location"].endswith("?m=saved"), context
                assert _count(db, "checks") == before + 1, context
                (saved,) = access.find_clients(reference)
                (check,) = access.history(int(saved.id))
                assert check.card_kind is not None, context
            else:
                assert answer.headers.get("location") == "/check?m=stale", context
                assert _count(db, "checks") == before, context
                assert access.find_clients(reference) == [], context
        return result.stage.value, made[-1].exchange if made else 0

    stage, n = one_read(None, "base")
    assert stage == "done" and n > 0
    outcomes: collections.Counter[tuple[str, str]] = collections.Counter()
    for i, plan in enumerate(plans(n)):
        if plan.startswith("delay"):
            plan = plan.split("=")[0] + "=1"
        stage, _ = one_read(plan, f"R-{i}")
        outcomes[(plan.split("@")[0], stage)] += 1
    # One check and one client per successful read, nothing from a failed one.
    done = sum(v for (_, s), v in outcomes.items() if s == "done")
    assert _count(db, "checks") == _count(db, "clients") == done + 1
    print(f"\ndesk read path {kind}: {sum(outcomes.values())} runs over {n} exchanges; "
          "outcomes " + ", ".join(f"{k}->{s}: {v}" for (k, s), v in sorted(outcomes.items())))


@needs_ocr
def test_ocr_office_fault_sweep(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """`office` with a first-generation card: the dates read by OCR are shown and confirmed
    (Enter); with a fault around the front image the session goes on, and a row, when there
    is one, holds the printed dates only."""
    monkeypatch.chdir(ROOT)
    persona = load_persona(None, "residence")
    stdin = f"{RESIDENCE_NUMBER}\n\nR1\n"

    def office(plan: str | None, out: Path) -> tuple[int, str, FaultyCard]:
        made: list[FaultyCard] = []

        def faulty(spec: str) -> FaultyCard:
            card = FaultyCard(ORIGINAL_MAKE(spec),
                              FaultPlan.parse(plan) if plan else FaultPlan(()))
            made.append(card)
            return card

        monkeypatch.setattr(virtual, "make_virtual_card", faulty)
        code, _out, err = _run_cli(["office", "--virtual", "residence", "--json", str(out)],
                                   stdin, capsys, monkeypatch)
        assert made, err
        return code, err, made[0]

    code, err, card = office(None, tmp_path / "base.json")
    assert code == 0, err
    (row,) = json.loads((tmp_path / "base.json").read_text(encoding="utf-8"))["rows"]
    assert row["residence_expiry_source"] == "confirmed", row  # the OCR read it
    front = next(i for i, c in enumerate(card.log, 1) if len(c) > 2 and c[1] == 0xB0
                 and c[2] == FRONT_FILE_SFI)
    positions = range(max(1, front - 1), card.exchange + 1)
    outcomes: collections.Counter[tuple[str, int]] = collections.Counter()
    for i, plan in enumerate(plans(card.exchange)):
        if int(plan.split("@")[1].split("=")[0]) not in positions:
            continue
        report = tmp_path / f"office{i}.json"
        code, err, _ = office(plan, report)
        context = f"ocr office {plan}: exit {code}: {err[-400:]!r}"
        assert code == 0 and "Traceback" not in err and "Internal error" not in err, context
        rows = json.loads(report.read_text(encoding="utf-8"))["rows"] if report.exists() else []
        for row in rows:
            assert RESIDENCE_NUMBER not in json.dumps(row), context
            if row["residence_expiry"] is not None:
                assert row["residence_expiry"] == persona.residence_expiry.isoformat(), context
            if row["residence_card_expiry"] is not None:
                assert row["residence_card_expiry"] == persona.card_expiry.isoformat(), context
        outcomes[(plan.split("@")[0], len(rows))] += 1
    print(f"\nocr office: {sum(outcomes.values())} runs over {len(positions)} exchanges; rows "
          "written: " + ", ".join(f"{k}->{r} rows: {v}" for (k, r), v in sorted(outcomes.items())))
