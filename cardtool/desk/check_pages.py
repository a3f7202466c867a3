"""The check page and what drives it: read, next card, save to a client, the live reader
state (server-sent events), and the language switch. Pages and HTTP only: the check
itself is the check session's (``cardtool.services.check_session``)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from apdu.errors import ApduLayerError
from cardtool.desk.config import (
    LANG_COOKIE,
    MAX_FIELD_CHARS,
    desk_state,
    form_field,
    lang_of,
)
from cardtool.desk.language import LANG_COOKIE_MAX_AGE
from cardtool.desk.rendering import render, result_words
from cardtool.desk.texts import LANGS, text
from cardtool.desk.view import card_view
from cardtool.front_dates import Status
from cardtool.register import Check
from cardtool.services.check_session import (
    CardNumberNeeded,
    CheckSession,
    ConfirmFirst,
    FaceParts,
    ReadInProgress,
    Stage,
    StaleCheck,
)
from cardtool.services.client_link import ClientTarget, ExistingClient, NewClient
from cardtool.services.face_confirm import (
    Answer,
    CropUnavailable,
    DateAnswer,
    DatesNotConfirmed,
    as_judged_before_confirmation,
)

log = logging.getLogger("cardtool.desk")

#: Event-stream clients at once: a desk has one or two tabs open; more is a runaway page.
MAX_EVENT_CLIENTS = 64
#: An idle event stream sends a comment this often, so a dead connection is noticed.
KEEPALIVE_SECONDS = 15.0


@dataclass(frozen=True)
class ConfirmRow:
    """One OCR'd date on the check page: what was read, the crop it came from (a data: URI
    of a PNG rendered now from the card's image in memory), the box and the answer."""

    name: str
    label: str
    read: str  # what the OCR said, in words
    uncertain: bool
    value: str  # the box's text (pre-filled with the date read)
    answer: str  # the chosen answer ("" none yet)
    crop: str | None  # data:image/png;base64,...
    crop_alt: str
    may_be_indefinite: bool


def _confirm_rows(session: CheckSession, version: int, lang: str,
                  typed: dict[str, DateAnswer] | None) -> list[ConfirmRow]:
    rows = []
    for item in session.dates_to_confirm(version):
        read = item.read
        if read.status is Status.READ:
            said = text("confirm_read", lang, text=read.date.isoformat() if read.date else "")
            said += " (" + text("confirm_confidence", lang, pct=round(read.confidence * 100)) + ")"
        elif read.status is Status.INDEFINITE:
            said = text("confirm_indefinite_read", lang)
        else:
            said = text("confirm_uncertain", lang, reason=read.reason_text(lang))
        try:
            png = session.crop(version, read.crop_box)
        except CropUnavailable:
            png = None
        given = (typed or {}).get(item.name)
        value = (given.typed if given is not None else
                 item.read_date.isoformat() if item.read_date else "")
        rows.append(ConfirmRow(
            item.name, item.label(lang), said, read.status is Status.UNCERTAIN, value,
            given.answer.value if given is not None and given.answer is not None else "",
            "data:image/png;base64," + base64.b64encode(png).decode("ascii") if png else None,
            text("confirm_crop" if read.crop_box is not None else "confirm_whole", lang),
            item.may_be_indefinite))
    return rows


def _answers(form: Any) -> dict[str, DateAnswer]:
    out = {}
    for name in ("residence_expiry", "card_expiry"):
        chosen = form_field(form, f"{name}_answer")
        answer = next((a for a in Answer if a.value == chosen), None)
        out[name] = DateAnswer(answer, form_field(form, f"{name}_date"))
    return out


async def index(request: Request) -> Response:
    return RedirectResponse("/check", status_code=303)


async def check_page(request: Request, *, typed: dict[str, DateAnswer] | None = None,
                     confirm_error: str | None = None, status: int = 200) -> Response:
    desk = desk_state(request)
    config, session, register = desk.config, desk.session, desk.register
    lang = lang_of(request, config)
    result = session.result
    facts = result.facts
    if facts is not None and result.stage is Stage.NEEDS_CONFIRMATION:
        # Judged without the dates read from the image until staff answered for them.
        facts = as_judged_before_confirmation(facts)
    view = (card_view(facts, lang, result_words(lang), thresholds=config.thresholds)
            if facts is not None else None)
    error = result.error.render(lang) if result.error is not None else None
    # Asking for the number again after a wrong one: say why.
    number_error = (error if result.stage is Stage.NEEDS_CARD_NUMBER
                    and not isinstance(result.error, CardNumberNeeded) else None)
    query = request.query_params.get("q", "")[:MAX_FIELD_CHARS]
    found: list[Any] = []
    known, lookup_error = None, None
    if result.facts is not None and not result.saved and register.ready:
        try:
            if query:
                found = await run_in_threadpool(register.find_clients, query)
            if result.card_number:
                known = await run_in_threadpool(register.client_for_card,
                                                result.card_number, config.desk)
        except ApduLayerError as exc:  # e.g. the PostgreSQL server went away
            log.error("register: %s: %s", type(exc).__name__, exc.render("en"))
            lookup_error = exc.render(lang)
    confirm = (await run_in_threadpool(_confirm_rows, session, result.version, lang, typed)
               if result.stage is Stage.NEEDS_CONFIRMATION else [])
    return render(request, "check.html", status=status, confirm=confirm,
                  confirm_error=confirm_error, result=result, view=view, error=error,
                  lookup_error=lookup_error,
                  number_error=number_error, stage=result.stage.value, query=query, found=found, known=known,
                  message=request.query_params.get("m", ""), soon=config.thresholds.soon_days)


