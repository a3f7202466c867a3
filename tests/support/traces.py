"""Building small traces in the cardtool trace format for the checker tests, and checking
them with both checkers at once (they must agree, always)."""

from __future__ import annotations

import json
from typing import Any

from cardtool.cards.mynumber import ids
from cardtool.policy.check import check_data
from cardtool.policy.check_plain import check_data_plain
from cardtool.policy.rules import FileReport, TraceFinding

JPKI = ids.JPKI_AID.hex().upper()
TEXT = ids.TEXT_AID.hex().upper()
VISUAL = ids.VISUAL_AID.hex().upper()
JUKI = ids.JUKI_AID.hex().upper()


def select_aid(aid_hex: str) -> str:
    return f"00A4040C{len(aid_hex) // 2:02X}{aid_hex}"


def verify(p2: int, data_hex: str = "") -> str:
    """VERIFY P1=00 P2=p2 with optional data (hex, X allowed)."""
    return f"002000{p2:02X}" + (f"{len(data_hex) // 2:02X}{data_hex}" if data_hex else "")


def redacted(length: int) -> str:
    return "XX" * length


class TraceBuilder:
    """Lines exactly as ``TraceWriter`` writes them (same field order and separators)."""

    def __init__(self, *, redactions: tuple[str, ...] = ("secrets", "personal"),
                 unredacted: bool = False) -> None:
        header: dict[str, Any] = {
            "format": "cardtool-trace", "version": 1, "created": "2026-11-26T08:00:00.000000Z",
            "tool": "test", "source": "test", "atr": "3B8880010000000000000000", "card": None,
            "redactions": list(redactions)}
        if unredacted:
            header["unredacted"] = True
        self.lines = [self._dump(header)]
        self.n = 0

    @staticmethod
    def _dump(obj: dict[str, Any]) -> str:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

    def ex(self, command: str, response: str, redacted_as: tuple[str, ...] = ()) -> int:
        """Append an exchange; returns its number."""
        self.n += 1
        event: dict[str, Any] = {"type": "exchange", "n": self.n, "command": command,
                                 "response": response, "us": 10}
        if redacted_as:
            event["redacted"] = list(redacted_as)
        self.lines.append(self._dump(event))
        return self.n

    def event(self, type_: str, **fields: Any) -> None:
        self.lines.append(self._dump({"type": type_, **fields}))

    def raw(self, line: str) -> None:
        self.lines.append(line)

    def data(self, *, final_newline: bool = True) -> bytes:
        return ("\n".join(self.lines) + ("\n" if final_newline else "")).encode("utf-8")


def check_both(data: bytes, path: str = "t.jsonl") -> FileReport:
    """Check with the fast and the reference checker; they must report the same."""
    fast = check_data(path, "cardtool", data)
    plain = check_data_plain(path, "cardtool", data)
    assert fast == plain, f"fast and plain checkers disagree:\n{fast}\n{plain}"
    return fast


def found(data: bytes) -> list[tuple[int | None, str, str, str]]:
    """(exchange, rule, key, detail) of every finding, in report order."""
    return [(f.exchange, f.rule, f.key, f.detail) for f in check_both(data).findings]


def rules(data: bytes) -> list[str]:
    return [f.rule for f in check_both(data).findings]


__all__ = [
    "JPKI",
    "TEXT",
    "VISUAL",
    "TraceBuilder",
    "TraceFinding",
    "check_both",
    "found",
    "redacted",
    "rules",
    "select_aid",
    "verify",
]
