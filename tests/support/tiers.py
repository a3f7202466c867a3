"""Test tiers: which tests need a stack (``pcsc``, ``browser``, ``pg``, ``ocr``) or time
(``slow``), decided by path, fixture or guard in one place (``tests/conftest.py`` applies
``tier_marks`` to every collected test). ``make quick`` runs the rest; ``make test`` and CI
run everything.

- ``pcsc``: under ``tests/pcsc/``, a module marked ``pcsc``, or a test using the plugin's
  vpcd fixtures (``cardtool_vpcd``, ``cardtool_reader``);
- ``browser``: a module that drives Chromium (``tests.support.chromium``,
  ``tests.desk.browser``);
- ``pg``: the PostgreSQL parametrisation of a register test (``backend="postgresql"``) or a
  test using ``pg_schema_url``;
- ``ocr``: a test guarded by ``tests.support.ocr.needs_ocr`` (Tesseract);
- ``slow``: the tests below, each measured at 2 s or more (``pytest --durations=0``) on a
  loaded 2-core machine: by ``path::function`` (every parametrisation of it).
"""

from __future__ import annotations

import types

import pytest

from tests.support.ocr import needs_ocr

PCSC_FIXTURES = frozenset({"cardtool_vpcd", "cardtool_reader"})
PG_FIXTURES = frozenset({"pg_schema_url"})
BROWSER_MODULES = frozenset({"tests.support.chromium", "tests.desk.browser"})

#: Measured >= ~2 s, not already in a stack tier: "path::function".
SLOW: frozenset[str] = frozenset({
})


def _drives_browser(module: types.ModuleType | None) -> bool:
    if module is None:
        return False
    return any(getattr(value, "__module__", None) in BROWSER_MODULES
               for value in vars(module).values())


def function_id(item: pytest.Item) -> str:
    """``path::function`` of a test, without its parametrisation."""
    return item.nodeid.split("[", 1)[0]


def tier_marks(item: pytest.Item) -> list[str]:
    """The tier markers ``item`` gets (besides those it has already)."""
    names: list[str] = []
    path = item.nodeid.split("::", 1)[0]
    fixtures = set(getattr(item, "fixturenames", ()))
    if path.startswith("tests/pcsc/") or fixtures & PCSC_FIXTURES:
        names.append("pcsc")
    if _drives_browser(getattr(item, "module", None)):
        names.append("browser")
    callspec = getattr(item, "callspec", None)
    if fixtures & PG_FIXTURES or (callspec is not None
                                  and callspec.params.get("backend") == "postgresql"):
        names.append("pg")
    if any(mark == needs_ocr.mark for mark in item.iter_markers("skipif")):
        names.append("ocr")
    if function_id(item) in SLOW:
        names.append("slow")
    return [name for name in names if item.get_closest_marker(name) is None]


__all__ = ["SLOW", "function_id", "tier_marks"]