async def check_read(request: Request) -> Response:
    session = desk_state(request).session
    form = await request.form()
    card_number = form_field(form, "card_number") or None
    birth, year, code = (form_field(form, n) for n in ("birth", "expiry_year", "code"))
    face = FaceParts(birth, year, code) if (birth or year or code) else None
    try:
        await run_in_threadpool(session.read, card_number=card_number, face=face)
    except ReadInProgress:
        return RedirectResponse("/check?m=busy", status_code=303)
    return RedirectResponse("/check", status_code=303)


async def check_confirm(request: Request) -> Response:
    """Staff's answer for each date read from a first-generation card's image. A missing
    answer or a box without a date shows the page again with what was typed and why."""
    desk = desk_state(request)
    form = await request.form()
    version = form_field(form, "version")
    answers = _answers(form)
    if not version.isdigit():
        return RedirectResponse("/check?m=stale", status_code=303)
    try:
        await run_in_threadpool(desk.session.confirm, int(version), answers)
    except StaleCheck:
        return RedirectResponse("/check?m=stale", status_code=303)
    except DatesNotConfirmed as exc:
        lang = lang_of(request, desk.config)
        return await check_page(request, typed=answers, status=400,
                                confirm_error=text("confirm_missing", lang,
                                                   error=exc.render(lang)))
    return RedirectResponse("/check", status_code=303)


async def check_next(request: Request) -> Response:
    await run_in_threadpool(desk_state(request).session.next_card)
    return RedirectResponse("/check", status_code=303)


async def check_save(request: Request) -> Response:
    desk = desk_state(request)
    config, session, register = desk.config, desk.session, desk.register
    form = await request.form()
    version = form_field(form, "version")
    if not version.isdigit():
        return RedirectResponse("/check?m=stale", status_code=303)
    client_id_text = form_field(form, "client_id")
    target: ClientTarget
    if client_id_text.isdigit():
        target = ExistingClient(int(client_id_text))
    else:  # a new client, created with the check in one transaction
        target = NewClient(form_field(form, "reference"), form_field(form, "display_name"))

    def save() -> Check:
        session.savable(int(version))  # a stale page is told so, even without a register
        return session.save(int(version), register.link(config.desk), target)

    try:
        check = await run_in_threadpool(save)
    except ConfirmFirst:
        return RedirectResponse("/check?m=confirm-first", status_code=303)
    except StaleCheck:
        return RedirectResponse("/check?m=stale", status_code=303)
    except ApduLayerError as exc:
        log.error("save failed: %s: %s", type(exc).__name__, exc.render("en"))
        lang = lang_of(request, config)
        return render(request, "error.html", status=503,
                      message=text("save_failed", lang, reason=exc.render(lang)))
    return RedirectResponse(f"/clients/{check.client_id}?m=saved", status_code=303)


async def events(request: Request) -> Response:
    desk = desk_state(request)
    session, hub = desk.session, desk.hub
    if len(hub.queues) >= MAX_EVENT_CLIENTS:
        return Response("too many event streams\n", status_code=503,
                        media_type="text/plain")
    hub.loop = asyncio.get_running_loop()
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=8)
    hub.queues.add(queue)
    lang = lang_of(request, desk.config)

    async def stream() -> AsyncIterator[str]:
        try:
            snapshot = session.snapshot()
            while snapshot and not hub.closing:
                payload = {**snapshot, "text": text("reader_" + snapshot["reader"], lang)}
                yield f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
                try:
                    snapshot = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    snapshot = session.snapshot()
        finally:
            hub.queues.discard(queue)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"X-Accel-Buffering": "no"})


async def state(request: Request) -> Response:
    return Response(json.dumps(desk_state(request).session.snapshot()),
                    media_type="application/json")


async def set_lang(request: Request) -> Response:
    chosen = request.query_params.get("to", "")
    target = request.query_params.get("next", "/check")
    if not target.startswith("/") or target.startswith("//"):
        target = "/check"  # only our own pages
    response = RedirectResponse(target, status_code=303)
    if chosen in LANGS:
        response.set_cookie(LANG_COOKIE, chosen, max_age=LANG_COOKIE_MAX_AGE, httponly=True,
                            samesite="strict")
    return response


routes: list[BaseRoute] = [
    Route("/", index),
    Route("/check", check_page),
    Route("/check/read", check_read, methods=["POST"]),
    Route("/check/confirm", check_confirm, methods=["POST"]),
    Route("/check/next", check_next, methods=["POST"]),
    Route("/check/save", check_save, methods=["POST"]),
    Route("/events", events),
    Route("/state", state),
    Route("/lang", set_lang),
]

__all__ = ["KEEPALIVE_SECONDS", "MAX_EVENT_CLIENTS", "routes"]
