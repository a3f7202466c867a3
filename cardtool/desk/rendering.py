"""The desk's pages rendered on the server with Jinja2 (a leaf module over
``cardtool.desk.config``: every page module renders through ``render``)."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from cardtool.authenticity import Result
from cardtool.desk.config import desk_state, lang_of
from cardtool.desk.texts import text
from cardtool.desk.view import RESULT_KEYS
from cardtool.i18n import pick


@functools.cache
def templates() -> Environment:
    folder = resources.files("cardtool.desk") / "templates"
    return Environment(loader=FileSystemLoader(str(folder)),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       trim_blocks=True, lstrip_blocks=True)


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    desk = desk_state(request)
    config, session, register = desk.config, desk.session, desk.register
    lang = lang_of(request, config)

    def t(key: str, **params: object) -> str:
        return text(key, lang, **params)

    page = templates().get_template(template).render(
        t=t, lang=lang, other_lang=pick(("ja", "en"), lang), path=request.url.path,
        demo=session.watcher.demo, snapshot=session.snapshot(), desk=config.desk,
        register_error=register.error_text(lang), **values)
    return HTMLResponse(page, status_code=status)


def result_words(lang: str) -> dict[Result, str]:
    return {r: text(k, lang) for r, k in RESULT_KEYS.items()}


__all__ = ["render", "result_words", "templates"]
