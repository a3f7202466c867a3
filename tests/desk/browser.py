"""A real Chromium (Debian ``chromium`` + ``chromium-driver``) driven by Selenium, headless,
for the desk's browser tests; and a desk served on loopback by this test process."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.chromium import require_chromium

CHROMEDRIVER = "/usr/bin/chromedriver"
#: Set to a directory (scripts/desk-screenshots.sh sets docs/desk): each page is saved there.
SCREENSHOTS_ENV = "CARDTOOL_DESK_SCREENSHOTS"


def require_chromedriver() -> str:
    """Skip without chromium-driver (or Selenium), except under CI: then fail."""
    require_chromium()
    path = CHROMEDRIVER if os.path.exists(CHROMEDRIVER) else shutil.which("chromedriver")
    reason = None
    if path is None:
        reason = "chromium-driver is not installed (Debian package 'chromium-driver')"
    else:
        try:
            import selenium  # noqa: F401
        except ImportError:
            reason = "selenium is not installed (pip install 'cardtool[test]')"
    if reason is None and path is not None:
        return path
    assert reason is not None
    if os.environ.get("CARDTOOL_REQUIRE_PCSC") == "1":
        pytest.fail(reason + " (CARDTOOL_REQUIRE_PCSC=1)")
    pytest.skip(reason)


@contextmanager
def chromium(downloads: Path, size: tuple[int, int] = (1100, 1400)) -> Iterator[Any]:
    driver_path = require_chromedriver()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = require_chromium()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--disable-background-networking", "--disable-sync",
                     "--disable-component-update", f"--window-size={size[0]},{size[1]}",
                     # A Japanese office PC's browser: its UI and its Accept-Language (headless
                     # Chromium sends en-US whatever --lang says, unless told).
                     "--lang=ja", "--accept-lang=ja-JP,ja"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False,
        "safebrowsing.enabled": False, "intl.accept_languages": "ja-JP,ja"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    profile = tempfile.mkdtemp(prefix="cardtool-desk-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                               {"behavior": "allow", "downloadPath": str(downloads)})
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 30,
               driver: Any = None) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = condition()
        except Exception as exc:  # noqa: BLE001 - the page may be reloading
            last = exc
        else:
            if last:
                return last
        time.sleep(0.05)
    page = driver.page_source[:3000] if driver is not None else ""
    raise AssertionError(f"waited {timeout} s for {what}: {last!r}\n{page}")


def screenshot(driver: Any, name: str) -> None:
    folder = os.environ.get(SCREENSHOTS_ENV)
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    # The whole page: grow the window to the document's height first.
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, max(700, int(height) + 120))
    driver.save_screenshot(str(Path(folder) / f"{name}.png"))
    driver.set_window_size(width, 1400)
