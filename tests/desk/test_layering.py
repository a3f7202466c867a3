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


def _desk_imports(path: Path) -> set[str]:
    """The ``cardtool.desk`` modules ``path`` imports, at any level (also inside functions
    and ``TYPE_CHECKING``): an import circle through a function is a circle too."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "cardtool.desk":
            found.update(f"cardtool.desk.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("cardtool.desk.")}


def test_the_desk_modules_form_no_import_circle() -> None:
    """The app is assembled from module-level routes: the page modules import the leaf
    modules (config, rendering), never the app; nothing imports back up."""
    folder = ROOT / "cardtool" / "desk"
    graph = {f"cardtool.desk.{p.stem}": _desk_imports(p) for p in folder.glob("*.py")}
    assert graph["cardtool.desk.config"] <= {"cardtool.desk.registry", "cardtool.desk.texts"}
    assert graph["cardtool.desk.rendering"] <= {"cardtool.desk.config", "cardtool.desk.texts",
                                                "cardtool.desk.view"}
    for page in ("check_pages", "register_pages"):
        assert "cardtool.desk.app" not in graph[f"cardtool.desk.{page}"], page
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module in done:
            return
        for imported in graph.get(module, ()):
            visit(imported, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())


def test_the_desk_holds_no_check_workflow() -> None:
    """The check's stages, the number re-ask, the removal grace and the read audit are the
    check session's (a service); which client a card is, and the save, are the shared
    save-to-client path's: the desk calls them and keeps no copy."""
    desk = ROOT / "cardtool" / "desk"
    for path in desk.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        classes = {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
        assert not classes & {"Stage", "CheckResult", "CheckSession"}, path.name
        for rule in ("REMOVAL_GRACE", "read-failed", ".client_for_card_number(",
                     ".save_check(", ".client_by_reference(", ".record_audit(\"read"):
            assert rule not in source, (path.name, rule)
        if path.name != "server.py":  # it runs uvicorn in a thread for the tests
            assert "threading" not in _imports(path), path.name
    assert not (desk / "reading.py").exists()


def test_which_client_a_card_is_lives_in_one_place() -> None:
    """The register's card lookups and saves are called from the shared save-to-client
    path only (the desk and ``office --db`` both go through it)."""
    calls = {}
    for path in (ROOT / "cardtool").rglob("*.py"):
        if path.is_relative_to(ROOT / "cardtool" / "register"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("save_check", "client_for_card_number",
                                           "client_by_reference")):
                calls.setdefault(node.func.attr, set()).add(
                    path.relative_to(ROOT).as_posix())
    assert calls == {name: {"cardtool/services/client_link.py"}
                     for name in ("save_check", "client_for_card_number",
                                  "client_by_reference")}
