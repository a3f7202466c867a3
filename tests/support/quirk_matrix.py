"""The quirk matrix's shared table: which card quirks it combines, and the APDU counts each
run used (printed at the end of the test session by ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pytest

from cardtool.virtual.quirks import Quirk

ALL_QUIRKS = "+" + "+".join(q.value for q in Quirk)


@dataclass(frozen=True)
class QuirkConfig:
    name: str
    suffix: str = ""  # appended to the persona spec
    reader_no_extended: bool = False

    @property
    def quirks(self) -> frozenset[str]:
        return frozenset(p for p in self.suffix.split("+") if p)

    @property
    def loses_card_expiry(self) -> bool:
        """No unauthenticated source of the card expiry is left (spec §2.4)."""
        return {Quirk.NO_GET_DATA.value, Quirk.NO_COMMON_DF.value} <= self.quirks


PLAIN = QuirkConfig("plain")
CONFIGS: tuple[QuirkConfig, ...] = (
    PLAIN,
    *(QuirkConfig(q.value, "+" + q.value) for q in Quirk),
    QuirkConfig("reader-no-extended", reader_no_extended=True),
    QuirkConfig("all", ALL_QUIRKS, reader_no_extended=True),
)

#: (flow, config) -> APDUs exchanged, filled in by the matrix tests (``note_apdu_count``).
APDU_COUNTS: dict[tuple[str, str], int] = {}

#: The name under which a test's report carries its count: with pytest-xdist the tests run
#: in worker processes, and only their reports reach the process that prints the summary
#: (``tests/conftest.py`` hands every report to ``merge_reported``).
COUNT_PROPERTY = "apdu_count"


def note_apdu_count(node: pytest.Item, flow: str, config: str, count: int, *,
                    keep_first: bool = False) -> None:
    """Record ``count`` here and in ``node``'s report (for the summary of an xdist run)."""
    if keep_first and (flow, config) in APDU_COUNTS:
        return
    APDU_COUNTS[(flow, config)] = count
    node.user_properties.append((COUNT_PROPERTY, (flow, config, count)))


def merge_reported(properties: Iterable[tuple[str, object]]) -> None:
    """Take the counts a (worker's) test report carries into ``APDU_COUNTS``."""
    for name, value in properties:
        if name == COUNT_PROPERTY and isinstance(value, (tuple, list)) and len(value) == 3:
            flow, config, count = value
            APDU_COUNTS[(str(flow), str(config))] = int(count)

#: The read plan's limits (docs/read-plan.md): (flow, config) -> the most APDUs it may take,
#: asserted by tests/cards/test_quirk_matrix.py. Counts are deterministic (the virtual card
#: and its quirks), so an extra APDU anywhere in the plan fails the test.
READ_PLAN_LIMITS: dict[tuple[str, str], int] = {
    ("read", "plain"): 16,
    ("read --face", "plain"): 18,
    ("read --text", "plain"): 19,
    ("expiry", "plain"): 5,
    ("read", "all"): 57,
}
#: Issue 25's goals for the same cells; where a limit is above its goal, docs/read-plan.md
#: says which APDU the goal would have to drop (a check, a PIN status or the 特定 probe).
READ_PLAN_GOALS: dict[tuple[str, str], int] = {
    ("read", "plain"): 14,
    ("read --face", "plain"): 16,
    ("read --text", "plain"): 18,
    ("expiry", "plain"): 6,
    ("read", "all"): 45,
}
#: The same cells before the read plan (commit ec4cd62), for the printed comparison.
READ_PLAN_BEFORE: dict[tuple[str, str], int] = {
    ("read", "plain"): 20,
    ("read --face", "plain"): 20,
    ("read --text", "plain"): 22,
    ("expiry", "plain"): 7,
    ("read", "all"): 63,
}


def summary_lines() -> list[str]:
    if not APDU_COUNTS:
        return []
    flows = list(dict.fromkeys(f for f, _ in APDU_COUNTS))
    configs = [c.name for c in CONFIGS if any(k[1] == c.name for k in APDU_COUNTS)]
    width = max(len(f) for f in flows)
    lines = ["APDUs per card flow and quirk (same answer as on the plain card, no extra PIN try):",
             " " * width + "  " + " ".join(f"{c[:10]:>10}" for c in configs)]
    for flow in flows:
        cells = [APDU_COUNTS.get((flow, c)) for c in configs]
        lines.append(f"{flow:<{width}}  " + " ".join(
            f"{'-' if n is None else n:>10}" for n in cells))
    measured = [k for k in READ_PLAN_LIMITS if k in APDU_COUNTS]
    if measured:
        lines.append("Read plan (docs/read-plan.md): APDUs before (ec4cd62) and now, the limit "
                     "the tests assert, issue 25's goal:")
        lines.append(f"{'flow':<24} {'card':<6} {'before':>6} {'now':>6} {'limit':>6} {'goal':>6}")
        for flow, config in measured:
            key = (flow, config)
            lines.append(f"{flow:<24} {config:<6} {READ_PLAN_BEFORE[key]:>6} "
                         f"{APDU_COUNTS[key]:>6} {READ_PLAN_LIMITS[key]:>6} "
                         f"{READ_PLAN_GOALS[key]:>6}")
    return lines
