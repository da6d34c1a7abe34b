"""Templates and what every page gets: the language, its messages, the CSRF token, the login.

Jinja2 with autoescaping on for every template (``select_autoescape`` of html and svg), so a
merchant's product title or an import's error line is text, never markup. ``render`` adds:
``t`` (the messages of the page's language), ``lang`` and ``html_lang``, ``csrf_token``,
``console_user`` (whether the merchant console is logged in), ``path`` (for "back here"
links) and ``money`` (``Money`` as "18.00 CNY").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from trustcart.core.money import Money
from trustcart.web.i18n import LANGUAGE_NAMES, LANGUAGES, Translator, choose_language
from trustcart.web.security import ensure_csrf_token

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANG_SESSION_KEY = "lang"
CONSOLE_SESSION_KEY = "console"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(("html", "svg")),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=_environment)


def money(value: Any) -> str:
    """``Money`` or its JSON (``{"amount", "currency"}``) as "18.00 CNY"; None as a dash."""
    if value is None:
        return "–"
    if isinstance(value, Money):
        return f"{value.amount_str()} {value.currency}"
    return f"{value['amount']} {value['currency']}"


def page_language(request: Request) -> str:
    return choose_language(
        request.session.get(LANG_SESSION_KEY), request.headers.get("accept-language")
    )


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The page ``template`` in the request's language, with the common context."""
    lang = page_language(request)
    translate = Translator(lang)
    common = {
        "t": translate,
        "lang": lang,
        "html_lang": translate.html_lang,
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "csrf_token": ensure_csrf_token(request.session),
        "console_user": bool(request.session.get(CONSOLE_SESSION_KEY)),
        "path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "money": money,
    }
    return templates.TemplateResponse(
        request, template, {**common, **context}, status_code=status_code
    )
