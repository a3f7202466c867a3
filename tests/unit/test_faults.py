from __future__ import annotations

import pytest

from apdu.errors import CardRemoved, MalformedData, TransmitFailed
from apdu.session import Session
from apdu.transport.virtual import VirtualTransport
from cardtool.virtual.faults import BadFaultPlan, FaultKind, FaultPlan, FaultyCard
from tests.support.scripted import EchoFileCard


def session(plan: str, size: int = 100) -> tuple[Session, FaultyCard, EchoFileCard]:
    inner = EchoFileCard(size)
    card = FaultyCard(inner, FaultPlan.parse(plan))
    return Session(VirtualTransport(card)), card, inner


def test_plan_parse_and_errors() -> None:
    plan = FaultPlan.parse("remove-after@5, sw@3=6F00,delay@2=10")
    assert [(f.kind, f.at, f.arg) for f in plan.faults] == [
        (FaultKind.REMOVE_AFTER, 5, None), (FaultKind.SW, 3, "6F00"), (FaultKind.DELAY, 2, "10")]
    assert str(plan) == "remove-after@5,sw@3=6F00,delay@2=10"
    for bad in ("", "explode@1", "sw@1", "sw@1=XYZ1", "remove-before@0", "delay@3", "random:x"):
        with pytest.raises(BadFaultPlan):
            FaultPlan.parse(bad)
    assert FaultPlan.parse("random:7:3") == FaultPlan.parse("random:7:3")
    assert len(FaultPlan.parse("random:7:3").faults) == 3


def test_remove_before_never_reaches_the_card() -> None:
    s, card, inner = session("remove-before@2")
    s.select_df(EchoFileCard.AID)
    with pytest.raises(CardRemoved):
        s.read_binary(4)
    assert len(inner.log) == 1 and card.fired[0].kind is FaultKind.REMOVE_BEFORE


def test_remove_after_reaches_the_card() -> None:
    s, _card, inner = session("remove-after@2")
    s.select_df(EchoFileCard.AID)
    with pytest.raises(CardRemoved):
        s.read_binary(4)
    assert len(inner.log) == 2


def test_sw_truncate_pad_oversize_drop() -> None:
    s, _, _ = session("sw@1=6A82")
    from apdu.command import CommandApdu
    assert s.transmit(CommandApdu(0, 0xA4, 4, 0x0C, EchoFileCard.AID)).sw == 0x6A82
    s, _, _ = session("truncate@1=1")
    with pytest.raises(MalformedData):
        s.select_df(EchoFileCard.AID)
    s, _, _ = session("pad@2=3")
    s.select_df(EchoFileCard.AID)
    with pytest.raises(MalformedData, match="7 data bytes"):
        s.read_binary(4)
    s, _, _ = session("oversize@2=10")
    s.select_df(EchoFileCard.AID)
    with pytest.raises(MalformedData, match="14 data bytes to READ BINARY that asked for 4"):
        s.transmit(CommandApdu(0, 0xB0, 0, 0, le=4))
    s, _, _ = session("drop@1")
    with pytest.raises(TransmitFailed):
        s.select_df(EchoFileCard.AID)
