"""`croupier journeys …`: check journey definitions and print the ready-made ones, and on a
database list, show, create and publish stored journeys, dry run one (stored or in a file)
over a past window of the log, and read their results (docs/journeys.md, docs/measurement.md).
Creating and
publishing are staff actions (`--as` names an enabled user with journeys.edit or
journeys.publish), audited like the API's; they run `croupier.journeys.publishing`."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from croupier.cli.app import app
from croupier.cli.common import ConfigOption, DbOption, moment_option, read_config

console = Console()
journeys_app = typer.Typer(help="Journeys: check definitions, print the ready-made ones; list, show, create, "
                                "publish and dry run stored journeys.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
AsOption = Annotated[str, typer.Option("--as", help="The staff user acting (an enabled user whose role has the "
                                                    "permission); recorded in the audit log.")]
app.add_typer(journeys_app, name="journeys")


@journeys_app.command("check")
def check(files: Annotated[list[Path], typer.Argument(help="Journey definitions (JSON files; - reads standard input).")]) -> None:
    """Validate each journey definition and list every problem with its JSON path (and, in a
    condition written as text, its line and column). Exits 1 when any is invalid."""
    from croupier.journeys import JourneyError, load

    invalid = 0
    for path in files:
        name = "standard input" if str(path) == "-" else str(path)
        try:
            text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            console.print(f"[red]{name}[/]: cannot read it: {exc}")
            invalid += 1
            continue
        try:
            journey = load(text)
        except JourneyError as exc:
            invalid += 1
            console.print(f"[red]{name}[/]: {len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''}")
            for problem in exc.problems:
                console.print(f"  {problem}", markup=False, highlight=False)
            continue
        console.print(f"[green]{name}[/]: journey {journey.key!r} version {journey.version} is valid "
                      f"({len(journey.steps)} steps)")
    if invalid:
        raise typer.Exit(1)


@journeys_app.command("templates")
def templates_command(key: Annotated[str | None, typer.Argument(help="Print this ready-made journey as JSON.")] = None) -> None:
    """List the ready-made journeys, or print one as JSON to start from."""
    from croupier.journeys import TEMPLATE_KEYS, template, templates, to_json

    if key is None:
        for name, journey in templates().items():
            console.print(f"{name:22} {journey.name}", markup=False, highlight=False)
        return
    if key not in TEMPLATE_KEYS:
        console.print(f"[red]no ready-made journey {key!r}[/]; there are: {', '.join(TEMPLATE_KEYS)}")
        raise typer.Exit(2)
    sys.stdout.write(to_json(template(key)).decode() + "\n")


def _staff(conn, username: str, permission: str) -> str:  # noqa: ANN001
    from croupier.privacy import can
    from croupier.store.accounts import find_user

    user = find_user(conn, username)
    if user is None or user.disabled or not can(user.role, permission):
        console.print(f"[red]error:[/] {username!r} is not an enabled staff user with {permission}")
        raise typer.Exit(2)
    return user.username


def _print_problems(problems) -> None:  # noqa: ANN001
    for problem in problems:
        console.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)


@journeys_app.command("list")
def list_command(archived: Annotated[bool, typer.Option("--archived", help="Include archived journeys.")] = False,
                 as_json: JsonOption = False, db: DbOption = None) -> None:
    """The stored journeys: status, group, priority, live and latest version."""
    from croupier.store import journeys as store
    from croupier.store import open_database

    with open_database(db).reader.connect() as conn:
        found = store.listing(conn, archived=archived)
    if as_json:
        print(json.dumps([{"journey_id": j.journey_id, "key": j.key, "name": j.name, "status": j.status,
                           "purpose": j.purpose, "group": j.group, "priority": j.priority,
                           "live_version": j.live_version, "latest_version": j.latest_version} for j in found],
                         indent=2))
        return
    if not found:
        console.print("no journeys")
        return
    for j in found:
        live = "-" if j.live_version is None else str(j.live_version)
        console.print(f"{j.journey_id:>5}  {j.key:24} {j.status:9} {j.group:14} {j.priority:>5}  live {live:>3}  "
                      f"latest {j.latest_version:>3}  {j.name}", markup=False, highlight=False)


@journeys_app.command("show")
def show_command(journey_id: Annotated[int, typer.Argument(help="The journey's id.")],
                 version: Annotated[int | None, typer.Option("--version", help="This version (default: the "
                                                                                 "latest).")] = None,
                 db: DbOption = None) -> None:
    """A stored journey: its status and versions, then the definition (JSON) of one version,
    with its problems if it has any."""
    from croupier.journeys import from_json, problems
    from croupier.store import journeys as store
    from croupier.store import open_database

    with open_database(db).reader.connect() as conn:
        found = store.get(conn, journey_id)
        if found is None:
            console.print(f"[red]error:[/] no journey {journey_id}")
            raise typer.Exit(2)
        history = store.versions(conn, journey_id)
    wanted = found.latest_version if version is None else version
    chosen = next((v for v in history if v.version == wanted), None)
    if chosen is None:
        console.print(f"[red]error:[/] journey {journey_id} has no version {wanted}")
        raise typer.Exit(2)
    err = Console(stderr=True)
    live = "never published" if found.live_version is None else f"version {found.live_version}"
    err.print(f"{found.name} (journey {found.journey_id}, key {found.key}): {found.status}, live: {live}",
              markup=False, highlight=False)
    for v in history:
        err.print(f"  version {v.version} by {v.created_by}{': ' + v.note if v.note else ''}", markup=False,
                  highlight=False)
    found_problems = problems(from_json(chosen.definition))
    if found_problems:
        err.print(f"version {wanted} has {len(found_problems)} problem(s):")
        for problem in found_problems:
            err.print(f"  {problem}", markup=False, highlight=False)
    sys.stdout.write(chosen.definition + "\n")


@journeys_app.command("create")
def create_command(file: Annotated[Path, typer.Argument(help="A journey definition (JSON; - reads standard "
                                                             "input).", allow_dash=True)],
                   as_user: AsOption, note: Annotated[str, typer.Option("--note", help="What it is for.")] = "",
                   db: DbOption = None) -> None:
    """Store a journey (a draft, version 1) from a definition file. A definition with problems
    is stored too, and its problems listed: `publish` refuses it until a version has none."""
    from croupier.journeys import JourneyError, from_json, problems
    from croupier.journeys import publishing
    from croupier.store import open_database

    text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    try:
        journey = from_json(text)
    except JourneyError as exc:
        console.print(f"[red]not stored[/]: {len(exc.problems)} problem(s)")
        _print_problems(exc.problems)
        raise typer.Exit(1) from None
    with open_database(db).engine.begin() as conn:
        actor = _staff(conn, as_user, "journeys.edit")
        try:
            made = publishing.create(conn, journey, actor, time.time_ns() // 1000, note=note)
        except JourneyError as exc:
            console.print(f"[red]not stored[/]: {len(exc.problems)} problem(s)")
            _print_problems(exc.problems)
            raise typer.Exit(1) from None
        except publishing.JourneyStateError as exc:
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2) from None
    console.print(f"created journey [bold]{made.journey_id}[/] ({made.key}), version 1, draft")
    left = problems(journey)
    if left:
        console.print(f"{len(left)} problem(s) to fix before publishing:")
        _print_problems(left)


@journeys_app.command("publish")
def publish_command(journey_id: Annotated[int, typer.Argument(help="The journey's id.")],
                    version: Annotated[int, typer.Argument(help="The version to put live.", min=1)],
                    as_user: AsOption, db: DbOption = None) -> None:
    """Put a version of a stored journey live: validated fully and checked against the live
    journeys (equal priorities in a group are refused). Exits 1 when refused."""
    from croupier.journeys import JourneyError
    from croupier.journeys import publishing
    from croupier.store import open_database

    try:
        with open_database(db).engine.begin() as conn:
            actor = _staff(conn, as_user, "journeys.publish")
            done = publishing.publish(conn, journey_id, version, actor, time.time_ns() // 1000)
    except (JourneyError, publishing.JourneyConflict) as exc:
        console.print(f"[red]not published[/]: {len(exc.problems)} problem(s)")
        _print_problems(exc.problems)
        raise typer.Exit(1) from None
    except (publishing.JourneyNotFound, publishing.JourneyStateError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    console.print(f"journey {done.journey_id} ({done.key}) is live at version {done.live_version}")


def _dry_run_journey(db: str | None, journey_id: int | None, version: int | None, file: Path | None):  # noqa: ANN202
    """The journey to dry run, compiled: a stored version (the latest by default) or a file's."""
    import msgspec

    from croupier.journeys import JourneyError, from_json
    from croupier.journeys.run import compile_journey
    from croupier.store import journeys as store
    from croupier.store import open_database

    if (journey_id is None) == (file is None):
        raise typer.BadParameter("give a stored journey's id or --file, one of the two")
    if journey_id is not None:
        with open_database(db).reader.connect() as conn:
            found = store.get(conn, journey_id)
            if found is None:
                raise typer.BadParameter(f"no journey {journey_id}", param_hint="ID")
            number = found.latest_version if version is None else version
            chosen = store.version(conn, journey_id, number)
        if chosen is None:
            raise typer.BadParameter(f"journey {journey_id} has no version {number}: its versions are 1 to "
                                     f"{found.latest_version}", param_hint="--version")
        text = chosen.definition
    else:
        assert file is not None
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    try:
        journey = from_json(text)
        if journey_id is not None:
            journey = msgspec.structs.replace(journey, version=number)
        return compile_journey(journey)
    except JourneyError as exc:
        console.print(f"[red]cannot dry run it[/]: {len(exc.problems)} problem(s)")
        _print_problems(exc.problems)
        raise typer.Exit(1) from None


