"""Card-agnostic ISO/IEC 7816-4 layer: APDUs, status words, BER-TLV, sessions, transports
and traces. Imports nothing from ``cardtool``.

The names below are loaded when first used (PEP 562): importing one submodule (say
``apdu.errors``, which every error path needs) does not load the session, command and
status-word tables, so ``cardtool --help`` stays cheap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apdu.command import CommandApdu, ResponseApdu
    from apdu.errors import ApduError, ApduLayerError, MalformedData
    from apdu.ins import INS
    from apdu.session import Session
    from apdu.sw import SW, describe_sw


def __getattr__(name: str) -> Any:
    # Each submodule imported by name (mypy and grep see it), only when one of its names is
    # asked for.
    if name in ("CommandApdu", "ResponseApdu"):
        from apdu import command

        return getattr(command, name)
    if name in ("ApduError", "ApduLayerError", "MalformedData"):
        from apdu import errors

        return getattr(errors, name)
    if name == "INS":
        from apdu import ins

        return ins.INS
    if name == "Session":
        from apdu import session

        return session.Session
    if name in ("SW", "describe_sw"):
        from apdu import sw

        return getattr(sw, name)
    raise AttributeError(f"module 'apdu' has no attribute {name!r}")


__all__ = [
    "INS",
    "SW",
    "ApduError",
    "ApduLayerError",
    "CommandApdu",
    "MalformedData",
    "ResponseApdu",
    "Session",
    "describe_sw",
]
