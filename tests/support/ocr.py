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
