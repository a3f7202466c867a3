"""The desk in a real Chromium, with virtual cards served through pcscd + vpcd by
``cardtool emulate``: check a My Number card (and its face) and a residence card (a wrong
number first), attach each to a client with the keyboard only, find them in the deadlines
in the right order, export CSV and ICS and parse both, restart and reload and find
everything still there; a card removed mid-read is a message on the page.

``CARDTOOL_DESK_SCREENSHOTS=DIR`` saves each page as PNG (scripts/desk-screenshots.sh)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.desk.browser import chromium, require_chromedriver, screenshot, wait_until
from tests.support.pcsc import ROOT, emulated, require_vpcd, vpcd_reader_name, wait_present

pytest.importorskip("starlette")
pytest.importorskip("sqlalchemy")

pytestmark = pytest.mark.pcsc

SLOT = 0
SOON_NUMBER = "SN55556666XX"  # persona residence2-soon (synthetic)
BIRTH, CODE = "1985-04-01", "1234"  # persona default (synthetic)


@contextmanager
def desk_server(db: Path, lang: str = "ja") -> Iterator[str]:
    from cardtool.desk.server import DeskOptions, start_in_thread
    from cardtool.trust.options import ResidenceOptions
    from cardtool.trust.store import virtual_test_anchors

    options = DeskOptions(desk="browser-test", db_url=str(db), reader=vpcd_reader_name(SLOT),
                          lang=lang, allow_test_keys=True,
                          residence_options=ResidenceOptions(default_anchors=virtual_test_anchors))
    running = start_in_thread(options)
    try:
        yield running.url
    finally:
        running.stop()


def _by_id(driver: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def _text(driver: Any, element_id: str) -> str:
    from selenium.common.exceptions import NoSuchElementException

    try:
        return str(_by_id(driver, element_id).text)
    except NoSuchElementException:
        return ""


def _type_and_enter(driver: Any, element_id: str, value: str) -> None:
    from selenium.webdriver.common.keys import Keys

    field = _by_id(driver, element_id)
    field.clear()
    field.send_keys(value + Keys.ENTER)


def _fill(driver: Any, **values: str) -> None:
    for element_id, value in values.items():
        field = _by_id(driver, element_id)
        field.clear()
        field.send_keys(value)


def _console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"
            and "favicon" not in e["message"]]


def _download(folder: Path, name: str) -> bytes:
    path = folder / name
    wait_until(lambda: path.exists() and not (folder / (name + ".crdownload")).exists()
               and path.stat().st_size > 0, f"the download {name}")
    return path.read_bytes()


def test_check_attach_deadlines_export_and_reload_in_chromium(tmp_path: Path) -> None:
    require_vpcd()
    require_chromedriver()
    from selenium.webdriver.common.keys import Keys

    db, downloads = tmp_path / "register.sqlite3", tmp_path / "downloads"
    downloads.mkdir()
    expiry_year = str((dt.date.today() + dt.timedelta(days=2500)).year)
    with chromium(downloads) as driver:
        with desk_server(db) as url:
            driver.get(url)
            assert "token=" not in driver.current_url  # exchanged for the cookie
            wait_until(lambda: "カード待ち" in _text(driver, "reader-text"), "waiting", driver=driver)
            screenshot(driver, "check-waiting")

            with emulated("mynumber", None, SLOT):
                # The page reloads by itself when the background read is done (SSE).
                wait_until(lambda: "マイナンバー" in _text(driver, "card-kind"), "the My Number result",
                           driver=driver)
                assert "カードがリーダーにあります" in _text(driver, "reader-text")
                assert "未検証" in _text(driver, "authenticity")
                screenshot(driver, "check-mynumber")
                _fill(driver, birth=BIRTH, expiry_year=expiry_year)
                _type_and_enter(driver, "code", CODE)
                wait_until(lambda: _text(driver, "face-done"), "the card-face check", driver=driver)
                assert "テスト鍵のみ" in _text(driver, "authenticity")
                assert "chip-challenge" in _text(driver, "authenticity")
                screenshot(driver, "check-mynumber-face")
                _fill(driver, reference="A-001")
                _type_and_enter(driver, "display_name", "テスト 花子")
                wait_until(lambda: "/clients/" in driver.current_url, "the client page",
                           driver=driver)
                assert "保存しました" in _text(driver, "message")
                assert "マイナンバー" in _text(driver, "history")
                screenshot(driver, "client")
                driver.get(url.split("/check")[0] + "/check")

            with emulated("residence2", "residence2-soon", SLOT):
                wait_until(lambda: _by_id(driver, "card_number").is_displayed(),
                           "the card-number field", driver=driver)
                assert _by_id(driver, "card_number").get_attribute("type") == "password"
                _type_and_enter(driver, "card_number", "AB00000000CD")
                wait_until(lambda: "一致しません" in _text(driver, "read-error"),
                           "the wrong-number message", driver=driver)
                assert "AB00000000CD" not in driver.page_source
                screenshot(driver, "check-wrong-number")
                _type_and_enter(driver, "card_number", SOON_NUMBER.lower())
                wait_until(lambda: "在留" in _text(driver, "card-kind"), "the residence result",
                           driver=driver)
                assert SOON_NUMBER not in driver.page_source
                assert "至急" in _text(driver, "overall") or "至急" in _text(driver, "findings")
                # Search the first client by keyboard: it is offered, but this is a new one.
                _type_and_enter(driver, "q", "A-00")
                wait_until(lambda: "A-001" in _text(driver, "found"), "the search", driver=driver)
                screenshot(driver, "check-residence")
                _fill(driver, reference="B-002")
                _type_and_enter(driver, "display_name", "Test Alex")
                wait_until(lambda: "/clients/" in driver.current_url, "the client page",
                           driver=driver)
                assert "SN********XX" in _text(driver, "history")

            base = url.split("/check")[0]
            driver.get(base + "/deadlines")
            table = _text(driver, "deadlines")
            assert table.index("B-002") < table.index("A-001"), table
            screenshot(driver, "deadlines")
            _by_id(driver, "filter-90").send_keys(Keys.ENTER)
            wait_until(lambda: "filter=90" in driver.current_url, "the 90-day filter")
            assert "B-002" in _text(driver, "deadlines") and "A-001" not in _text(driver, "deadlines")

            driver.get(base + "/export")
            screenshot(driver, "export")
            _by_id(driver, "export-csv").send_keys(Keys.ENTER)
            exported = _download(downloads, "deadlines.csv")
            _by_id(driver, "export-ics").send_keys(Keys.ENTER)
            ics = _download(downloads, "deadlines.ics")
            assert not _console_errors(driver), _console_errors(driver)

        assert exported.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
        cells = [cell for row in rows[1:] for cell in row]
        assert cells.index("B-002") < cells.index("A-001")
        from icalendar import Calendar

        events = list(Calendar.from_ical(ics).walk("VEVENT"))
        assert any("B-002" in str(e.get("SUMMARY")) for e in events)
        assert any(e.walk("VALARM") for e in events)

        # A new desk over the same register (a restart), the page reloaded: all still there.
        with desk_server(db) as url:
            driver.get(url.split("/check")[0] + "/deadlines?token=" + url.split("token=")[1])
            driver.refresh()
            table = _text(driver, "deadlines")
            assert "A-001" in table and "B-002" in table
            assert table.index("B-002") < table.index("A-001")


def test_a_card_removed_mid_read_is_a_message_in_chromium(tmp_path: Path) -> None:
    require_vpcd()
    require_chromedriver()
    with chromium(tmp_path) as driver, desk_server(tmp_path / "register.sqlite3") as url:
        driver.get(url)
        wait_until(lambda: "カード待ち" in _text(driver, "reader-text"), "waiting", driver=driver)
        # The card leaves the field in the middle of three reads in a row (vpcd puts it back
        # a second later each time, and the desk reads it again), then stays. Started by
        # hand: the page is watched from the first moment (``emulated`` waits for pcscd).
        proc = subprocess.Popen(
            [sys.executable, "-m", "cardtool", "emulate", "mynumber", "--slot", str(SLOT),
             "--faults", "remove-before@6,remove-before@12,remove-before@18"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().startswith("ready")
            wait_until(lambda: "離れました" in _text(driver, "read-failed"),
                       "the card-removed message", driver=driver)
            screenshot(driver, "check-removed")
            assert "読み取りに戻る" not in driver.page_source  # the check page, not an error page
            # Back on the reader: read again by itself, and the page shows the result.
            wait_until(lambda: "マイナンバー" in _text(driver, "card-kind"), "the result after",
                       driver=driver, timeout=40)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)
            wait_present(SLOT, False)
        time.sleep(0.2)
        assert not _console_errors(driver)


def test_a_japanese_browser_gets_japanese_from_an_english_server(tmp_path: Path) -> None:
    """Chromium started with --lang=ja sends Accept-Language: ja: the desk, started in
    English, answers in Japanese; the page's switch to English outranks the browser and is
    still in force after a reload."""
    require_vpcd()
    require_chromedriver()
    from selenium.webdriver.common.keys import Keys

    with chromium(tmp_path) as driver, desk_server(tmp_path / "register.sqlite3",
                                                   lang="en") as url:
        driver.get(url)
        wait_until(lambda: "カード待ち" in _text(driver, "reader-text"), "Japanese",
                   driver=driver)
        assert driver.find_element("css selector", "html").get_attribute("lang") == "ja"
        _by_id(driver, "lang-switch").send_keys(Keys.ENTER)
        wait_until(lambda: "Waiting for a card" in _text(driver, "reader-text"), "English",
                   driver=driver)
        driver.refresh()
        wait_until(lambda: "Waiting for a card" in _text(driver, "reader-text"),
                   "English after a reload", driver=driver)
        assert _console_errors(driver) == []


def test_the_english_page(tmp_path: Path) -> None:
    require_vpcd()
    require_chromedriver()
    from selenium.webdriver.common.keys import Keys

    with chromium(tmp_path) as driver, desk_server(tmp_path / "register.sqlite3") as url:
        driver.get(url)
        _by_id(driver, "lang-switch").send_keys(Keys.ENTER)
        wait_until(lambda: "Waiting for a card" in _text(driver, "reader-text"), "English",
                   driver=driver)
        with emulated("residence2", None, SLOT):
            wait_until(lambda: _by_id(driver, "card_number").is_displayed(), "the number field",
                       driver=driver)
            _type_and_enter(driver, "card_number", "AB98765432CD")
            wait_until(lambda: "Residence" in _text(driver, "card-kind"), "the result",
                       driver=driver)
            screenshot(driver, "check-residence-en")
