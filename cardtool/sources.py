"""Open the card source a user chose: a PC/SC reader, a virtual card or a trace, with
optional recording. Every command that talks to a card goes through here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apdu.transport import Transport
from cardtool import TOOL_NAME
from cardtool.errors import UsageError

if TYPE_CHECKING:
    from apdu.trace import Redactor

# The transports (trace parsing, the importers, recording) are imported where a source is
# opened: the CLI imports this module for its options, and --help must stay cheap.

DEFAULT_WAIT_SECONDS = 15.0


@dataclass
class SourceOptions:
    reader: str | None = None
    virtual: str | None = None
    replay: str | None = None
    record: str | None = None
    wait: float = DEFAULT_WAIT_SECONDS
    redact: bool = True
    #: --no-extended: the virtual card sits in a reader that cannot carry extended APDUs.
    no_extended: bool = False
    #: ``--virtual`` given several times: the cards a session (``office``, the desk's demo)
    #: holds one after the other; ``virtual`` is the first.
    virtual_cards: tuple[str, ...] = ()

    def check(self) -> None:
        chosen = [n for n, v in (("--reader", self.reader), ("--virtual", self.virtual),
                                 ("--replay", self.replay)) if v is not None]
        if len(chosen) > 1:
            both = "both " if len(chosen) == 2 else "all of "
            raise UsageError(
                f"Choose one card source, not {both}{' and '.join(chosen)}.",
                f"カードの取得元は1つだけ指定してください({'、'.join(chosen)} が指定されています)。",
            )
        if self.no_extended and self.virtual is None:
            raise UsageError(
                "--no-extended models a reader for a virtual card: use it with --virtual.",
                "--no-extended は仮想カード用の読み取り機の模擬です。--virtual と一緒に指定してください。",
            )
        if self.wait < 0:
            raise UsageError("--wait must be 0 or more seconds.", "--wait は 0 以上の秒数です。")


def default_redactor() -> Redactor:
    from apdu.trace import SecretRedactor

    try:
        from cardtool.redaction import CardRedactor
    except ModuleNotFoundError:
        return SecretRedactor()
    return CardRedactor()


def open_transport(
    options: SourceOptions,
    *,
    on_waiting: Callable[[str], None] | None = None,
) -> Transport:
    options.check()
    if len(options.virtual_cards) > 1:
        raise UsageError(
            f"--virtual was given {len(options.virtual_cards)} times: only a session of "
            "several cards (office, serve) takes more than one.",
            f"--virtual が {len(options.virtual_cards)} 回指定されています。複数のカードを扱えるのは"
            "office と serve だけです。")
    transport: Transport
    if options.replay is not None:
        from apdu.transport.replay import ReplayTransport

        transport = ReplayTransport(options.replay)
    elif options.virtual is not None:
        from apdu.transport.virtual import VirtualTransport
        from cardtool.virtual import make_virtual_card

        transport = VirtualTransport(
            make_virtual_card(options.virtual), description=f"virtual {options.virtual}",
            reader_extended=not options.no_extended,
        )
    else:
        from apdu.transport.pcsc import open_reader

        transport = open_reader(options.reader, wait=options.wait, on_waiting=on_waiting)
    if options.record is not None:
        from apdu.trace import NoRedaction
        from apdu.transport.recording import RecordingTransport

        try:
            redactor = default_redactor() if options.redact else NoRedaction()
            transport = RecordingTransport(transport, options.record, tool=TOOL_NAME,
                                           redactor=redactor)
        except BaseException:
            transport.close()
            raise
    return transport


__all__ = ["DEFAULT_WAIT_SECONDS", "SourceOptions", "Transport", "default_redactor",
           "open_transport"]
