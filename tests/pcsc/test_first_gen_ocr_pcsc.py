"""First-generation residence cards through the real pcscd + vpcd: the dates come from the
front image by OCR, without --typed-expiry (`cardtool expiry`), and the office report marks
them as read from the image and confirmed or typed by staff (`cardtool office`)."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cardtool.cards.residence import ids
from cardtool.jst import today_jst
from cardtool.services.office_files import read_csv_rows
from cardtool.virtual import make_virtual_card
from cardtool.virtual.persona import load_persona
from cardtool.virtual.residence import ResidenceCard, build_first_generation
from tests.support.cli import cardtool
from tests.support.ocr import needs_ocr
from tests.support.pcsc import emulated, served, vpcd_reader_name, wait_for

pytestmark = [pytest.mark.pcsc, needs_ocr]
SLOT = 0
READER = vpcd_reader_name(SLOT)
ROOT = Path(__file__).resolve().parents[2]


def number(persona: str | None) -> str:
    value = load_persona(persona, "residence").card_number
    assert value is not None
    return value


def expiry(persona: str | None) -> tuple[int, dict[str, object]]:
    out = cardtool("expiry", "-r", READER, "--wait", "5", "--json", "--card-number-stdin",
                   stdin=number(persona) + "\n")
    assert out.returncode in (0, 5, 7), out.stderr
    return out.returncode, json.loads(out.stdout)


def _days(persona: str, what: str) -> int:
    p = load_persona(persona, "residence")
    day = p.residence_expiry if what == "residence" else p.card_expiry
    assert day is not None
    return (day - today_jst()).days


@pytest.mark.parametrize(("persona", "code", "level", "findings", "fields"), [
    ("residence-soon", 5, "soon", ["residence-expiring"],
     {("residence-expiry", "ocr"), ("card-expiry", "ocr")}),
    ("residence-permanent", 5, "soon", ["residence-card-expiring"], {("card-expiry", "ocr")}),
    ("residence-default", 0, "ok", [], {("residence-expiry", "ocr"), ("card-expiry", "ocr")}),
    ("residence-sp", 0, "ok", [], {("card-expiry", "ocr")}),
])
def test_expiry_reads_the_dates_from_the_front_image(
        persona: str, code: int, level: str, findings: list[str],
        fields: set[tuple[str, str]]) -> None:
    with emulated("residence", persona, SLOT):
        got, result = expiry(persona)
    assert (got, result["level"]) == (code, level)
    assert [f["code"] for f in result["findings"]] == findings  # type: ignore[attr-defined]
    dates = result["dates"]
    assert isinstance(dates, list)
    assert {(d["field"], d["source"]) for d in dates} == fields
    for d in dates:
        what = "residence" if d["field"] == "residence-expiry" else "card"
        assert d["days_left"] == _days(persona, what)
    face = result["face_dates"]
    assert isinstance(face, dict) and face["signature"] == "no-anchor"


#: Front images drawn by someone else than cardtool's classic 640 x 404 drawing: other sizes,
#: fonts and arrangements of the same printed fields (``extra.front_layout``).
OTHER_LAYOUTS = [
    ("residence-default", {"seed": 11, "font": "ipa-pmincho", "width": 760}),
    ("residence-permanent", {"seed": 40, "font": "ipa-pgothic", "width": 720}),
    ("residence-sp", {"seed": 21, "font": "noto-serif", "width": 880}),
]


@pytest.mark.parametrize(("persona", "front_layout"), OTHER_LAYOUTS)
def test_expiry_reads_front_images_in_other_layouts(
        persona: str, front_layout: dict[str, object]) -> None:
    base = load_persona(persona, "residence")
    shown = dataclasses.replace(base, extra={**base.extra, "front_layout": front_layout})
    card = build_first_generation(shown)
    with served(card, slot=SLOT):
        got, result = expiry(persona)
    assert got in (0, 5), result
    face = result["face_dates"]
    assert isinstance(face, dict)
    by_field = {d["field"]: d for d in face["dates"]}
    assert by_field["card_expiry"]["date"] == base.card_expiry.isoformat()
    assert by_field["card_expiry"]["status"] == "read"
    box = by_field["card_expiry"]["box"]
    width, _ = face["image_size"]
    assert width == front_layout["width"] and 0 <= box[0] < box[2] <= width
    expected_period = ("absent" if persona == "residence-sp" else "indefinite"
                       if persona == "residence-permanent" else "read")
    assert by_field["residence_expiry"]["status"] == expected_period
    if expected_period == "read":
        assert base.residence_expiry is not None
        assert by_field["residence_expiry"]["date"] == base.residence_expiry.isoformat()
    # and the dates the verdict rests on are the card's, read from the image (no typing)
    dates = result["dates"]
    assert isinstance(dates, list) and dates
    assert {d["source"] for d in dates} == {"ocr"}
    for d in dates:
        what = "residence" if d["field"] == "residence-expiry" else "card"
        assert d["days_left"] == _days(persona, what)


def test_tampered_front_image_is_not_trusted() -> None:
    card = make_virtual_card("residence")
    assert isinstance(card, ResidenceCard)
    ef = card.dfs[ids.DF1_AID].files[0x0001]
    data = bytearray(ef.data)
    data[-40] ^= 0x01  # inside the image's coded pixels: the signature no longer matches
    ef.data = bytes(data)
    with served(card, slot=SLOT):
        got, result = expiry(None)
    # The altered image fails the chip's signature: the card is not genuine (exit 7, after
    # the report), and nothing is read from the image.
    assert (got, result["level"]) == (7, "check")
    verdicts = result["authenticity"]
    assert isinstance(verdicts, list) and verdicts[0]["status"] == "invalid"
    assert [f["code"] for f in result["findings"]] == ["residence-check-by-eye"]  # type: ignore[attr-defined]
    face = result["face_dates"]
    assert isinstance(face, dict)
    assert (face["signature"], face["reason"]) == ("invalid", "signature-invalid")
    assert all(d["date"] is None for d in face["dates"])


def test_office_marks_the_dates_read_from_the_image(tmp_path: Path) -> None:
    typed = "2031-03-31"
    cards = [("residence-soon", [number("residence-soon"), "", "E-1"]),  # confirmed
             ("residence-permanent", [number("residence-permanent"), "", "E-2"]),  # confirmed
             ("residence-default", [number("residence-default"), typed, "E-3"])]  # typed
    csv_path, json_path, html_path = (tmp_path / n for n in ("o.csv", "o.json", "o.html"))
    err_path = tmp_path / "stderr.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8", "CARDTOOL_LANG": "en"}
    answers = "".join(a + "\n" for _, card_answers in cards for a in card_answers)
    with open(tmp_path / "stdout.txt", "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cardtool", "office", "--reader", READER, "--csv",
             str(csv_path), "--json", str(json_path), "--html", str(html_path)],
            stdin=subprocess.PIPE, stdout=out, stderr=err, text=True, cwd=ROOT, env=env)
        try:
            assert proc.stdin is not None
            proc.stdin.write(answers)
            proc.stdin.flush()
            for i, (persona, _) in enumerate(cards, start=1):
                wait_for(err_path, "Hold the next card", i, proc)
                with emulated("residence", persona, SLOT):
                    wait_for(err_path, "Remove the card.", i, proc)
            wait_for(err_path, "Hold the next card", len(cards) + 1, proc)
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 0, err_path.read_text(encoding="utf-8")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    stderr = err_path.read_text(encoding="utf-8")
    assert stderr.count("Read from the card image — confirm against the card") == 3
    assert "Period-of-stay expiry read from the card image" in stderr
    rows = json.loads(json_path.read_text(encoding="utf-8"))["rows"]
    soon, permanent, default = rows
    p_soon = load_persona("residence-soon", "residence")
    assert soon["residence_expiry"] == p_soon.residence_expiry.isoformat()  # type: ignore[union-attr]
    assert (soon["residence_expiry_source"], soon["level"]) == ("confirmed", "soon")
    assert permanent["residence_expiry"] is None
    assert permanent["residence_card_expiry_source"] == "confirmed"
    assert [f["code"] for f in permanent["findings"]] == ["residence-card-expiring"]
    assert (default["residence_expiry"], default["residence_expiry_source"]) == (typed, "typed")
    assert default["residence_card_expiry_source"] == "ocr"  # not confirmed: staff typed a date
    csv_rows = read_csv_rows(csv_path)
    assert [r["residence_expiry_source"] for r in csv_rows] == ["confirmed", "", "typed"]
    assert "read from the card image" in html_path.read_text(encoding="utf-8")
