"""The instruction bytes (INS) this project sends, answers, records or checks: one name per
byte, so "where is VERIFY sent" is one grep (``INS.VERIFY``).

Interindustry instructions are ISO/IEC 7816-4 §5.1.2 (odd INS: the BER-TLV data form).
``SET_SESSION_KEY`` is proprietary (CLA with bit 8 set); under such a CLA some
interindustry bytes mean something else (``PERFORM_SECURITY_OPERATION`` is the My Number
card's COMPUTE DIGITAL SIGNATURE): ``apdu.command.command_name`` tells them apart.
"""

from __future__ import annotations

from enum import IntEnum


class INS(IntEnum):
    ERASE_BINARY = 0x0E
    VERIFY = 0x20
    VERIFY_ODD = 0x21
    MANAGE_SECURITY_ENVIRONMENT = 0x22
    CHANGE_REFERENCE_DATA = 0x24
    PERFORM_SECURITY_OPERATION = 0x2A
    RESET_RETRY_COUNTER = 0x2C
    CHANGE_KEY = 0x32
    ACTIVATE_FILE = 0x44
    MANAGE_CHANNEL = 0x70
    MUTUAL_AUTHENTICATE = 0x82  # EXTERNAL AUTHENTICATE in 7816-4; both ways here
    GET_CHALLENGE = 0x84
    GENERAL_AUTHENTICATE = 0x86
    GENERAL_AUTHENTICATE_ODD = 0x87
    INTERNAL_AUTHENTICATE = 0x88
    SELECT = 0xA4
    SET_SESSION_KEY = 0xAE
    READ_BINARY = 0xB0
    READ_BINARY_ODD = 0xB1
    READ_RECORD = 0xB2
    GET_RESPONSE = 0xC0
    GET_DATA = 0xCA
    GET_DATA_ODD = 0xCB
    UPDATE_BINARY = 0xD6
    UPDATE_RECORD = 0xDC

    def hex_digits(self) -> bytes:
        """The byte as two upper-case hex digits (``b"20"``), as traces spell it."""
        return b"%02X" % self
