"""The pages over a real (SQLite) register: attach checks to clients, the deadlines in
order, a client's history and editing, the CSV and ICS exports parsed, the audit trail; and
a register that cannot be used or a save that fails, said on the page."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from pathlib import Path

import pytest

from tests.desk.support import desk, wait_version

#: The card number of the persona residence2-soon (cardtool/virtual/personas, synthetic).
SOON_NUMBER = "SN55556666XX"

pytest.importorskip("starlette")
pytest.importorskip("sqlalchemy")

from cardtool.desk.registry import RegisterAccess  # noqa: E402
from cardtool.register import RegisterWriteFailed  # noqa: E402


def _open(path: Path) -> RegisterAccess:
    access = RegisterAccess.open(str(path))
    assert access.ready, access.error
    return access


def _save_new(client: object, reader: object, reference: str, name: str) -> str:
    version = reader.result.version  # type: ignore[attr-defined]
    answer = client.post("/check/save", data={  # type: ignore[attr-defined]
        "version": str(version), "reference": reference, "display_name": name})
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def test_checks_attached_to_clients_show_up_in_deadlines_history_and_exports(
        tmp_path: Path) -> None:
    access = _open(tmp_path / "register.sqlite3")
    with desk("mynumber", "residence2:residence2-soon", register=access) as (client, reader):
        wait_version(reader, 0)
        where = _save_new(client, reader, "A-001", "Test Mina")
        assert re.fullmatch(r"/clients/\d+\?m=saved", where)
        page = client.get(where).text
        assert "Saved." in page and "My Number" in page and "A-001" in page
        # The saved result cannot be saved twice by a stale form.
        assert 'id="saved"' in client.get("/check").text
        version = reader.result.version
        client.post("/check/next")
        wait_version(reader, version)
        client.post("/check/read", data={"card_number": SOON_NUMBER})
        assert reader.result.stage.value == "done"
        # Search the client by its reference, then save the residence card to a new one.
        found = client.get("/check", params={"q": "A-00"}).text
        assert "A-001" in found and 'class="save-to"' in found
        _save_new(client, reader, "B-002", "Test Alex")

        deadlines = client.get("/deadlines").text
        # residence2-soon expires within 90 days; the My Number card's dates are years away.
        assert deadlines.index("B-002") < deadlines.index("A-001")
        soon = client.get("/deadlines", params={"filter": "90"}).text
        assert "B-002" in soon and "A-001" not in soon
        assert "A-001" not in client.get("/deadlines", params={"filter": "overdue"}).text

        exported = client.get("/export/deadlines.csv")
        assert exported.headers["content-type"].startswith("text/csv")
        assert exported.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        references = [cell for row in rows[1:] for cell in row if cell in ("A-001", "B-002")]
        assert references.index("B-002") < references.index("A-001")
        ics = client.get("/export/deadlines.ics")
        assert ics.headers["content-type"].startswith("text/calendar")
        from icalendar import Calendar

        calendar = Calendar.from_ical(ics.content)
        events = [c for c in calendar.walk("VEVENT")]
        assert len(events) >= 3 and any(e.walk("VALARM") for e in events)
        # The residence card's number never appears, only its masked form.
        assert SOON_NUMBER not in repr(rows) and SOON_NUMBER.encode() not in ics.content

        client_page = client.get("/clients", params={"q": "B-002"}).text
        client_id = re.search(r'href="/clients/(\d+)" class="client-ref">B-002', client_page)
        assert client_id
        history = client.get(f"/clients/{client_id.group(1)}").text
        assert "SN********XX" in history and SOON_NUMBER not in history
        edited = client.post(f"/clients/{client_id.group(1)}",
                             data={"reference": "B-002x", "display_name": "Alex T."})
        assert edited.status_code == 303
        assert "B-002x" in client.get(f"/clients/{client_id.group(1)}").text
        history_csv = client.get(f"/clients/{client_id.group(1)}/history.csv")
        assert history_csv.content.startswith(b"\xef\xbb\xbf")

    # Reload: a new desk over the same file finds everything still there.
    again = _open(tmp_path / "register.sqlite3")
    with desk("residence2:residence2-soon", register=again) as (client, reader):
        assert "B-002x" in client.get("/deadlines").text
        wait_version(reader, 0)
        client.post("/check/read", data={"card_number": SOON_NUMBER})
        # The same card is recognised (keyed hash), without its number being stored.
        known = client.get("/check").text
        assert "This card was saved before for: B-002x" in known
        assert 'id="save-known"' in known
    assert again.register is not None
    actions = [entry[2] for entry in again.register.audit_trail(200)]
    assert "read" in actions and "export" in actions and "check.save" in actions


def test_a_register_newer_than_the_code_is_said_on_every_register_page(tmp_path: Path) -> None:
    path = tmp_path / "register.sqlite3"
    _open(path).register.close()  # type: ignore[union-attr]
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = 'r9999_future'")
    access = RegisterAccess.open(str(path))
    assert not access.ready
    with desk("mynumber", register=access) as (client, reader):
        wait_version(reader, 0)
        check = client.get("/check").text
        assert "newer cardtool" in check and 'id="result"' in check  # cards still checked
        page = client.get("/deadlines")
        assert page.status_code == 503 and "newer cardtool" in page.text


def test_a_register_that_cannot_be_opened_is_said_on_the_page(tmp_path: Path) -> None:
    (tmp_path / "not-a-db").write_bytes(b"this is not a database" * 100)
    access = RegisterAccess.open(str(tmp_path / "not-a-db"))
    assert not access.ready
    with desk("mynumber", register=access) as (client, _reader):
        page = client.get("/clients")
        assert page.status_code == 503 and "Cannot open the client register" in page.text


def test_a_failed_save_is_reported_and_the_result_stays_to_save_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    access = _open(tmp_path / "register.sqlite3")

    def full_disk(*args: object, **kwargs: object) -> None:
        raise RegisterWriteFailed("register.sqlite3", "check", "確認記録", "the disk is full",
                                  "ディスクがいっぱいです", "Free some space.", "空き容量を確保してください。")

    with desk("mynumber", register=access) as (client, reader):
        wait_version(reader, 0)
        assert access.register is not None
        monkeypatch.setattr(access.register, "save_check", full_disk)
        answer = client.post("/check/save", data={"version": str(reader.result.version),
                                                  "reference": "C-003"})
        assert answer.status_code == 503
        assert "the disk is full" in answer.text and "Nothing of this check was saved" in answer.text
        assert not reader.result.saved
        monkeypatch.undo()
        client.post("/check/save", data={"version": str(reader.result.version),
                                         "reference": "C-004"})
        assert reader.result.saved


def test_a_stale_save_form_saves_nothing_and_says_so(tmp_path: Path) -> None:
    access = _open(tmp_path / "register.sqlite3")
    with desk("mynumber", "mynumber:expiring-soon", register=access) as (client, reader):
        first = wait_version(reader, 0)
        client.post("/check/next")
        wait_version(reader, first.version)
        # The form of the first card, sent after the second was read.
        answer = client.post("/check/save", data={"version": str(first.version),
                                                  "reference": "D-001"})
        assert answer.headers["location"] == "/check?m=stale"
        assert 'id="stale"' in client.get(answer.headers["location"]).text
        assert access.find_clients("D-001") == []
        assert not reader.result.saved
