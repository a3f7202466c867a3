"""Where trust and key material is read from, in one place. Everything is package data,
found beside this module: an installed tool never reaches outside its package. cardtool is
installed as files (a wheel or an sdist, never a zip), so the package directory is
``Path(__file__).parent``; ``importlib.resources.files`` would give the same ``Path`` at
the price of its own imports (zipfile, tempfile, shutil, bz2, lzma: 10-15 ms of every
``cardtool read``, which loads the bundled J-LIS keys).

- ``cardtool/data/``: the J-LIS CA keys and the ISA CA fingerprints, each with its
  provenance, shipped with the tool.
- ``cardtool/virtual/pki/`` (every file marked TEST): our virtual cards' keys and
  certificates, which a verdict may rest on only when the user allows test keys.
- ``cardtool/virtual/personas/``: the synthetic card holders of the virtual cards.

Every layer may import this leaf; it imports nothing of the project's.
"""

from __future__ import annotations

from pathlib import Path

#: The installed package's directory (``cardtool/``).
PACKAGE_DIR = Path(__file__).resolve().parent


def package_dir(*parts: str) -> Path:
    """A directory of the installed package, as a file-system path (which the key loaders
    and the ``--trust-anchor``-style messages need)."""
    if not PACKAGE_DIR.is_dir():  # a zip import: not a layout cardtool is shipped in
        raise RuntimeError(f"cardtool's package data is not on the file system: {PACKAGE_DIR}")
    return PACKAGE_DIR.joinpath(*parts)


def personas_dir() -> Path:
    """The virtual cards' personas (``cardtool/virtual/personas/``)."""
    return package_dir("virtual", "personas")


def test_pki_dir() -> Path:
    """The TEST PKI of the virtual cards (``cardtool/virtual/pki/``)."""
    return package_dir("virtual", "pki")


def test_pki_file(name: str) -> Path:
    """A file of the TEST PKI (``cardtool/virtual/pki/NAME``)."""
    return test_pki_dir() / name


def package_data_text(name: str) -> str:
    """A text file bundled in ``cardtool/data/`` (UTF-8)."""
    return package_dir("data").joinpath(name).read_text(encoding="utf-8")


__all__ = ["package_data_text", "package_dir", "personas_dir", "test_pki_dir", "test_pki_file"]
