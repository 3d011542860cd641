"""Journeys at rest: create, edit (a new version only when the definition changed), publish a
version, pause, archive, each audited (`journey.created`, `journey.updated`,
`journey.published`, `journey.paused`, `journey.archived`) in the caller's transaction.

This is the service the API, the back office and the command line call; it owns the rules
(what may change, when), `croupier.store.journeys` owns the SQL. It is not part of the pure
package face (`croupier.journeys`), so the engine's pure modules never import a database
through it.

A saved version only has to have the shape of a journey (a draft may still be wrong, the
editor shows every problem); publishing validates it fully and refuses it when it would
conflict with the journeys already live (`conflicts`: promotional journeys of one group with
equal priorities), so the rules, not the order of keys, decide which journey a player gets."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import Connection

from croupier.events import JOURNEY_STREAM, JourneyActivated, JourneyDeactivated
from croupier.journeys.definition import Journey, from_json, to_builtins, to_json
from croupier.players import moment
from croupier.journeys.errors import JourneyError, Problem
from croupier.journeys.validate import conflicts, problems
from croupier.store import audit as audit_store
from croupier.store import journeys as store
from croupier.store.journeys import JourneyVersion, StoredJourney

MAX_NOTE = 2_000


class JourneyNotFound(LookupError):
    """No journey (or no such version of it)."""


class JourneyStateError(Exception):
    """The journey's state does not allow this (archived, not live, the key taken...)."""


class JourneyConflict(JourneyStateError):
    """Publishing would put the journey live beside one it conflicts with; `problems` say how."""

    def __init__(self, found: list[Problem]) -> None:
        self.problems = list(found)
        super().__init__("; ".join(str(p) for p in found))


def _audit(conn: Connection, kind: str, j: StoredJourney, actor: str, now_us: int, on_behalf_of: str | None,
           **extra: Any) -> None:
    body: dict[str, Any] = {"journey_id": j.journey_id, "key": j.key, "name": j.name, "purpose": j.purpose,
                            "group": j.group, "priority": j.priority, "status": j.status,
                            "latest_version": j.latest_version, "live_version": j.live_version, **extra}
    if on_behalf_of:
        body["on_behalf_of"] = on_behalf_of
    audit_store.append(conn, [audit_store.Entry(now_us, actor=actor, kind=kind, subject=str(j.journey_id),
                                                body=body)])


def _found(conn: Connection, journey_id: int) -> StoredJourney:
    current = store.get(conn, journey_id, for_update=True)
    if current is None:
        raise JourneyNotFound(f"no journey {journey_id}")
    return current


def _as_version(journey: Journey, number: int) -> Journey:
    return journey if journey.version == number else msgspec.structs.replace(journey, version=number)


def _note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise JourneyError([Problem("note", f"is {len(note):,} characters long; a note may have at most {MAX_NOTE:,}")])
    return note


def _key_problems(journey: Journey) -> list[Problem]:
    return [p for p in problems(journey) if p.path == "$.key"]


def definition_of(version: JourneyVersion) -> Journey:
    """A stored version's definition (stored ones always have the shape)."""
    return from_json(version.definition)


def create(conn: Connection, journey: Journey, actor: str, now_us: int, *, on_behalf_of: str | None = None,
           note: str = "") -> StoredJourney:
    """A new journey in draft, its definition as version 1 (whatever version it said). Raises
    JourneyError (a key that is not a valid name) or JourneyStateError (the key is taken)."""
    bad_key = _key_problems(journey)
    if bad_key:
        raise JourneyError(bad_key)
    note = _note(note)
    if store.by_key(conn, journey.key) is not None:
        raise JourneyStateError(f"a journey with the key {journey.key!r} exists: edit it, or choose another key")
    first = _as_version(journey, 1)
    made = store.create(conn, key=first.key, name=first.name, purpose=first.purpose, group=first.group,
                        priority=first.priority, definition=to_json(first).decode(), actor=actor, now_us=now_us,
                        note=note)
    _audit(conn, "journey.created", made, actor, now_us, on_behalf_of, version=1, note=note)
    return made


def revise(conn: Connection, journey_id: int, journey: Journey, actor: str, now_us: int, *,
           on_behalf_of: str | None = None, note: str = "") -> tuple[StoredJourney, bool]:
    """A new version of the journey with this definition, unless it equals the latest one
    (whatever `version` it says, however its JSON was spaced): then nothing is stored nor
    audited. Returns the journey and whether a version was made. The key never changes. Raises
    JourneyNotFound, JourneyError (another key) or JourneyStateError (archived)."""
    note = _note(note)
    current = _found(conn, journey_id)
    if current.status == "archived":
        raise JourneyStateError(f"journey {journey_id} is archived; create a new one")
    if journey.key != current.key:
        raise JourneyError([Problem("$.key", f"the key of a journey never changes: this one is {current.key!r} "
                                             f"(results, splits and holdouts belong to it); to use another key, "
                                             f"create a new journey", value=journey.key)])
    latest = store.version(conn, journey_id, current.latest_version)
    assert latest is not None
    if to_json(_as_version(journey, current.latest_version)).decode() == latest.definition:
        return current, False
    following = _as_version(journey, current.latest_version + 1)
    stored = store.add_version(conn, current, definition=to_json(following).decode(), name=following.name,
                               purpose=following.purpose, group=following.group, priority=following.priority,
                               actor=actor, now_us=now_us, note=note)
    _audit(conn, "journey.updated", stored, actor, now_us, on_behalf_of, version=stored.latest_version, note=note)
    return stored, True


