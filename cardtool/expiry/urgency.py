"""The one "most urgent first" order: the office report (a client per row) and the
register's deadline list (a date per row) both sort by it, then by their own tie-break
(reading order, reference and client).

A card whose authenticity check failed comes first, whatever its dates say: its dates
cannot be trusted, so it needs a person before anything else. Then the level (expired,
urgent, soon, check, ok), then the fewest days left; a row without a date (check by eye)
comes after the dated rows of its level.
"""

from __future__ import annotations

from cardtool.authenticity import Status
from cardtool.expiry.model import Level


def urgency_order(level: Level, days_left: int | None,
            authenticity: str | None) -> tuple[int, int, int, int]:
    """The sort key (ascending = most urgent first). ``authenticity``: the status value of
    the row's verdict (``cardtool.authenticity.Status``), None when none was given."""
    return (0 if authenticity == Status.INVALID.value else 1, -level,
            1 if days_left is None else 0, days_left or 0)


__all__ = ["urgency_order"]