@journeys_app.command("dry-run")
def dry_run_command(
    journey_id: Annotated[int | None, typer.Argument(help="A stored journey's id (or give --file).")] = None,
    since: Annotated[str, typer.Option("--from", "--since", help="The window's start (RFC 3339 with an offset, "
                                                                 "e.g. 2026-11-01T00:00:00Z).")] = "",
    until: Annotated[str | None, typer.Option("--to", "--until", help="The window's end. Default: now.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="An unsaved journey definition (JSON; - reads standard "
                                                             "input).", allow_dash=True, dir_okay=False)] = None,
    version: Annotated[int | None, typer.Option("--version", min=1, help="The stored journey's version. Default: "
                                                                         "the latest.")] = None,
    sample: Annotated[int, typer.Option("--sample", min=0, max=200, help="Players to list with what they would "
                                                                         "have received.")] = 5,
    as_json: JsonOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """What a journey (stored, or unsaved in a file) would have done over a past window of
    the log, had it been live from the window's start: entries by day, each step's players,
    the messages, bonuses and tasks it would have made, what the compliance gate would have
    suppressed and why, and goal conversions. Nothing is sent or written."""
    from croupier.ingest.batch import config_in_force
    from croupier.journeys.dry_run import MAX_DAYS, as_dict, dry_run
    from croupier.store import open_database

    if not since:
        raise typer.BadParameter("the window's start is required", param_hint="--from")
    now_us = time.time_ns() // 1000
    since_us = moment_option(since, "--from")
    until_us = moment_option(until, "--to") if until is not None else now_us
    if since_us >= until_us:
        raise typer.BadParameter("must be before --to (default: now)", param_hint="--from")
    if until_us > now_us:
        raise typer.BadParameter("is in the future: a dry run replays what happened", param_hint="--to")
    if until_us - since_us > MAX_DAYS * 86_400_000_000:
        raise typer.BadParameter(f"a dry run covers at most {MAX_DAYS} days", param_hint="--from")
    compiled = _dry_run_journey(db, journey_id, version, file)
    database = open_database(db)
    report = dry_run(database, compiled, since_us=since_us, until_us=until_us,
                     config=config_in_force(database, read_config(config)), sample=sample)
    out = as_dict(report)
    if as_json:
        print(json.dumps({"journey_id": journey_id, **out}, indent=2, default=str))
        return
    j = out["journey"]
    say = Console(width=max(console.width, 120), highlight=False)
    say.print(f"dry run of journey {j['key']} v{j['version']} "
              f"({'journey ' + str(journey_id) if journey_id is not None else 'unsaved'}) from {out['since']} to "
              f"{out['until']}: nothing was sent or written", markup=False)
    players = out["players"]
    say.print(f"players evaluated: {players['evaluated']} of {players['with_history']} ({players['events']} events)")
    if out["cut"]:
        say.print(f"[yellow]the window was cut:[/] {out['cut']}; the counts cover the players evaluated")
    say.print(f"would have entered: {out['entered']} (held out: {out['held_out']}; {out['players_entered']} players)"
              f"\nstill in the journey at the end: {out['in_journey_at_end']}")
    days = ", ".join(f"{d['date']} {d['entered']}" + (f"+{d['held_out']}" if d["held_out"] else "")
                     for d in out["entries_per_day"])
    say.print(f"entries by day (UTC; +held out): {days}", markup=False)
    say.print("steps (reached / passed / skipped / waiting at the end):")
    for s in out["steps"]:
        ways = ", ".join(f"{k} {n}" for k, n in s.get("ways", {}).items())
        say.print(f"  {s['id']:24} {s['kind']:15} {s['reached']:>6} {s['passed']:>6} {s['skipped']:>6} "
                  f"{s['waiting_at_end']:>6}" + (f"  ({ways})" if ways else ""), markup=False)
    proposed = out["proposed"]
    say.print(f"would have proposed: {proposed['total']} (the gate would have let {proposed['allowed']} through, "
              f"suppressed {proposed['suppressed']})")
    for r in proposed["by_step"]:
        say.print(f"  {r['step']:24} {r['kind']:8} {r['channel'] or '-':8} {r['template']:28} {r['proposed']:>6} "
                  f"proposed, {r['allowed']} let through", markup=False)
    for r in out["suppressed"]["by_reason"]:
        say.print(f"  suppressed {r['proposals']:>6}  {r['code']}: {r['text']}", markup=False)
    for r in out["refused"]:
        say.print(f"  refused entry {r['entries']:>6}  {r['reason']}: {r['text']}", markup=False)
    for r in out["exited"]:
        say.print(f"  left {r['players']:>6}  {r['reason']}: {r['text']}", markup=False)
    for g in out["goals"]:
        say.print(f"goal {g['name']}: {g['players']} players converted ({g['held_out_players']} of those held out)",
                  markup=False)
    if out["tasks"]["total"]:
        say.print(f"tasks it would have created: {out['tasks']['total']}")
        for t in out["tasks"]["by_step"]:
            say.print(f"  {t['step']:24} {t['queue']:12} {t['tasks']:>6}  {t['title']}", markup=False)
    if out["sample"]:
        say.print("first entrants:")
    for p in out["sample"]:
        entries = ", ".join(e["at"] + (" (held out)" if e["held_out"] else "") for e in p["entries"])
        say.print(f"  {p['player_id']}: entered {entries}", markup=False)
        for r in p["received"]:
            verdict = "let through" if r["allowed"] else "suppressed: " + "; ".join(
                f"{x['code']} ({x['text']})" for x in r["reasons"])
            say.print(f"    {r['at']}  {r['step']}: {r['kind']} {r['template']}"
                      f"{' by ' + r['channel'] if r['channel'] else ''}, {verdict}", markup=False)
        for t in p["tasks"]:
            say.print(f"    {t['at']}  {t['step']}: task for {t['queue']}: {t['title']}", markup=False)
@journeys_app.command("results")
def results_command(journey_id: Annotated[int, typer.Argument(help="The journey's id.")],
                    goal: Annotated[str | None, typer.Option("--goal", help="The goal counted as conversion "
                                                                            "(default: the first).")] = None,
                    currency: Annotated[str | None, typer.Option("--currency", help="Report money in this "
                                                                                    "currency.")] = None,
                    as_json: JsonOption = False, db: DbOption = None, config: ConfigOption = None) -> None:
    """A journey's results: per variant and for the control, players, conversions, deposits and
    GGR in the goal's window, and each variant's uplift with its 95 % confidence sequence and
    verdict (the same figures as GET /v1/journeys/{id}/results)."""
    from croupier.analytics.journey_results import NotMeasurable, journey_results
    from croupier.ingest.batch import config_in_force
    from croupier.store import open_database

    database = open_database(db)
    in_force = config_in_force(database, read_config(config))
    try:
        with database.reader.connect() as conn:
            found = journey_results(conn, journey_id, in_force, time.time_ns() // 1000, goal=goal,
                                    currency=currency)
    except NotMeasurable as exc:
        console.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    if found is None:
        console.print(f"[red]error:[/] no journey {journey_id}")
        raise typer.Exit(2)
    if as_json:
        import msgspec

        encoded = msgspec.json.Encoder(decimal_format="number").encode(found)
        print(msgspec.json.format(encoded, indent=2).decode())
        return
    console.print(f"{found['name']} (journey {journey_id}, key {found['key']}, version {found['version']}): "
                  f"{found['words']}", markup=False, highlight=False)
    if not found["measurable"]:
        return
    cur = found["currency"]
    console.print(f"goal {found['goal']} within {found['window_seconds'] // 3600} h of entering; money in {cur}",
                  markup=False, highlight=False)
    for a in found["arms"]:
        console.print(f"  {a['arm'] + (' (control)' if a['control'] else ''):24} {a['players']:>8} players "
                      f"{a['conversions']:>8} converted {a['conversion_rate'] * 100:7.2f} %  "
                      f"deposits {a['deposits']:>14}  GGR {a['ggr']:>14}", markup=False, highlight=False)
    for c in found["comparisons"]:
        line = f"  {c['variant']} against {c['against']}: {c['verdict']}"
        if c["metrics"]:
            cs = c["metrics"]["conversion"]["sequence_95"]
            line += (f"; conversion uplift {c['metrics']['conversion']['absolute'] * 100:+.2f} points "
                     f"(95 % confidence sequence {cs['low'] * 100:+.2f} to {cs['high'] * 100:+.2f})")
        console.print(line, markup=False, highlight=False)
