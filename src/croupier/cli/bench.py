"""`croupier bench …`: measured figures with the ceiling measured in the same run."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from croupier.cli.app import app

console = Console()
bench_app = typer.Typer(help="Benchmarks (figures, not tests).", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@bench_app.command("ingest")
def bench_ingest_command(
    events: Annotated[int, typer.Option("--events", help="Simulated events to push through.")] = 1_000_000,
    batch: Annotated[int, typer.Option("--batch", help="Events per request body (one durable commit each).")] = 1_000,
    shadow: Annotated[str | None, typer.Option(
        "--shadow", help="A JSON merge patch against the configuration in force, proposed and run in shadow "
                         "on the live stream for the whole run, e.g. '{\"jurisdictions\": {\"SE\": "
                         "{\"rg\": {\"score_levels\": [300, 700, 3000, 7000]}}}}'.")] = None,
    segments: Annotated[int, typer.Option(
        "--segments", min=0, help="Live segments switched on before a second run of the same events (a mix of "
                                  "play, deposit, session, RG and protection conditions); its figures are "
                                  "printed beside the plain run's, with the engagement layer's cost.")] = 0,
    journeys: Annotated[int, typer.Option(
        "--journeys", min=0, help="Journeys published before that second run (the ready-made templates' steps "
                                  "under varied triggers: deposits, logins, bets, sessions, entering one of "
                                  "the live segments).")] = 0,
) -> None:
    """Simulated events through the whole pipeline (validate, store durably, features,
    detectors, reactions, gate, audit) on embedded SQLite, on one core; with --shadow, a
    proposed configuration evaluated beside the live one on every batch; with --segments
    and/or --journeys, the same events again with the engagement layer switched on."""
    import json

    from croupier.bench import bench_ingest, machine

    try:
        patch = json.loads(shadow) if shadow is not None else None
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"--shadow is not JSON: {exc.msg} at column {exc.colno}") from None
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console) as bar:
        tasks = {"generate": bar.add_task("generating events", total=events),
                 "pipeline": bar.add_task("pipeline", total=events)}
        if segments or journeys:
            tasks["engaged"] = bar.add_task("pipeline, engagement on", total=events)
        r = bench_ingest(events, batch, progress=lambda phase, n: bar.update(tasks[phase], completed=n),
                         shadow=patch, segments=segments, journeys=journeys)
    console.print(f"\n[bold]croupier bench ingest[/] --events {events} --batch {batch}"
                  + (f" --shadow '{shadow}'" if shadow is not None else "")
                  + (f" --segments {segments} --journeys {journeys}" if segments or journeys else ""))
    console.print(f"machine: {machine()}   date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
    console.print(f"events: {r.events:,} for {r.players:,} players in {r.batches:,} batches "
                  f"(generated in {r.generate_seconds:.1f} s)")
    console.print(f"  pipeline          {r.pipeline_rate:>12,.0f} events/s   ({r.pipeline_seconds:.1f} s, "
                  f"{r.decisions:,} gate decisions audited)")
    console.print(f"  latency           p50 {r.latency_p50_ms:.1f} ms   p99 {r.latency_p99_ms:.1f} ms "
                  "(event received -> state, decisions and audit committed)")
    console.print(f"  ceiling: decode   {r.decode_rate:>12,.0f} events/s   (msgspec JSON decode only)")
    console.print(f"  ceiling: append   {r.append_rate:>12,.0f} events/s   (sqlite3 durable append with PK dedupe only)")
    console.print(f"  memory            peak RSS {r.rss_peak_mb:,.0f} MiB (includes the generated events); "
                  f"player state {r.state_bytes_per_player:,.0f} bytes resident per player")
    if r.shadow is not None:
        counts = r.shadow["counts"] or {}
        console.print(f"  shadow            {r.shadow['version']}: {r.shadow['events']:,} events evaluated beside "
                      f"the live version, {r.shadow['players_folded']:,} players folded with it; decisions "
                      f"{counts.get('decisions')}, players {counts.get('players')}")
    if r.engaged is not None:
        _print_engaged(r)
    for note in [*r.notes, *(r.engaged.notes if r.engaged is not None else [])][:5]:
        console.print(f"  note: {note}")


def _print_engaged(r) -> None:  # noqa: ANN001 - an IngestBench with `engaged`
    e = r.engaged
    cost = r.cost()
    console.print(f"  engagement on      {e.live_segments} live segments, {e.live_journeys} published journeys "
                  f"({e.segment_triggered} triggered by entering a segment), same events, own database:")
    console.print(f"    pipeline        {e.pipeline_rate:>12,.0f} events/s   ({e.pipeline_seconds:.1f} s, "
                  f"{e.decisions:,} gate decisions audited)   plain {r.pipeline_rate:,.0f} events/s")
    console.print(f"    latency         p50 {e.latency_p50_ms:.1f} ms   p99 {e.latency_p99_ms:.1f} ms   "
                  f"plain p50 {r.latency_p50_ms:.1f} ms   p99 {r.latency_p99_ms:.1f} ms")
    console.print(f"    did             {e.segment_moves:,} segment entries and exits; {e.in_journeys:,} players "
                  f"in a journey at the end")
    console.print(f"    cost            {cost:.1%} of the plain throughput (budget: at most 20 %)")


@bench_app.command("gate")
def bench_gate_command(
    players: Annotated[int, typer.Option("--players", help="Simulated players whose states the gate judges.")] = 2_000,
    days: Annotated[int, typer.Option("--days", help="Days of simulated history behind each state.")] = 10,
    rounds: Annotated[int, typer.Option("--rounds", help="Decisions per player and action kind.")] = 5,
) -> None:
    """The compliance gate's latency per proposed action, in process, on real player states."""
    from croupier.bench import machine
    from croupier.bench.gate import bench_gate

    with console.status("running the simulator through the engine to build player states…"):
        r = bench_gate(players, days, rounds)
    console.print(f"\n[bold]croupier bench gate[/] --players {players} --days {days} --rounds {rounds}")
    console.print(f"machine: {machine()}   date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
    console.print(f"states: {r.players:,} players built from {r.events:,} simulated events")
    table = Table()
    table.add_column("action", no_wrap=True)
    for name in ("decisions", "allowed (of players)", "p50 µs", "p99 µs", "max µs"):
        table.add_column(name, justify="right")
    for t in r.timings:
        table.add_row(t.action, f"{t.decisions:,}", f"{t.allowed:,}", f"{t.p50_us:.1f}", f"{t.p99_us:.1f}",
                      f"{t.max_us:.1f}")
    console.print(table)
    console.print(f"  timing floor (an empty timed call): p99 {r.floor_p99_us:.2f} µs; budget: p99 < 200 µs per action")


@bench_app.command("wallet")
def bench_wallet_command(
    rate: Annotated[int, typer.Option("--rate", help="Target requests per second.")] = 1_000,
    seconds: Annotated[float, typer.Option("--seconds", help="Measured seconds (after a 2 s warm-up).")] = 10.0,
    players: Annotated[int, typer.Option("--players", help="Players, each with five limits in force.")] = 1_000,
    connections: Annotated[int, typer.Option("--connections", help="Keep-alive HTTP connections.")] = 32,
    database: Annotated[str | None, typer.Option(
        "--database", help="A PostgreSQL server URL to run on (a scratch database is created there and "
                           "dropped after); default: an embedded SQLite file.")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="API processes (PostgreSQL only).")] = 1,
) -> None:
    """Deposits and bets over HTTP against the real app (uvicorn in its own process, SQLite),
    every limit checked in the posting transaction; GET /v1/health on the same server is the ceiling."""
    from croupier.bench.wallet import bench_wallet, machine

    console.print("preparing players, limits and a running server…")
    if workers > 1 and not (database or "").startswith("postgres"):
        raise typer.BadParameter("several workers need --database postgresql://…", param_hint="--workers")
    r = bench_wallet(rate, seconds, players, connections, database=database, workers=workers)
    w, c = r.wallet, r.ceiling
    console.print(f"\n[bold]croupier bench wallet[/] --rate {rate} --seconds {seconds:g} --players {players} "
                  f"--connections {connections}" + (f" --database {database.split('@')[-1]}" if database else "")
                  + (f" --workers {workers}" if workers > 1 else ""))
    console.print(f"machine: {machine()}   date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC   "
                  f"load average at start: {r.load_average:.2f}")
    storage = "SQLite, fsync per commit" if r.database.startswith("sqlite") else "PostgreSQL"
    console.print(f"  wallet (1 deposit : 3 bets, {r.limits_per_player} limits per player, {storage}, "
                  f"{r.workers} API process{'es' if r.workers > 1 else ''})")
    console.print(f"    achieved        {w.rate:>8,.0f} requests/s of {rate:,} targeted ({w.requests:,} requests)")
    console.print(f"    latency         p50 {w.pct(0.5):.2f} ms   p99 {w.pct(0.99):.2f} ms   "
                  f"max {max(w.latencies_ms, default=0):.1f} ms   (from when each request was due)")
    console.print(f"    statuses        {dict(sorted(w.statuses.items()))}")
    if w.cpu_ms_per_request is not None:
        console.print(f"    server CPU      {w.cpu_ms_per_request:.3f} ms per request (all threads: HTTP, "
                      f"posting, commit, engine)")
    console.print("  ceiling: GET /v1/health on the same server, same rate")
    console.print(f"    achieved        {c.rate:>8,.0f} requests/s   p50 {c.pct(0.5):.2f} ms   p99 {c.pct(0.99):.2f} ms"
                  + (f"   server CPU {c.cpu_ms_per_request:.3f} ms per request" if c.cpu_ms_per_request else ""))
    console.print("  budget (DESIGN.md): p99 < 10 ms at 1,000 requests/s")


