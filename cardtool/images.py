"""Card images (PNG, JPEG 2000, TIFF G4): the one guard every decode goes through, and PNG
files written so nothing is half-written.

Images come from the card, so they are untrusted input: a 1.5 KB PNG may declare 60000 x
60000 pixels. ``decode_card_image`` first reads only the header (Pillow's lazy ``open``,
restricted to the format the card specification names for that image; for PNG our own
walk of the chunks, for JPEG 2000 also the codestream's SIZ marker) and refuses, before any
pixel is decoded, an image whose stored size, dimensions or decoded size exceed what its
``ImageSpec`` allows. Every spec keeps a decode under ``MAX_DECODE_BYTES``.

Limits, from ``shared/spec``: the card is ID-1 (85.60 x 53.98 mm), 2022 x 1275 pixels at
600 dpi, so no image of it needs more than 2048 pixels on a side; the residence card's
images have fixed maximum sizes (front 7000, face 3000, name and address 2500 bytes).
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cardtool.errors import EXIT_CARD, BadInputFile, CardtoolError
from cardtool.files import write_atomic

if TYPE_CHECKING:
    from PIL import Image

#: No decode of one card image may allocate more than this (pixels as Pillow stores them,
#: plus the JPEG 2000 decoder's own buffers). Every ``ImageSpec`` is checked against it.
MAX_DECODE_BYTES = 8 << 20

#: Bytes per pixel as Pillow stores each mode ("1" takes a byte per pixel, like "L").
_PILLOW_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "LA": 4, "RGB": 4, "RGBA": 4}
#: OpenJPEG decodes every component to 32-bit integers before Pillow copies them.
_JPEG2000_BYTES_PER_COMPONENT = 4
_BANDS = {"1": 1, "L": 1, "P": 1, "LA": 2, "RGB": 3, "RGBA": 4}
#: A JPEG 2000 codestream split into more tiles than this is refused (cards use one).
MAX_JPEG2000_TILES = 4096

PNG = "PNG"
JPEG2000 = "JPEG2000"
TIFF = "TIFF"


@dataclass(frozen=True)
class ImageSpec:
    """What the card specification allows for one image, with margin: the Pillow format,
    the modes, the largest width and height, and the largest size as stored (None: only
    the file holding it bounds it)."""

    what: str
    format: str
    modes: frozenset[str]
    max_width: int
    max_height: int
    max_stored_bytes: int | None = None

    def decode_bytes(self, mode: str, width: int, height: int) -> int:
        """What decoding a ``width`` x ``height`` image in ``mode`` allocates, about."""
        per_pixel = _PILLOW_BYTES_PER_PIXEL[mode]
        if self.format == JPEG2000:
            per_pixel += _BANDS[mode] * _JPEG2000_BYTES_PER_COMPONENT
        return width * height * per_pixel

    @property
    def max_decode_bytes(self) -> int:
        return max(self.decode_bytes(mode, self.max_width, self.max_height) for mode in self.modes)


_TEXT_MODES = frozenset({"1", "L", "P", "LA", "RGB", "RGBA"})  # spec: 1-bit; others tolerated
_PHOTO_MODES = frozenset({"RGB", "L"})
_BILEVEL = frozenset({"1"})

# My Number card, 券面事項確認AP (spec/mynumber-card.md): name, address and security code
# are PNG (1-bit), the photo JPEG 2000; EF 0005 holds the My Number as a PNG. Their pixel
# sizes are not specified: a text line at most the card's width at 600 dpi (2048), a photo
# at most 640 x 800 (its printed area is about 20 x 25 mm: 472 x 590 at 600 dpi).
MYNUMBER_NAME = ImageSpec("My Number card name image", PNG, _TEXT_MODES, 2048, 1024)
MYNUMBER_ADDRESS = ImageSpec("My Number card address image", PNG, _TEXT_MODES, 2048, 1024)
MYNUMBER_SECURITY_CODE = ImageSpec("My Number card security code image", PNG, _TEXT_MODES,
                                   2048, 1024)
MYNUMBER_NUMBER = ImageSpec("My Number image", PNG, _TEXT_MODES, 2048, 1024)
MYNUMBER_PHOTO = ImageSpec("My Number card photo", JPEG2000, _PHOTO_MODES, 640, 800)

# Residence cards (spec/residence-card.md §4): the first generation's front side is an MMR
# (CCITT G4) TIFF of at most 7000 bytes, the face a JPEG 2000 of at most 3000 bytes (both
# generations); later generations store name and address as G4 TIFFs of at most 2500 bytes
# each. The one home of these sizes: the signed data pads each value with NUL to its size
# (``cardtool.cards.residence.ids`` takes them from here).
RESIDENCE_FRONT_BYTES = 7000
RESIDENCE_PHOTO_BYTES = 3000
RESIDENCE_NAME_BYTES = 2500
RESIDENCE_ADDRESS_BYTES = 2500
RESIDENCE_FRONT = ImageSpec("residence card front image", TIFF, _BILEVEL, 2048, 2048,
                            RESIDENCE_FRONT_BYTES)
RESIDENCE_PHOTO = ImageSpec("residence card photo", JPEG2000, _PHOTO_MODES, 640, 800,
                            RESIDENCE_PHOTO_BYTES)
RESIDENCE_NAME = ImageSpec("residence card name image", TIFF, _BILEVEL, 2048, 1024,
                           RESIDENCE_NAME_BYTES)
RESIDENCE_ADDRESS = ImageSpec("residence card address image", TIFF, _BILEVEL, 2048, 1024,
                              RESIDENCE_ADDRESS_BYTES)

ALL_SPECS = (MYNUMBER_NAME, MYNUMBER_ADDRESS, MYNUMBER_SECURITY_CODE, MYNUMBER_NUMBER,
             MYNUMBER_PHOTO, RESIDENCE_FRONT, RESIDENCE_PHOTO, RESIDENCE_NAME, RESIDENCE_ADDRESS)
assert all(spec.max_decode_bytes <= MAX_DECODE_BYTES for spec in ALL_SPECS)


@dataclass(frozen=True)
class CardImage:
    """One image as the card stores it, with the spec it must meet."""

    name: str
    spec: ImageSpec
    data: bytes


class ImageUndecodable(CardtoolError):
    en = "The {name} image from the card cannot be decoded ({detail})."
    ja = "カードの画像「{name}」をデコードできません({detail})。"
    exit_code = EXIT_CARD


class ImageTooLarge(CardtoolError):
    en = ("The card sent an image larger than any real card's ({name}: {detail}); "
          "it was not decoded.")
    ja = ("カードが実在のカードより大きな画像を送ってきました(「{name}」: {detail})。"
          "デコードしていません。")
    exit_code = EXIT_CARD


# --- header checks ------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The chunks a PNG needs to be drawn; the others (text, compressed text and ICC profiles
#: that inflate, animation) are dropped before Pillow sees the file.
_PNG_KEPT = frozenset({b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"})


def _png_essentials(data: bytes) -> tuple[bytes, int, int] | None:
    """(the PNG with only the chunks in ``_PNG_KEPT``, width, height from IHDR), or None
    when ``data`` does not start like a PNG."""
    if not data.startswith(_PNG_SIGNATURE) or len(data) < 33 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    kept = [_PNG_SIGNATURE]
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if end > len(data):
            kept.append(data[pos:])  # truncated: Pillow reports it
            break
        if kind in _PNG_KEPT:
            kept.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            break
    return b"".join(kept), width, height


_SOC_SIZ = b"\xff\x4f\xff\x51"


def _jpeg2000_codestream_size(data: bytes) -> tuple[int, int, int, int] | None:
    """(width, height, components, tiles) from the codestream's SIZ marker (what OpenJPEG
    allocates for), or None when there is none."""
    at = data.find(_SOC_SIZ)
    if at < 0 or len(data) < at + 4 + 40:
        return None
    (xsiz, ysiz, xosiz, yosiz, xtsiz, ytsiz, xtosiz, ytosiz, csiz) = struct.unpack(
        ">IIIIIIIIH", data[at + 8:at + 8 + 34])
    if xsiz <= xosiz or ysiz <= yosiz or not xtsiz or not ytsiz or xtosiz > xsiz or ytosiz > ysiz:
        return None
    tiles = -(-(xsiz - xtosiz) // xtsiz) * -(-(ysiz - ytosiz) // ytsiz)
    return xsiz - xosiz, ysiz - yosiz, csiz, tiles


def _too_large(image: CardImage, detail: str) -> ImageTooLarge:
    return ImageTooLarge(name=image.name, detail=detail)


def _check_dimensions(image: CardImage, width: int, height: int) -> None:
    spec = image.spec
    if width > spec.max_width or height > spec.max_height:
        raise _too_large(image, f"{width} x {height} pixels, at most {spec.max_width} x "
                                f"{spec.max_height}")


def decode_card_image(image: CardImage) -> Image.Image:
    """The image decoded (pixels loaded), after its header was checked against its spec:
    ``ImageTooLarge`` for anything larger than the spec allows, ``ImageUndecodable`` for
    anything else the spec does not allow or Pillow cannot decode. The one way cardtool
    decodes an image from a card."""
    from PIL import Image, UnidentifiedImageError

    spec, data = image.spec, image.data
    if spec.max_stored_bytes is not None and len(data) > spec.max_stored_bytes:
        raise _too_large(image, f"{len(data):,} bytes, at most {spec.max_stored_bytes:,}")
    if spec.format == PNG:
        essentials = _png_essentials(data)
        if essentials is None:
            raise ImageUndecodable(name=image.name, detail=f"not a {spec.format} image")
        data, width, height = essentials
        _check_dimensions(image, width, height)
    elif spec.format == JPEG2000:
        size = _jpeg2000_codestream_size(data)
        if size is None:
            raise ImageUndecodable(name=image.name, detail="no JPEG 2000 codestream")
        width, height, components, tiles = size
        _check_dimensions(image, width, height)
        if components > 4 or tiles > MAX_JPEG2000_TILES:
            raise _too_large(image, f"{components} components in {tiles} tiles")
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb warning (past 89 million pixels) becomes an error; its other
            # warnings about a broken header (printed on stderr) are dropped: the error is.
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=[spec.format])
            try:
                _check_header(image, img)
                img.load()
            except BaseException:
                img.close()
                raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large(image, f"more than {Image.MAX_IMAGE_PIXELS:,} pixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
            struct.error) as exc:
        raise ImageUndecodable(name=image.name, detail=type(exc).__name__) from None
    return img


def _check_header(image: CardImage, img: Image.Image) -> None:
    spec = image.spec
    if img.format != spec.format:
        raise ImageUndecodable(name=image.name, detail=f"{img.format}, not {spec.format}")
    width, height = img.size
    _check_dimensions(image, width, height)
    if img.mode not in spec.modes:
        raise ImageUndecodable(name=image.name, detail=f"{spec.format} in mode {img.mode}")
    if spec.decode_bytes(img.mode, width, height) > MAX_DECODE_BYTES:  # not reached: specs fit
        raise _too_large(image, f"{width} x {height} pixels in mode {img.mode}")
    if spec.format == TIFF:
        compression = img.info.get("compression")
        if compression != "group4":
            raise ImageUndecodable(name=image.name, detail=f"TIFF compressed with {compression}, "
                                                           "not CCITT G4")
        if 322 in getattr(img, "tag_v2", {}):  # TileWidth: card images are in strips
            raise ImageUndecodable(name=image.name, detail="a tiled TIFF")
    if spec.format == JPEG2000:
        codestream = _jpeg2000_codestream_size(image.data)
        if codestream is None or codestream[:2] != (width, height):
            raise ImageUndecodable(name=image.name,
                                   detail="JPEG 2000 header and codestream disagree")


def to_png(image: CardImage) -> bytes:
    """Decode one card image (through ``decode_card_image``) and re-encode it as PNG."""
    with decode_card_image(image) as img:
        out = io.BytesIO()
        try:
            img.save(out, "PNG")
        except (OSError, ValueError) as exc:
            raise ImageUndecodable(name=image.name, detail=type(exc).__name__) from None
    return out.getvalue()


def write_pngs(images: Iterable[CardImage], directory: str | Path, prefix: str = "") -> list[Path]:
    """Decode every image first, then write each through a temp file and rename: if any
    image does not decode, nothing is written; a crash never leaves a partial PNG."""
    pngs = {image.name: to_png(image) for image in images if image.data}
    target = Path(directory)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInputFile(path=str(target), detail=exc.strerror or "cannot create") from None
    return [write_atomic(target / f"{prefix}{name}.png", png) for name, png in pngs.items()]
