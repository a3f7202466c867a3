"""`cardtool office` on a terminal (a pseudo-terminal): click prompts, the card number is not
echoed, Enter takes the default answer."""

from __future__ import annotations

import os
import pty
import select
import sys
import time

from cardtool.virtual.persona import load_persona
from tests.support.cli import ROOT


class Terminal:
    def __init__(self, *args: str) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: cardtool on the terminal
            os.chdir(ROOT)
            os.environ.update({"PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"})
            os.execv(sys.executable, [sys.executable, "-m", "cardtool", *args])
        self.screen = b""
        self.position = 0  # where the last expected text ended

    def expect(self, text: str, timeout: float = 30) -> None:
        """Wait for ``text`` after what was expected last."""
        token = text.encode()
        deadline = time.monotonic() + timeout
        while token not in self.screen[self.position:]:
            assert time.monotonic() < deadline, self.screen.decode(errors="replace")
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                assert chunk, f"ended before {text!r}: {self.screen.decode(errors='replace')}"
                self.screen += chunk
        self.position = self.screen.index(token, self.position) + len(token)

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode() + b"\r")

    def finish(self) -> int:
        while True:
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if not ready:
                done, status = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    return os.waitstatus_to_exitcode(status)
                continue
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                _, status = os.waitpid(self.pid, 0)
                return os.waitstatus_to_exitcode(status)
            self.screen += chunk


def test_office_on_a_terminal() -> None:
    number = load_persona("office-renewed-residence2", "residence2").card_number
    assert number is not None
    term = Terminal("--lang", "en", "office", "--virtual", "residence2:office-renewed-residence2",
                    "--virtual", "mynumber:office-renewed-mynumber")
    term.expect("residence card number")
    term.type(number)
    term.expect("Client reference")
    term.type("R-1")
    term.expect("Client 1 (R-1): OK")
    term.expect("Client reference")
    term.type("")
    term.expect("Same client as the previous card? [Y/n]")
    term.type("")  # Enter: the default, yes
    assert term.finish() == 0
    screen = term.screen.decode(errors="replace")
    assert "Client 1 (R-1): Urgent" in screen and "mynumber-not-updated" in screen
    assert "Cards read: 2; clients: 1." in screen
    assert number not in screen  # typed without echo
    assert "R-1" in screen  # the reference is echoed as typed
