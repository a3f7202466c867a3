"""Render an HTML file to PNG with headless Chromium (Debian package ``chromium``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
#: A4 portrait at 96 dpi.
A4_WINDOW = (794, 1123)


def chromium_path() -> str | None:
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    return shutil.which("chromium")


def require_chromium() -> str:
    """Skip without Chromium, except under CI (CARDTOOL_REQUIRE_PCSC=1): then fail."""
    path = chromium_path()
    if path is not None:
        return path
    reason = "headless Chromium is not installed (Debian package 'chromium')"
    if os.environ.get("CARDTOOL_REQUIRE_PCSC") == "1":
        pytest.fail(reason + " (CARDTOOL_REQUIRE_PCSC=1)")
    pytest.skip(reason)


@dataclass(frozen=True)
class Rendering:
    png: Path
    returncode: int
    console: list[str]  # every console message the page produced (ours produce none)
    stderr: str


def render_png(html: Path, png: Path, window: tuple[int, int] = A4_WINDOW,
               chromium: str | None = None, timeout: float = 120) -> Rendering:
    """Screenshot ``html`` into ``png``; no network, a fresh profile, logging to stderr."""
    binary = chromium or chromium_path()
    if binary is None:
        raise FileNotFoundError("chromium")
    with tempfile.TemporaryDirectory(prefix="cardtool-chromium-") as profile:
        out = subprocess.run(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--enable-logging=stderr",
             "--v=0", "--hide-scrollbars", f"--screenshot={png}",
             f"--window-size={window[0]},{window[1]}", html.resolve().as_uri()],
            capture_output=True, text=True, timeout=timeout,
            env={**os.environ, "HOME": profile})
    console = [line for line in out.stderr.splitlines() if ":CONSOLE" in line]
    return Rendering(png, out.returncode, console, out.stderr)
