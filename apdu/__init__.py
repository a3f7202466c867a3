"""Card-agnostic ISO/IEC 7816-4 layer: APDUs, status words, BER-TLV, sessions, transports
and traces. Imports nothing from ``cardtool``."""

from apdu.command import CommandApdu, ResponseApdu
from apdu.errors import ApduError, ApduLayerError, MalformedData
from apdu.ins import INS
from apdu.session import Session
from apdu.sw import SW, describe_sw

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
