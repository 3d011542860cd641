"""The global holdout: a share of players, set in the approved configuration, who get no
promotion of any kind from any source, while safer-play and service messages still reach
them; membership is a fixed hash (raising the share only adds players); every decision names
the configuration version that held the player out; and the programme is measured against
the holdout (`GET /v1/reports/global-holdout`)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from config.conftest import decisions, ingest, se_player
from conftest import EventFactory
from croupier.compliance import ConfigDocument, Proposal, decide
from croupier.compliance.document import InvalidDocument, expanded, parse_document, version_of
from croupier.compliance.holdout import Measurement, in_global_holdout
from croupier.compliance.reasons import explain
from croupier.players import new_state

NOW_US = int(datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc).timestamp() * 1_000_000)
IDS = [f"player-{i}" for i in range(20_000)]


def _held(percent: float) -> set[str]:
    return {pid for pid in IDS if in_global_holdout(pid, percent)}


def test_membership_is_a_fixed_hash_and_raising_the_share_only_adds_players() -> None:
    two, five = _held(2), _held(5)
    assert two < five                                      # nobody held at 2 % is released at 5 %
    assert 0.015 < len(two) / len(IDS) < 0.025 and 0.045 < len(five) / len(IDS) < 0.055
    assert _held(2) == two                                 # the same players every time
    assert not _held(0)
    assert _held(0.01) <= two and len(_held(0.01)) < 10    # 0.01 % is the finest share


def _player(player_id: str):  # noqa: ANN202
    state = new_state(player_id)
    state.registered = True
    state.currency = "SEK"
    state.profile = {"jurisdiction": "MT", "birth_date": "1980-01-01", "timezone": "Europe/Malta"}
    state.consents = {"email": True, "sms": True, "push": True}
    return state


@pytest.mark.parametrize("kind, purpose, held_out", [
    ("message", "promotional", True), ("bonus", "promotional", True), ("mission_enrolment", "promotional", True),
    ("reward", "promotional", True), ("message", "safer_play", False), ("message", "transactional", False)])
def test_the_gate_holds_every_promotion_and_nothing_protective(kind: str, purpose: str, held_out: bool) -> None:
    config = ConfigDocument(measurement=Measurement(global_holdout_percent=5))
    inside = next(pid for pid in IDS if in_global_holdout(pid, 5))
    outside = next(pid for pid in IDS if not in_global_holdout(pid, 5))
    for pid, expected in ((inside, held_out), (outside, False)):
        proposal = Proposal(kind=kind, name="offer", player_id=pid, cause_event_id="e1", purpose=purpose,
                            channel="email" if kind == "message" else None)
        d = decide(proposal, _player(pid), config, NOW_US, NOW_US)
        assert ("holdout.global" in d.reasons) is expected, (pid, d)
        assert d.allowed is not expected
        assert d.config_version == config.version


def test_the_section_is_validated_and_its_default_keeps_every_version_id() -> None:
    assert version_of(parse_document({"measurement": {"global_holdout_percent": 0}})) == version_of(parse_document({}))
    assert parse_document({"measurement": {}}).measurement is None
    assert expanded({})["measurement"] == {"global_holdout_percent": 0.0}
    assert version_of(parse_document({"measurement": {"global_holdout_percent": 2.5}})) != version_of(
        parse_document({}))
    for value, words in ((30, "<= 20"), (-1, ">= 0"), (0.005, "two decimals")):
        with pytest.raises(InvalidDocument) as caught:
            parse_document({"measurement": {"global_holdout_percent": value}})
        (problem,) = caught.value.problems
        assert problem.path == "measurement.global_holdout_percent" and words in problem.message, problem
    assert "global holdout" in explain("holdout.global").text and explain("holdout.global").known


def _approve(as_staff, percent: float) -> str:  # noqa: ANN001
    cleo, otto = as_staff("cleo"), as_staff("otto")
    r = cleo.post("/v1/config/versions", {"patch": {"measurement": {"global_holdout_percent": percent}},
                                          "comment": "measure the programme"})
    assert r.status_code == 201, r.text
    version = r.json()["version"]
    assert otto.post(f"/v1/config/versions/{version}/approve").status_code == 200
    return version


def test_in_the_engine_the_held_out_get_no_welcome_but_do_get_safer_play_contact(config_app, as_staff,  # noqa: ANN001
                                                                               admin_key) -> None:
    version = _approve(as_staff, 10)
    inside = [pid for pid in IDS if in_global_holdout(pid, 10)][:2]
    outside = next(pid for pid in IDS if not in_global_holdout(pid, 10))
    ingest(config_app, [se_player(inside[0], 30), se_player(outside, 30)])
    [held] = [d for d in decisions(config_app, inside[0]) if d["name"] == "welcome"]
    assert not held["allowed"] and held["reasons"] == ["holdout.global"]
    assert held["config_version"] == held["column_version"] == version      # the audit names the version
    [sent] = [d for d in decisions(config_app, outside) if d["name"] == "welcome"]
    assert sent["allowed"]

    # a held-out player at severe risk still gets the safer-play message
    ingest(config_app, EventFactory(player_id=inside[1]).at_severe_risk(birth_date="1990-05-17"))
    protective = [d for d in decisions(config_app, inside[1]) if d["purpose"] == "safer_play"]
    assert protective and all(d["allowed"] for d in protective)
    assert all("holdout.global" in d["reasons"] for d in decisions(config_app, inside[1])
               if d["purpose"] == "promotional")

    # raised to 20 %: the players held at 10 % stay held
    _approve(as_staff, 20)
    assert all(in_global_holdout(pid, 20) for pid in inside)


def test_the_programme_is_measured_against_the_global_holdout(config_app, as_staff, admin_key) -> None:  # noqa: ANN001
    from fastapi.testclient import TestClient

    api = TestClient(config_app, headers={"Authorization": f"Bearer {admin_key}"})
    off = api.get("/v1/reports/global-holdout")
    assert off.status_code == 200 and off.json()["percent"] == 0 and "no global holdout" in off.json()["words"]
    _approve(as_staff, 20)
    ids = IDS[:120]
    ingest(config_app, [se_player(pid, 30) for pid in ids])
    answer = api.get("/v1/reports/global-holdout", params={"days": 7})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    held = sum(in_global_holdout(pid, 20) for pid in ids)
    by_arm = {a["arm"]: a for a in body["arms"]}
    assert by_arm["global_holdout"]["players"] == held and by_arm["programme"]["players"] == len(ids) - held
    assert body["sample_ratio"]["observed"] == {"programme": len(ids) - held, "global_holdout": held}
    (comparison,) = body["comparisons"]
    assert comparison["variant"] == "programme" and comparison["against"] == "global_holdout"
    assert comparison["significant"] is False                       # nobody deposited: nothing to tell apart
