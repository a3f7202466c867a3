"""The layers of ``shared/design.md``, enforced: every first-party import in ``apdu/`` and
``cardtool/`` is read with ``ast`` (function-level and TYPE_CHECKING imports included) and
checked against the rules below. A failure names the importing file, its line and the rule.

- ``apdu/`` is card-agnostic: it imports nothing from ``cardtool``.
- The faces (``cardtool/cli/``, ``cardtool/desk/``) import services, sources, renderers and
  the foundation modules only: never a card application (``cardtool.cards``), the virtual
  cards, the policy's internals, a transport or the APDU session.
- Card applications (``cardtool/cards/``) import neither the policy, nor the virtual cards,
  nor a transport, nor anything above them (services, faces, the register).
- The virtual cards share the applications' constant tables, never their reader code.
- No first-party module is imported through ``importlib`` (hidden from mypy and grep).
- Every package has a rank, and imports point down the ranks (``RANKS``): apdu < the
  foundation modules (``cardtool/*.py`` and the ``expiry`` package) < cards < policy <
  virtual < trust and the OCR of card fronts < the card sources < the register < services
  < the faces (and the entry points). Equal ranks may import each other. The register never
  imports a service; the policy never imports a virtual card (a conformance run is handed
  its card and its secrets), while the virtual cards build their PIN objects from the
  policy's table: so virtual, beside the cards in what it shares with them, ranks above the
  policy. Documented exceptions would go in ``CROSSINGS`` (none today).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli import ROOT

FACES = ("cardtool.cli", "cardtool.desk")

#: Every package by rank, lowest first. The top-level modules of ``cardtool/`` not named
#: here (errors, i18n, jst, card_kind, excel_csv, typed_text, ...) and the ``expiry``
#: package are the foundation. A package under ``cardtool/`` that is in no rank is reported.
FOUNDATION = "foundation"
RANKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("apdu", ("apdu",)),
    (FOUNDATION, ("cardtool.expiry",)),
    ("cards", ("cardtool.cards",)),
    ("policy", ("cardtool.policy",)),
    ("virtual", ("cardtool.virtual",)),
    ("trust/ocr", ("cardtool.trust", "cardtool.front_dates")),
    ("sources", ("cardtool.sources", "cardtool.redaction")),
    ("register", ("cardtool.register",)),
    ("services", ("cardtool.services",)),
    ("faces", (*FACES, "cardtool.__main__", "cardtool.pytest_plugin")),
)

#: Imports against the ranks that are documented and kept, as (importing package, imported
#: module) pairs. None today.
CROSSINGS: frozenset[tuple[str, str]] = frozenset()

#: What a face may import from the project: the services (``cardtool/services/``, the trust
#: store, the OCR of card fronts, and the trace checker's entry point with its catalogue of
#: findings), the card sources, the register, and the foundation modules every layer
#: shares (errors, messages, dates, card kinds, secret formats, the expiry rules and the
#: authenticity verdict, which are pure functions over result types).
FACE_MAY_IMPORT = (
    "cardtool.services", "cardtool.sources", "cardtool.register", "cardtool.trust",
    "cardtool.front_dates", "cardtool.policy.check_run", "cardtool.policy.rules",
    "cardtool.expiry",
    "cardtool.authenticity", "cardtool.card_kind", "cardtool.secret_format",
    "cardtool.errors", "cardtool.i18n", "cardtool.jst", "cardtool.files", "cardtool.era",
    "cardtool.excel_csv", "cardtool.typed_text", "cardtool.install", "cardtool.day_words",
    "apdu.errors", "apdu.sw", "apdu.ins", "apdu.command", "apdu.trace", "apdu.importers",
    "apdu.jsonsafe",
)

#: The one import between the faces: ``cardtool serve`` (a command) starts the desk.
FACE_CROSSINGS = frozenset({("cardtool.cli.serve_cmd", "cardtool.desk.server")})

#: Nothing in ``cardtool/cards/`` may import these.
CARDS_MAY_NOT_IMPORT = (
    "cardtool.policy", "cardtool.virtual", "apdu.transport", "apdu.vpcd", "apdu.simulators",
    "cardtool.services", "cardtool.sources", "cardtool.register", "cardtool.cli",
    "cardtool.desk",
)

#: The constant tables (AIDs, file IDs, tags, record layouts, the card-face layout) the
#: virtual cards share with the applications; every other ``cardtool.cards`` module is
#: reader code.
SHARED_CARD_CONSTANTS = (
    "cardtool.cards.mynumber.ids", "cardtool.cards.mynumber.records",
    "cardtool.cards.residence.ids", "cardtool.cards.residence.front_layout",
    "cardtool.cards.residence_ap",
)


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    path: Path
    line: int
    target: str  # the imported module (``from a.b import c``: ``a.b.c`` if a module, else ``a.b``)


@dataclass(frozen=True)
class Violation:
    found: Import
    rule: str

    def __str__(self) -> str:
        return (f"{self.found.path}:{self.found.line}: {self.found.module} imports "
                f"{self.found.target} ({self.rule})")


def _within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    if level == 0:
        return name or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def imports_in(root: Path, path: Path) -> Iterator[Import]:
    """Every import statement in the file, wherever it sits, resolved to module names;
    ``importlib.import_module("x")`` calls with a literal name count as imports of x."""
    module = module_name(root, path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, path, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, package, node.level, node.module)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                is_module = (root / Path(*candidate.split("."))).with_suffix(".py").exists() or (
                    root / Path(*candidate.split(".")) / "__init__.py").exists()
                yield Import(module, path, node.lineno, candidate if is_module else base)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module"):
            yield Import(module, path, node.lineno, "importlib.import_module")


def rank_of(module: str) -> int | None:
    """The rank of a module (its index in ``RANKS``); None for a package in no rank."""
    for index, (_, packages) in enumerate(RANKS):
        if _within(module, packages):
            return index
    parts = module.split(".")
    if parts[0] == "cardtool" and len(parts) <= 2:
        return [name for name, _ in RANKS].index(FOUNDATION)  # a top-level module
    return None


def _rank_rule(source: str, target: str) -> str | None:
    source_rank, target_rank = rank_of(source), rank_of(target)
    if source_rank is None:
        return f"every package has a rank (RANKS): {source} has none"
    if target_rank is None:
        return f"every package has a rank (RANKS): {target} has none"
    if target_rank <= source_rank:
        return None
    if any(_within(source, (s,)) and _within(target, (t,)) for s, t in CROSSINGS):
        return None
    return (f"imports point down the ranks: {RANKS[source_rank][0]} imports "
            f"{RANKS[target_rank][0]}")


def violations(root: Path) -> list[Violation]:
    found: dict[Import, Violation] = {}
    for top in ("apdu", "cardtool"):
        for path in sorted((root / top).rglob("*.py")):
            for imp in imports_in(root, path):
                rule = broken_rule(imp)
                if rule is not None:
                    found.setdefault(imp, Violation(imp, rule))
    return list(found.values())


def broken_rule(imp: Import) -> str | None:
    source, target = imp.module, imp.target
    if target == "importlib.import_module":
        return "first-party code is imported by name, never through importlib"
    if not _within(target, ("apdu", "cardtool")):
        return None
    if _within(source, ("apdu",)) and _within(target, ("cardtool",)):
        return "apdu/ is card-agnostic and imports nothing from cardtool/"
    if (source, target) in FACE_CROSSINGS:
        return None
    for face in FACES:
        # The package itself (version, tool name) but nothing under it unless listed.
        if (_within(source, (face,)) and target != "cardtool"
                and not _within(target, (face, *FACE_MAY_IMPORT))):
            return ("a face imports services, sources, renderers and foundation modules "
                    "only (FACE_MAY_IMPORT)")
    if _within(source, ("cardtool.cards",)) and _within(target, CARDS_MAY_NOT_IMPORT):
        return "card applications sit below the policy, the virtual cards and transports"
    if (_within(source, ("cardtool.virtual",)) and _within(target, ("cardtool.cards",))
            and not _within(target, SHARED_CARD_CONSTANTS)):
        return "the virtual cards share constant tables with the readers, never reader code"
    return _rank_rule(source, target)


def test_the_code_keeps_its_layers() -> None:
    broken = violations(ROOT)
    assert not broken, "imports against the layers:\n" + "\n".join(map(str, broken))


PLANTED = [
    ("cardtool/cli/planted.py", "from cardtool.cards.mynumber.card import MyNumberCard\n",
     "a face imports"),
    ("cardtool/cli/planted.py", "def f():\n    from apdu.session import Session\n",
     "a face imports"),
    ("cardtool/desk/planted.py", "from ..virtual import mynumber\n", "a face imports"),
    ("apdu/planted.py", "import cardtool.errors\n", "apdu/ is card-agnostic"),
    ("cardtool/cards/planted.py", "from cardtool.policy.table import SECRETS\n",
     "card applications sit below"),
    ("cardtool/cards/planted.py", "from apdu.transport.replay import ReplayTransport\n",
     "card applications sit below"),
    ("cardtool/virtual/planted.py", "from cardtool.cards.mynumber.jpki import read_certificate\n",
     "never reader code"),
    ("cardtool/planted.py", "import importlib\nimportlib.import_module('cardtool.services.read')\n",
     "never through importlib"),
    # One upward import from each rank to the one above it (and the two named in design.md).
    ("cardtool/planted.py", "from cardtool.cards.mynumber import card\n",
     "foundation imports cards"),
    ("cardtool/expiry/planted.py", "from cardtool.services import read\n",
     "foundation imports services"),
    ("cardtool/cards/planted.py", "from cardtool.front_dates import read_front_dates\n",
     "cards imports trust/ocr"),
    ("cardtool/policy/planted.py", "from cardtool.virtual.mynumber import VirtualMyNumberCard\n",
     "policy imports virtual"),
    ("cardtool/virtual/planted.py", "from cardtool.trust import store\n",
     "virtual imports trust/ocr"),
    ("cardtool/trust/planted.py", "from cardtool.sources import open_transport\n",
     "trust/ocr imports sources"),
    ("cardtool/front_dates.py", "from cardtool.register import store\n",
     "trust/ocr imports register"),
    ("cardtool/sources.py", "def f():\n    from cardtool.register.store import Register\n",
     "sources imports register"),
    ("cardtool/register/planted.py", "from cardtool.services.office_report import BOM\n",
     "register imports services"),
    ("cardtool/services/planted.py", "from cardtool.desk import view\n",
     "services imports faces"),
    ("cardtool/newpackage/planted.py", "from cardtool.errors import UsageError\n",
     "has none"),
]


@pytest.mark.parametrize(("where", "source", "rule"), PLANTED,
                         ids=[f"{w}:{s.strip()[:40]}" for w, s, _ in PLANTED])
def test_a_planted_bad_import_is_named(tmp_path: Path, where: str, source: str,
                                       rule: str) -> None:
    """The checker is not vacuous: one bad import planted in a copy of the tree's shape is
    reported with its file, line and rule, and nothing else is."""
    for package in ("apdu", "apdu/transport", "cardtool", "cardtool/cli", "cardtool/desk",
                    "cardtool/cards", "cardtool/cards/mynumber", "cardtool/virtual",
                    "cardtool/policy", "cardtool/services", "cardtool/expiry",
                    "cardtool/trust", "cardtool/register", "cardtool/newpackage"):
        (tmp_path / package).mkdir(parents=True, exist_ok=True)
        (tmp_path / package / "__init__.py").write_text("")
    for module in ("apdu/session.py", "apdu/transport/replay.py", "cardtool/errors.py",
                   "cardtool/services/read.py", "cardtool/policy/table.py",
                   "cardtool/cards/mynumber/card.py", "cardtool/cards/mynumber/jpki.py",
                   "cardtool/virtual/mynumber.py", "cardtool/policy/guard.py",
                   "cardtool/front_dates.py", "cardtool/sources.py", "cardtool/trust/store.py",
                   "cardtool/register/store.py", "cardtool/services/office_report.py",
                   "cardtool/desk/view.py"):
        (tmp_path / module).write_text("")
    planted = tmp_path / where
    planted.write_text(source)
    if where == "cardtool/newpackage/planted.py":
        (tmp_path / "cardtool/newpackage/__init__.py").unlink()
    broken = violations(tmp_path)
    assert len(broken) == 1, broken
    assert rule in broken[0].rule
    assert str(broken[0]).startswith(f"{planted}:{source.count(chr(10))}:")


def test_every_package_has_a_rank() -> None:
    packages = {f"cardtool.{p.name}" for p in (ROOT / "cardtool").iterdir()
                if (p / "__init__.py").exists()}
    assert {p for p in packages if rank_of(p) is None} == set()
    assert {p for p in packages if rank_of(p) == rank_of("cardtool.errors")} == {
        "cardtool.expiry"}

