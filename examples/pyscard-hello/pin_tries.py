"""A tiny PC/SC program (pyscard), the kind whose tests the cardtool pytest plugin serves:
how many tries the My Number card's authentication PIN has left, read with an empty VERIFY
(which uses no try).

    python pin_tries.py "Virtual PCD 00 00"
"""

from __future__ import annotations

import sys

from smartcard.System import readers

SELECT_JPKI = [0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00,
               0x00, 0x01]
SELECT_AUTH_PIN = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18]
VERIFY_EMPTY = [0x00, 0x20, 0x00, 0x80]


class CardError(Exception):
    pass


def auth_pin_tries(reader_name: str) -> int:
    """Tries left of the authentication PIN of the card in ``reader_name``."""
    reader = next((r for r in readers() if str(r) == reader_name), None)
    if reader is None:
        raise CardError(f"no reader named {reader_name!r}")
    connection = reader.createConnection()
    connection.connect()
    try:
        for command in (SELECT_JPKI, SELECT_AUTH_PIN):
            _data, sw1, sw2 = connection.transmit(command)
            if (sw1, sw2) != (0x90, 0x00):
                raise CardError(f"{bytes(command[:4]).hex().upper()} answered {sw1:02X}{sw2:02X}")
        _data, sw1, sw2 = connection.transmit(VERIFY_EMPTY)
        if sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
            return sw2 & 0x0F
        if (sw1, sw2) == (0x69, 0x83):
            return 0
        raise CardError(f"VERIFY answered {sw1:02X}{sw2:02X}")
    finally:
        connection.disconnect()


def main() -> int:
    try:
        print(f"authentication PIN: {auth_pin_tries(sys.argv[1])} tries left")
    except CardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
