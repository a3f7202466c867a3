"""The family of drawn first-generation card faces (``cardtool.virtual.front_family``) and the
persona field that draws a virtual card's face in one of them (``extra.front_layout``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import io
import os

import pytest
from PIL import Image

from cardtool.cards.residence import ids
from cardtool.virtual.front_family import (
    FONT_FILES,
    FontMissing,
    available_fonts,
    draw_face,
    random_layout,
)
from cardtool.virtual.persona import PersonaError, load_persona
from cardtool.virtual.residence import build_first_generation
from cardtool.virtual.residence_images import FrontFace
from tests.support.cli import ROOT

FONTS = [f for f in FONT_FILES if f in available_fonts()] or ["noto-sans"]


def face() -> FrontFace:
    return FrontFace(
        special=False, name="TESTER ALEXANDRA MARIA DE LOS SANTOS RODRIGUEZ GUTIERREZ",
        birth_date=dt.date(1990, 1, 31), sex="female", nationality="ベトナム",
        address="北海道札幌市中央区大通西12丁目345番6号 サンハイツグランド1203号室",
        card_expiry=dt.date(2029, 12, 31), card_number="AB12345678CD",
        status="技能実習２号ロ", work="指定書記載機関での在留資格に基づく就労活動のみ可",
        period="5年", residence_expiry=dt.date(2029, 12, 31), permission_kind="在留期間更新許可",
        permission_date=dt.date(2024, 12, 20), issue_date=dt.date(2024, 12, 25))


@pytest.mark.parametrize("seed", range(12))
def test_every_layout_draws_every_date_inside_the_image(seed: int) -> None:
    layout = random_layout(seed, FONTS[seed % len(FONTS)])
    assert 400 <= layout.width <= 2000
    image, boxes = draw_face(face(), layout)
    assert image.mode == "1" and image.width == layout.width
    assert set(boxes) == {"birth_date", "residence_expiry", "permission_date", "issue_date",
                          "card_expiry"}
    for left, top, right, bottom in boxes.values():
        assert 0 <= left < right <= image.width and 0 <= top < bottom <= image.height
        assert image.crop((left, top, right, bottom)).getextrema()[0] == 0  # ink there


def test_a_layout_is_the_same_for_the_same_seed_and_differs_between_seeds() -> None:
    font = FONTS[0]
    assert random_layout(5, font) == random_layout(5, font)
    assert draw_face(face(), random_layout(5, font))[0].tobytes() == \
        draw_face(face(), random_layout(5, font))[0].tobytes()
    assert len({random_layout(s, font).width for s in range(20)}) > 15


def test_unknown_font() -> None:
    with pytest.raises(FontMissing):
        random_layout(1, "comic-sans")


def test_the_bench_holds_out_fonts_never_used_in_development() -> None:
    spec = importlib.util.spec_from_file_location("ocr_bench", ROOT / "bench" / "ocr_accuracy.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    dev, held_out, fresh = set(bench.DEV_FONTS), set(bench.HELD_OUT_FONTS), set(bench.FRESH_FONTS)
    assert dev.isdisjoint(held_out) and fresh.isdisjoint(dev | held_out)
    assert dev | held_out | fresh <= set(FONT_FILES)
    dev_first, _ = bench.SETS["development"]
    held_first, _ = bench.SETS["held-out"]
    fresh_first, _ = bench.SETS["fresh"]
    assert held_first >= dev_first + 100_000  # seeds never overlap at any --count used
    assert fresh_first >= held_first + 100_000
    # --fresh-base moves the fresh set's seeds, and only its own
    assert bench.card("fresh", 3, 7_000_000)[2] == 7_000_003
    assert bench.card("held-out", 3)[2] == held_first + 3


def _front(persona: object) -> bytes:
    card = build_first_generation(persona)  # type: ignore[arg-type]
    data: bytes = card.dfs[ids.DF1_AID].files[0x0001].data
    return data


@pytest.mark.skipif("vl-pgothic" not in available_fonts()
                    and os.environ.get("CARDTOOL_REQUIRE_OCR") != "1",
                    reason="fonts-vlgothic is not installed")
def test_a_persona_can_ask_for_a_layout() -> None:
    base = load_persona("residence-default", "residence")
    shown = dataclasses.replace(base, extra={
        **base.extra, "front_layout": {"seed": 3, "font": "vl-pgothic", "width": 700}})
    data = _front(shown)
    assert data != _front(base)
    start = data.index(b"II*\x00")
    with Image.open(io.BytesIO(data[start:])) as image:
        assert image.size[0] == 700 and image.mode == "1"


@pytest.mark.parametrize("spec", [
    "seed 3", {"seed": "3", "font": "vl-pgothic"}, {"seed": 3}, {"seed": 3, "font": "nope"},
    {"seed": 3, "font": "vl-pgothic", "width": 100}, {"seed": 3, "font": "noto-sans", "x": 1},
])
def test_a_bad_front_layout_is_a_persona_error(spec: object) -> None:
    base = load_persona("residence-default", "residence")
    with pytest.raises(PersonaError, match="front_layout"):
        _front(dataclasses.replace(base, extra={**base.extra, "front_layout": spec}))
