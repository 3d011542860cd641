"""`croupier segments …`: list, show, create, preview and list the members of segments, on the
database directly (the same storage and batch copy as /v1/segments)."""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from croupier.cli.app import app
from croupier.cli.common import ConfigOption, DbOption, moment_option, read_config

console = Console()
segments_app = typer.Typer(help="Segments: definitions over the feature catalogue, their counts and members.",
                           no_args_is_help=True)
app.add_typer(segments_app, name="segments")

PurposeOption = Annotated[str, typer.Option(
    "--purpose", help="promotional (leaves out the players the compliance gate would hold back), service or "
                      "safer_play.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _definition(text: str | None, file: Path | None) -> Any:
    """The validated definition from --text or --file (text, or JSON when the file holds an object)."""
    from croupier.segments import SegmentError, load_json, parse_valid

    if (text is None) == (file is None):
        raise typer.BadParameter("give the definition with --text or --file, one of the two")
    source = text if text is not None else file.read_text(encoding="utf-8")  # type: ignore[union-attr]
    try:
        return load_json(source) if source.lstrip().startswith("{") else parse_valid(source)
    except SegmentError as exc:
        for problem in exc.problems:
            console.print(f"[red]error:[/] {problem}")
        raise typer.Exit(2) from None


def _purpose(purpose: str) -> str:
    from croupier.store.segments import PURPOSES

    if purpose not in PURPOSES:
        raise typer.BadParameter(f"one of {', '.join(PURPOSES)}", param_hint="--purpose")
    return purpose


def _copy(db: str | None, config: Path | None) -> Any:
    """The batch copy of every stored player state, as of now."""
    from croupier.ingest.batch import config_in_force
    from croupier.segments.batch import build_from_states
    from croupier.store import open_database
    from croupier.store.states import all_states

    database = open_database(db)
    in_force = config_in_force(database, read_config(config))
    with database.reader.connect() as conn:
        return build_from_states(all_states(conn), time.time_ns() // 1000, in_force)


def _stored(db: str | None, segment_id: int) -> Any:
    from croupier.store import open_database
    from croupier.store import segments as store

    with open_database(db).reader.connect() as conn:
        found = store.get(conn, segment_id)
        versions = store.versions(conn, segment_id) if found else []
    if found is None:
        console.print(f"[red]error:[/] no segment {segment_id}")
        raise typer.Exit(2)
    return found, versions


def _stored_in(conn: Any, segment_id: int) -> Any:
    from croupier.store import segments as store

    found = store.get(conn, segment_id)
    if found is None:
        console.print(f"[red]error:[/] no segment {segment_id}")
        raise typer.Exit(2)
    return found


@segments_app.command("list")
def list_command(archived: Annotated[bool, typer.Option("--archived", help="Include archived segments.")] = False,
                 as_json: JsonOption = False, db: DbOption = None) -> None:
    """The segments, oldest first."""
    from croupier.store import open_database
    from croupier.store import segments as store

    with open_database(db).reader.connect() as conn:
        found = store.listing(conn, archived=archived)
    if as_json:
        print(json.dumps([{"segment_id": s.segment_id, "version": s.version, "name": s.name, "purpose": s.purpose,
                           "archived": s.archived, "text": s.text} for s in found], indent=2))
        return
    table = Table(title="Segments")
    for heading in ("id", "version", "name", "purpose", "definition"):
        table.add_column(heading)
    for s in found:
        table.add_row(str(s.segment_id), str(s.version), s.name + (" (archived)" if s.archived else ""), s.purpose,
                      s.text)
    Console(width=max(console.width, 120)).print(table)


@segments_app.command("show")
def show_command(segment_id: Annotated[int, typer.Argument(help="The segment's id.")], as_json: JsonOption = False,
                 db: DbOption = None) -> None:
    """One segment: its definition in words, text and JSON, and its versions."""
    from croupier.segments import load_json, summarise

    found, versions = _stored(db, segment_id)
    summary = summarise(load_json(found.definition))
    if as_json:
        print(json.dumps({"segment_id": found.segment_id, "version": found.version, "name": found.name,
                          "description": found.description, "purpose": found.purpose, "archived": found.archived,
                          "text": found.text, "summary": summary, "definition": json.loads(found.definition),
                          "versions": [{"version": v.version, "text": v.text, "edited_by": v.edited_by,
                                        "archived": v.archived} for v in versions]}, indent=2))
        return
    console.print(f"[bold]{found.name}[/] (segment {found.segment_id}, version {found.version}, {found.purpose}"
                  f"{', archived' if found.archived else ''})")
    if found.description:
        console.print(found.description)
    console.print(f"text: {found.text}\nin words: {summary}\nJSON: {found.definition}")
    for v in versions:
        console.print(f"  version {v.version} by {v.edited_by}: {v.text}{' (archived)' if v.archived else ''}")


@segments_app.command("create")
def create_command(
    name: Annotated[str, typer.Option("--name", help="The segment's name (unique among active segments).")],
    as_user: Annotated[str, typer.Option("--as", help="The staff user creating it (an enabled user whose role "
                                                      "has segments.edit); recorded in the audit log.")],
    text: Annotated[str | None, typer.Option("--text", help="The definition in the segment language.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="A file with the definition (text, or the JSON form).",
                                              exists=True, dir_okay=False)] = None,
    purpose: PurposeOption = "promotional",
    description: Annotated[str, typer.Option("--description", help="What the segment is for.")] = "",
    db: DbOption = None,
) -> None:
    """Create a segment (version 1)."""
    from croupier.privacy import can
    from croupier.segments import to_json, to_text
    from croupier.store import audit as audit_store
    from croupier.store import open_database
    from croupier.store import segments as store
    from croupier.store.accounts import find_user

    node = _definition(text, file)
    purpose = _purpose(purpose)
    name = name.strip()
    if not name or len(name) > 200:
        raise typer.BadParameter("1 to 200 characters", param_hint="--name")
    now_us = time.time_ns() // 1000
    with open_database(db).engine.begin() as conn:
        user = find_user(conn, as_user)
        if user is None or user.disabled or not can(user.role, "segments.edit"):
            console.print(f"[red]error:[/] {as_user!r} is not an enabled staff user with segments.edit")
            raise typer.Exit(2)
        if store.active_named(conn, name) is not None:
            console.print(f"[red]error:[/] a segment named {name!r} exists")
            raise typer.Exit(2)
        made = store.create(conn, name=name, description=description.strip(), purpose=purpose,
                            definition=to_json(node).decode(), text=to_text(node), actor=user.username, now_us=now_us)
        audit_store.append(conn, [audit_store.Entry(now_us, actor=user.username, kind="segment.created",
                                                    subject=str(made.segment_id), body={
                                                        "segment_id": made.segment_id, "version": 1, "name": name,
                                                        "purpose": purpose, "text": made.text, "archived": False,
                                                        "via": "cli"})])
    console.print(f"created segment [bold]{made.segment_id}[/]: {made.text}")


def _print_answer(answer: Any, purpose: str, as_json: bool) -> None:
    from croupier.compliance.reasons import explain

    if as_json:
        print(json.dumps({"count": answer.count, "sample": answer.sample, "purpose": purpose,
                          "left_out": {"total": answer.left_out_total, "by_reason": [
                              {"code": c, "text": explain(c).text, "players": n} for c, n in answer.left_out.items()]}},
                         indent=2))
        return
    console.print(f"[bold]{answer.count}[/] players match")
    if answer.sample:
        console.print("sample: " + ", ".join(answer.sample))
    if purpose == "promotional":
        console.print(f"left out (the gate would hold a promotion back): {answer.left_out_total}")
        for code, n in answer.left_out.items():
            console.print(f"  {n:>8}  {code}: {explain(code).text}")


@segments_app.command("preview")
def preview_command(
    text: Annotated[str | None, typer.Option("--text", help="The definition in the segment language.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="A file with the definition (text or JSON).",
                                              exists=True, dir_okay=False)] = None,
    purpose: PurposeOption = "promotional",
    sample: Annotated[int, typer.Option("--sample", min=0, max=1000, help="Player ids to show.")] = 20,
    as_json: JsonOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Count and sample the players an unsaved definition matches now, with who a promotional
    segment leaves out and why."""
    from croupier.segments.batch import count

    node = _definition(text, file)
    purpose = _purpose(purpose)
    copy = _copy(db, config)
    _print_answer(count(copy, node, promotional=purpose == "promotional", sample=sample), purpose, as_json)


@segments_app.command("members")
def members_command(
    segment_id: Annotated[int, typer.Argument(help="The segment's id.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the CSV here. Default: standard output.",
                                             dir_okay=False)] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Every member of a stored segment now, as CSV (player_id)."""
    from croupier.segments import load_json
    from croupier.segments.batch import all_members

    found, _ = _stored(db, segment_id)
    if found.archived:
        console.print(f"[red]error:[/] segment {segment_id} is archived")
        raise typer.Exit(2)
    copy = _copy(db, config)
    node = load_json(found.definition)
    handle = out.open("w", newline="", encoding="utf-8") if out else sys.stdout
    try:
        writer = csv.writer(handle)
        writer.writerow(["player_id"])
        n = 0
        for pid in all_members(copy, node, promotional=found.purpose == "promotional"):
            writer.writerow([pid])
            n += 1
    finally:
        if out:
            handle.close()
    if out:
        console.print(f"{n} members of segment {segment_id} written to {out}")


@segments_app.command("dry-run")
def dry_run_command(
    segment_id: Annotated[int | None, typer.Argument(help="A stored segment's id (or give --text / --file).")] = None,
    since: Annotated[str, typer.Option("--since", help="The window's start (RFC 3339 with an offset, e.g. "
                                                       "2026-11-01T00:00:00Z).")] = "",
    until: Annotated[str | None, typer.Option("--until", help="The window's end. Default: now.")] = None,
    text: Annotated[str | None, typer.Option("--text", help="An unsaved definition in the segment language.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="A file with an unsaved definition (text or JSON).",
                                              exists=True, dir_okay=False)] = None,
    purpose: Annotated[str | None, typer.Option("--purpose", help="promotional (entrants are put to the gate), "
                                                "service or safer_play. Default: the segment's, else promotional.")]
    = None,
    sample: Annotated[int, typer.Option("--sample", min=0, max=1000, help="Entries to list, earliest first.")] = 20,
    as_json: JsonOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """What a segment (or an unsaved definition) would have done over a past window of the
    log, had it been live from the window's start: entries and exits by day, and whom the
    gate would have held back. Nothing is sent or written."""
    from croupier.compliance.reasons import explain
    from croupier.ingest.batch import config_in_force
    from croupier.segments import load_json
    from croupier.segments.dry_run import MAX_DAYS, as_dict, dry_run
    from croupier.store import open_database

    if not since:
        raise typer.BadParameter("the window's start is required", param_hint="--since")
    if segment_id is not None and (text is not None or file is not None):
        raise typer.BadParameter("give a segment id or --text / --file, not both")
    now_us = time.time_ns() // 1000
    since_us = moment_option(since, "--since")
    until_us = moment_option(until, "--until") if until is not None else now_us
    if since_us >= until_us:
        raise typer.BadParameter("must be before --until (default: now)", param_hint="--since")
    if until_us > now_us:
        raise typer.BadParameter("is in the future: a dry run replays what happened", param_hint="--until")
    if until_us - since_us > MAX_DAYS * 86_400_000_000:
        raise typer.BadParameter(f"a dry run covers at most {MAX_DAYS} days", param_hint="--since")
    stored = None
    if segment_id is not None:
        stored, _ = _stored(db, segment_id)
        node = load_json(stored.definition)
    else:
        node = _definition(text, file)
    chosen = _purpose(purpose if purpose is not None else stored.purpose if stored is not None else "promotional")
    database = open_database(db)
    report = dry_run(database, node, since_us=since_us, until_us=until_us,
                     config=config_in_force(database, read_config(config)), purpose=chosen,
                     segment_id=segment_id, sample=sample)
    out = as_dict(report)
    if as_json:
        print(json.dumps({"segment_id": segment_id, **out}, indent=2))
        return
    players = out["players"]
    console.print(f"dry run of {'segment ' + str(segment_id) if segment_id else 'an unsaved definition'} "
                  f"({chosen}) from {out['since']} to {out['until']}: nothing was sent or written")
    console.print(f"players evaluated: {players['evaluated']} of {players['with_history']} "
                  f"({players['events']} events)")
    if out["cut"]:
        console.print(f"[yellow]the window was cut:[/] {out['cut']}; the counts cover the players evaluated")
    console.print(f"already in at the start: {out['already_in']}\nwould have entered: {out['entered']} "
                  f"({out['players_entered']} players)\nwould have left: {out['left']}\n"
                  f"in at the end: {out['in_at_end']}")
    table = Table(title="Entries by day (UTC)")
    for heading in ("date", "entered", "left"):
        table.add_column(heading, justify="right" if heading != "date" else "left")
    for row in out["entries_per_day"]:
        table.add_row(row["date"], str(row["entered"]), str(row["left"]))
    Console(width=max(console.width, 100)).print(table)
    if chosen == "promotional":
        held = out["held_back"]
        console.print(f"held back by the gate at entry: {held['total']} of {out['entered']}")
        for r in held["by_reason"]:
            console.print(f"  {r['entries']:>8}  {r['code']}: {explain(r['code']).text}")
    if out["sample"]:
        console.print("first entries:")
        for e in out["sample"]:
            console.print(f"  {e['entered_at']}  {e['player_id']}"
                          + (f"  (held: {e['held']['code']})" if e["held"] else ""))


@segments_app.command("live")
def live_command(
    segment_id: Annotated[int, typer.Argument(help="The segment's id.")],
    as_user: Annotated[str, typer.Option("--as", help="The staff user (with segments.edit); recorded in the audit "
                                                      "log.")],
    off: Annotated[bool, typer.Option("--off", help="Switch real-time membership off instead.")] = False,
    db: DbOption = None,
) -> None:
    """Put a segment's current version live for real-time membership (entries and exits
    written to the log as croupier.segment_entered / segment_left), or switch it off. A
    running server's engine follows at once; existing players are evaluated by its sweep."""
    from croupier.privacy import can
    from croupier.segments.realtime import go_live, switch_off
    from croupier.store import audit as audit_store
    from croupier.store import open_database
    from croupier.store.accounts import find_user

    now_us = time.time_ns() // 1000
    with open_database(db).engine.begin() as conn:
        user = find_user(conn, as_user)
        if user is None or user.disabled or not can(user.role, "segments.edit"):
            console.print(f"[red]error:[/] {as_user!r} is not an enabled staff user with segments.edit")
            raise typer.Exit(2)
        found = _stored_in(conn, segment_id)
        if not off and found.archived:
            console.print(f"[red]error:[/] segment {segment_id} is archived: it cannot go live")
            raise typer.Exit(2)
        written = (switch_off(conn, segment_id, actor=user.username, now_us=now_us) if off
                   else go_live(conn, found, actor=user.username, now_us=now_us))
        if written:
            audit_store.append(conn, [audit_store.Entry(now_us, actor=user.username,
                                                        kind="segment.off" if off else "segment.live",
                                                        subject=str(segment_id), body={
                                                            "segment_id": segment_id, "version": found.version,
                                                            "name": found.name, "purpose": found.purpose,
                                                            "text": found.text, "archived": found.archived,
                                                            "via": "cli"})])
    if not written:
        console.print(f"segment {segment_id} was {'not live' if off else f'live at version {found.version}'} already")
    elif off:
        console.print(f"segment [bold]{segment_id}[/] switched off")
    else:
        console.print(f"segment [bold]{segment_id}[/] live at version {found.version}: {found.text}")
