"""Card-agnostic ISO/IEC 7816-4 layer: APDUs, status words, BER-TLV, sessions, transports
and traces. Imports nothing from ``cardtool``.

The names below are loaded when first used (PEP 562): importing one submodule (say
``apdu.errors``, which every error path needs) does not load the session, command and
status-word tables, so ``cardtool --help`` stays cheap."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apdu.command import CommandApdu, ResponseApdu
    from apdu.errors import ApduError, ApduLayerError, MalformedData
    from apdu.ins import INS
    from apdu.session import Session
    from apdu.sw import SW, describe_sw

_HOME: dict[str, str] = {
    "CommandApdu": "apdu.command",
    "ResponseApdu": "apdu.command",
    "ApduError": "apdu.errors",
    "ApduLayerError": "apdu.errors",
    "MalformedData": "apdu.errors",
    "INS": "apdu.ins",
    "Session": "apdu.session",
    "SW": "apdu.sw",
    "describe_sw": "apdu.sw",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'apdu' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


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
