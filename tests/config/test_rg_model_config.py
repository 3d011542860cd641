"""An operator-trained RG model goes live only as configuration: `croupier models train rg`
(and POST /v1/models/rg/train) trains on the log and keeps the model and its report; a
proposal puts it in the document's `rg_model`; a second officer approves it; the rules in
force then carry it. Adding the section changed no existing version id."""

from __future__ import annotations

import json

import msgspec
import pytest
from typer.testing import CliRunner

from croupier.compliance.document import ConfigDocument, InvalidDocument, in_force_document, parse_document, to_builtins
from croupier.compliance.rules import rules_in_force
from croupier.ingest import append_facts
from croupier.models.rg import RgModel, Term
from croupier.players.config import EngineConfig
from rg.training_history import constructed_log


def _log(app) -> None:  # noqa: ANN001
    with app.state.runtime.db.engine.begin() as conn:
        append_facts(conn, constructed_log())


def test_the_rg_model_section_changes_no_version_id_until_set() -> None:
    plain = EngineConfig()
    doc = in_force_document(plain)
    assert doc.rg_model is None
    body = to_builtins(doc)
    assert parse_document(body).version == parse_document({k: v for k, v in body.items() if k != "rg_model"}).version
    model = RgModel(version="rg-test", intercept=-2.0, terms=[Term("stakes_30", 0.3, "log1p")], kind="logistic")
    with_model = parse_document(body | {"rg_model": msgspec.to_builtins(model)})
    assert with_model.version != parse_document(body).version
    assert rules_in_force(with_model).rg_model == model
    assert rules_in_force(parse_document(body)).rg_model is None


def test_a_model_weighing_an_input_the_fold_does_not_compute_is_invalid() -> None:
    body = to_builtins(in_force_document(EngineConfig()))
    bad = {"version": "rg-x", "intercept": 0.0, "kind": "logistic",
           "terms": [{"input": "stakes_30", "weight": 1.0}, {"input": "crystal_ball", "weight": 1.0}]}
    with pytest.raises(InvalidDocument) as caught:
        parse_document(body | {"rg_model": bad})
    assert [p.path for p in caught.value.problems] == ["rg_model.terms[1].input"]
    looping = {"version": "rg-y", "intercept": 0.0, "kind": "boosted", "terms": [{"input": "stakes_30", "weight": 0.0}],
               "trees": [{"nodes": [{"value": 0.0, "input": "stakes_30", "threshold": 1.0, "left": 0, "right": 1},
                                    {"value": 0.5}]},
                         {"nodes": [{"value": 0.0, "input": "stakes_90", "threshold": 1.0, "left": 1, "right": 2},
                                    {"value": 0.1}, {"value": 0.2}]}]}
    with pytest.raises(InvalidDocument) as caught:
        parse_document(body | {"rg_model": looping})
    assert [p.path for p in caught.value.problems] == ["rg_model.trees[0].nodes[0].left",
                                                       "rg_model.trees[1].nodes[0].input"]


def test_train_list_read_propose_approve_over_the_api(config_app, as_staff) -> None:  # noqa: ANN001
    _log(config_app)
    cleo, otto = as_staff("cleo"), as_staff("otto")
    trained = cleo.post("/v1/models/rg/train", {"seed": 3})
    assert trained.status_code == 201, trained.text
    model = trained.json()
    version = model["version"]
    assert model["positives"] == 26 and model["controls"] == 78 and model["auc"] > 0.5
    assert model["model"]["kind"] in ("logistic", "boosted") and model["report"]["data"]["events"] > 10_000

    listed = cleo.get("/v1/models/rg").json()["models"]
    assert [m["version"] for m in listed] == [version]
    assert set(listed[0]["flagged"]) == {"low", "medium", "high", "severe"}
    card = cleo.get(f"/v1/models/rg/{version}").json()
    live = card["report"]["live"]
    assert card["report"]["models"][live]["live"] is True and card["model"]["kind"] == live == card["kind"]
    assert cleo.get("/v1/models/rg/rg-nope").status_code == 404

    proposed = cleo.post(f"/v1/models/rg/{version}/propose", {"comment": "first trained model"})
    assert proposed.status_code == 201, proposed.text
    config_version = proposed.json()["config_version"]
    assert cleo.get("/v1/models/rg").json()["models"][0]["proposed_as"] == config_version
    again = cleo.post(f"/v1/models/rg/{version}/propose")
    assert again.status_code == 409 and "already proposed" in again.json()["detail"]
    # four-eyes: the proposer cannot approve it, a second officer can
    assert cleo.post(f"/v1/config/versions/{config_version}/approve").status_code == 403
    assert otto.post(f"/v1/config/versions/{config_version}/approve").status_code == 200
    runtime = config_app.state.runtime
    runtime.refresh_config()
    in_force = rules_in_force(runtime.config)
    assert runtime.config.version == config_version
    assert in_force.rg_model is not None and in_force.rg_model.version == version
    assert msgspec.to_builtins(in_force.rg_model) == card["model"]


def test_training_needs_config_edit_and_enough_labels(config_app, as_staff) -> None:  # noqa: ANN001
    refused = as_staff("cleo").post("/v1/models/rg/train", {})
    assert refused.status_code == 422
    assert "too few labelled players to train on: 0 usable" in refused.json()["detail"]["message"]
    assert as_staff("carl").post("/v1/models/rg/train", {}).status_code == 403    # a CRM manager
    bad_seed = as_staff("cleo").post("/v1/models/rg/train", {"seed": "x"})
    assert bad_seed.status_code == 422 and bad_seed.json()["detail"]["field"] == "seed"
    assert as_staff("cleo").post("/v1/models/rg/train", {"sneaky": 1}).status_code == 400


