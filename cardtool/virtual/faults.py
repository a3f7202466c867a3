"""A hostile card: wraps any virtual card and misbehaves by a seeded plan.

A plan is a comma-separated list of ``KIND@N[=ARG]`` (N = the exchange number, from 1),
or ``random:SEED[:COUNT]`` for COUNT faults (default 1) drawn from the seed:

  remove-before@N      the card leaves the field before exchange N reaches it
  remove-after@N       the card processes exchange N (a VERIFY counts!) and then leaves
  sw@N=6F00            answer exchange N with this status word instead (``=random``: seeded)
  truncate@N[=K]       cut the response of exchange N to K bytes (default: seeded, < len)
  pad@N[=K]            insert K garbage bytes before the status word (default 7)
  oversize@N[=K]       answer with K more data bytes than the command's Le allowed (default 300)
  delay@N=MS           answer exchange N after MS milliseconds
  drop@N               the link drops at exchange N (reader failure, not a removal)

Usable in-process (``FaultyCard(card, plan)`` with VirtualTransport) and through
``cardtool emulate --faults PLAN``.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass
from enum import Enum

from apdu.command import CommandApdu
from apdu.errors import MalformedData
from apdu.transport.virtual import CardGone, CardSimulator, LinkDropped, WrappedCard
from cardtool.errors import EXIT_USAGE, CardtoolError


class FaultKind(Enum):
    REMOVE_BEFORE = "remove-before"
    REMOVE_AFTER = "remove-after"
    SW = "sw"
    TRUNCATE = "truncate"
    PAD = "pad"
    OVERSIZE = "oversize"
    DELAY = "delay"
    DROP = "drop"


class BadFaultPlan(CardtoolError):
    en = "Bad fault plan '{plan}': {detail}. Example: remove-after@5,sw@3=6F00 or random:42:2."
    ja = "障害計画 '{plan}' が不正です: {detail}。例: remove-after@5,sw@3=6F00 または random:42:2。"
    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    at: int
    arg: str | None = None

    def __str__(self) -> str:
        return f"{self.kind.value}@{self.at}" + (f"={self.arg}" if self.arg else "")


_ITEM = re.compile(r"^([a-z-]+)@(\d+)(?:=([0-9A-Za-z]+))?$")


@dataclass(frozen=True)
class FaultPlan:
    faults: tuple[Fault, ...]
    seed: int = 0

    def __str__(self) -> str:
        return ",".join(str(f) for f in self.faults)

    @classmethod
    def parse(cls, text: str, *, exchanges_hint: int = 30) -> FaultPlan:
        text = text.strip()
        if text.startswith("random:"):
            parts = text.split(":")
            try:
                seed = int(parts[1])
                count = int(parts[2]) if len(parts) > 2 else 1
            except (IndexError, ValueError):
                raise BadFaultPlan(plan=text, detail="random:SEED[:COUNT] needs integers") from None
            return cls.random(seed, count, exchanges_hint)
        faults = []
        for item in filter(None, (p.strip() for p in text.split(","))):
            m = _ITEM.match(item)
            if not m:
                raise BadFaultPlan(plan=text, detail=f"'{item}' is not KIND@N[=ARG]")
            try:
                kind = FaultKind(m.group(1))
            except ValueError:
                kinds = ", ".join(k.value for k in FaultKind)
                raise BadFaultPlan(plan=text, detail=f"unknown kind '{m.group(1)}' ({kinds})"
                                   ) from None
            at = int(m.group(2))
            if at < 1:
                raise BadFaultPlan(plan=text, detail="exchange numbers start at 1")
            arg = m.group(3)
            _check_arg(text, kind, arg)
            faults.append(Fault(kind, at, arg))
        if not faults:
            raise BadFaultPlan(plan=text, detail="no faults")
        return cls(tuple(faults))

    @classmethod
    def random(cls, seed: int, count: int, exchanges: int) -> FaultPlan:
        rng = random.Random(seed)
        kinds = list(FaultKind)
        faults = tuple(Fault(rng.choice(kinds), rng.randint(1, max(1, exchanges)))
                       for _ in range(max(1, count)))
        return cls(faults, seed)


def _check_arg(plan: str, kind: FaultKind, arg: str | None) -> None:
    if kind is FaultKind.SW and (arg is None or not (arg == "random" or re.fullmatch(
            r"[0-9A-Fa-f]{4}", arg))):
        raise BadFaultPlan(plan=plan, detail="sw needs =XXXX (4 hex digits) or =random")
    if kind is FaultKind.DELAY and (arg is None or not arg.isdigit()):
        raise BadFaultPlan(plan=plan, detail="delay needs =MILLISECONDS")
    if kind in (FaultKind.TRUNCATE, FaultKind.PAD, FaultKind.OVERSIZE) and arg is not None \
            and not arg.isdigit():
        raise BadFaultPlan(plan=plan, detail=f"{kind.value} takes =NUMBER of bytes")


class FaultyCard(WrappedCard):
    """A CardSimulator that forwards to ``inner`` and injects the plan's faults."""

    def __init__(self, inner: CardSimulator, plan: FaultPlan) -> None:
        super().__init__(inner)
        self.plan = plan
        self.exchange = 0
        self.rng = random.Random(plan.seed)
        self.fired: list[Fault] = []
        self.log: list[bytes] = []  # every command that reached this card
        self._by_exchange: dict[int, list[Fault]] = {}
        for fault in plan.faults:
            self._by_exchange.setdefault(fault.at, []).append(fault)

    def __getattr__(self, name: str) -> object:
        # Reach the wrapped card's own attributes (apdu_count, persona, DFs) in tests.
        return getattr(self.inner, name)

    def process_apdu(self, command: bytes) -> bytes:
        self.exchange += 1
        self.log.append(bytes(command))
        faults = self._by_exchange.get(self.exchange, [])
        for fault in faults:
            if fault.kind is FaultKind.REMOVE_BEFORE:
                self._fire(fault)
                self.inner.power_off()
                raise CardGone
            if fault.kind is FaultKind.DROP:
                self._fire(fault)
                raise LinkDropped
            if fault.kind is FaultKind.SW:
                self._fire(fault)
                word = (self.rng.choice([0x6F00, 0x6A82, 0x6982, 0x6700, 0x6D00, 0x6581,
                                         0x6988, 0x6300, 0x6B00])
                        if fault.arg == "random" else int(fault.arg or "6F00", 16))
                return word.to_bytes(2, "big")
        response = self.inner.process_apdu(command)
        for fault in faults:
            response = self._after(fault, command, response)
        return response

    def _fire(self, fault: Fault) -> None:
        self.fired.append(fault)

    def _after(self, fault: Fault, command: bytes, response: bytes) -> bytes:
        kind = fault.kind
        if kind is FaultKind.REMOVE_AFTER:
            self._fire(fault)
            self.inner.power_off()
            raise CardGone
        if kind is FaultKind.TRUNCATE:
            self._fire(fault)
            keep = int(fault.arg) if fault.arg else self.rng.randrange(0, max(1, len(response)))
            return response[: min(keep, max(0, len(response) - 1))]
        if kind is FaultKind.PAD:
            self._fire(fault)
            n = int(fault.arg) if fault.arg else 7
            return response[:-2] + bytes(self.rng.randrange(256) for _ in range(n)) + response[-2:]
        if kind is FaultKind.OVERSIZE:
            self._fire(fault)
            extra = int(fault.arg) if fault.arg else 300
            try:
                le = CommandApdu.parse(command).le or 0
            except MalformedData:
                le = 0
            body = response[:-2]
            return body + bytes(max(0, le - len(body)) + extra) + response[-2:]
        if kind is FaultKind.DELAY:
            self._fire(fault)
            time.sleep(int(fault.arg or "0") / 1000)
        return response
