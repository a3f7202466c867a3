"""Virtual cards: a small ISO 7816-4 card OS and the Japanese cards built on it.

``make_virtual_card("mynumber:soon")`` builds a card from a kind and an optional persona
(a name in ``cardtool/virtual/personas/`` or a path to a persona file).
"""

from __future__ import annotations

from collections.abc import Callable

from apdu.transport.virtual import CardSimulator
from cardtool.errors import UnknownVirtualCard

#: kind -> factory(persona or None). Card modules register themselves on import.
_FACTORIES: dict[str, Callable[[str | None], CardSimulator]] = {}


def register(kind: str, factory: Callable[[str | None], CardSimulator]) -> None:
    _FACTORIES[kind] = factory


def _load_kind(kind: str) -> None:
    """Import the module that registers ``kind`` (and only that one), so a My Number read
    does not pay for the residence cards and the other way round."""
    if kind in _FACTORIES:
        return
    if kind == "mynumber":
        from cardtool.virtual import mynumber  # noqa: F401
    elif kind in ("residence", "residence2"):
        from cardtool.virtual import residence  # noqa: F401
    elif kind == "specified":
        from cardtool.virtual import specified  # noqa: F401
    elif kind.startswith("mynumber-"):
        from cardtool.virtual import nonconformant  # noqa: F401


def _load_all_kinds() -> None:
    from cardtool.virtual import mynumber, nonconformant, residence, specified  # noqa: F401


def available_kinds() -> list[str]:
    _load_all_kinds()
    return sorted(_FACTORIES)


def split_spec(spec: str) -> tuple[str, str | None]:
    kind, _, persona = spec.partition(":")
    return kind.strip().lower(), (persona.strip() or None)


def make_virtual_card(spec: str) -> CardSimulator:
    kind, persona = split_spec(spec)
    _load_kind(kind)
    factory = _FACTORIES.get(kind)
    if factory is None:
        raise UnknownVirtualCard(kind=kind, available=", ".join(available_kinds()) or "-")
    return factory(persona)
