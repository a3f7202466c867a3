"""Card images (PNG, JPEG 2000, TIFF G4) to PNG files, written so nothing is half-written."""

from __future__ import annotations

import io
from pathlib import Path

from cardtool.errors import EXIT_CARD, BadInputFile, CardtoolError
from cardtool.files import write_atomic


class ImageUndecodable(CardtoolError):
    en = "The {name} image from the card cannot be decoded ({detail})."
    ja = "カードの画像「{name}」をデコードできません({detail})。"
    exit_code = EXIT_CARD


def to_png(name: str, data: bytes) -> bytes:
    """Decode any image Pillow knows (PNG, JPEG 2000, CCITT G4 TIFF) and re-encode as PNG."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            out = io.BytesIO()
            img.save(out, "PNG")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageUndecodable(name=name, detail=type(exc).__name__) from None
    return out.getvalue()


def write_pngs(images: dict[str, bytes], directory: str | Path, prefix: str = "") -> list[Path]:
    """Decode every image first, then write each through a temp file and rename: if any
    image does not decode, nothing is written; a crash never leaves a partial PNG."""
    pngs = {name: to_png(name, data) for name, data in images.items() if data}
    target = Path(directory)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInputFile(path=str(target), detail=exc.strerror or "cannot create") from None
    return [write_atomic(target / f"{prefix}{name}.png", png) for name, png in pngs.items()]
