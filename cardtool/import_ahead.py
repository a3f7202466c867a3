"""Import a library on a second thread while the card is talking.

A contactless read waits on the link for most of its wall time (5-20 ms an APDU; pyscard
releases the GIL inside SCardTransmit), and a fresh ``cardtool read`` process would otherwise
spend tens of milliseconds importing cryptography's X.509 code before it sends its first
APDU. ``start`` begins those imports on a thread while the read goes on; the read calls
``wait`` before its first use of them, so the main thread never imports those modules at the
same time as the thread (no import-lock interplay between the two), and a failed import is
raised where the main thread imports the module itself, with its usual error.

The caller writes its imports out in a function (visible to mypy and grep, as the layering
test wants); that function should import third-party modules only. A leaf: it imports
nothing of the project's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

#: The thread started by ``start`` (at most one a process: later calls reuse it).
_thread: threading.Thread | None = None


def _run(imports: Callable[[], object]) -> None:
    try:
        imports()
    except Exception:  # noqa: BLE001 - the main thread's own import reports it, where it is used
        return


def start(imports: Callable[[], object]) -> None:
    """Run ``imports`` (a function of import statements) on a thread, once a process.
    A non-daemon thread: the interpreter never stops it half-way through an import."""
    global _thread
    if _thread is not None:
        return
    _thread = threading.Thread(target=_run, args=(imports,), name="cardtool-import-ahead")
    _thread.start()


def wait() -> None:
    """Return once the thread of ``start`` (if any) has finished its imports."""
    if _thread is not None:
        _thread.join()


__all__ = ["start", "wait"]
