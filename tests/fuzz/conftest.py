"""Fuzz tests: a short budget in the suite, a long one with `make fuzz` (CARDTOOL_FUZZ=long).
Only our documented errors may come out of a parser; anything else is a bug.

Every fuzz test runs FUZZ_EXAMPLES examples: 20,000 with `make fuzz`, for every parser group
(tests/fuzz/test_fuzz_budget.py holds the groups and checks that each test has the whole
budget, so none can quietly run fewer)."""

from __future__ import annotations

import os

#: The long budget of `make fuzz` (issue 17: at least 20,000 examples per parser group).
LONG_EXAMPLES = 20_000
SHORT_EXAMPLES = 1_000
LONG = os.environ.get("CARDTOOL_FUZZ") == "long"
FUZZ_EXAMPLES = LONG_EXAMPLES if LONG else SHORT_EXAMPLES
