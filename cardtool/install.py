"""How cardtool is installed, in one place: its distribution name (the import package and
the command are ``cardtool``; the PyPI name ``cardtool`` is an unrelated project), its
optional extras, and the one line a face shows when a feature's extra is missing.

A leaf: imports only ``cardtool.errors``; checking an extra finds its modules without
importing them (``importlib.util.find_spec``), so a ``--help`` stays cheap.
"""

from __future__ import annotations

import importlib.util

from cardtool.errors import EXIT_MISSING_EXTRA, CardtoolError

#: The distribution name on PyPI (``pip install cardtool-jp``); pyproject.toml's
#: ``[project] name`` is the same (a test compares them).
DISTRIBUTION = "cardtool-jp"

#: Each extra and the top-level modules it installs (import names), in the order checked.
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    # The client register and the web desk.
    "office": ("sqlalchemy", "alembic", "icalendar", "starlette", "uvicorn", "jinja2",
               "multipart"),
    # PostgreSQL's driver for a shared register (a SQLite-only office does not need it).
    "pg": ("psycopg",),
    # Dates of first-generation residence cards read from the front image.
    "ocr": ("pytesseract",),
}


#: The end of a message about a file missing from cardtool's own package (a damaged install).
REINSTALL_HINT = f"reinstall cardtool (pip install --force-reinstall {DISTRIBUTION})"
REINSTALL_HINT_JA = f"cardtool を再インストールしてください(pip install --force-reinstall {DISTRIBUTION})"


#: The extras an extra is only useful with (a PostgreSQL driver without the register is
#: nothing), named together in the hint so that a reinstall keeps them.
EXTRA_WITH: dict[str, str] = {"pg": "office,pg"}


def install_command(extra: str | None = None) -> str:
    """What a user types to add ``extra`` (or to install cardtool)."""
    if extra is None:
        return f"pip install {DISTRIBUTION}"
    return f"pip install '{DISTRIBUTION}[{EXTRA_WITH.get(extra, extra)}]'"


def extra_of_module(module: str | None) -> str | None:
    """The extra that installs ``module`` (a dotted name: its top level counts), if any."""
    top = (module or "").split(".")[0]
    return next((extra for extra, modules in EXTRA_MODULES.items() if top in modules), None)


def missing_modules(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here."""
    return [m for m in EXTRA_MODULES[extra] if importlib.util.find_spec(m) is None]


class MissingExtra(CardtoolError):
    en = ("{feature} needs the optional '{extra}' part of cardtool ({modules} not installed): "
          "{command} (with pipx: pipx install --force '{dist}[{extras}]').")
    ja = ("{feature_ja}にはcardtoolの追加機能 '{extra}' が必要です({modules} が未インストール): "
          "{command}(pipx の場合: pipx install --force '{dist}[{extras}]')。")
    exit_code = EXIT_MISSING_EXTRA

    def __init__(self, extra: str, feature: str, feature_ja: str,
                 modules: list[str] | None = None) -> None:
        super().__init__(extra=extra, feature=feature, feature_ja=feature_ja,
                         modules=", ".join(modules or EXTRA_MODULES[extra]),
                         command=install_command(extra), dist=DISTRIBUTION,
                         extras=EXTRA_WITH.get(extra, extra))
        self.extra = extra


def require_extra(extra: str, feature: str, feature_ja: str) -> None:
    """Raises ``MissingExtra`` (one line, exit 2) unless every module of ``extra`` is
    installed; call it before the feature does anything."""
    missing = missing_modules(extra)
    if missing:
        raise MissingExtra(extra, feature, feature_ja, missing)


__all__ = ["DISTRIBUTION", "EXTRA_MODULES", "EXTRA_WITH", "REINSTALL_HINT", "REINSTALL_HINT_JA", "MissingExtra", "extra_of_module",
           "install_command", "missing_modules", "require_extra"]
