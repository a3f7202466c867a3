"""Fuzz tests: a short budget in the suite, a long one with `make fuzz` (CARDTOOL_FUZZ=long).
Only our documented errors may come out of a parser; anything else is a bug."""

from __future__ import annotations

import os

FUZZ_EXAMPLES = 20_000 if os.environ.get("CARDTOOL_FUZZ") == "long" else 1_000
