"""Two desks saving checks for the same client at the same time lose nothing: as threads of
one process (two Register objects) and as two processes."""

from __future__ import annotations

import multiprocessing
import threading

from cardtool.register import Register
from tests.register.facts import mynumber, residence

SAVES_PER_DESK = 25


def _desk(url: str, client_id: int, desk: str, start: threading.Barrier | None = None) -> None:
    with Register.open(url) as register:
        if start is not None:
            start.wait()
        for n in range(SAVES_PER_DESK):
            card = residence(100 + n) if n % 2 else mynumber(100 + n)
            register.save_check(client_id, card, desk=desk)


def _desk_process(url: str, client_id: int, desk: str, start: object) -> None:
    start.wait()  # type: ignore[attr-defined]
    _desk(url, client_id, desk)


def _assert_all_saved(url: str, client_id: int, desks: list[str]) -> None:
    with Register.open(url) as register:
        history = register.history(client_id)
        saves = [a for a in register.audit_trail(limit=10_000) if a[2] == "check.save"]
    assert len(history) == len(desks) * SAVES_PER_DESK
    assert len({c.id for c in history}) == len(history)
    for desk in desks:
        assert sum(c.desk == desk for c in history) == SAVES_PER_DESK
    assert len(saves) == len(history)


def test_two_desks_in_threads(register_url: str) -> None:
    with Register.open(register_url) as register:
        client_id = register.create_client("A-0001", None, desk="d").id
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(desk: str) -> None:
        try:
            _desk(register_url, client_id, desk, start)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"desk-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    _assert_all_saved(register_url, client_id, ["desk-1", "desk-2"])


def test_two_desks_in_processes(register_url: str) -> None:
    with Register.open(register_url) as register:
        client_id = register.create_client("A-0001", None, desk="d").id
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    processes = [context.Process(target=_desk_process,
                                 args=(register_url, client_id, f"desk-{n}", start))
                 for n in (1, 2)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0, 0]
    _assert_all_saved(register_url, client_id, ["desk-1", "desk-2"])
