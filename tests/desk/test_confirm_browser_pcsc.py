"""The desk's confirm step in a real Chromium, with a first-generation residence card served
through pcscd + vpcd (``cardtool emulate``) and read by the real OCR (Tesseract): the page
shows each date read from the card image with its crop (the image element loads), saving
is not possible until each date is confirmed or corrected (keyboard only: Tab, Space,
Enter), a corrected date is what the register and the deadlines list hold marked "typed",
a confirmed one "ocr-confirmed".

``CARDTOOL_CONFIRM_SCREENSHOT=PATH`` saves the confirm page as PNG there."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from cardtool.virtual.persona import load_persona
from tests.desk.browser import chromium, require_chromedriver, wait_until
from tests.desk.test_browser_pcsc import SLOT, _by_id, _console_errors, _text, desk_server
from tests.support.ocr import needs_ocr
from tests.support.pcsc import emulated, require_vpcd

pytest.importorskip("starlette")
pytest.importorskip("sqlalchemy")

pytestmark = pytest.mark.pcsc

PERSONA = load_persona(None, "residence")  # residence-default (synthetic)
CORRECTED = dt.date(2035, 3, 31)


def _active_id(driver: Any) -> str:
    return str(driver.switch_to.active_element.get_attribute("id"))


def _keys(driver: Any, *keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(*keys).perform()


def _chord(driver: Any, modifier: str, key: str) -> None:
    """``key`` with ``modifier`` held (Shift+Tab, Ctrl+A)."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).key_down(modifier).send_keys(key).key_up(modifier).perform()


@needs_ocr
def test_first_generation_dates_are_confirmed_before_saving_in_chromium(
        tmp_path: Path) -> None:
    require_vpcd()
    require_chromedriver()
    from selenium.webdriver.common.keys import Keys

    number, stay, card = PERSONA.card_number, PERSONA.residence_expiry, PERSONA.card_expiry
    assert number is not None and stay is not None and card is not None
    db = tmp_path / "register.sqlite3"
    with chromium(tmp_path) as driver, desk_server(db) as url:
        driver.get(url)
        wait_until(lambda: "カード待ち" in _text(driver, "reader-text"), "waiting", driver=driver)
        with emulated("residence", None, SLOT):
            wait_until(lambda: _by_id(driver, "card_number").is_displayed(),
                       "the card-number field", driver=driver)
            _by_id(driver, "card_number").send_keys(number + Keys.ENTER)
            wait_until(lambda: _by_id(driver, "confirm-dates").is_displayed(),
                       "the confirm step", timeout=60, driver=driver)

            # Each date with its crop (a PNG the browser decoded) and the date read.
            for name in ("residence_expiry", "card_expiry"):
                width = driver.execute_script(
                    "const i = document.getElementById(arguments[0]);"
                    "return i && i.complete ? i.naturalWidth : 0;", f"crop-{name}")
                assert int(width) > 0, name
            assert _by_id(driver, "residence_expiry_date").get_attribute("value") == \
                stay.isoformat()
            assert _by_id(driver, "card_expiry_date").get_attribute("value") == card.isoformat()
            assert "カード画像から読み取った日付の確認" in _text(driver, "confirm-dates")
            # Nothing to save to yet: the save forms are not on the page.
            assert not driver.find_elements("id", "attach")
            assert "先に上の日付を確定" in _text(driver, "confirm-first")
            shot = os.environ.get("CARDTOOL_CONFIRM_SCREENSHOT")
            if shot:
                height = driver.execute_script("return document.documentElement.scrollHeight")
                driver.set_window_size(1100, max(900, int(height) + 120))
                driver.save_screenshot(shot)
                driver.set_window_size(1100, 1400)

            # Keyboard only. The first date's box has the focus; Enter before answering
            # is refused: the browser keeps the form and points at the missing answer.
            assert _active_id(driver) == "residence_expiry_date"
            _keys(driver, Keys.ENTER)
            assert _by_id(driver, "confirm-dates").is_displayed()
            assert not driver.execute_script(
                "return document.getElementById('confirm-form').checkValidity()")
            assert _active_id(driver) == "residence_expiry_as_box"
            _chord(driver, Keys.SHIFT, Keys.TAB)
            assert _active_id(driver) == "residence_expiry_date"

            # Correct the period of stay, confirm the card's date: Tab order is box,
            # answer, next box, answer; Space chooses, Enter sends.
            _chord(driver, Keys.CONTROL, "a")
            _keys(driver, CORRECTED.isoformat(), Keys.TAB)
            assert _active_id(driver) == "residence_expiry_as_box"
            _keys(driver, Keys.SPACE, Keys.TAB)
            assert _active_id(driver) == "card_expiry_date"
            _keys(driver, Keys.TAB)
            assert _active_id(driver) == "card_expiry_as_box"
            _keys(driver, Keys.SPACE, Keys.ENTER)
            wait_until(lambda: _by_id(driver, "attach").is_displayed(), "the save forms",
                       driver=driver)
            dates = _text(driver, "dates")
            assert CORRECTED.isoformat() in dates and "手入力" in dates
            assert card.isoformat() in dates and "確認済み" in dates

            _by_id(driver, "reference").send_keys("F-001")
            _by_id(driver, "display_name").send_keys("Test First" + Keys.ENTER)
            wait_until(lambda: "/clients/" in driver.current_url, "the client page",
                       driver=driver)
            history = _text(driver, "history")
            assert CORRECTED.isoformat() in history and "手入力" in history

        driver.get(url.split("/check")[0] + "/deadlines")
        table = _text(driver, "deadlines")
        rows = {line for line in table.splitlines() if "F-001" in line}
        assert any(CORRECTED.isoformat() in r and "手入力" in r for r in rows), table
        assert any(card.isoformat() in r and "確認済み" in r for r in rows), table
        assert stay.isoformat() not in table or stay == card  # the OCR'd stay is gone
        assert not _console_errors(driver), _console_errors(driver)

    from cardtool.register import Register

    with Register.open(str(db)) as register:
        (check,) = register.history(register.find_clients("F-001")[0].id)
        assert (check.residence_expiry, check.residence_expiry_source) == (CORRECTED, "typed")
        assert (check.card_expiry, check.card_expiry_source) == (card, "ocr-confirmed")
