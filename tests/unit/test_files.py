from __future__ import annotations

import os
import stat
from pathlib import Path

from cardtool.files import write_atomic


def test_atomic_write_replaces_regular_files(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]  # no temp file left


def test_devices_are_written_in_place_not_replaced() -> None:
    write_atomic("/dev/null", b"data")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_symlink_target_is_replaced_and_link_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.bin"
    real.write_bytes(b"old")
    link = tmp_path / "link.bin"
    link.symlink_to(real)
    write_atomic(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_new_files_get_the_umask_mode_and_replaced_files_keep_theirs(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        fresh = write_atomic(tmp_path / "fresh", b"x")
        assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o644
        kept = tmp_path / "kept"
        kept.write_bytes(b"old")
        kept.chmod(0o600)
        write_atomic(kept, b"new")
        assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    finally:
        os.umask(old)
