"""A journey measured end to end against the truth. The simulator gives casual slots players
a real response to a message; a promotional journey with a 20 % holdout runs in the real
engine (entries on a front-end signal, the message through the compliance gate); every
message the gate lets out reaches the simulated player (`Simulator.contact`), and the world
goes on. `GET /v1/journeys/{id}/results` must then

- count the arms, conversions, deposits and GGR exactly as an independent reading of the
  raw events does;
- give an uplift whose 95 % interval and confidence sequence cover the true effect, known
  exactly because the simulator can run the same world with and without the message.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from conftest import client_for
from croupier.compliance import ConfigDocument
from croupier.compliance.rates import ExchangeRules, Rate
from croupier.events.money import to_minor
from croupier.journeys.engine_shell import RECORD
from croupier.players import micros
from croupier.sim import Response, SimConfig, Simulator, true_effect
from croupier.sim.money import PER_EUR
from croupier.store.accounts import create_key, create_user
from croupier.store.schema import audit_log, outbox

START = datetime(2026, 3, 2, tzinfo=timezone.utc)
# 15:00 UTC is daytime in every simulated market (Toronto to Stockholm): no quiet hours hold it
CONTACT = START + timedelta(days=6, hours=15)
WINDOW = timedelta(days=6)
ADULT_BY = date(2000, 3, 1)       # born by then: 26 at CONTACT
SIM = SimConfig(seed=5, players=900, days=13, start=START,
                mix=(("casual_slots", 0.85), ("sports_bettor", 0.15)),
                response=Response("casual_slots", lift=0.5, window_days=6))
pytestmark = pytest.mark.slow    # about 45 s: 87,000 simulated events through the engine
KEY = "exit_winback"
JOURNEY = {
    "key": KEY, "name": "Win back on exit", "version": 1, "purpose": "promotional",
    "trigger": {"kind": "event", "event": "frontend.exit_intent"},
    "steps": [{"kind": "send", "id": "offer", "channel": "email", "template": "come_back_offer"},
              {"kind": "exit", "id": "done"}],
    "goals": [{"name": "deposit", "event": "payment.deposit", "condition": "event.status = \"approved\"",
               "window": "P6D"}],
    "reentry": {"policy": "never"},
    "holdout_percent": 20,
}
# The simulator's own rates, as an operator would set them (units per 1 EUR).
EXCHANGE = ExchangeRules(base="EUR", rates={code: Rate(str(Decimal(str(rate))), "2026-03-01", "simulator")
                                            for code, rate in PER_EUR.items() if code != "EUR"})
# Months-old simulated history is not stale data here: the events are replayed today.
CONFIG = ConfigDocument(stale_after_minutes=10_000_000, exchange=EXCHANGE)


def _post(client: Any, events: list[dict[str, Any]]) -> None:
    for start in range(0, len(events), 5000):
        answer = client.post("/v1/events", content=json.dumps(events[start:start + 5000]))
        assert answer.status_code == 200, answer.text
        assert not answer.json()["rejected"], answer.json()["rejected"][:3]


def _eur_floor(amount: str, currency: str) -> Decimal:
    """An amount in euro cents, exactly (the answer rounds each event down to a cent)."""
    return Decimal(to_minor(amount, currency)) / Decimal(str(PER_EUR[currency]))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    url = f"sqlite:///{tmp_path_factory.mktemp('sim') / 'croupier.db'}"
    gen = client_for(url, CONFIG)
    client = next(gen)
    runtime = client.app.state.runtime
    with runtime.db.engine.begin() as conn:
        create_user(conn, "cleo", "cleo-password-1", "crm_manager")
        token, _ = create_key(conn, "crm tool", ["admin"])
    staff = {"Authorization": f"Bearer {token}", "X-Croupier-Actor": "cleo"}

    sim = Simulator(SIM)
    before = list(sim.events_until(CONTACT - timedelta(minutes=5)))
    _post(client, before)
    made = client.post("/v1/journeys", headers=staff, json={"definition": JOURNEY})
    assert made.status_code == 201, made.text
    jid = made.json()["journey_id"]
    assert client.post(f"/v1/journeys/{jid}/publish", headers=staff, json={"version": 1}).status_code == 200

    # The front end reports every casual player (26 or older: no market's age rule holds a
    # promotion for them) leaving the site at CONTACT; they agreed to email a minute before (so
    # consent is the same in both arms, and no message is held for it).
    born = {e["player_id"]: date.fromisoformat(e["birth_date"]) for e in before if e["type"] == "player.registered"}
    casual = sorted(label["player_id"] for label in sim.labels()
                    if label["archetype"] == "casual_slots" and label["player_id"] in born
                    and born[label["player_id"]] <= ADULT_BY)
    moment = CONTACT.isoformat()
    signals = []
    for pid in casual:
        signals.append({"event_id": f"consent-{pid}", "type": "player.consent_changed", "player_id": pid,
                        "brand": "aurora", "occurred_at": (CONTACT - timedelta(minutes=1)).isoformat(),
                        "channel": "email", "granted": True})
        signals.append({"event_id": f"exit-{pid}", "type": "frontend.exit_intent", "player_id": pid,
                        "brand": "aurora", "occurred_at": moment, "page": "lobby"})
    at_contact = list(sim.events_until(CONTACT))
    _post(client, at_contact + signals)

    # The outbox: what the gate let out reaches the simulated players.
    with runtime.db.reader.connect() as conn:
        sent = conn.execute(select(outbox.c.player_id, outbox.c.body)).all()
    messaged = sorted({pid for pid, body in sent if json.loads(body)["params"].get("journey") == KEY})
    for pid in messaged:
        sim.contact(pid, CONTACT)
    after = list(sim.events())
    _post(client, after)

    answer = client.get(f"/v1/journeys/{jid}/results", params={"currency": "EUR"})
    assert answer.status_code == 200, answer.text
    with runtime.db.reader.connect() as conn:
        records = [json.loads(b) for (b,) in conn.execute(select(audit_log.c.body).where(audit_log.c.kind == RECORD))]
        decisions = [json.loads(b) for (b,) in conn.execute(select(audit_log.c.body)
                                                            .where(audit_log.c.kind == "gate.decision"))]
    yield {"client": client, "results": answer.json(), "events": before + at_contact + after, "casual": casual,
           "messaged": messaged, "records": [r for r in records if r["journey"] == KEY],
           "decisions": [d for d in decisions if d["params"].get("journey") == KEY], "jid": jid}
    gen.close()


@pytest.fixture(scope="module")
def arms(run: Any) -> dict[str, str]:
    """player -> arm, read from the journey records in the audit log (entered or held out)."""
    client = run["client"]
    with client.app.state.runtime.db.reader.connect() as conn:
        rows = conn.execute(select(audit_log.c.player_id, audit_log.c.body).where(audit_log.c.kind == RECORD)).all()
    out: dict[str, str] = {}
    for pid, body in rows:
        b = json.loads(body)
        if b["journey"] == KEY and b["kind"] in ("entered", "held_out"):
            out.setdefault(pid, "control" if b["kind"] == "held_out" else "journey")
    return out


def test_every_targeted_player_is_attributed_and_only_the_journey_arm_is_messaged(run: Any, arms: dict) -> None:
    assert sorted(arms) == run["casual"]                        # everyone entered: measured, held out or not
    assert sorted(p for p, a in arms.items() if a == "journey") == run["messaged"], \
        [d["reasons"] for d in run["decisions"] if not d["allowed"]]
    # every message the journey proposed names its journey, version, step and entry, and was let out
    assert len(run["decisions"]) == len(run["messaged"])
    assert all(d["allowed"] and d["params"]["version"] == 1 and d["params"]["step"] == "offer"
               and d["params"]["entry_id"] for d in run["decisions"])
    converted = [r for r in run["records"] if r["kind"] == "converted"]
    assert converted and all(r["detail"]["goal"] == "deposit" and r["entry_id"] for r in converted)
    assert {r["detail"]["holdout"] for r in converted} == {True, False}   # the control's goals are measured too


def test_the_results_match_an_independent_reading_of_the_raw_events(run: Any, arms: dict) -> None:
    start, end = micros(CONTACT), micros(CONTACT + WINDOW)
    undone = {e["ref_event_id"] for e in run["events"] if e["type"] == "rollback"}
    money: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"deposits": Decimal(0), "ggr": Decimal(0)})
    converted: set[str] = set()
    events = 0
    for e in run["events"]:
        pid = e["player_id"]
        if pid not in arms or not start <= micros(datetime.fromisoformat(e["occurred_at"])) < end:
            continue
        kind = e["type"]
        if kind == "payment.deposit" and e["status"] == "approved":
            converted.add(pid)     # the goal counts the deposit; a later rollback does not unmake a conversion
        if e["event_id"] in undone:
            continue
        if kind == "payment.deposit" and e["status"] == "approved":
            money[pid]["deposits"] += _eur_floor(e["amount"], e["currency"])
        elif kind in ("casino.bet", "sports.bet_placed"):
            money[pid]["ggr"] += _eur_floor(e["amount"], e["currency"])
        elif kind == "casino.win":
            money[pid]["ggr"] -= _eur_floor(e["amount"], e["currency"])
        elif kind == "sports.bet_settled":
            money[pid]["ggr"] -= _eur_floor(e.get("payout") or "0", e.get("currency") or "EUR")
        else:
            continue
        events += 1
    results = run["results"]
    assert results["measurable"] and results["currency"] == "EUR" and results["excluded"]["no_rate"] == 0
    assert results["weights"] == {"journey": 80.0, "control": 20.0}
    by_arm = {a["arm"]: a for a in results["arms"]}
    assert set(by_arm) == {"journey", "control"} and by_arm["control"]["control"] is True
    for arm, shown in by_arm.items():
        who = [p for p, a in arms.items() if a == arm]
        assert shown["players"] == len(who)
        assert shown["conversions"] == sum(p in converted for p in who)
        assert Decimal(str(shown["conversion_rate"])) == (Decimal(shown["conversions"]) / len(who)).quantize(
            Decimal("0.000001"))
        for metric in ("deposits", "ggr"):
            exact = sum(money[p][metric] for p in who)
            # each event is converted to euro cents and rounded down on its own: within a cent per event
            assert 0 <= exact - shown[f"{metric}_minor"] < events, (arm, metric)
            assert Decimal(shown[metric]) == Decimal(shown[f"{metric}_minor"]) / 100   # EUR: the same, in euros


def test_the_measured_uplift_covers_the_true_effect(run: Any, arms: dict) -> None:
    truth = true_effect(SIM, sorted(arms), CONTACT, WINDOW).effect
    assert truth > 0.25          # the response is real (lift 0.5, less those who would have deposited anyway)
    results = run["results"]
    assert results["sample_ratio"]["mismatch"] is False
    (comparison,) = results["comparisons"]
    assert comparison["variant"] == "journey" and comparison["against"] == "control"
    conversion = comparison["metrics"]["conversion"]
    for estimate in (conversion, conversion["plain"]):
        for interval in ("interval_95", "sequence_95"):
            low, high = Decimal(str(estimate[interval]["low"])), Decimal(str(estimate[interval]["high"]))
            assert low <= Decimal(str(truth)) <= high, (interval, estimate[interval], truth)
    assert comparison["significant"] == (comparison["verdict"] in ("better", "worse"))
    assert comparison["words"].startswith("significant" if comparison["significant"] else "not yet significant")
