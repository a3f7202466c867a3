"""Writing output files so that a crash or an error never leaves a half-written file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from cardtool.errors import BadInputFile


def _mode_for(final: Path) -> int:
    try:
        return final.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: str | Path, data: bytes | Iterable[bytes]) -> Path:
    """Write through a temp file in the same directory, fsync, then rename over ``path``.
    ``data``: the bytes, or chunks written as they come (an export streamed from a
    database: memory does not grow with it); a chunk that fails leaves no file behind.

    A target that exists but is not a regular file (``/dev/null``, a FIFO, a terminal) is
    written in place: renaming over it would replace the device with a file."""
    chunks: Iterable[bytes] = (data,) if isinstance(data, bytes) else data
    final = Path(path)
    if final.exists() and not final.is_file():
        try:
            with open(final, "wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
        except OSError as exc:
            raise BadInputFile(path=str(final), detail=exc.strerror or "cannot write") from None
        return final
    if final.is_symlink():
        final = final.resolve()  # replace the file the link points to, keep the link
    directory = final.parent if str(final.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", dir=directory)
    except OSError as exc:
        raise BadInputFile(path=str(final), detail=exc.strerror or "cannot write") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes 0600; give the file the mode a plain open() would (or keep the
        # mode of the file it replaces).
        os.chmod(tmp, _mode_for(final))
        os.replace(tmp, final)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise BadInputFile(path=str(final), detail=exc.strerror or "cannot write") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return final
