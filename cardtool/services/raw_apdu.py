"""Raw command APDUs (``cardtool apdu HEX...``), like ``opensc-tool -s``: parsed, refused
when they would carry a secret, sent one by one, answered with their status words' meanings.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from apdu.command import CommandApdu, ResponseApdu, parse_hex
from apdu.errors import MalformedData
from apdu.session import Session
from apdu.trace import is_secret_command
from apdu.transport import Transport
from cardtool.errors import SecretInCommand, UsageError


def parse_commands(texts: Sequence[str]) -> list[CommandApdu]:
    """Every command parsed before any is sent: a malformed one is a usage error, and a
    VERIFY or CHANGE REFERENCE DATA with data is refused (a PIN never on a command line)."""
    parsed: list[CommandApdu] = []
    for text in texts:
        raw = parse_hex(text)
        try:
            command = CommandApdu.parse(raw)
        except MalformedData as exc:
            raise UsageError(f"'{text}': {exc.render('en')}", f"'{text}': {exc.render('ja')}"
                             ) from None
        if is_secret_command(raw) and command.data:
            raise SecretInCommand(command=command.name)
        parsed.append(command)
    return parsed


def send_commands(transport: Transport, commands: Sequence[CommandApdu], *,
                  chain: bool = True) -> Iterator[tuple[CommandApdu, ResponseApdu]]:
    """Send each command and yield it with its response, as each answer arrives. ``chain``:
    follow 61xx with GET RESPONSE and re-send on 6Cxx (the session's rules); without it, the
    card's first answer as it came."""
    session = Session(transport, strict_length=False)
    for command in commands:
        if chain:
            yield command, session.transmit(command)
        else:
            yield command, ResponseApdu.parse(transport.transmit(command.to_bytes()))


__all__ = ["CommandApdu", "ResponseApdu", "parse_commands", "send_commands"]
