"""Continuous shadows of proposed configuration versions (`config_shadows`) and the
differences they found (`config_shadow_diffs`). The API starts and stops them; the engine
evaluates the running ones on every batch and writes here; the API and back office read.

A difference is keyed by (shadow, kind, subject): a decision by its action id, an RG level by
the player. Writing the same key again overwrites it, so a batch the engine processes again
after a failure leaves one row per action and per player.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from croupier.store import eventlog
from croupier.store.schema import config_shadow_diffs, config_shadows
from croupier.store.upsert import upsert

LISTED = 200


@dataclass(slots=True)
class Shadow:
    shadow_id: int
    version_id: str
    status: str
    started_by: str
    started_at_us: int
    from_seq: int
    live_version: str | None
    to_seq: int
    events: int
    players_folded: int
    players_skipped: int
    updated_at_us: int
    stopped_by: str | None = None
    stopped_at_us: int | None = None
    stop_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["version"] = out.pop("version_id")
        return out


def _shadow(row: Any) -> Shadow:
    return Shadow(**{c.name: getattr(row, c.name) for c in config_shadows.columns})


def start(conn: Connection, version_id: str, *, actor: str, now_us: int, live_version: str) -> Shadow:
    """Run `version_id` in shadow on every event appended after now."""
    last = eventlog.max_seq(conn)
    shadow_id = conn.execute(config_shadows.insert().values(
        version_id=version_id, status="running", started_by=actor, started_at_us=now_us, from_seq=last,
        live_version=live_version, to_seq=last, events=0, players_folded=0, players_skipped=0,
        updated_at_us=now_us)).inserted_primary_key[0]
    return _shadow(conn.execute(select(config_shadows).where(config_shadows.c.shadow_id == shadow_id)).one())


def stop(conn: Connection, version_id: str, *, actor: str, now_us: int, reason: str) -> Shadow | None:
    """Stop the version's running shadow, if any; its results stay."""
    running_now = running_of(conn, version_id)
    if running_now is None:
        return None
    conn.execute(update(config_shadows).where(config_shadows.c.shadow_id == running_now.shadow_id).values(
        status="stopped", stopped_by=actor, stopped_at_us=now_us, stop_reason=reason[:256]))
    return latest(conn, version_id)


def running(conn: Connection) -> list[Shadow]:
    rows = conn.execute(select(config_shadows).where(config_shadows.c.status == "running")
                        .order_by(config_shadows.c.shadow_id)).all()
    return [_shadow(r) for r in rows]


def running_of(conn: Connection, version_id: str) -> Shadow | None:
    row = conn.execute(select(config_shadows).where(config_shadows.c.version_id == version_id,
                                                    config_shadows.c.status == "running")).first()
    return _shadow(row) if row is not None else None


def latest(conn: Connection, version_id: str) -> Shadow | None:
    row = conn.execute(select(config_shadows).where(config_shadows.c.version_id == version_id)
                       .order_by(config_shadows.c.shadow_id.desc()).limit(1)).first()
    return _shadow(row) if row is not None else None


def record(conn: Connection, shadow_id: int, version_id: str, *, decisions: list[dict[str, Any]],
           risks: dict[str, dict[str, Any] | None], progress: dict[str, int]) -> bool:
    """Write what a lane found since its last write, and how far it got. Returns False (and
    writes nothing) when the shadow was stopped meanwhile, so the engine drops the lane."""
    status = conn.execute(select(config_shadows.c.status)
                          .where(config_shadows.c.shadow_id == shadow_id)).scalar()
    if status != "running":
        return False
    rows = [{"shadow_id": shadow_id, "kind": "decision", "subject": d["action_id"], "version_id": version_id,
             "player_id": d["player_id"], "change": d["change"], "level": None,
             "body": json.dumps({k: d[k] for k in ("kind", "name", "purpose", "channel", "live", "shadow")}),
             "event_seq": d["event_seq"], "at_us": d["at_us"]} for d in decisions]
    gone = [pid for pid, r in risks.items() if r is None]
    rows += [{"shadow_id": shadow_id, "kind": "risk", "subject": pid, "version_id": version_id,
              "player_id": pid, "change": r["change"], "level": r["level"],
              "body": json.dumps({k: r[k] for k in ("live", "shadow", "markers")}),
              "event_seq": r["event_seq"], "at_us": r["at_us"]} for pid, r in risks.items() if r is not None]
    if gone:
        conn.execute(delete(config_shadow_diffs).where(config_shadow_diffs.c.shadow_id == shadow_id,
                                                       config_shadow_diffs.c.kind == "risk",
                                                       config_shadow_diffs.c.subject.in_(gone)))
    upsert(conn, config_shadow_diffs, rows, keys=("shadow_id", "kind", "subject"))
    conn.execute(update(config_shadows).where(config_shadows.c.shadow_id == shadow_id).values(**progress))
    return True


def results(conn: Connection, version_id: str, limit: int = LISTED) -> dict[str, Any] | None:
    """The version's latest shadow with its differences: counts by change (and, for players,
    by RG level), and the latest `limit` of each list."""
    shadow = latest(conn, version_id)
    if shadow is None:
        return None
    d = config_shadow_diffs.c
    mine = d.shadow_id == shadow.shadow_id
    counts: dict[str, Any] = {"decisions": {}, "players": {"newly_flagged": {}, "unflagged": {}}}
    for kind, change, level, n in conn.execute(select(d.kind, d.change, d.level, func.count()).where(mine)
                                               .group_by(d.kind, d.change, d.level)):
        if kind == "decision":
            counts["decisions"][change] = counts["decisions"].get(change, 0) + n
        else:
            counts["players"][change][level] = n
    listed: dict[str, list[dict[str, Any]]] = {}
    for kind in ("decision", "risk"):
        rows = conn.execute(select(config_shadow_diffs).where(mine, d.kind == kind)
                            .order_by(d.event_seq.desc(), d.subject).limit(limit)).all()
        listed[kind] = [{"player_id": r.player_id, "change": r.change, "event_seq": r.event_seq, "at_us": r.at_us,
                         **({"action_id": r.subject} if kind == "decision" else {"level": r.level}),
                         **json.loads(r.body)} for r in rows]
    totals = sum(counts["decisions"].values()), sum(sum(v.values()) for v in counts["players"].values())
    return {**shadow.as_dict(), "counts": counts, "decisions": listed["decision"], "players": listed["risk"],
            "truncated": totals[0] > len(listed["decision"]) or totals[1] > len(listed["risk"])}
