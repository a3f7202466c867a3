from __future__ import annotations

import datetime as dt

import pytest

from cardtool.era import collation_number_b, era_of, era_yymmdd


@pytest.mark.parametrize(("day", "name", "yymmdd"), [
    (dt.date(1980, 2, 17), "昭和", "550217"),
    (dt.date(1989, 1, 7), "昭和", "640107"),
    (dt.date(1989, 1, 8), "平成", "010108"),
    (dt.date(2019, 4, 30), "平成", "310430"),
    (dt.date(2019, 5, 1), "令和", "010501"),
    (dt.date(2020, 2, 24), "令和", "020224"),
])
def test_era_boundaries(day: dt.date, name: str, yymmdd: str) -> None:
    assert era_of(day).name == name
    assert era_yymmdd(day) == yymmdd


def test_collation_number_b_spec_example() -> None:
    assert collation_number_b(dt.date(1980, 2, 17), dt.date(2035, 6, 1), "2285") == "55021720352285"
