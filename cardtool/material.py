"""Where trust and key material is read from, in one place.

- Package data (``cardtool/data/``): the J-LIS CA keys and the ISA CA fingerprints, each with
  its provenance, shipped with the tool.
- The test PKI (``fixtures/pki/``, every file marked TEST): our virtual cards' keys and
  certificates, which a verdict may rest on only when the user allows test keys.

Every layer may import this leaf; it imports nothing of the project's.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

#: Overrides the fixtures directory (tests, and an installed tool without the repository).
FIXTURES_ENV = "CARDTOOL_FIXTURES"


def fixtures_dir() -> Path:
    """``CARDTOOL_FIXTURES`` or the repository's ``fixtures/`` next to the package."""
    env = os.environ.get(FIXTURES_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[1] / "fixtures"


def test_pki_file(name: str) -> Path:
    """A file of the test PKI (``fixtures/pki/NAME``); it may not exist in an installed
    tool, callers check."""
    return fixtures_dir() / "pki" / name


def package_data_text(name: str) -> str:
    """A text file bundled in ``cardtool/data/`` (UTF-8)."""
    return resources.files("cardtool").joinpath("data", name).read_text(encoding="utf-8")


__all__ = ["FIXTURES_ENV", "fixtures_dir", "package_data_text", "test_pki_file"]
