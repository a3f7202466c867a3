"""The desk's confirm step over HTTP (issue 24 item 3): a first-generation card's page shows
each OCR'd date with the crop of the card's own image it came from (a data: URI, no file,
no extra URL) and a box pre-filled with the date; a save before every date is answered is
refused and stores nothing; a wrong OCR reading (an engine stub planted where
``front_dates`` takes its engine) is never saved unconfirmed; a corrected date is saved
``typed``, a confirmed one ``ocr-confirmed``, and the deadlines list and its CSV say so."""

from __future__ import annotations

import base64
import csv
import io
import re
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from PIL import Image

from cardtool.desk.registry import RegisterAccess
from cardtool.virtual.persona import load_persona
from tests.desk.support import desk, wait_version
from tests.unit.test_face_confirm import PLANTED, planted  # noqa: F401 - the fixture

NUMBER = load_persona(None, "residence").card_number
TRUE_STAY = load_persona(None, "residence").residence_expiry


def _open(path: Path) -> RegisterAccess:
    access = RegisterAccess.open(str(path))
    assert access.register is not None
    return access


def _read_first_generation(client: object, reader: object) -> str:
    before = reader.result.version  # type: ignore[attr-defined]
    client.post("/check/read", data={"card_number": NUMBER})  # type: ignore[attr-defined]
    wait_version(reader, before)  # type: ignore[arg-type]
    page = client.get("/check")  # type: ignore[attr-defined]
    assert page.status_code == 200
    return str(page.text)


def _version(page: str) -> str:
    found = re.search(r'id="confirm-form".*?name="version" value="(\d+)"', page, re.S)
    assert found is not None
    return found.group(1)


@pytest.mark.usefixtures("planted")
def test_a_wrong_reading_is_shown_with_its_crop_and_never_saved_unconfirmed(
        tmp_path: Path) -> None:
    access = _open(tmp_path / "register.sqlite3")
    register = access.register
    assert register is not None and TRUE_STAY is not None
    with desk("residence", register=access, auto_read=False) as (client, reader):
        page = _read_first_generation(client, reader)
        assert 'id="confirm-dates"' in page
        # Each date: the crop (a PNG of the card's own image, inline), the box pre-filled.
        crops = re.findall(r'id="crop-(\w+)" src="data:image/png;base64,([^"]+)"', page)
        assert [name for name, _ in crops] == ["residence_expiry", "card_expiry"]
        for _, data in crops:
            image = Image.open(io.BytesIO(base64.b64decode(data)))
            assert image.width > 100 and image.convert("L").getextrema()[0] < 64
        assert page.count(f'value="{PLANTED.isoformat()}"') == 2
        assert 'id="attach"' not in page and 'id="confirm-first"' in page
        # Until answered, the verdict rests on no OCR'd date: check by eye.
        table = re.search(r'id="dates".*?</table>', page, re.S)
        assert table is not None and PLANTED.isoformat() not in table.group(0)
        overall = re.search(r'id="overall">(.*?)</div>', page, re.S)
        assert overall is not None and "Check" in overall.group(1)
        version = _version(page)

        # Save before confirming: refused, nothing in the register.
        answer = client.post("/check/save", data={"version": version, "reference": "W-1"})
        assert answer.status_code == 303 and "m=confirm-first" in answer.headers["location"]
        assert register.find_clients("") == []
        # One date unanswered: the page again (400) with what was typed and why.
        answer = client.post("/check/confirm", data={
            "version": version, "residence_expiry_date": TRUE_STAY.isoformat(),
            "residence_expiry_answer": "date", "card_expiry_date": PLANTED.isoformat()})
        assert answer.status_code == 400 and 'id="confirm-error"' in answer.text
        assert f'value="{TRUE_STAY.isoformat()}"' in answer.text
        assert client.post("/check/save", data={"version": version, "reference": "W-1"}
                           ).headers["location"].endswith("m=confirm-first")
        assert register.find_clients("") == []

        # Corrected period of stay, confirmed card date (as read: the wrong one, staff's
        # word): saved as typed and ocr-confirmed.
        answer = client.post("/check/confirm", data={
            "version": version, "residence_expiry_date": TRUE_STAY.isoformat(),
            "residence_expiry_answer": "date", "card_expiry_date": PLANTED.isoformat(),
            "card_expiry_answer": "date"})
        assert answer.status_code == 303
        page = client.get("/check").text
        assert 'id="confirm-dates"' not in page and 'id="attach"' in page
        saved_version = re.search(r'name="version" value="(\d+)"', page)
        assert saved_version is not None
        answer = client.post("/check/save", data={"version": saved_version.group(1),
                                                  "reference": "W-1"})
        assert answer.status_code == 303 and "/clients/" in answer.headers["location"]
        (check,) = register.history(register.find_clients("W-1")[0].id)
        assert (check.residence_expiry, check.residence_expiry_source) == (TRUE_STAY, "typed")
        assert (check.card_expiry, check.card_expiry_source) == (PLANTED, "ocr-confirmed")

        deadlines = client.get("/deadlines").text
        assert "typed by staff" in deadlines and "confirmed by staff" in deadlines
        exported = client.get("/export/deadlines.csv")
        rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert {(r["date_kind"], r["date"], r["date_source"]) for r in rows} == {
            ("residence-expiry", TRUE_STAY.isoformat(), "typed"),
            ("card-expiry", PLANTED.isoformat(), "ocr-confirmed")}
    register.close()


@pytest.mark.usefixtures("planted")
def test_check_by_eye_saves_no_deadline_and_says_so(tmp_path: Path) -> None:
    access = _open(tmp_path / "register.sqlite3")
    register = access.register
    assert register is not None
    with desk("residence", register=access, auto_read=False, lang="ja") as (client, reader):
        page = _read_first_generation(client, reader)
        assert "カード画像から読み取った日付の確認" in page and "目視確認" in page
        version = _version(page)
        # A date that does not exist is no date: asked again.
        answer = client.post("/check/confirm", data={
            "version": version, "residence_expiry_date": "2029-02-30",
            "residence_expiry_answer": "date", "card_expiry_answer": "eye"})
        assert answer.status_code == 400
        client.post("/check/confirm", data={
            "version": version, "residence_expiry_answer": "eye",
            "card_expiry_answer": "eye"})
        page = client.get("/check").text
        version = re.search(r'name="version" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
        client.post("/check/save", data={"version": version, "reference": "E-1"})
        (check,) = register.history(register.find_clients("E-1")[0].id)
        assert (check.residence_expiry, check.residence_expiry_source) == (None, "eye")
        assert (check.card_expiry, check.card_expiry_source) == (None, "eye")
        rows = register.deadlines(check.checked_at.date())
        assert [r.date for r in rows] == [None, None]
        deadlines = client.get("/deadlines").text
        assert "目視確認(期限として扱いません)" in deadlines
        assert PLANTED.isoformat() not in deadlines
    register.close()
