"""Templates and the filters they use. Autoescape is always on: every value a page shows
came from a player, a producer or a staff member and is escaped."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from markupsafe import Markup

from croupier import __version__
from croupier.compliance.reasons import MAX_CODE, clip, explain
from croupier.risk.aml import AML_STATUSES
from croupier.web.security import CSRF_FIELD, PAGE_HEADERS
from croupier.web.staff import Staff

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
EMPTY = "—"


def utc(value: Any) -> str:
    """A moment as `2026-11-21 10:15:03Z`: from microseconds since the epoch or an RFC 3339
    string with any offset. Unparseable strings are shown as they are."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, int | float):
        moment = datetime.fromtimestamp(value / 1_000_000, tz=timezone.utc)
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def money(value: Any, currency: str | None) -> str:
    if value is None:
        return EMPTY
    return f"{value} {currency}" if currency else str(value)


def number(value: Any) -> str:
    if value is None:
        return EMPTY
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def plain(value: Any) -> str:
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def path_segment(value: Any) -> str:
    """Quote a producer-chosen id for use as one URL path segment (slashes included)."""
    return quote(str(value), safe="")


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def reason(code: Any, family: str = "reason") -> Markup:
    """One reason code as staff read it: the sentence (compliance.reasons), the code beside it
    in <code> for regulators and integrators. Both escaped: a code is data, never markup."""
    said = explain(code, family)  # type: ignore[arg-type]
    text = said.text[:1].upper() + said.text[1:]
    known = "" if said.known else " reason-unknown"
    shown = clip(said.code, MAX_CODE)   # codes Croupier gives are short; the audit export keeps any whole
    return Markup('<span class="reason-said{}" data-code="{}">{} <code class="reason">{}</code></span>').format(
        known, shown, text, shown)


def reasons(codes: Any, family: str = "reason") -> Markup:
    """A list of reason codes, one sentence with its code per line (an empty list: a dash)."""
    items = list(codes or [])
    if not items:
        return Markup('<span class="muted">{}</span>').format(EMPTY)
    return Markup('<ul class="reasons">{}</ul>').format(
        Markup("").join(Markup("<li>{}</li>").format(reason(c, family)) for c in items))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(utc=utc, money=money, number=number, plain=plain, seg=path_segment,
                       pretty_json=pretty_json, reason=reason, reasons=reasons)
    env.globals.update(version=__version__, csrf_field=CSRF_FIELD, EMPTY=EMPTY, AML_STATUSES=AML_STATUSES)
    return env


templates = Jinja2Templates(env=_environment())


def render(request: Request, template: str, staff: Staff | None, *, status: int = 200,
           page: str = "", title: str = "", **context: Any) -> HTMLResponse:
    """A back-office page with its security headers."""
    response = templates.TemplateResponse(
        request, template, {"staff": staff, "page": page, "title": title, **context},
        status_code=status)
    response.headers.update(PAGE_HEADERS)
    return response
