"""The printable report in a real browser: headless Chromium loads it without a console
message and paints the rows (PNG checked with Pillow)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from cardtool.expiry import Thresholds
from cardtool.services.office_html import render_html
from tests.support.chromium import A4_WINDOW, render_png, require_chromium
from tests.support.office_demo import DEMO_NOW, demo_rows

EXPIRED_RED = (0xB0, 0x00, 0x20)
OK_GREEN = (0x2E, 0x7D, 0x32)


def colour_count(img: Image.Image, rgb: tuple[int, int, int], tolerance: int = 6) -> int:
    count = 0
    for pixel_count, pixel in img.getcolors(maxcolors=1 << 24) or []:
        if all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], rgb, strict=True)):
            count += pixel_count
    return count


def ink_fraction(img: Image.Image) -> float:
    grey = img.convert("L")
    hist = grey.histogram()
    return sum(hist[:200]) / (grey.width * grey.height)


def test_demo_report_renders_without_errors(tmp_path: Path) -> None:
    chromium = require_chromium()
    page = tmp_path / "report.html"
    page.write_text(render_html(demo_rows(), DEMO_NOW, Thresholds(), "ja"), encoding="utf-8")
    result = render_png(page, tmp_path / "report.png", chromium=chromium)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.console == []
    with Image.open(result.png) as img:
        rgb = img.convert("RGB")
    assert rgb.size == A4_WINDOW
    assert ink_fraction(rgb) > 0.02  # text and table lines, not a blank page
    # The badges are painted: one expired row, one OK row.
    assert colour_count(rgb, EXPIRED_RED) > 50
    assert colour_count(rgb, OK_GREEN) > 50
    # The title at the top is dark text on white.
    top = rgb.crop((0, 0, A4_WINDOW[0], 80)).convert("L")
    assert top.getextrema()[0] < 80


def test_empty_report_renders_too(tmp_path: Path) -> None:
    chromium = require_chromium()
    page = tmp_path / "empty.html"
    page.write_text(render_html([], DEMO_NOW, Thresholds(), "en"), encoding="utf-8")
    result = render_png(page, tmp_path / "empty.png", chromium=chromium)
    assert result.returncode == 0 and result.console == []
    with Image.open(result.png) as img:
        rgb = img.convert("RGB")
    assert colour_count(rgb, EXPIRED_RED) > 0  # the legend's badge
    assert 0.001 < ink_fraction(rgb) < 0.2


def test_the_console_check_catches_a_broken_page(tmp_path: Path) -> None:
    """The check above can fail: a page with a script error is reported."""
    chromium = require_chromium()
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><p>x</p>"
                    "<script>undefinedFunction()</script></body></html>", encoding="utf-8")
    result = render_png(page, tmp_path / "broken.png", chromium=chromium)
    assert any("undefinedFunction" in line for line in result.console), result.stderr[-2000:]


def test_demo_png_in_docs_is_a_rendered_a4_page() -> None:
    png = Path(__file__).resolve().parents[2] / "docs" / "office-report-demo.png"
    with Image.open(png) as img:
        rgb = img.convert("RGB")
    assert rgb.size == A4_WINDOW
    assert colour_count(rgb, EXPIRED_RED) > 50 and ink_fraction(rgb) > 0.02
