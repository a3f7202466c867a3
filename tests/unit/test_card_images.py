"""cardtool.images.decode_card_image: every card image is checked against its spec from the
header before a pixel is decoded (decompression bombs, images just under Pillow's limit,
wrong formats), and real images still decode."""

from __future__ import annotations

import tokenize
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from cardtool.cards.residence import ids
from cardtool.errors import EXIT_CARD
from cardtool.images import (
    ALL_SPECS,
    MAX_DECODE_BYTES,
    MYNUMBER_ADDRESS,
    MYNUMBER_NAME,
    MYNUMBER_PHOTO,
    RESIDENCE_ADDRESS_BYTES,
    RESIDENCE_FRONT,
    RESIDENCE_FRONT_BYTES,
    RESIDENCE_NAME,
    RESIDENCE_NAME_BYTES,
    RESIDENCE_PHOTO,
    RESIDENCE_PHOTO_BYTES,
    CardImage,
    ImageSpec,
    ImageTooLarge,
    ImageUndecodable,
    decode_card_image,
    to_png,
)
from cardtool.virtual.drawing import photo_jp2, text_png, tiff_g4
from tests.support.hostile_images import (
    BOMB_PNG,
    JUST_UNDER_PILLOW_LIMIT,
    PNG_MODES,
    encode,
    jp2,
    png,
    tiff,
)


def too_large(spec: ImageSpec, data: bytes) -> str:
    with pytest.raises(ImageTooLarge) as info:
        decode_card_image(CardImage("name", spec, data))
    assert info.value.exit_code == EXIT_CARD
    assert "larger than any real card's" in str(info.value)
    assert "実在のカードより大きな画像" in info.value.render("ja")
    return str(info.value)


def test_every_spec_fits_the_decode_cap() -> None:
    assert MAX_DECODE_BYTES <= 8 << 20
    for spec in ALL_SPECS:
        assert spec.max_decode_bytes <= MAX_DECODE_BYTES, spec


def test_the_60000_square_png_bomb_is_refused_from_its_header() -> None:
    assert len(BOMB_PNG) < 2000
    assert "60000 x 60000 pixels" in too_large(MYNUMBER_NAME, BOMB_PNG)


@pytest.mark.parametrize(("spec", "data"), [
    (MYNUMBER_NAME, png(*JUST_UNDER_PILLOW_LIMIT, full=False)),
    (MYNUMBER_PHOTO, jp2(*JUST_UNDER_PILLOW_LIMIT)),
    (RESIDENCE_FRONT, tiff(*JUST_UNDER_PILLOW_LIMIT)),
    (MYNUMBER_PHOTO, jp2(60000, 60000)),
    (RESIDENCE_PHOTO, jp2(60000, 60000)),
    (RESIDENCE_FRONT, tiff(60000, 60000)),
    (RESIDENCE_NAME, tiff(4000, 100)),
    (MYNUMBER_PHOTO, jp2(641, 150)),
])
def test_images_larger_than_their_spec_are_refused(spec: ImageSpec, data: bytes) -> None:
    too_large(spec, data)


def test_stored_size_beyond_the_residence_field_is_refused() -> None:
    assert "7,001 bytes, at most 7,000" in too_large(RESIDENCE_FRONT,
                                                     tiff_g4("x", 64, 32).ljust(7001, b"\0"))
    too_large(RESIDENCE_PHOTO, photo_jp2("x").ljust(3001, b"\0"))


@pytest.mark.parametrize(("spec", "data", "size"), [
    (MYNUMBER_NAME, text_png("山田 太郎"), (512, 64)),
    (MYNUMBER_ADDRESS, text_png("東京都", 2048, 1024), (2048, 1024)),
    (MYNUMBER_PHOTO, photo_jp2("p"), (120, 150)),
    (MYNUMBER_PHOTO, encode(Image.new("RGB", (640, 800)), "JPEG2000"), (640, 800)),
    (RESIDENCE_FRONT, tiff_g4("front", 600, 380).ljust(7000, b"\0"), (600, 380)),
    (RESIDENCE_NAME, tiff_g4("name", 2048, 64), (2048, 64)),
])
def test_real_images_decode(spec: ImageSpec, data: bytes, size: tuple[int, int]) -> None:
    image = CardImage("x", spec, data)
    with decode_card_image(image) as img:
        assert img.size == size and img.format == spec.format
    assert to_png(image).startswith(b"\x89PNG")


