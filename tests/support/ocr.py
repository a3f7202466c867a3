"""Whether the OCR of first-generation front images can run here (Tesseract with its
Japanese data; Tesseract in this process through tesserocr); tests that need it skip
without it, except under CARDTOOL_REQUIRE_OCR=1 (CI), where they run and fail loudly."""

from __future__ import annotations

import importlib.util
import os

import pytest

from cardtool import front_dates


def tesseract_ready() -> bool:
    try:
        front_dates.check_tesseract()
    except front_dates.OcrUnavailable:
        return False
    return True


def _unless_required(ready: bool, reason: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(os.environ.get("CARDTOOL_REQUIRE_OCR") != "1" and not ready,
                              reason=reason)


needs_ocr = _unless_required(
    tesseract_ready(),
    "Tesseract with jpn is not installed (scripts/debian-deps.sh build; pip install '.[ocr]')")
#: Tesseract in cardtool's own process: the ocr extra brings tesserocr's wheel on Linux
#: x86_64 (CI), so under CARDTOOL_REQUIRE_OCR=1 these tests run and fail without it.
needs_tesserocr = _unless_required(
    importlib.util.find_spec("tesserocr") is not None,
    "tesserocr is not installed (pip install '.[ocr]' on Linux x86_64/aarch64, Windows x64)")


#: The environment of a `cardtool` process that runs as on a PC whose Tesseract has no
#: Japanese data (a real product path: the front's dates are left to typing, with the
#: hint). For the tests whose subject is the chip, not the front image: OCR of a
#: first-generation front costs seconds a card.
WITHOUT_OCR_ENV = {"TESSDATA_PREFIX": os.path.join(os.path.dirname(__file__), "no-tessdata")}
