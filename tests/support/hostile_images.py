"""Images a hostile card might send: valid headers that declare more pixels than any card
image has, built byte by byte (nothing of that size is ever allocated here)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from cardtool.virtual.drawing import photo_jp2, tiff_g4

#: (PNG colour type, bit depth) -> the mode Pillow opens it in.
PNG_MODES = {(0, 1): "1", (0, 2): "L", (0, 4): "L", (0, 8): "L", (0, 16): "I;16",
             (2, 8): "RGB", (2, 16): "RGB", (3, 1): "P", (3, 2): "P", (3, 4): "P", (3, 8): "P",
             (4, 8): "LA", (4, 16): "LA", (6, 8): "RGBA", (6, 16): "RGBA"}
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(width: int, height: int, colour: int = 0, depth: int = 1, *, full: bool = True,
        pad_to: int = 0) -> bytes:
    """A PNG declaring ``width`` x ``height``. With ``full`` the IDAT holds every (blank) row;
    otherwise only a 1.5 KB start of them, like a decompression bomb's. ``pad_to`` adds a
    private ancillary chunk so the file has exactly that many bytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    row = 1 + (width * depth * _CHANNELS[colour] + 7) // 8
    if full:
        idat = zlib.compress(bytes(row * height), 9)
    else:
        packer = zlib.compressobj(9)
        idat = (packer.compress(bytes(min(row * height, 1_500_000))) + packer.flush())[:1500]
    plte = chunk(b"PLTE", bytes(3 * (1 << min(depth, 8)))) if colour == 3 else b""
    body = chunk(b"IHDR", ihdr) + plte + chunk(b"IDAT", idat)
    data = b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b"")
    if pad_to:
        filler = pad_to - len(data) - 12
        assert filler >= 0, (pad_to, len(data))
        data = data[:-12] + chunk(b"prVt", bytes(filler)) + data[-12:]
    return data


BOMB_PNG = png(60000, 60000, full=False)  # about 1.6 KB
JUST_UNDER_PILLOW_LIMIT = (9400, 9500)  # 89.3 million pixels: Pillow alone would decode it


def jp2(width: int, height: int) -> bytes:
    """A real JPEG 2000 photo whose header (ihdr box and SIZ marker) says ``width`` x
    ``height``."""
    data = bytearray(photo_jp2("hostile"))
    ihdr = data.find(b"ihdr")
    data[ihdr + 4:ihdr + 12] = struct.pack(">II", height, width)
    siz = data.find(b"\xff\x4f\xff\x51")
    data[siz + 8:siz + 16] = struct.pack(">II", width, height)
    return bytes(data)


def tiff(width: int, height: int) -> bytes:
    """A real G4 TIFF whose ImageWidth and ImageLength tags say ``width`` x ``height``."""
    data = bytearray(tiff_g4("hostile", 64, 32))
    assert data[:4] == b"II*\x00"
    (ifd,) = struct.unpack("<I", data[4:8])
    (count,) = struct.unpack("<H", data[ifd:ifd + 2])
    for i in range(count):
        entry = ifd + 2 + 12 * i
        (tag,) = struct.unpack("<H", data[entry:entry + 2])
        if tag in (256, 257):
            value = width if tag == 256 else height
            data[entry + 2:entry + 12] = struct.pack("<HII", 4, 1, value)  # LONG
    return bytes(data)


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()