@pytest.mark.parametrize(("spec", "data", "detail"), [
    (MYNUMBER_NAME, photo_jp2("p"), "not a PNG"),
    (MYNUMBER_PHOTO, text_png("x"), "no JPEG 2000 codestream"),
    (RESIDENCE_FRONT, text_png("x"), "UnidentifiedImageError"),
    (RESIDENCE_NAME, tiff_g4("x").replace(b"\x03\x01\x03\x00\x01\x00\x00\x00\x04", b"\x03\x01\x03\x00\x01\x00\x00\x00\x01"), "not CCITT G4"),
    (MYNUMBER_NAME, png(100, 20, 0, 16), "mode I;16"),
])
def test_images_other_than_their_spec_are_undecodable(spec: ImageSpec, data: bytes,
                                                      detail: str) -> None:
    with pytest.raises(ImageUndecodable) as info:
        decode_card_image(CardImage("x", spec, data))
    assert info.value.exit_code == EXIT_CARD and detail in str(info.value)


def test_png_text_chunks_are_not_inflated() -> None:
    import zlib

    from tests.support.hostile_images import chunk
    data = png(64, 16)
    ztxt = chunk(b"zTXt", b"k\0\0" + zlib.compress(bytes(50_000_000), 9))
    hostile = data[:33] + ztxt * 3 + data[33:]
    with decode_card_image(CardImage("x", MYNUMBER_NAME, hostile)) as img:
        assert img.size == (64, 16) and not img.info


sizes = st.one_of(st.integers(1, 300), st.integers(1, 2100), st.integers(1, 100_000))


@settings(max_examples=150, deadline=None)
@given(sizes, sizes, st.sampled_from(sorted(PNG_MODES)), st.booleans())
def test_png_headers_decide_before_decoding(width: int, height: int, mode: tuple[int, int],
                                            full: bool) -> None:
    colour, depth = mode
    fits = width <= MYNUMBER_NAME.max_width and height <= MYNUMBER_NAME.max_height
    data = png(width, height, colour, depth, full=full and fits)
    image = CardImage("name", MYNUMBER_NAME, data)
    if not fits:
        too_large(MYNUMBER_NAME, data)
        return
    try:
        img = decode_card_image(image)
    except ImageUndecodable:
        assert PNG_MODES[mode] not in MYNUMBER_NAME.modes or not full
        return
    with img:
        assert img.size == (width, height) and img.mode in MYNUMBER_NAME.modes


def test_the_residence_image_sizes_are_written_once() -> None:
    # One rule, one home: the spec's field sizes (7000, 3000, 2500 bytes) are numbers in
    # cardtool/images.py only; the signature's NUL padding and the virtual cards name them.
    # A number token, not a docstring or comment, anywhere else is a copy come back.
    root = Path(__file__).resolve().parents[2]
    sizes = {str(n) for n in (RESIDENCE_FRONT_BYTES, RESIDENCE_PHOTO_BYTES,
                              RESIDENCE_NAME_BYTES, RESIDENCE_ADDRESS_BYTES)}
    copies = []
    for path in sorted((root / "cardtool").rglob("*.py")) + sorted((root / "apdu").rglob("*.py")):
        if path == root / "cardtool" / "images.py":
            continue
        with path.open("rb") as source:
            for token in tokenize.tokenize(source.readline):
                if token.type == tokenize.NUMBER and token.string.replace("_", "") in sizes:
                    copies.append(f"{path.relative_to(root)}:{token.start[0]}")
    assert copies == []
    assert ids.FIRST_GEN_FRONT_IMAGE_MAX == RESIDENCE_FRONT.max_stored_bytes == 7000
