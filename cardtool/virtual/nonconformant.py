"""Virtual My Number cards that break the PIN policy on purpose, one way each.

They exist to prove that the checkers notice: ``cardtool policy conform`` must report each
of them as not conformant, and ``cardtool trace check`` must flag the card behaviour in
their traces. Everything else about them is the normal virtual My Number card (same
persona files, same files and keys). Kinds (``--virtual KIND[:PERSONA]``):

  mynumber-no-decrement    a wrong PIN answers 63 Cx but uses no try
  mynumber-count-up        a wrong PIN adds a try instead of using one
  mynumber-blocked-63c0    a VERIFY with data on a blocked key answers 63 C0, not 69 84
  mynumber-high-max        every key allows two tries more than the policy says
  mynumber-empty-consumes  the empty VERIFY (a retry-counter query) uses a try
  mynumber-no-reset        a correct PIN does not restore the tries used before it
"""

from __future__ import annotations

from collections.abc import Callable

from apdu.command import CommandApdu
from apdu.sw import SW
from apdu.transport.virtual import CardSimulator
from cardtool.virtual import register
from cardtool.virtual.card_os import sw
from cardtool.virtual.mynumber import VirtualMyNumberCard
from cardtool.virtual.persona import Persona, load_persona

MAX_COUNTER = 0x0F  # what a 63 Cx status word can carry


class NoDecrementCard(VirtualMyNumberCard):
    kind = "mynumber-no-decrement"

    def verify(self, cmd: CommandApdu) -> bytes:
        _key, pin = self._key_for(cmd)
        if pin is not None and cmd.data and not pin.blocked and cmd.data != pin.value:
            return sw(0x63C0 | pin.remaining)
        return super().verify(cmd)


class CountUpCard(VirtualMyNumberCard):
    kind = "mynumber-count-up"

    def verify(self, cmd: CommandApdu) -> bytes:
        _key, pin = self._key_for(cmd)
        if pin is not None and cmd.data and not pin.blocked and cmd.data != pin.value:
            pin.remaining = min(MAX_COUNTER, pin.remaining + 1)
            return sw(0x63C0 | pin.remaining)
        return super().verify(cmd)


class Blocked63C0Card(VirtualMyNumberCard):
    kind = "mynumber-blocked-63c0"

    def verify(self, cmd: CommandApdu) -> bytes:
        _key, pin = self._key_for(cmd)
        if pin is not None and cmd.data and pin.blocked:
            return sw(0x63C0)
        return super().verify(cmd)


class HighMaxCard(VirtualMyNumberCard):
    kind = "mynumber-high-max"
    EXTRA_TRIES = 2

    def __init__(self, persona: Persona) -> None:
        super().__init__(persona)
        for df in self.dfs.values():
            for pin in df.pins.values():
                pin.max_tries = min(MAX_COUNTER, pin.max_tries + self.EXTRA_TRIES)
                if pin.remaining:
                    pin.remaining = min(MAX_COUNTER, pin.remaining + self.EXTRA_TRIES)


class EmptyConsumesCard(VirtualMyNumberCard):
    kind = "mynumber-empty-consumes"

    def verify(self, cmd: CommandApdu) -> bytes:
        _key, pin = self._key_for(cmd)
        if pin is not None and not cmd.data and cmd.le is None and not pin.blocked:
            pin.remaining -= 1
            return sw(0x63C0 | pin.remaining)
        return super().verify(cmd)


class NoResetCard(VirtualMyNumberCard):
    kind = "mynumber-no-reset"

    def verify(self, cmd: CommandApdu) -> bytes:
        _key, pin = self._key_for(cmd)
        if pin is not None and cmd.data and not pin.blocked and cmd.data == pin.value:
            before = pin.remaining
            answer = super().verify(cmd)
            if answer[-2:] == SW.OK.to_bytes(2, "big"):
                pin.remaining = before
            return answer
        return super().verify(cmd)


NONCONFORMANT_CARDS: tuple[type[VirtualMyNumberCard], ...] = (
    NoDecrementCard, CountUpCard, Blocked63C0Card, HighMaxCard, EmptyConsumesCard,
    NoResetCard)


def _factory(cls: type[VirtualMyNumberCard]) -> Callable[[str | None], CardSimulator]:
    def make(persona_spec: str | None) -> VirtualMyNumberCard:
        return cls(load_persona(persona_spec, "mynumber"))

    return make


for _cls in NONCONFORMANT_CARDS:
    register(_cls.kind, _factory(_cls))