def publish_problems(conn: Connection, journey_id: int, journey: Journey) -> list[Problem]:
    """Why this definition of the journey could not go live beside the journeys live now
    (besides itself): each conflict at the path of this definition that causes it."""
    others = [from_json(definition) for _, definition in store.live_definitions(conn, besides=journey_id)]
    before = {str(p) for p in conflicts(others)}
    index = f"$[{len(others)}]"
    found = []
    for p in conflicts([*others, journey]):
        if str(p) in before:
            continue
        path = p.path.replace(index, "$", 1) if p.path.startswith(index) else "$.priority"
        found.append(Problem(path, p.message, value=p.value))
    return found


def live_in_group(conn: Connection, stored: StoredJourney) -> list[StoredJourney]:
    """The other live journeys of this journey's group (what it competes with for a player)."""
    return [j for j, _ in store.live_definitions(conn, besides=stored.journey_id) if j.group == stored.group]


def publish(conn: Connection, journey_id: int, version: int, actor: str, now_us: int, *,
            on_behalf_of: str | None = None) -> StoredJourney:
    """Put `version` of the journey live (the one live before, if any, stops: one version of a
    journey runs at a time). Validates the definition fully and checks it against the other live
    journeys. Publishing the version already live changes nothing. Raises JourneyNotFound,
    JourneyError (every problem of the definition), JourneyConflict, JourneyStateError (archived)."""
    seen = store.get(conn, journey_id)
    if seen is None:
        raise JourneyNotFound(f"no journey {journey_id}")
    stored_version = store.version(conn, journey_id, version)       # versions never change once stored
    groups = {seen.group} if stored_version is None else {seen.group, definition_of(stored_version).group}
    store.lock_groups(conn, groups)           # before this journey's own row: one order for every publish
    current = _found(conn, journey_id)
    if current.status == "archived":
        raise JourneyStateError(f"journey {journey_id} is archived; create a new one")
    if stored_version is None:
        raise JourneyNotFound(f"journey {journey_id} has no version {version}: its versions are 1 to "
                              f"{current.latest_version}")
    if current.status == "live" and current.live_version == version:
        return current
    journey = definition_of(stored_version)
    found = problems(journey)
    if found:
        raise JourneyError(found)
    clashes = publish_problems(conn, journey_id, journey)
    if clashes:
        raise JourneyConflict(clashes)
    previous = current.live_version if current.status == "live" else None
    stored = store.set_status(conn, current, status="live", live_version=version, actor=actor, now_us=now_us)
    _audit(conn, "journey.published", stored, actor, now_us, on_behalf_of, version=version,
           replaced_version=previous)
    _in_the_log(conn, JourneyActivated(event_id=f"journey:{journey_id}:{version}:on:{now_us}",
                                       player_id=JOURNEY_STREAM, brand="croupier", occurred_at=moment(now_us),
                                       actor=actor, key=journey.key, version=version,
                                       definition=to_builtins(journey) | {"version": version}))
    return stored


def _in_the_log(conn: Connection, fact: Any) -> None:
    """The engine follows journeys by the log: a publication, pause or archiving is a fact
    there, in this transaction (the engine picks it up as soon as it reads the log)."""
    from croupier.ingest.facts import append_facts   # ingest imports the engine, which imports journeys

    append_facts(conn, [fact])


def _stopped(conn: Connection, journey_id: int, key: str, actor: str, now_us: int) -> None:
    _in_the_log(conn, JourneyDeactivated(event_id=f"journey:{journey_id}:off:{now_us}", player_id=JOURNEY_STREAM,
                                         brand="croupier", occurred_at=moment(now_us), actor=actor, key=key))


def pause(conn: Connection, journey_id: int, actor: str, now_us: int, *,
          on_behalf_of: str | None = None) -> StoredJourney:
    """Stop a live journey (its live version is kept, to publish again). A paused journey is
    answered as it is. Raises JourneyNotFound, JourneyStateError (draft or archived)."""
    current = _found(conn, journey_id)
    if current.status == "paused":
        return current
    if current.status != "live":
        raise JourneyStateError(f"journey {journey_id} is {current.status}: only a live journey can be paused")
    stored = store.set_status(conn, current, status="paused", live_version=current.live_version, actor=actor,
                              now_us=now_us)
    _audit(conn, "journey.paused", stored, actor, now_us, on_behalf_of, version=current.live_version)
    _stopped(conn, journey_id, current.key, actor, now_us)
    return stored


def archive(conn: Connection, journey_id: int, actor: str, now_us: int, *,
            on_behalf_of: str | None = None) -> StoredJourney:
    """Retire a journey for good (a live one stops); kept with its versions, no longer listed
    by default, edited or published. An archived journey is answered as it is."""
    current = _found(conn, journey_id)
    if current.status == "archived":
        return current
    stored = store.set_status(conn, current, status="archived", live_version=current.live_version, actor=actor,
                              now_us=now_us)
    _audit(conn, "journey.archived", stored, actor, now_us, on_behalf_of, previous_status=current.status)
    if current.status == "live":
        _stopped(conn, journey_id, current.key, actor, now_us)
    return stored
