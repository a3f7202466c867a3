"""``cardtool.import_ahead``: the imports run on another thread, ``wait`` returns only once
they are done, a failing import is left for the main thread to report, and a process starts
the thread once."""

from __future__ import annotations

import threading

import pytest

from cardtool import import_ahead


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_ahead, "_thread", None)


def test_the_imports_run_on_another_thread_and_wait_waits_for_them() -> None:
    release = threading.Event()
    ran_on: list[str] = []

    def imports() -> None:
        release.wait(10)
        ran_on.append(threading.current_thread().name)

    import_ahead.start(imports)
    assert ran_on == []  # still blocked: start did not run it on this thread
    release.set()
    import_ahead.wait()
    assert ran_on == ["cardtool-import-ahead"]


def test_a_failing_import_is_left_to_the_main_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """No traceback from the thread (the thread's excepthook is never reached): the main
    thread imports the module itself where it needs it and reports the error there."""
    escaped: list[object] = []
    monkeypatch.setattr(threading, "excepthook", escaped.append)
    ran: list[bool] = []

    def imports() -> None:
        ran.append(True)
        raise ModuleNotFoundError("No module named 'nowhere'", name="nowhere")

    import_ahead.start(imports)
    import_ahead.wait()
    assert ran == [True] and escaped == []


def test_a_process_starts_the_thread_once() -> None:
    calls: list[int] = []
    import_ahead.start(lambda: calls.append(1))
    import_ahead.start(lambda: calls.append(2))
    import_ahead.wait()
    assert calls == [1]


def test_wait_without_start_returns() -> None:
    import_ahead.wait()
