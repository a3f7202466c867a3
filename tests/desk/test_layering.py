"""The desk is a face: it imports services, sources, renderers and the register, never
the card applications, the inside of the virtual cards, the APDU session or a transport
(design.md, Layers). Only the reader watcher (a service) may touch apdu.transport.pcsc."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("cardtool.cards", "cardtool.virtual", "cardtool.cli", "apdu.session",
             "apdu.transport")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_the_desk_imports_no_card_transport_or_session_code() -> None:
    files = sorted((ROOT / "cardtool" / "desk").glob("*.py"))
    assert len(files) >= 8
    bad = {f"{path.name}: {name}" for path in files for name in _imports(path)
           if name.startswith(FORBIDDEN)}
    assert not bad, sorted(bad)


def test_the_reader_watcher_reaches_pcsc_only_through_the_transport_module() -> None:
    names = _imports(ROOT / "cardtool" / "services" / "reader_watch.py")
    assert "apdu.transport.pcsc" in names
    assert not [n for n in names if n.startswith(("smartcard", "cardtool.cards",
                                                  "cardtool.desk", "apdu.session"))]
