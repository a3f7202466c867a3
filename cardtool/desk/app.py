"""The desk's web application (Starlette): pages rendered on the server with Jinja2, one
small bundled script for the live reader state (server-sent events), nothing from a CDN.

``create_app`` wires the pieces; ``cardtool.desk.server`` runs it on loopback with uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from apdu.errors import ApduLayerError
from cardtool.authenticity import Result
from cardtool.desk.language import LANG_COOKIE, LANG_COOKIE_MAX_AGE, page_lang
from cardtool.desk.reading import CardNumberNeeded, DeskReader, FaceParts, ReadInProgress, Stage
from cardtool.desk.registry import RegisterAccess
from cardtool.desk.security import DeskSecurity, Refused, SecurityMiddleware
from cardtool.desk.texts import LANGS, text
from cardtool.desk.view import RESULT_KEYS, card_view
from cardtool.expiry import Thresholds
from cardtool.i18n import pick

log = logging.getLogger("cardtool.desk")

#: Event-stream clients at once: a desk has one or two tabs open; more is a runaway page.
MAX_EVENT_CLIENTS = 64
#: An idle event stream sends a comment this often, so a dead connection is noticed.
KEEPALIVE_SECONDS = 15.0
#: Form fields longer than this are not what a person typed.
MAX_FIELD_CHARS = 200


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


def _templates() -> Environment:
    folder = resources.files("cardtool.desk") / "templates"
    return Environment(loader=FileSystemLoader(str(folder)),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       trim_blocks=True, lstrip_blocks=True)


def lang_of(request: Request, config: DeskConfig) -> str:
    return page_lang(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"),
                     config.default_lang)


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    if len(value) > MAX_FIELD_CHARS:
        raise HTTPException(413, "field too long")
    return value


def create_app(config: DeskConfig, reader: DeskReader, register: RegisterAccess, *,
               security: DeskSecurity | None = None) -> Starlette:
    security = security or DeskSecurity(config.port)
    env = _templates()
    hub = EventHub()
    reader.subscribe(hub.publish)
    if reader.audit is None:  # every read is audited in the register, with this desk's name
        reader.audit = lambda action, subject: register.audit(config.desk, action, subject)

    def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        lang = lang_of(request, config)

        def t(key: str, **params: object) -> str:
            return text(key, lang, **params)

        page = env.get_template(template).render(
            t=t, lang=lang, other_lang=pick(("ja", "en"), lang), path=request.url.path,
            demo=reader.watcher.demo, snapshot=reader.snapshot(), desk=config.desk,
            register_error=register.error_text(lang), **values)
        # The page's words follow the browser's Accept-Language and the switch's cookie.
        return HTMLResponse(page, status_code=status,
                            headers={"Vary": "Accept-Language, Cookie", "Content-Language": lang})

    def result_words(lang: str) -> dict[Result, str]:
        return {r: text(k, lang) for r, k in RESULT_KEYS.items()}

    async def index(request: Request) -> Response:
        return RedirectResponse("/check", status_code=303)

    async def check_page(request: Request) -> Response:
        lang = lang_of(request, config)
        result = reader.result
        view = (card_view(result.facts, lang, result_words(lang), thresholds=config.thresholds)
                if result.facts is not None else None)
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
                    known = await run_in_threadpool(register.client_for_card_number,
                                                    result.card_number)
            except ApduLayerError as exc:  # e.g. the PostgreSQL server went away
                log.error("register: %s: %s", type(exc).__name__, exc.render("en"))
                lookup_error = exc.render(lang)
        return render(request, "check.html", result=result, view=view, error=error,
                      lookup_error=lookup_error,
                      number_error=number_error, stage=result.stage.value, query=query, found=found, known=known,
                      message=request.query_params.get("m", ""), soon=config.thresholds.soon_days)

    async def check_read(request: Request) -> Response:
        form = await request.form()
        card_number = _field(form, "card_number") or None
        birth, year, code = (_field(form, n) for n in ("birth", "expiry_year", "code"))
        face = FaceParts(birth, year, code) if (birth or year or code) else None
        try:
            await run_in_threadpool(reader.read, card_number=card_number, face=face)
        except ReadInProgress:
            return RedirectResponse("/check?m=busy", status_code=303)
        return RedirectResponse("/check", status_code=303)

    async def check_next(request: Request) -> Response:
        await run_in_threadpool(reader.next_card)
        return RedirectResponse("/check", status_code=303)

    async def check_save(request: Request) -> Response:
        form = await request.form()
        result = reader.result
        if result.facts is None or str(result.version) != _field(form, "version"):
            return RedirectResponse("/check?m=stale", status_code=303)
        client_id_text = _field(form, "client_id")
        client_id, new_client = None, None
        if client_id_text.isdigit():
            client_id = int(client_id_text)
        else:  # a new client, created with the check in one transaction
            new_client = (_field(form, "reference"), _field(form, "display_name"))
        try:
            check = await run_in_threadpool(register.save_check, client_id, result.facts,
                                            config.desk, result.card_number, new_client)
        except ApduLayerError as exc:
            log.error("save failed: %s: %s", type(exc).__name__, exc.render("en"))
            lang = lang_of(request, config)
            return render(request, "error.html", status=503,
                          message=text("save_failed", lang, reason=exc.render(lang)))
        reader.mark_saved(result.version)
        return RedirectResponse(f"/clients/{check.client_id}?m=saved", status_code=303)

    async def events(request: Request) -> Response:
        if len(hub.queues) >= MAX_EVENT_CLIENTS:
            return Response("too many event streams\n", status_code=503,
                            media_type="text/plain")
        hub.loop = asyncio.get_running_loop()
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=8)
        hub.queues.add(queue)
        lang = lang_of(request, config)

        async def stream() -> AsyncIterator[str]:
            try:
                snapshot = reader.snapshot()
                while snapshot and not hub.closing:
                    payload = {**snapshot, "text": text("reader_" + snapshot["reader"], lang)}
                    yield f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
                    try:
                        snapshot = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
                        snapshot = reader.snapshot()
            finally:
                hub.queues.discard(queue)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"X-Accel-Buffering": "no"})

    async def state(request: Request) -> Response:
        return Response(json.dumps(reader.snapshot()), media_type="application/json")

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

    from cardtool.desk.register_pages import register_routes

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        lang = lang_of(request, config)
        return render(request, "error.html", status=status,
                      message=text("not_found", lang) if status == 404 else str(
                          getattr(exc, "detail", "")))

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refused)
        return Response(exc.reason + "\n", status_code=exc.status, media_type="text/plain")

    async def internal(request: Request, exc: Exception) -> Response:
        # Never a traceback on the page or personal data in the log: the class name only.
        log.error("internal error on %s %s: %s", request.method, request.url.path,
                  type(exc).__name__)
        return render(request, "error.html", status=500,
                      message="Internal error (" + type(exc).__name__ + ")")

    static = resources.files("cardtool.desk") / "static"
    routes = [
        Route("/", index),
        Route("/check", check_page),
        Route("/check/read", check_read, methods=["POST"]),
        Route("/check/next", check_next, methods=["POST"]),
        Route("/check/save", check_save, methods=["POST"]),
        Route("/events", events),
        Route("/state", state),
        Route("/lang", set_lang),
        *register_routes(render, register, config, lang_of),
        Mount("/static", StaticFiles(directory=str(static)), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        hub.loop = asyncio.get_running_loop()
        reader.start()
        try:
            yield
        finally:
            reader.stop()

    handlers: Mapping[Any, Callable[..., Any]] = {
        HTTPException: not_found, Refused: refused, Exception: internal}
    app = Starlette(routes=routes, exception_handlers=dict(handlers), lifespan=lifespan)
    app.state.close_streams = hub.close_all
    app.add_middleware(SecurityMiddleware, security=security)
    return app


__all__ = ["DeskConfig", "create_app"]