@bench_app.command("detectors")
def bench_detectors_command(
    players: Annotated[int, typer.Option("--players", help="Simulated players.")] = 3_000,
    days: Annotated[int, typer.Option("--days", help="Simulated days.")] = 60,
    seed: Annotated[int, typer.Option("--seed", help="Simulator seed of the history the figures are reported on.")] = 7,
    train_seed: Annotated[int, typer.Option(
        "--train-seed", help="Simulator seed of the separate history the trained model learns from "
                             "(must differ from --seed).")] = 11,
    trained: Annotated[bool, typer.Option(
        "--trained/--no-trained", help="Also train the operator's RG model on the --train-seed history "
                                       "(the `croupier models train rg` pipeline) and report it beside the "
                                       "default scorecard. Training needs 20 gambling-harm exclusions in that "
                                       "history: the default size has them; a small run (a thousand players "
                                       "over a month) says it could not train.")] = False,
    raw_scorecard: Annotated[bool, typer.Option(
        "--raw-scorecard", help="Score with the shipped scorecard before its calibration: the calibration "
                                "line then shows the fit the scorecard's calibration holds (refit it on "
                                "--seed 11 after changing a weight).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as one JSON document.")] = False,
) -> None:
    """The RG risk score against the simulator's ground truth: AUC, precision and recall per
    level, the share of players without harm flagged, and the days from the start of harm to
    the first intervention; for the default scorecard and (--trained) a model trained on a
    separate simulated history."""
    import dataclasses
    import json
    import sys

    from croupier.bench import machine
    from croupier.bench.detectors import bench_detectors

    if train_seed == seed:
        console.print(f"[red]--train-seed must differ from --seed (both {seed})[/]: a model scored on the history "
                      "it was trained on flatters itself. Pick another training seed.")
        raise typer.Exit(2)
    if as_json:
        r = bench_detectors(players, days, seed, train_seed=train_seed, trained=trained, raw_scorecard=raw_scorecard)
        document = {"command": f"croupier bench detectors --players {players} --days {days} --seed {seed} "
                               f"--train-seed {train_seed}" + (" --trained" if trained else "")
                               + (" --raw-scorecard" if raw_scorecard else ""),
                    "machine": machine(), "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    **dataclasses.asdict(r)}
        for report in (document["default"], document["trained"]):
            if report is not None:
                report.pop("days_to_intervention", None)
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console) as bar:
        task = bar.add_task("simulating", total=None)
        r = bench_detectors(players, days, seed, train_seed=train_seed, trained=trained, raw_scorecard=raw_scorecard,
                            progress=lambda phase, n, total: bar.update(task, description=phase, completed=n,
                                                                        total=total))
    console.print(f"\n[bold]croupier bench detectors[/] --players {players} --days {days} --seed {seed} "
                  f"--train-seed {train_seed}" + (" --trained" if trained else "")
                  + (" --raw-scorecard" if raw_scorecard else ""))
    console.print(f"machine: {machine()}   date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
    console.print(f"events: {r.events:,} simulated in {r.simulate_seconds:.1f} s CPU")
    patterns = ", ".join(f"{n} {k}" for k, n in r.positives_by_pattern.items())
    console.print(f"players who bet: {r.positives + r.negatives + r.pending:,} ({r.non_bettors:,} who never bet "
                  f"left out); harmed within the run: {r.positives} ({patterns}; {r.positives_excluded} later "
                  f"self-excluded for gambling reasons); harm still ahead, left out: {r.pending}; without harm: "
                  f"{r.negatives:,} ({r.heavy_healthy} heavy but healthy)")
    reports = [x for x in (r.default, r.trained) if x is not None]
    table = Table("", *[x.model for x in reports])
    def row(label: str, values: list[str]) -> None:
        table.add_row(label, *values)
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    row("AUC, highest score by evaluation", [fmt(x.auc_max) for x in reports])
    row("AUC, score at evaluation", [fmt(x.auc_at_evaluation) for x in reports])
    for i, level in enumerate(("low", "medium", "high", "severe")):
        row(f"≥ {level}: flagged / precision / recall",
            [f"{x.levels[i].flagged:,} / {x.levels[i].precision:.2f} / {x.levels[i].recall:.2f}" for x in reports])
    row("without harm flagged ≥ medium", [f"{x.negatives_flagged_medium:.1%}" for x in reports])
    row("highest score without harm, p90 / p95 / p99 / p99.7",
        [" / ".join(f"{v / 10_000:.3f}" for v in x.negative_peaks_bp.values()) for x in reports])
    row("  of them heavy but healthy", [f"{x.heavy_healthy_flagged_medium:.1%}" for x in reports])
    row("calibration at evaluation: Platt a, b (0, 1 = calibrated)",
        [", ".join(f"{v:+.2f}" for v in x.calibration.get("platt", ())) or "n/a" for x in reports])
    for band in ("none", "low", "medium", "high", "severe"):
        row(f"  score band {band}: players / mean score / harmed",
            [next((f"{b['players']:,} / {b['mean_score']:.3f} / {b['harmed_share']:.3f}"
                   for b in x.calibration.get("bands", ()) if b["level"] == band), "-") for x in reports])
    for pattern in r.positives_by_pattern:
        row(f"harmed {pattern}: AUC at evaluation / recall ≥ medium",
            [f"{fmt(x.by_pattern[pattern][0])} / {x.by_pattern[pattern][1]:.2f}" for x in reports])
    row("harm → first intervention, median days",
        ["n/a" if x.median_days_harm_to_intervention is None else f"{x.median_days_harm_to_intervention:.1f}"
         for x in reports])
    row("harmed with an intervention by evaluation", [f"{x.intervened} of {r.positives}" for x in reports])
    row("engine CPU", [f"{x.core_seconds:.1f} s ({r.events / max(x.core_seconds, 1e-9):,.0f} events/s)"
                       for x in reports])
    console.print(table)
    if r.trained is None:
        console.print(f"  trained model: not run ({r.trained_note or 'add --trained'})")
    else:
        console.print(f"  trained model: {r.trained_note}; training took {r.train_seconds:.1f} s CPU")
    d = r.default
    assert d is not None
    console.print(f"  interventions (default scorecard): {d.interventions}; safer-play messages "
                  f"{d.rg_messages:,}, allowed by the gate {d.rg_messages_allowed:,}")
    markers = Table("marker (default scorecard)", "harmed", "without harm")
    for name, (pos, neg) in d.marker_rates.items():
        markers.add_row(name, f"{pos:.0%}", f"{neg:.1%}")
    console.print(markers)
    moods = ", ".join(f"{m} {flagged}/{n}" for m, (n, flagged) in r.sentiment.items())
    console.print(f"  sentiment on the run's support messages (flagged distressed / messages): {moods}; "
                  f"distress precision {r.distress_precision:.2f}, recall {r.distress_recall:.2f}")


@bench_app.command("segments")
def bench_segments_command(
    players: Annotated[int, typer.Option("--players", min=1, help="Synthetic players in the columnar copy.")] = 1_000_000,
    runs: Annotated[int, typer.Option("--runs", min=1, help="Timed runs of each segment (the median is reported).")] = 5,
    states: Annotated[int, typer.Option(
        "--states", min=0, help="Also build the real copy from this many simulated players' states (the Python "
                                "pass over compute_features and the gate) and check it against the evaluator; "
                                "0 skips it.")] = 1_000,
    days: Annotated[int, typer.Option("--days", min=1, help="Days of simulated history behind those states.")] = 30,
    live: Annotated[int, typer.Option(
        "--live", min=0, help="Also time real-time membership: a simulated stream folded with this many live "
                              "segments and with none; 0 skips it.")] = 100,
    live_players: Annotated[int, typer.Option("--live-players", min=1,
                                              help="Simulated players behind that stream.")] = 1_000,
) -> None:
    """Batch segment membership in DuckDB: a 3-condition promotional segment's count, left-out
    counts and 100-player sample, and the seed segment's, over synthetic players' values; and
    real-time membership's cost per event with `--live` live segments."""
    from croupier.bench import machine
    from croupier.bench.segments import bench_segments

    with console.status("generating the synthetic players' values in the columnar copy…"):
        r = bench_segments(players, runs, states=states, days=days)
    console.print(f"\n[bold]croupier bench segments[/] --players {players} --runs {runs} --states {states} "
                  f"--days {days} --live {live} --live-players {live_players}")
    console.print(f"machine: {machine()}   date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC   "
                  f"DuckDB threads: {r.threads}")
    console.print(f"copy: {r.players:,} players' values generated in DuckDB in {r.build_seconds:.2f} s")
    table = Table()
    for name in ("segment", "members", "left out", "sample", "median ms", "best ms", "ceiling ms (hand SQL)"):
        table.add_column(name, justify="left" if name == "segment" else "right")
    for t in r.timings:
        table.add_row(t.name, f"{t.count:,}", f"{t.left_out:,}", str(t.sample), f"{t.median_ms:.1f}",
                      f"{t.best_ms:.1f}", f"{t.by_hand_ms:.1f}")
    Console(width=max(console.width, 120)).print(table)
    for t in r.timings:
        console.print(f"  {t.name}: {t.text}")
    console.print(f"  the pure evaluator agrees on the first {r.checked_rows:,} players: {'yes' if r.agree else 'NO'}")
    console.print("  budget (DESIGN.md): segment count + sample over 1 M players < 1 s")
    if r.states:
        per = r.states_build_seconds / r.states * 1e6
        console.print(f"real copy from {r.states:,} simulated states: built in {r.states_build_seconds:.2f} s "
                      f"({per:,.0f} µs per player: ~{per * 1_000_000 / 1e6 / 60:,.1f} min for 1 M players, one core); "
                      f"members {r.states_members}; batch equals the evaluator: {'yes' if r.states_agree else 'NO'}")
    if live:
        _print_realtime(live, live_players, days)


def _print_realtime(live: int, players: int, days: int) -> None:
    from croupier.bench.realtime import bench_realtime

    with console.status(f"folding a simulated stream with {live} live segments and with none…"):
        r = bench_realtime(players, days, live)
    extra = r.live_us - r.plain_us
    console.print(f"real-time membership: {r.events:,} events of {r.players:,} simulated players ({days} days), "
                  f"{r.segments} live segments, {r.changes:,} entries and exits")
    console.print(f"  step per event: {r.plain_us:.1f} µs without live segments, {r.live_us:.1f} µs with them: "
                  f"+{extra:.1f} µs per event ({extra / r.plain_us:+.0%})")
    console.print("  extra per event by type: " + ", ".join(f"{k} {v:+.1f} µs" for k, v in list(r.by_type.items())[:8]))
    console.print(f"  sweep: {r.sweep_us:.0f} µs per player to evaluate all {r.segments} segments "
                  f"(~{r.sweep_us * 1e6 / 1e6 / 60:,.1f} min per 1 M players, one core)")
