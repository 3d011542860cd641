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
from markupsafe import Markup
from fastapi.responses import HTMLResponse
from starlette.templating import Jinja2Templates


from croupier import __version__
from croupier.compliance.reasons import MAX_CODE, clip, explain
from croupier.risk.aml import AML_STATUSES
from croupier.web import formatting as fmt
from croupier.web.formatting import DEFAULT_READER, EMPTY, Reader
from croupier.web.security import CSRF_FIELD, PAGE_HEADERS
from croupier.web.staff import Staff

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"


def display_defaults(request: Request | None) -> Reader:
    """The operator's default locale and time zone (`croupier serve --locale/--time-zone`,
    CROUPIER_LOCALE / CROUPIER_TIME_ZONE), kept on the app by `mount_back_office`."""
    app = getattr(request, "app", None) if request is not None else None
    found = getattr(getattr(app, "state", None), "display_defaults", None)
    return found if isinstance(found, Reader) else DEFAULT_READER


def reader_for(request: Request | None, staff: Staff | None) -> Reader:
    """How this staff member reads figures and times: their own settings where they chose
    them, the operator's defaults otherwise (and for signed-out pages)."""
    defaults = display_defaults(request)
    if staff is None:
        return defaults
    try:
        return Reader.of(staff.user.locale or defaults.locale_name, staff.user.time_zone or defaults.zone_name)
    except ValueError:   # a setting this Babel / tz database no longer knows: never a broken page
        return defaults


def _reader(ctx: Any) -> Reader:  # noqa: ANN401 - a Jinja context
    """The page's reader: `render` puts it in the context once; other templates work it out."""
    return ctx.get("reader") or reader_for(ctx.get("request"), ctx.get("staff"))


def _time_tag(moment: datetime, text: str, title: str, cls: str = "") -> Markup:
    klass = Markup(' class="{}"').format(cls) if cls else Markup("")
    return Markup('<time datetime="{}" title="{}"{}>{}</time>').format(fmt.iso(moment), title, klass, text)


@jinja2.pass_context
def utc(ctx: Any, value: Any) -> Markup | str:  # noqa: ANN401
    """A moment (microseconds since the epoch, RFC 3339 with any offset, or a datetime) on the
    reader's clock, `3 Dec 2026, 09:15:03 CET`, as a `<time>` element whose title adds the zone
    and UTC. The name is historical: it no longer means the page shows UTC. Unparseable
    values are shown as they are."""
    moment = fmt.to_moment(value)
    if moment is None:
        return EMPTY if value is None or value == "" else str(value)
    reader = _reader(ctx)
    return _time_tag(moment, fmt.moment_text(moment, reader), fmt.exact_text(moment, reader))


@jinja2.pass_context
def ago(ctx: Any, value: Any) -> Markup | str:  # noqa: ANN401
    """A recent moment as `3 hr. ago`, the exact time on hover (queues, audit, activity)."""
    moment = fmt.to_moment(value)
    if moment is None:
        return EMPTY if value is None or value == "" else str(value)
    reader = _reader(ctx)
    return _time_tag(moment, fmt.relative(moment, datetime.now(timezone.utc), reader),
                     fmt.exact_text(moment, reader), "relative")


@jinja2.pass_context
def moment_text(ctx: Any, value: Any) -> str:  # noqa: ANN401
    """The same moment as plain text, for attributes and <option> labels."""
    moment = fmt.to_moment(value)
    if moment is None:
        return EMPTY if value is None or value == "" else str(value)
    return fmt.moment_text(moment, _reader(ctx))


@jinja2.pass_context
def player_time(ctx: Any, value: Any, zone_name: str | None, clock: bool = False) -> Markup | str:  # noqa: ANN401
    """A moment on the player's own clock (`3 Dec 2026, 10:15:03 EET`, or with `clock` just
    `10:15 EET`), for beside the staff member's time; EMPTY when the player's zone is unknown."""
    moment, zone = fmt.to_moment(value), fmt.zone_for(zone_name)
    if moment is None or zone is None:
        return EMPTY
    reader = _reader(ctx)
    text = fmt.clock_text(moment, reader, zone) if clock else fmt.moment_text(moment, reader, zone)
    return _time_tag(moment, text, f"the player's local time: {fmt.moment_text(moment, reader, zone)} ({zone.key})",
                     "player-time")


@jinja2.pass_context
def money(ctx: Any, value: Any, currency: str | None) -> Markup | str:  # noqa: ANN401
    """An amount in the reader's convention, in a `money` span; negative amounts also carry
    the class `money-negative` (a minus sign is always written)."""
    if value is None or value == "":
        return EMPTY
    text = fmt.money(value, currency, _reader(ctx))
    cls = "money money-negative" if fmt.is_negative(value) else "money"
    return Markup('<span class="{}">{}</span>').format(cls, text)


@jinja2.pass_context
def number(ctx: Any, value: Any) -> str:  # noqa: ANN401
    return fmt.count(value, _reader(ctx))


@jinja2.pass_context
def percent(ctx: Any, value: Any, digits: int = 1) -> str:  # noqa: ANN401
    return fmt.percent(value, _reader(ctx), digits)


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
    ok = " reason-ok" if said.code == "all_checks_passed" else ""   # the green badge is green
    return Markup('<span class="reason-said{}" data-code="{}">{} <code class="reason{}">{}</code></span>').format(
        known, shown, text, ok, shown)


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
                       pretty_json=pretty_json, ago=ago, moment_text=moment_text, player_time=player_time,
                       percent=percent, over_by=fmt.over_by, reason=reason, reasons=reasons)
    env.globals.update(version=__version__, csrf_field=CSRF_FIELD, EMPTY=EMPTY, AML_STATUSES=AML_STATUSES)
    return env


templates = Jinja2Templates(env=_environment())


def render(request: Request, template: str, staff: Staff | None, *, status: int = 200,
           page: str = "", title: str = "", **context: Any) -> HTMLResponse:
    """A back-office page with its security headers."""
    response = templates.TemplateResponse(
        request, template, {"staff": staff, "page": page, "title": title,
                            "reader": reader_for(request, staff), **context},
        status_code=status)
    response.headers.update(PAGE_HEADERS)
    return response
