"""`croupier models train rg`: train the operator's RG model on its own log."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timezone
from typing import Annotated

import typer
from rich.console import Console

from croupier.cli.app import app
from croupier.cli.common import ConfigOption, DbOption, read_config

console = Console()
models_app = typer.Typer(help="Models the operator trains on its own history.", no_args_is_help=True)
train_app = typer.Typer(help="Train a model.", no_args_is_help=True)
models_app.add_typer(train_app, name="train")
app.add_typer(models_app, name="models")


@train_app.command("rg")
def train_rg(
    db: DbOption = None,
    config: ConfigOption = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the control sampling and the boosted fit.")] = 0,
    gap_days: Annotated[int, typer.Option("--gap-days", min=1, help="Features as of the end of the day this many "
                                          "days before each label's day.")] = 1,
    controls: Annotated[int, typer.Option("--controls", min=1, max=20,
                                          help="Matched controls per labelled player.")] = 3,
    split: Annotated[str | None, typer.Option("--split", help="Validation split date (YYYY-MM-DD, UTC): train on "
                                              "labels before it, validate on those after. Default: 70 % of the "
                                              "labels before it.")] = None,
    propose: Annotated[bool, typer.Option("--propose", help="Propose the configuration in force with this "
                                          "model (four-eyes approval, shadow, activation follow).")] = False,
    actor: Annotated[str, typer.Option(
        "--actor", "--as", help="Who trains, for the audit. With --propose: the staff user proposing (an enabled "
                                "user whose role has config.edit; the four-eyes rule keeps them from approving "
                                "it).")] = "cli",
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole report as JSON.")] = False,
) -> None:
    """Train the RG model on the log: labels (gambling-harm exclusions, harm-confirming RG
    reviews), point-in-time features with tenure-matched controls, a logistic and a
    monotonic boosted fit validated on a time split. The model and its report are kept
    (GET /v1/models/rg); with --propose it becomes a configuration proposal."""
    from croupier.compliance import config_store
    from croupier.compliance.config_store import ConfigRefused
    from croupier.models.rg import service
    from croupier.models.rg.train import TrainingRefused
    from croupier.store import open_database

    split_us = None
    if split:
        try:
            day = date.fromisoformat(split)
        except ValueError:
            raise typer.BadParameter(f"--split must be a date YYYY-MM-DD, got {split!r}") from None
        split_us = int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()) * 1_000_000
    if propose and actor == "cli":
        raise typer.BadParameter("name the staff user proposing with --as (or --actor)", param_hint="--as")
    database = open_database(db)
    try:
        if propose:
            _check_proposer(database, actor)
        with database.reader.connect() as conn:
            stored = config_store.active_version(conn)
        in_force = stored.config() if stored is not None else read_config(config)
        now_us = time.time_ns() // 1000
        with database.engine.begin() as conn:
            try:
                result = service.train(conn, in_force, actor=actor, now_us=now_us, seed=seed, gap_days=gap_days,
                                       controls_per_positive=controls, split_at_us=split_us)
            except TrainingRefused as exc:
                console.print(f"[red]refused:[/] {exc}")
                raise typer.Exit(2) from None
        report = result.report
        if as_json:
            print(json.dumps(report, indent=2, sort_keys=True, default=float))
        else:
            _print(report)
        if propose:
            with database.engine.begin() as conn:
                try:
                    proposed = service.propose(conn, result.model.version, actor=actor, in_force=in_force,
                                               now_us=now_us, via="cli")
                except ConfigRefused as exc:
                    console.print(f"[red]not proposed:[/] {exc}")
                    raise typer.Exit(2) from None
            console.print(f"proposed as configuration version {proposed.version_id}: a second officer approves it "
                          "(four-eyes), may shadow it, and it activates")
    finally:
        database.dispose()


def _check_proposer(database, name: str) -> None:  # noqa: ANN001
    """A proposal names a real officer: four eyes compare the approver with the proposer, so a
    made-up name would let the officer who trained approve their own model."""
    from croupier.privacy import can
    from croupier.store.accounts import find_user

    with database.reader.connect() as conn:
        user = find_user(conn, name)
    if user is None or user.disabled or not can(user.role, "config.edit"):
        console.print(f"[red]error:[/] {name!r} is not an enabled staff user with config.edit; nothing was trained")
        raise typer.Exit(2)


def _print(report: dict) -> None:
    data, logistic, boosted = report["data"], report["models"]["logistic"], report["models"]["boosted"]
    console.print(f"RG model {report['version']}: {data['positives']} labelled players, {data['controls']} matched "
                  f"controls (train {data['train']['positives']}+{data['train']['controls']}, validation "
                  f"{data['validation']['positives']}+{data['validation']['controls']})")
    for name, m in (("logistic", logistic), ("boosted", boosted)):
        auc = "n/a" if m["auc"] is None else f"{m['auc']:.3f}"
        console.print(f"  {name:8} AUC {auc}  Brier {m['calibration']['brier']:.3f}"
                      + ("  (live)" if m.get("live") else ""))
    for lv in report["models"][report["live"]]["levels"]:
        fmt = lambda v: "n/a" if v is None else f"{v:.2f}"   # noqa: E731
        console.print(f"  at {lv['level']:6} (p >= {lv['threshold']:.2f}): precision {fmt(lv['precision'])}, recall "
                      f"{fmt(lv['recall'])}, unlabelled flagged {fmt(lv['unlabelled_flagged_share'])}")
    top = ", ".join(f"{t['input']} ({t['weight']:+.2f})" for t in report["top_inputs"][:5])
    console.print(f"  top inputs (logistic weights): {top}")
    live = ", ".join(f"{t['input']} (+{t['mean_log_odds']:.2f})" for t in report.get("live_inputs", [])[:5])
    console.print(f"  what raises the live {report['live']} model's scores (mean log-odds): {live}")
