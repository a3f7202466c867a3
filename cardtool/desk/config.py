"""The desk's configuration and the state its endpoints share (a leaf module: the page
modules and ``cardtool.desk.app`` import it, it imports none of them).

``create_app`` puts one ``DeskState`` on ``app.state.desk``; an endpoint gets it with
``desk_state(request)``.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from cardtool.desk.registry import RegisterAccess
from cardtool.desk.texts import LANGS
from cardtool.expiry import Thresholds
from cardtool.services.check_session import CheckSession

#: Form fields longer than this are not what a person typed.
MAX_FIELD_CHARS = 200
LANG_COOKIE = "cardtool_desk_lang"


@dataclass
class DeskConfig:
    desk: str
    port: int
    default_lang: str = "ja"
    thresholds: Thresholds = field(default_factory=Thresholds)


class EventHub:
    """Fans reader/result snapshots out to the event streams (from reader threads to the
    event loop)."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.queues: set[asyncio.Queue[dict[str, Any]]] = set()
        self.closing = False

    def close_all(self) -> None:
        """The server is stopping: end every stream now (an empty snapshot ends one), so
        shutting down does not wait for, and then cancel, the open pages' streams."""
        self.closing = True
        self.publish({})

    def publish(self, snapshot: dict[str, Any]) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        for queue in list(self.queues):
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_offer, queue, snapshot)


def _offer(queue: asyncio.Queue[dict[str, Any]], snapshot: dict[str, Any]) -> None:
    if queue.full():  # a slow client only needs the latest state
        with contextlib.suppress(asyncio.QueueEmpty):
            queue.get_nowait()
    queue.put_nowait(snapshot)


@dataclass
class DeskState:
    """What every endpoint of one desk shares."""

    config: DeskConfig
    session: CheckSession
    register: RegisterAccess
    hub: EventHub = field(default_factory=EventHub)


def desk_state(request: Request) -> DeskState:
    state = request.app.state.desk
    assert isinstance(state, DeskState)
    return state


def lang_of(request: Request, config: DeskConfig) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGS else config.default_lang


def form_field(form: FormData, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    if len(value) > MAX_FIELD_CHARS:
        raise HTTPException(413, "field too long")
    return value


__all__ = ["LANG_COOKIE", "MAX_FIELD_CHARS", "DeskConfig", "DeskState", "EventHub",
           "desk_state", "form_field", "lang_of"]
