"""The pages over the client register: 期限一覧 (deadlines), 顧客 (clients, one client's
history, editing), and the exports (CSV with BOM for Excel, iCalendar)."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from apdu.errors import ApduLayerError
from cardtool.desk.config import desk_state, lang_of
from cardtool.desk.rendering import render
from cardtool.desk.texts import text
from cardtool.desk.view import deadline_view, history_view
from cardtool.jst import today_jst
from cardtool.register.deadlines import DeadlineFilter

if TYPE_CHECKING:
    from cardtool.register.listing import Page

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
#: ?q= longer than this is not even passed on (the register cuts a search to
#: listing.SEARCH_LENGTH and says so; this only bounds what a request can make it do).
MAX_QUERY = 10_000
#: ?page= digits looked at: more is "a page far beyond the last" (then the last one).
_PAGE_DIGITS = 9


def page_asked(request: Request) -> int:
    """?page=N: a number (1 when missing or not a number; a huge one stays huge, so the
    register shows the last page)."""
    raw = request.query_params.get("page", "").strip()
    if not raw.isascii() or not raw.isdigit():
        return 1
    if len(raw) > _PAGE_DIGITS:
        return int(10**_PAGE_DIGITS)
    return int(raw)


def pager(request: Request, page: Page[Any], asked: int, **params: str) -> dict[str, Any]:
    """What the pager of a list shows: where it is, and the links to the pages around it
    (keeping the list's other parameters)."""

    def link(number: int) -> str:
        return f"{request.url.path}?{urlencode({**params, 'page': number})}"

    return {"number": page.number, "pages": page.pages, "total": page.total,
            "asked": asked if asked != page.number and page.total else None,
            "previous": link(page.number - 1) if page.has_previous else None,
            "next": link(page.number + 1) if page.has_next else None}


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
    asked = page_asked(request)
    try:
        page = await run_in_threadpool(register.deadline_page, today_jst(),
                                       DeadlineFilter(**DEADLINE_FILTERS[chosen]), asked)
    except ApduLayerError as exc:
        return failed(request, exc)
    lang = lang_of(request, config)
    return render(request, "deadlines.html",
                  rows=[deadline_view(r, lang) for r in page.items], chosen=chosen,
                  filters=list(DEADLINE_FILTERS),
                  pager=pager(request, page, asked, filter=chosen))


async def clients(request: Request) -> Response:
    register = desk_state(request).register
    query = request.query_params.get("q", "")[:MAX_QUERY]
    asked = page_asked(request)
    try:
        search, page = await run_in_threadpool(register.client_page, query, asked)
    except ApduLayerError as exc:
        return failed(request, exc)
    return render(request, "clients.html", found=page.items, query=search.text,
                  cut=search.limit if search.cut else None,
                  pager=pager(request, page, asked, q=search.text))


async def client(request: Request) -> Response:
    desk = desk_state(request)
    register, config = desk.register, desk.config
    asked = page_asked(request)
    try:
        client_id = client_id_of(request)
        record = await run_in_threadpool(register.client, client_id)
        history = await run_in_threadpool(register.history_page, client_id, asked)
    except ApduLayerError as exc:
        return failed(request, exc)
    lang = lang_of(request, config)
    message = text("saved", lang) if request.query_params.get("m") == "saved" else ""
    return render(request, "client.html", client=record,
                  history=[history_view(h, lang) for h in history.items], message=message,
                  pager=pager(request, history, asked))


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


async def export(request: Request, produce: Callable[[], Iterator[bytes]], subject: str,
                 filename: str, media_type: str) -> Response:
    """An export streamed as it is read from the register (memory does not grow with
    the register). Its first chunk is made before the response starts, so a register
    that cannot be read is an error page, not a broken download; audited then."""
    desk = desk_state(request)
    register, config = desk.register, desk.config
    try:
        chunks = await run_in_threadpool(produce)
        first = await run_in_threadpool(next, chunks, b"")
    except ApduLayerError as exc:
        return failed(request, exc)
    register.audit(config.desk, "export", subject)
    return StreamingResponse(
        itertools.chain((first,), chunks), media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


async def deadlines_csv(request: Request) -> Response:
    register = desk_state(request).register
    return await export(request, lambda: register.deadlines_csv_chunks(today_jst()),
                        "deadlines.csv", "deadlines.csv", "text/csv; charset=utf-8")


async def deadlines_ics(request: Request) -> Response:
    register = desk_state(request).register
    return await export(request, lambda: register.deadlines_ics_chunks(today_jst()),
                        "deadlines.ics", "deadlines.ics", "text/calendar; charset=utf-8")


async def history_csv(request: Request) -> Response:
    register = desk_state(request).register
    client_id = client_id_of(request)
    return await export(request, lambda: iter((register.history_csv(client_id),)),
                        f"client:{client_id} history.csv", f"client-{client_id}-history.csv",
                        "text/csv; charset=utf-8")


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
