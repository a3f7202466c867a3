"""The package is what users install: one name, one version, every runtime file inside the
package and declared as package data, no message sending an installed user to the
repository, a licence."""

from __future__ import annotations

import ast
import fnmatch
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import cardtool
from cardtool import material
from cardtool.install import DISTRIBUTION, EXTRA_MODULES, install_command

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGE = Path(cardtool.__file__).resolve().parent


def test_one_distribution_name_and_one_version() -> None:
    project = PYPROJECT["project"]
    assert project["name"] == DISTRIBUTION != "cardtool"  # PyPI's cardtool is another project
    assert "version" not in project and "version" in project["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "cardtool.__version__"}
    assert project["scripts"] == {"cardtool": "cardtool.cli:main"}
    assert install_command("office") == f"pip install '{DISTRIBUTION}[office]'"


def test_the_extras_the_code_names_are_the_distributions() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    for extra in EXTRA_MODULES:
        assert extra in extras, extra
    assert not any("psycopg" in d for d in extras["office"])  # PostgreSQL is its own extra
    assert any(d.startswith("psycopg") for d in extras["pg"])


#: Where tesserocr 2.13 publishes a wheel with Tesseract's library inside (PyPI, checked with
#: ``pip download --only-binary=:all: --platform ...``): elsewhere pip would compile it from
#: its sdist, which needs Tesseract's headers and a compiler, and `pip install
#: 'cardtool-jp[ocr]'` would fail.
_TESSEROCR_WHEELS = [
    ({"sys_platform": "linux", "platform_machine": "x86_64", "python_version": "3.11"}, True),
    ({"sys_platform": "linux", "platform_machine": "aarch64", "python_version": "3.14"}, True),
    ({"sys_platform": "win32", "platform_machine": "AMD64", "python_version": "3.13"}, True),
    # macOS: wheels for macOS 15 only, which a marker cannot tell from 13 or 14
    ({"sys_platform": "darwin", "platform_machine": "arm64", "python_version": "3.12"}, False),
    ({"sys_platform": "darwin", "platform_machine": "x86_64", "python_version": "3.12"}, False),
    ({"sys_platform": "win32", "platform_machine": "ARM64", "python_version": "3.13"}, False),
    ({"sys_platform": "linux", "platform_machine": "x86_64", "python_version": "3.15"}, False),
]


@pytest.mark.parametrize(("where", "wheel"), _TESSEROCR_WHEELS)
def test_the_ocr_extra_takes_tesserocr_only_where_a_wheel_exists(
        where: dict[str, str], wheel: bool) -> None:
    requirements = [Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["ocr"]]
    # the program's wrapper everywhere: the reader's fallback without tesserocr
    assert any(r.name == "pytesseract" and r.marker is None for r in requirements)
    (tesserocr,) = [r for r in requirements if r.name == "tesserocr"]
    assert tesserocr.marker is not None
    assert tesserocr.marker.evaluate(where) is wheel
    assert "<2.14" in str(tesserocr.specifier)  # the wheels checked are 2.13's


def test_runtime_data_lives_in_the_package_and_is_declared() -> None:
    """Every file the virtual cards read is inside the package and matched by a
    package-data pattern (a new persona or key would otherwise be missing from the wheel)."""
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["cardtool"]
    for directory in (material.personas_dir(), material.test_pki_dir()):
        assert directory.resolve().is_relative_to(PACKAGE), directory
        files = [p for p in directory.rglob("*") if p.is_file()]
        assert files
        for file in files:
            relative = file.relative_to(PACKAGE).as_posix()
            assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative
    assert (material.personas_dir() / "default.json").is_file()
    assert (material.test_pki_dir() / "mynumber-cv-TEST.json").is_file()


def _strings(path: Path) -> list[str]:
    """The string constants of a module that are not docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                                | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings]


def test_no_message_sends_an_installed_user_to_the_repository() -> None:
    offenders = []
    for path in sorted([*PACKAGE.rglob("*.py"), *(ROOT / "apdu").rglob("*.py")]):
        for text in _strings(path):
            if "scripts/" in text or "fixtures/" in text or "'cardtool[" in text:
                offenders.append(f"{path.relative_to(ROOT)}: {text[:80]!r}")
    assert offenders == []


def test_a_licence_file_matching_the_metadata() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert PYPROJECT["project"]["license"] == "MIT" and text.startswith("MIT License")
    assert "cardtool developers" in text
    assert "LICENSE" in PYPROJECT["project"]["license-files"]


def test_no_module_reaches_above_its_package() -> None:
    """An installed cardtool has no repository around it: no path climbs out of the package
    (package data is found through cardtool.material)."""
    offenders = [f"{path.relative_to(ROOT)}:{n}" for path in
                 sorted([*PACKAGE.rglob("*.py"), *(ROOT / "apdu").rglob("*.py")])
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if "parents[" in line or ".parent.parent" in line]
    assert offenders == []