def test_a_wrong_type_or_bad_json_is_named_before_anything_trains(config_app, as_staff) -> None:  # noqa: ANN001
    cleo = as_staff("cleo")
    for body, field, value in (({"propose": "yes"}, "propose", "yes"), ({"propose": 1}, "propose", 1),
                               ({"comment": ["x"]}, "comment", ["x"]), ({"split_at": 20260301}, "split_at", 20260301),
                               ({"split_at": "20260301"}, "split_at", "20260301"),
                               ({"split_at": "2026-W09-1"}, "split_at", "2026-W09-1")):
        answer = cleo.post("/v1/models/rg/train", body)
        assert answer.status_code == 422, answer.text        # not the "too few labelled players" refusal
        assert answer.json()["detail"] == {"field": field, "message": answer.json()["detail"]["message"],
                                           "value": value}
    assert "must be true or false" in cleo.post("/v1/models/rg/train", {"propose": "yes"}).json()["detail"]["message"]
    answer = cleo.post("/v1/models/rg/rg-nope/propose", {"comment": 7})
    assert answer.status_code == 422 and answer.json()["detail"]["field"] == "comment"
    broken = cleo.client.post("/v1/models/rg/train", content=b'{"seed": 1,', headers={
        "X-CSRF-Token": cleo.csrf, "Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["detail"].startswith("the body is not valid JSON (")


def test_the_back_office_page_trains_and_proposes(config_app, as_staff) -> None:  # noqa: ANN001
    _log(config_app)
    cleo = as_staff("cleo")
    empty = cleo.get("/models/rg")
    assert empty.status_code == 200 and 'id="models-empty"' in empty.text
    no_token = cleo.client.post("/models/rg/train", data={}, follow_redirects=False)
    assert no_token.status_code == 403
    done = cleo.client.post("/models/rg/train", data={"csrf_token": cleo.csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/models/rg?version=rg-")
    page = cleo.get(done.headers["location"])
    assert 'id="model-card"' in page.text and 'id="propose-model"' in page.text
    version = done.headers["location"].split("=", 1)[1]
    proposed = cleo.client.post(f"/models/rg/{version}/propose", data={"csrf_token": cleo.csrf},
                                follow_redirects=False)
    assert proposed.status_code == 303 and proposed.headers["location"].startswith("/config/versions/cfg-")
    assert 'id="propose-model"' not in cleo.get("/models/rg").text      # proposed already
    # an auditor reads no RG models (no rg.view); a CRM manager neither
    assert as_staff("carl").get("/models/rg", follow_redirects=False).status_code == 403


def test_the_back_office_page_says_why_it_did_not_train(config_app, as_staff) -> None:  # noqa: ANN001
    cleo = as_staff("cleo")
    refused = cleo.client.post("/models/rg/train", data={"csrf_token": cleo.csrf})
    assert refused.status_code == 422 and 'id="models-error"' in refused.text
    assert "too few labelled players to train on: 0 usable" in refused.text


def test_the_cli_trains_and_proposes(sqlite_url: str) -> None:
    from croupier.cli import app
    from croupier.cli import models as _  # noqa: F401 - registers the command
    from croupier.compliance import config_store
    from croupier.store import open_database

    from croupier.store.accounts import create_user

    db = open_database(sqlite_url)
    with db.engine.begin() as conn:
        append_facts(conn, constructed_log())
        create_user(conn, "cleo", "cleo-password-01", "compliance_officer")
        create_user(conn, "carl", "carl-password-01", "crm_manager")
    db.dispose()
    runner = CliRunner()
    # a proposal names a real officer with config.edit (four eyes compare the approver with them)
    nobody = runner.invoke(app, ["models", "train", "rg", "--db", sqlite_url, "--propose"])
    assert nobody.exit_code == 2 and "--as" in nobody.output
    for name in ("ghost", "carl"):
        refused = runner.invoke(app, ["models", "train", "rg", "--db", sqlite_url, "--propose", "--as", name])
        assert refused.exit_code == 2 and f"'{name}' is not an enabled staff user with config.edit" in refused.output
    result = runner.invoke(app, ["models", "train", "rg", "--db", sqlite_url, "--seed", "2", "--propose",
                                 "--as", "cleo"])
    assert result.exit_code == 0, result.output
    assert "26 labelled players, 78 matched controls" in result.output
    assert "proposed as configuration version cfg-" in result.output
    as_json = runner.invoke(app, ["models", "train", "rg", "--db", sqlite_url, "--seed", "2", "--json"])
    report = json.loads(as_json.output)
    assert report["live"] in ("logistic", "boosted") and report["data"]["positives"] == 26
    db = open_database(sqlite_url)
    with db.engine.connect() as conn:
        [pending] = [v for v in config_store.list_versions(conn) if v.status == "proposed"]
        document = config_store.get_version(conn, pending.version_id).document
        assert pending.proposed_by == "cleo"
    db.dispose()
    assert document["rg_model"]["version"] == report["version"]
    assert isinstance(msgspec.convert(document, ConfigDocument).rg_model, RgModel)


def test_the_cli_refuses_with_the_count(sqlite_url: str) -> None:
    from croupier.cli import app
    from croupier.cli import models as _  # noqa: F401

    result = CliRunner().invoke(app, ["models", "train", "rg", "--db", sqlite_url])
    assert result.exit_code == 2
    assert "too few labelled players to train on: 0 usable" in result.output
