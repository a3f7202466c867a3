"""The pages over the client register: 期限一覧 (deadlines), 顧客 (clients, one client's
history, editing), and the exports (CSV with BOM for Excel, iCalendar)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from apdu.errors import ApduLayerError
from cardtool.desk.config import desk_state, lang_of
from cardtool.desk.rendering import render
from cardtool.desk.texts import text
from cardtool.desk.view import deadline_view, history_view
from cardtool.jst import today_jst

log = logging.getLogger("cardtool.desk")

#: ?filter= of the deadlines page -> the register's filters.
DEADLINE_FILTERS: dict[str, dict[str, Any]] = {
    "all": {},
    "30": {"within_days": 30},
    "90": {"within_days": 90},
    "overdue": {"overdue_only": True},
    "pending": {"pending_only": True},
}
MAX_TEXT = 200


def _download(body: bytes, filename: str, media_type: str) -> Response:
    return Response(body, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def failed(request: Request, exc: ApduLayerError) -> HTMLResponse:
    lang = lang_of(request, desk_state(request).config)
    log.error("register: %s: %s", type(exc).__name__, exc.render("en"))
    return render(request, "error.html", status=503, message=exc.render(lang))


def client_id_of(request: Request) -> int:
    raw = request.path_params["client_id"]
    return int(raw)


async def deadlines(request: Request) -> Response:
    desk = desk_state(request)
    register, config = desk.register, desk.config
    chosen = request.query_params.get("filter", "all")
    if chosen not in DEADLINE_FILTERS:
        chosen = "all"
    try:
        rows = await run_in_threadpool(register.deadlines, today_jst(),
                                       **DEADLINE_FILTERS[chosen])
    except ApduLayerError as exc:
        return failed(request, exc)
    lang = lang_of(request, config)
    return render(request, "deadlines.html", rows=[deadline_view(r, lang) for r in rows],
                  chosen=chosen,
                  filters=list(DEADLINE_FILTERS))


async def clients(request: Request) -> Response:
    register = desk_state(request).register
    query = request.query_params.get("q", "")[:MAX_TEXT]
    try:
        found = await run_in_threadpool(register.find_clients, query, 50)
    except ApduLayerError as exc:
        return failed(request, exc)
    return render(request, "clients.html", found=found, query=query)


async def client(request: Request) -> Response:
    desk = desk_state(request)
    register, config = desk.register, desk.config
    try:
        client_id = client_id_of(request)
        record = await run_in_threadpool(register.client, client_id)
        history = await run_in_threadpool(register.history, client_id)
    except ApduLayerError as exc:
        return failed(request, exc)
    lang = lang_of(request, config)
    message = text("saved", lang) if request.query_params.get("m") == "saved" else ""
    return render(request, "client.html", client=record,
                  history=[history_view(h, lang) for h in history], message=message)


async def client_edit(request: Request) -> Response:
    desk = desk_state(request)
    register, config = desk.register, desk.config
    form = await request.form()
    reference, display_name = (str(form.get(n, ""))[:MAX_TEXT]
                               for n in ("reference", "display_name"))
    try:
        client_id = client_id_of(request)
        await run_in_threadpool(register.update_client, client_id, reference, display_name,
                                config.desk)
    except ApduLayerError as exc:
        return failed(request, exc)
    return RedirectResponse(f"/clients/{client_id}?m=saved", status_code=303)


async def export_page(request: Request) -> Response:
    return render(request, "export.html")


async def export(request: Request, produce: Callable[[], bytes], subject: str,
                 filename: str, media_type: str) -> Response:
    """An export, made off the event loop and audited once it is made."""
    desk = desk_state(request)
    register, config = desk.register, desk.config
    try:
        body = await run_in_threadpool(produce)
    except ApduLayerError as exc:
        return failed(request, exc)
    register.audit(config.desk, "export", subject)
    return _download(body, filename, media_type)


async def deadlines_csv(request: Request) -> Response:
    register = desk_state(request).register
    return await export(request, lambda: register.deadlines_csv(today_jst()),
                        "deadlines.csv", "deadlines.csv", "text/csv; charset=utf-8")


async def deadlines_ics(request: Request) -> Response:
    register = desk_state(request).register
    return await export(request, lambda: register.deadlines_ics(today_jst()),
                        "deadlines.ics", "deadlines.ics", "text/calendar; charset=utf-8")


async def history_csv(request: Request) -> Response:
    desk = desk_state(request)
    register, config = desk.register, desk.config
    try:
        client_id = client_id_of(request)
        body = await run_in_threadpool(register.history_csv, client_id)
    except ApduLayerError as exc:
        return failed(request, exc)
    register.audit(config.desk, "export", f"client:{client_id} history.csv")
    return _download(body, f"client-{client_id}-history.csv", "text/csv; charset=utf-8")


routes: list[BaseRoute] = [
    Route("/deadlines", deadlines),
    Route("/clients", clients),
    Route("/clients/{client_id:int}", client),
    Route("/clients/{client_id:int}", client_edit, methods=["POST"]),
    Route("/export", export_page),
    Route("/export/deadlines.csv", deadlines_csv),
    Route("/export/deadlines.ics", deadlines_ics),
    Route("/clients/{client_id:int}/history.csv", history_csv),
]


__all__ = ["DEADLINE_FILTERS", "routes"]
