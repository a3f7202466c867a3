"""The quirk matrix's shared table: which card quirks it combines, and the APDU counts each
run used (printed at the end of the test session by ``tests/conftest.py``)."""

from __future__ import annotations

from dataclasses import dataclass

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

#: (flow, config) -> APDUs exchanged, filled in by the matrix tests.
APDU_COUNTS: dict[tuple[str, str], int] = {}


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
    return lines
