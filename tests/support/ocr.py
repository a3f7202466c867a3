"""Whether the OCR of first-generation front images can run here (Tesseract with its
Japanese data); tests that need it skip without it, except under CARDTOOL_REQUIRE_OCR=1
(CI), where they run and fail loudly."""

from __future__ import annotations

import os

import pytest

from cardtool import front_dates


def tesseract_ready() -> bool:
    try:
        front_dates.check_tesseract()
    except front_dates.OcrUnavailable:
        return False
    return True


needs_ocr = pytest.mark.skipif(
    os.environ.get("CARDTOOL_REQUIRE_OCR") != "1" and not tesseract_ready(),
    reason="Tesseract with jpn is not installed (scripts/debian-deps.sh build; pip install "
           "'.[ocr]')")


#: The environment of a `cardtool` process that runs as on a PC whose Tesseract has no
#: Japanese data (a real product path: the front's dates are left to typing, with the
#: hint). For the tests whose subject is the chip, not the front image: OCR of a
#: first-generation front costs seconds a card.
WITHOUT_OCR_ENV = {"TESSDATA_PREFIX": os.path.join(os.path.dirname(__file__), "no-tessdata")}


def tesserocr_installed() -> bool:
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return False
    return True


#: Tesseract in cardtool's own process: the ocr extra brings tesserocr's wheel on Linux
#: x86_64 (CI), so under CARDTOOL_REQUIRE_OCR=1 these tests run and fail without it.
needs_tesserocr = pytest.mark.skipif(
    os.environ.get("CARDTOOL_REQUIRE_OCR") != "1" and not tesserocr_installed(),
    reason="tesserocr is not installed (pip install '.[ocr]' on Linux x86_64/aarch64, "
           "Windows x64)")
