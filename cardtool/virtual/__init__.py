"""Virtual cards: a small ISO 7816-4 card OS and the Japanese cards built on it.

``make_virtual_card("mynumber:soon")`` builds a card from a kind and an optional persona
(a name in ``fixtures/personas/`` or a path to a persona file).
"""

from __future__ import annotations

from collections.abc import Callable

from apdu.transport.virtual import CardSimulator
from cardtool.errors import UnknownVirtualCard

#: kind -> factory(persona or None). Card modules register themselves on import.
_FACTORIES: dict[str, Callable[[str | None], CardSimulator]] = {}


def register(kind: str, factory: Callable[[str | None], CardSimulator]) -> None:
    _FACTORIES[kind] = factory


def _load_builtin_kinds() -> None:
    # Imported lazily so `cardtool trace show` does not pay for building card images.
    import importlib

    for module in ("cardtool.virtual.mynumber", "cardtool.virtual.residence",
                   "cardtool.virtual.specified", "cardtool.virtual.nonconformant"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def available_kinds() -> list[str]:
    _load_builtin_kinds()
    return sorted(_FACTORIES)


def split_spec(spec: str) -> tuple[str, str | None]:
    kind, _, persona = spec.partition(":")
    return kind.strip().lower(), (persona.strip() or None)


def make_virtual_card(spec: str) -> CardSimulator:
    kind, persona = split_spec(spec)
    _load_builtin_kinds()
    factory = _FACTORIES.get(kind)
    if factory is None:
        raise UnknownVirtualCard(kind=kind, available=", ".join(sorted(_FACTORIES)) or "-")
    return factory(persona)
