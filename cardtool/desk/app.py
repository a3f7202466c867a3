"""The desk's web application (Starlette): pages rendered on the server with Jinja2, one
small bundled script for the live reader state (server-sent events), nothing from a CDN.

``create_app`` assembles module-level parts: the routes of each page group
(``check_pages``, ``register_pages``), the state they share (``config.DeskState`` on
``app.state.desk``) and the security gate; ``cardtool.desk.server`` runs it on loopback
with uvicorn. The check itself is the check session's (``cardtool.services.check_session``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from cardtool.desk import check_pages, register_pages
from cardtool.desk.config import DeskConfig, DeskState, desk_state, lang_of
from cardtool.desk.registry import RegisterAccess
from cardtool.desk.rendering import render
from cardtool.desk.security import DeskSecurity, Refused, SecurityMiddleware
from cardtool.desk.texts import text
from cardtool.services.check_session import CheckSession

log = logging.getLogger("cardtool.desk")


async def not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    lang = lang_of(request, desk_state(request).config)
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


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    desk = app.state.desk
    assert isinstance(desk, DeskState)
    desk.hub.loop = asyncio.get_running_loop()
    desk.session.start()
    try:
        yield
    finally:
        desk.session.stop()


def create_app(config: DeskConfig, session: CheckSession, register: RegisterAccess, *,
               security: DeskSecurity | None = None) -> Starlette:
    security = security or DeskSecurity(config.port)
    desk = DeskState(config, session, register)
    session.subscribe(desk.hub.publish)
    if session.audit is None:  # every read is audited in the register, with this desk's name
        session.audit = lambda kind: register.audit_read(config.desk, kind)
    static = resources.files("cardtool.desk") / "static"
    routes = [
        *check_pages.routes,
        *register_pages.routes,
        Mount("/static", StaticFiles(directory=str(static)), name="static"),
    ]
    handlers: Mapping[Any, Callable[..., Any]] = {
        HTTPException: not_found, Refused: refused, Exception: internal}
    app = Starlette(routes=routes, exception_handlers=dict(handlers), lifespan=lifespan)
    app.state.desk = desk
    app.state.close_streams = desk.hub.close_all
    app.add_middleware(SecurityMiddleware, security=security)
    return app


__all__ = ["DeskConfig", "create_app"]
