"""The check session (``cardtool.services.check_session``) without any face: stages, the
card-number re-ask, the save to a client through the shared save-to-client path, the read
audit; and ``office --db``'s register link going through that same path."""

from __future__ import annotations

import pytest

pytest.importorskip("sqlalchemy")

from cardtool.register import Register
from cardtool.services.check_session import CheckSession, Stage, StaleCheck
from cardtool.services.client_link import (
    ClientLink,
    ExistingClient,
    NewClient,
    read_audit_entry,
)
from cardtool.services.office import RegisterLink
from cardtool.services.reader_watch import VirtualWatcher
from cardtool.trust.options import ResidenceOptions
from cardtool.trust.store import virtual_test_anchors
from cardtool.virtual.persona import load_persona

RESIDENCE2_NUMBER = load_persona(None, "residence2").card_number


def _session(*specs: str, register: Register) -> CheckSession:
    watcher = VirtualWatcher(specs)
    session = CheckSession(watcher, ResidenceOptions(default_anchors=virtual_test_anchors),
                           allow_test_keys=True, auto_read=False,
                           audit=ClientLink(register, "unit").audit_read)
    watcher.start(session.on_reader_event)
    return session


def _actions(register: Register) -> list[tuple[str, str]]:
    return [(action, subject) for _, _, action, subject in reversed(register.audit_trail())]


def test_a_residence_card_asks_for_its_number_again_after_a_wrong_one(
        register: Register) -> None:
    assert RESIDENCE2_NUMBER is not None
    session = _session("residence2", register=register)
    assert session.read().stage is Stage.NEEDS_CARD_NUMBER
    wrong = session.read(card_number="ZZ11111111ZZ")
    assert wrong.stage is Stage.NEEDS_CARD_NUMBER and wrong.error is not None
    done = session.read(card_number=f"  {RESIDENCE2_NUMBER}  ")
    assert done.stage is Stage.DONE and done.facts is not None
    assert done.card_number == RESIDENCE2_NUMBER and done.version == 3
    # Asking for the number (first, or again after a wrong one) is not a read yet.
    assert _actions(register) == [("read", "card:residence-second")]


def test_a_save_takes_the_check_shown_once_and_forgets_the_number(register: Register) -> None:
    assert RESIDENCE2_NUMBER is not None
    session = _session("residence2", register=register)
    result = session.read(card_number=RESIDENCE2_NUMBER)
    link = ClientLink(register, "unit")
    with pytest.raises(StaleCheck):
        session.save(result.version - 1, link, NewClient("A-1"))
    check = session.save(result.version, link, NewClient(" A-1 ", "  "))
    assert session.result.saved and session.result.card_number is None
    (client,) = register.find_clients("A-1")
    assert client.id == check.client_id and client.display_name is None
    # The same result again (a second click, a second tab): refused, nothing saved twice.
    for version in (result.version, session.result.version):
        with pytest.raises(StaleCheck):
            session.save(version, link, ExistingClient(client.id))
    assert len(register.history(client.id)) == 1
    # Which client is this card: the register knows it by its number now.
    assert link.client_for_card(card_number=RESIDENCE2_NUMBER) == client
    assert link.client_for_card(reference="A-1", card_number=None) == client
    assert link.client_for_card(reference="nobody", card_number=None) is None


def test_a_failed_read_cannot_be_saved(register: Register) -> None:
    session = _session(register=register)  # no card on the reader
    result = session.read()
    assert result.stage is Stage.FAILED
    with pytest.raises(StaleCheck):
        session.save(result.version, ClientLink(register, "unit"), NewClient("A-2"))
    assert register.find_clients("") == []
    assert _actions(register) == [read_audit_entry(None)]


def test_office_db_goes_through_the_same_save_path(register: Register,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """``office --db`` and the desk save through ``ClientLink``: patching it is seen by
    the office session's link (no second copy of "which client is this card")."""
    seen: list[str] = []
    original = ClientLink.client_for_card

    def spy(self: ClientLink, **where: str | None) -> object:
        seen.append(repr(sorted(where)))
        return original(self, **where)  # type: ignore[arg-type]

    monkeypatch.setattr(ClientLink, "client_for_card", spy)
    link = RegisterLink(register, "office-unit")
    created = register.create_client("B-1", None, desk="x")
    assert RESIDENCE2_NUMBER is not None
    session = _session("residence2", register=register)
    facts = session.read(card_number=RESIDENCE2_NUMBER).facts
    assert facts is not None
    link.save(1, "B-1", facts, RESIDENCE2_NUMBER)
    link.save(1, "B-1", facts, RESIDENCE2_NUMBER)  # the session's client: no lookup again
    link.audit_read("residence-second")
    assert seen == [repr(["card_number", "reference"])]
    assert [c.client_id for c in register.history(created.id)] == [created.id, created.id]
    assert ("read", "card:residence-second") in _actions(register)
