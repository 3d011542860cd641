"""Training an operator's RG model against the store: read the log, train (models.rg.train),
keep the model and its report (`rg_models`), and propose it as a configuration version so it
goes live only through four-eyes approval, shadow and activation. Owns the SQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import Connection, select

from croupier.events import Event, decode_stored
from croupier.models.rg.scorecard import RgModel
from croupier.models.rg.train import DEFAULT_LEVELS, TrainingResult, train_on_events
from croupier.players.config import EngineConfig
from croupier.store import eventlog
from croupier.store.audit import Entry, append
from croupier.store.schema import rg_models

READ_BATCH = 20_000


class ModelNotFound(LookupError):
    pass


def read_log(conn: Connection) -> list[tuple[int, Event]]:
    """Every event in the log with its position, in log order."""
    out: list[tuple[int, Event]] = []
    after = 0
    while True:
        rows = eventlog.read_after(conn, after, READ_BATCH)
        if not rows:
            return out
        out.extend((seq, decode_stored(payload)) for seq, payload, _ in rows)
        after = rows[-1][0]


def train(conn: Connection, config: EngineConfig, *, actor: str, now_us: int, seed: int = 0, gap_days: int = 1,
          controls_per_positive: int = 3, split_at_us: int | None = None,
          levels: Sequence[tuple[str, float]] = DEFAULT_LEVELS) -> TrainingResult:
    """Train on the whole log and keep the result (raises TrainingRefused, e.g. too few labels)."""
    history = read_log(conn)
    result = train_on_events(history, config, seed=seed, gap_days=gap_days,  # type: ignore[arg-type]
                             controls_per_positive=controls_per_positive, split_at_us=split_at_us,
                             levels=levels, now_us=now_us)
    result.report["data"]["events"] = len(history)
    result.report["config_version"] = config.version
    store(conn, result, actor=actor, now_us=now_us)
    return result


def store(conn: Connection, result: TrainingResult, *, actor: str, now_us: int) -> None:
    version = result.model.version
    if conn.execute(select(rg_models.c.version).where(rg_models.c.version == version)).first() is not None:
        conn.execute(rg_models.delete().where(rg_models.c.version == version))   # the same fit, trained again
    conn.execute(rg_models.insert().values(
        version=version, trained_at_us=now_us, trained_by=actor, kind=result.model.kind,
        auc=result.report["models"][result.report["live"]]["auc"], model=msgspec.json.encode(result.model).decode(),
        report=json.dumps(result.report, sort_keys=True, default=float)))
    append(conn, [Entry(now_us, actor=actor, kind="rg.model_trained", subject=version,
                        body={"version": version, "kind": result.model.kind,
                              "auc": result.report["models"][result.report["live"]]["auc"],
                              "positives": result.report["data"]["positives"]})])


def _summary(row: Any) -> dict[str, Any]:
    report = json.loads(row.report)
    logistic, boosted = report["models"]["logistic"], report["models"]["boosted"]
    live = report["models"][report.get("live", "logistic")]
    return {
        "version": row.version, "kind": row.kind, "trained_at_us": row.trained_at_us, "trained_by": row.trained_by,
        "auc": row.auc, "auc_logistic": logistic["auc"], "auc_boosted": boosted["auc"],
        "brier": live["calibration"]["brier"],
        "positives": report["data"]["positives"], "controls": report["data"]["controls"],
        "flagged": {lv["level"]: lv["unlabelled_flagged_share"] for lv in live["levels"]},
        "top_inputs": [t["input"] for t in report["top_inputs"][:5]],
        "proposed_as": row.proposed_as, "proposed_by": row.proposed_by, "proposed_at_us": row.proposed_at_us,
    }


def list_models(conn: Connection, limit: int = 100) -> list[dict[str, Any]]:
    rows = conn.execute(select(rg_models).order_by(rg_models.c.trained_at_us.desc(), rg_models.c.version)
                        .limit(limit)).all()
    return [_summary(r) for r in rows]


def get_model(conn: Connection, version: str) -> dict[str, Any]:
    """The model's summary, the model itself (the live format) and its whole report."""
    row = conn.execute(select(rg_models).where(rg_models.c.version == version)).first()
    if row is None:
        raise ModelNotFound(f"no trained RG model {version!r}")
    return _summary(row) | {"model": json.loads(row.model), "report": json.loads(row.report)}


def model_of(conn: Connection, version: str) -> RgModel:
    row = conn.execute(select(rg_models.c.model).where(rg_models.c.version == version)).first()
    if row is None:
        raise ModelNotFound(f"no trained RG model {version!r}")
    return msgspec.json.decode(row.model, type=RgModel)


def propose(conn: Connection, version: str, *, actor: str, in_force: EngineConfig, now_us: int,
            comment: str = "", via: str | None = None) -> Any:
    """Propose the configuration in force with this model as its `rg_model`: a configuration
    version like any other, which a second officer approves (four-eyes), may shadow, and
    which then activates. Returns the stored ConfigVersion (ConfigRefused says why not)."""
    from croupier.compliance import config_store

    model = model_of(conn, version)
    note = comment.strip() or f"RG model {version} trained by the operator (croupier models train rg)"
    proposed = config_store.propose(conn, actor=actor, in_force=in_force, now_us=now_us,
                                    patch={"rg_model": msgspec.to_builtins(model)}, comment=note, via=via)
    conn.execute(rg_models.update().where(rg_models.c.version == version).values(
        proposed_as=proposed.version_id, proposed_by=actor, proposed_at_us=now_us))
    return proposed
