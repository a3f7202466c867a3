"""The register's pages with more than a page of rows: the deadlines, the clients and a
client's history a page at a time with previous/next links that keep the filter or search,
a page number out of range, a search with SQL wildcards or of 10,000 characters, and the
CSV export streamed; in the test client and in a real Chromium."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("sqlalchemy")

from cardtool.desk.registry import RegisterAccess
from cardtool.expiry import CardFacts
from cardtool.jst import today_jst
from cardtool.register import Register
from tests.desk.browser import chromium, wait_until  # module level: the browser tier
from tests.desk.support import desk

CLIENTS = 120
HISTORY = 60


def _residence(days: int, pending: bool = False) -> CardFacts:
    stay = today_jst() + dt.timedelta(days=days)
    return CardFacts("residence-second", residence_expiry=stay, card_expiry=stay,
                     renewal_pending=pending, expiry_source="chip")


def fill(path: Path) -> int:
    """CLIENTS clients, one date each from 40 days ago onwards (the first ones overdue), every
    seventh with a renewal pending; the first client with HISTORY checks. Returns its id."""
    with Register.open(str(path)) as register:
        first = None
        for n in range(CLIENTS):
            client = register.create_client(f"R-{n:04d}", f"Test Name{n}", desk="desk-1")
            register.save_check(client.id, _residence(n - 40, pending=n % 7 == 0),
                                desk="desk-1")
            first = first or client.id
        assert first is not None
        at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
        for n in range(HISTORY - 1):
            register.save_check(first, _residence(-60 - n), desk="desk-1",
                                at=at + dt.timedelta(hours=n))
        register.create_client("50%-OFF", None, desk="desk-1")
        register.create_client("5000", None, desk="desk-1")
        return first


@pytest.fixture
def filled(tmp_path: Path) -> Iterator[tuple[RegisterAccess, int]]:
    path = tmp_path / "register.sqlite3"
    first = fill(path)
    access = RegisterAccess.open(str(path))
    assert access.ready, access.error
    yield access, first
    assert access.register is not None
    access.register.close()


def _references(page: str) -> list[str]:
    return re.findall(r'class="client-ref">([^<]+)<', page)


def test_deadlines_a_page_at_a_time_with_the_filter_kept(
        filled: tuple[RegisterAccess, int]) -> None:
    access, _ = filled
    with desk("mynumber", register=access) as (client, _reader):
        first = client.get("/deadlines").text
        shown = _references(first)
        assert len(shown) == 50 and "Page 1 of 3 (120 in all)" in first
        assert 'id="page-previous"' not in first
        next_link = re.search(r'href="([^"]+)" id="page-next"', first)
        assert next_link is not None
        second = client.get(next_link.group(1).replace("&amp;", "&")).text
        assert "Page 2 of 3" in second and not set(_references(second)) & set(shown)
        assert 'id="page-previous"' in second
        third = client.get("/deadlines", params={"page": "3"}).text
        assert len(_references(third)) == 20 and 'id="page-next"' not in third
        # Most urgent first over the pages: the overdue ones lead, oldest date first (R-0000
        # is past its date too, but its renewal is pending: its 特例期間 still runs).
        assert shown[:3] == ["R-0001", "R-0002", "R-0003"] and "R-0000" in shown
        everything = shown + _references(second) + _references(third)
        assert sorted(everything) == [f"R-{n:04d}" for n in range(CLIENTS)]

        pending = client.get("/deadlines", params={"filter": "pending"}).text
        assert 'id="page-of"' not in pending  # 18 rows: one page, no pager
        assert len(_references(pending)) == 18
        within = client.get("/deadlines", params={"filter": "30"}).text
        assert "Page 1 of 2 (71 in all)" in within  # dates up to 30 days ahead, overdue too
        link = re.search(r'href="([^"]+)" id="page-next"', within)
        assert link is not None and "filter=30" in link.group(1)


def test_a_page_out_of_range_shows_the_nearest_page_and_says_so(
        filled: tuple[RegisterAccess, int]) -> None:
    access, first_client = filled
    with desk("mynumber", register=access) as (client, _reader):
        for asked in ("999", "9" * 400):
            page = client.get("/deadlines", params={"page": asked})
            assert page.status_code == 200
            assert "Page 3 of 3" in page.text and 'id="page-clamped"' in page.text
        for odd in ("0", "-2", "abc", "１", ""):
            page = client.get("/deadlines", params={"page": odd})
            assert page.status_code == 200 and "Page 1 of 3" in page.text
        history = client.get(f"/clients/{first_client}", params={"page": "2"}).text
        assert "Page 2 of 2 (60 in all)" in history
        assert history.count("<tr><td>") == 10


def test_searches_with_wildcards_or_10000_characters(
        filled: tuple[RegisterAccess, int]) -> None:
    access, _ = filled
    with desk("mynumber", register=access) as (client, _reader):
        assert _references(client.get("/clients", params={"q": "50%"}).text) == ["50%-OFF"]
        assert _references(client.get("/clients", params={"q": "r-00_"}).text) == []
        long = client.get("/clients", params={"q": "R-" + "9" * 9_998})
        assert long.status_code == 200 and 'id="search-cut"' in long.text
        assert "first 100 characters" in long.text
        everyone = client.get("/clients", params={"q": "test"}).text
        assert "Page 1 of 3 (120 in all)" in everyone
        link = re.search(r'href="([^"]+)" id="page-next"', everyone)
        assert link is not None and "q=test" in link.group(1)


def test_the_csv_export_streams_every_row(filled: tuple[RegisterAccess, int]) -> None:
    access, _ = filled
    assert access.register is not None
    expected = access.register.deadlines_csv(today_jst())
    with desk("mynumber", register=access) as (client, _reader), \
            client.stream("GET", "/export/deadlines.csv") as answer:
        assert answer.headers["content-type"].startswith("text/csv")
        assert "content-length" not in answer.headers  # streamed, not built whole
        body = b"".join(answer.iter_bytes())
    assert body == expected
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == CLIENTS + 1


def test_paging_in_chromium(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    from cardtool.desk.server import DeskOptions, start_in_thread

    db = tmp_path / "register.sqlite3"
    fill(db)
    running = start_in_thread(DeskOptions(desk="browser-test", db_url=str(db),
                                          virtual=("mynumber",), lang="en"))
    try:
        base = running.url.split("/check")[0]
        with chromium(tmp_path / "downloads") as driver:
            driver.get(running.url)
            wait_until(lambda: driver.find_element(By.ID, "reader-text"), "the desk")
            driver.get(base + "/deadlines?filter=90")

            def page_of() -> str:
                return str(driver.find_element(By.ID, "page-of").text)

            def shown() -> list[str]:
                return [e.text for e in driver.find_elements(By.CLASS_NAME, "client-ref")]

            first_text, first_rows = page_of(), shown()
            assert "1" in first_text and len(first_rows) == 50
            driver.find_element(By.ID, "page-next").click()
            wait_until(lambda: page_of() != first_text, "page 2")
            second_rows = shown()
            assert second_rows and not set(second_rows) & set(first_rows)
            assert "filter=90" in driver.current_url and "page=2" in driver.current_url
            assert driver.find_element(By.ID, "filter-90").get_attribute("aria-current")
            driver.find_element(By.ID, "page-previous").click()
            wait_until(lambda: page_of() == first_text, "back on page 1")
            assert shown() == first_rows
            driver.get(base + "/deadlines?page=77")
            assert driver.find_element(By.ID, "page-clamped").is_displayed()
    finally:
        running.stop()
