"""The settings form (web/config_form.py): every field maps to its place in the document,
every field's invalid value is refused with the field's label, the value and the document's
own message, and the form's routes change the configuration exactly as the JSON editor does
(same version id, the same four-eyes workflow and audit)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from croupier.compliance.document import InvalidDocument, merge_patch, parse_document, to_builtins, version_of
from croupier.compliance.document import in_force_document
from croupier.players.config import EngineConfig
from croupier.web import config_form

from .conftest import audit_of


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    """The start configuration's document (the shipped presets)."""
    return to_builtins(in_force_document(EngineConfig()))


def _with(base: dict[str, Any], market: str, **changes: Any) -> dict[str, Any]:
    """The form's inputs for `market`, as shown, with `changes` typed in (keys use __ for .)."""
    inputs = config_form.values(base, market)
    for name, value in changes.items():
        inputs[name.replace("__", ".").replace("_COLON_", ":")] = value
    return inputs


def _rules(document: dict[str, Any], market: str) -> dict[str, Any]:
    return parse_document(document).jurisdictions[market]


def test_the_form_shows_the_markets_values_with_defaults_spelled_out(base) -> None:  # noqa: ANN001
    se = config_form.values(base, "SE")
    assert se["limits.mandatory"] == ["deposit"]
    assert se["limits.increase_cooling_hours"] == "72"
    assert se["limits.ceilings.deposit:month"] == ""         # Sweden has no ceiling
    assert se["exclusions.reactivation_cooling_hours"] == "24"  # a default
    assert se["marketing.quiet_hours.0"] == se["marketing.quiet_hours.1"] == ""
    assert se["marketing.max_messages_per_day"] == "" and se["marketing.banned"] is False
    assert [se[f"rg.score_levels.{i}"] for i in range(4)] == ["600", "1500", "4000", "8000"]
    assert se["rg.calm_days"] == "30" and se["rg.look_severity"] == "2"
    assert (se["rg.soft_at"], se["rg.hard_stop_at"], se["rg.repeat_after_days"]) == ("medium", "severe", "7")
    es = config_form.values(base, "ES")
    assert (es["limits.ceilings.deposit:day"], es["limits.increase_min_interval_days"]) == ("700.00", "90")


def test_an_unchanged_form_gives_the_same_document_and_version(base) -> None:  # noqa: ANN001
    for market in config_form.markets(base):
        out = config_form.apply(base, market, config_form.values(base, market))
        assert version_of(parse_document(out)) == version_of(parse_document(base)), market


# (inputs typed, path in the market's rules, the value the document gets there)
MAPPINGS = [
    ({"limits__mandatory": ["loss", "deposit"]}, "limits.mandatory", ["deposit", "loss"]),
    ({"limits__mandatory": []}, "limits.mandatory", []),
    ({"limits__ceilings__deposit_COLON_day": "500.00"}, "limits.ceilings", {"deposit:day": "500.00"}),
    ({"limits__ceilings__loss_COLON_week": " 250 "}, "limits.ceilings", {"loss:week": "250"}),
    ({"limits__ceilings__wager_COLON_month": "9000.5"}, "limits.ceilings", {"wager:month": "9000.5"}),
    ({"limits__increase_cooling_hours": "48"}, "limits.increase_cooling_hours", 48),
    ({"limits__increase_min_interval_days": "30"}, "limits.increase_min_interval_days", 30),
    ({"exclusions__reactivation_cooling_hours": "168"}, "exclusions.reactivation_cooling_hours", 168),
    ({"marketing__banned": True}, "marketing.banned", True),
    ({"marketing__max_messages_per_day": "3"}, "marketing.max_messages_per_day", 3),
    ({"marketing__quiet_hours__0": "22", "marketing__quiet_hours__1": "8"}, "marketing.quiet_hours", [22, 8]),
    ({f"rg__score_levels__{i}": v for i, v in enumerate(["300", "700", "3000", "7000"])}, "rg.score_levels",
     [300, 700, 3000, 7000]),
    ({"rg__calm_days": "60"}, "rg.calm_days", 60),
    ({"rg__look_severity": "3"}, "rg.look_severity", 3),
    ({"rg__look_severity": ""}, "rg.look_severity", None),
    ({"rg__soft_at": "low"}, "rg.soft_at", "low"),
    ({"rg__firm_at": "never"}, "rg.firm_at", None),
    ({"rg__human_at": "medium"}, "rg.human_at", "medium"),
    ({"rg__hard_stop_at": "high"}, "rg.hard_stop_at", "high"),
    ({"rg__repeat_after_days": "14"}, "rg.repeat_after_days", 14),
]


@pytest.mark.parametrize(("typed", "path", "expected"), MAPPINGS, ids=[m[1] + "=" + json.dumps(m[2]) for m in MAPPINGS])
def test_each_field_sets_its_place_in_the_document(base, typed, path, expected) -> None:  # noqa: ANN001
    out = config_form.apply(base, "SE", _with(base, "SE", **typed))
    rules = _rules(out, "SE")
    node: Any = rules
    for part in path.split("."):
        node = getattr(node, part)
    assert node == expected
    # the JSON editor with the same change (written in the whole document: a merge patch
    # cannot say null) gives the very same version
    via_json = copy.deepcopy(base)
    *parents, last = path.split(".")
    node = via_json["jurisdictions"]["SE"]
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = expected
    assert version_of(parse_document(out)) == version_of(parse_document(via_json))
    # nothing else in the document moved
    others = {k: v for k, v in parse_document(out).jurisdictions.items() if k != "SE"}
    assert others == {k: v for k, v in parse_document(base).jurisdictions.items() if k != "SE"}


def test_emptying_a_ceiling_removes_it_and_emptying_quiet_hours_clears_them(base) -> None:  # noqa: ANN001
    out = config_form.apply(base, "ES", _with(base, "ES", limits__ceilings__deposit_COLON_week=""))
    assert _rules(out, "ES").limits.ceilings == {"deposit:day": "700.00", "deposit:month": "3300.00"}
    with_hours = merge_patch(base, {"jurisdictions": {"GB": {"marketing": {"quiet_hours": [21, 9]}}}})
    out = config_form.apply(with_hours, "GB", _with(with_hours, "GB", marketing__quiet_hours__0="",
                                                    marketing__quiet_hours__1=""))
    assert _rules(out, "GB").marketing.quiet_hours is None
    out = config_form.apply(base, "SE", _with(base, "SE", marketing__max_messages_per_day=" "))
    assert _rules(out, "SE").marketing.max_messages_per_day is None


# (inputs typed, the field's path, the value named, a piece of the message)
INVALID = [
    ({"limits__mandatory": ["deposit", "balance"]}, "limits.mandatory", "balance", "Invalid enum value 'balance'"),
    ({"limits__ceilings__deposit_COLON_day": "1,000"}, "limits.ceilings.deposit:day", "1,000",
     "an amount as a decimal string"),
    ({"limits__ceilings__loss_COLON_month": "-5"}, "limits.ceilings.loss:month", "-5", "an amount as a decimal string"),
    ({"limits__ceilings__wager_COLON_week": "12.345"}, "limits.ceilings.wager:week", "12.345", "at most 2 decimals"),
    ({"limits__increase_cooling_hours": "a day"}, "limits.increase_cooling_hours", "a day", "a whole number"),
    ({"limits__increase_cooling_hours": ""}, "limits.increase_cooling_hours", "", "a value is required"),
    ({"limits__increase_cooling_hours": "-1"}, "limits.increase_cooling_hours", "-1", ">= 0"),
    ({"limits__increase_min_interval_days": "1.5"}, "limits.increase_min_interval_days", "1.5", "a whole number"),
    ({"exclusions__reactivation_cooling_hours": "99999999"}, "exclusions.reactivation_cooling_hours", "99999999",
     "<= 87840"),
    ({"marketing__max_messages_per_day": "0"}, "marketing.max_messages_per_day", "0", "a positive whole number"),
    ({"marketing__max_messages_per_day": "lots"}, "marketing.max_messages_per_day", "lots", "a whole number"),
    ({"marketing__quiet_hours__0": "22", "marketing__quiet_hours__1": "30"}, "marketing.quiet_hours", "[22, 30]",
     "start 0-23, end 0-24"),
    ({"marketing__quiet_hours__0": "22", "marketing__quiet_hours__1": ""}, "marketing.quiet_hours", '["22", null]',
     "leave every one empty"),
    ({"marketing__quiet_hours__0": "ten", "marketing__quiet_hours__1": "8"}, "marketing.quiet_hours", '["ten", "8"]',
     "'ten' is not one"),
    ({"rg__score_levels__0": "9000", "rg__score_levels__2": "200"}, "rg.score_levels", "[9000, 1500, 200, 8000]",
     "needs four rising scores in basis points"),
    ({"rg__score_levels__3": "20000"}, "rg.score_levels", "[600, 1500, 4000, 20000]", "from 1 to 10000"),
    ({"rg__score_levels__3": ""}, "rg.score_levels", '["600", "1500", "4000", null]', "give all 4 values"),
    ({"rg__calm_days": "0"}, "rg.calm_days", "0", ">= 1"),
    ({"rg__look_severity": "4"}, "rg.look_severity", "4", "<= 3"),
    ({"rg__soft_at": "extreme"}, "rg.soft_at", "extreme", "Invalid enum value 'extreme'"),
    ({"rg__firm_at": "critical"}, "rg.firm_at", "critical", "Invalid enum value"),
    ({"rg__human_at": "x"}, "rg.human_at", "x", "Invalid enum value"),
    ({"rg__hard_stop_at": "y"}, "rg.hard_stop_at", "y", "Invalid enum value"),
    ({"rg__repeat_after_days": "0"}, "rg.repeat_after_days", "0", ">= 1"),
    ({"rg__repeat_after_days": "400"}, "rg.repeat_after_days", "400", "<= 365"),
]


@pytest.mark.parametrize(("typed", "field", "shown", "message"), INVALID,
                         ids=[f"{m[1]}={m[2]}" for m in INVALID])
def test_each_fields_errors_name_the_field_and_the_value(base, typed, field, shown, message) -> None:  # noqa: ANN001
    with pytest.raises(config_form.FormInvalid) as caught:
        config_form.apply(base, "SE", _with(base, "SE", **typed))
    [problem] = caught.value.problems
    assert problem.field is config_form.FIELDS[field]
    assert problem.text.startswith(f"{problem.field.label} = {shown}: "), problem.text
    assert message in problem.message
    assert problem.path.startswith(f"jurisdictions.SE.{field}")


def test_the_form_and_the_json_editor_refuse_a_value_with_the_same_message(base) -> None:  # noqa: ANN001
    """Where the typed text is of the right kind, the message is the document's own."""
    cases = [({"marketing__quiet_hours__0": "22", "marketing__quiet_hours__1": "25"},
              {"marketing": {"quiet_hours": [22, 25]}}),
             ({"limits__ceilings__deposit_COLON_day": "1e3"}, {"limits": {"ceilings": {"deposit:day": "1e3"}}}),
             ({"rg__repeat_after_days": "0"}, {"rg": {"repeat_after_days": 0}}),
             ({f"rg__score_levels__{i}": v for i, v in enumerate("4321")}, {"rg": {"score_levels": [4, 3, 2, 1]}})]
    for typed, patch in cases:
        with pytest.raises(config_form.FormInvalid) as by_form:
            config_form.apply(base, "DK", _with(base, "DK", **typed))
        with pytest.raises(InvalidDocument) as by_json:
            parse_document(merge_patch(base, {"jurisdictions": {"DK": patch}}))
        assert [(p.path, p.value, p.message) for p in by_form.value.problems] == \
               [(p.path, p.value, p.message) for p in by_json.value.problems]


def test_a_problem_outside_the_form_is_named_by_its_path(base) -> None:  # noqa: ANN001
    """Spain's default limits must stay under its ceilings: lowering a ceiling below one is
    refused on limits.defaults, which the form does not show."""
    with pytest.raises(config_form.FormInvalid) as caught:
        config_form.apply(base, "ES", _with(base, "ES", limits__ceilings__deposit_COLON_day="100.00"))
    [problem] = caught.value.problems
    assert problem.field is None and problem.path == "jurisdictions.ES.limits.defaults.deposit:day"
    assert problem.text == "jurisdictions.ES.limits.defaults.deposit:day = 600.00: above the ceiling 100.00"
    with pytest.raises(config_form.FormInvalid, match="no market 'XX'"):
        config_form.apply(base, "XX", {})


# -- the routes -------------------------------------------------------------------------------
def _form(staff, path: str) -> dict[str, Any]:  # noqa: ANN001
    """The settings form's inputs as the page shows them (csrf token and market included)."""
    html = staff.get(path).text
    form = html[html.index('id="settings-form"'):]
    form = form[:form.index("</form>")]
    fields: dict[str, Any] = {}
    for tag in re.findall(r"<input [^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name:
            continue
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                fields.setdefault(name.group(1), []).append(value.group(1) if value else "on")
            continue
        fields[name.group(1)] = value.group(1) if value else ""
    for select in re.findall(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]+)" selected>', select[1])
        fields[select[0]] = chosen.group(1) if chosen else ""
    return fields


def _post(staff, path: str, fields: dict[str, Any]):  # noqa: ANN001, ANN202
    return staff.client.post(path, data=fields, follow_redirects=False)


def test_the_form_proposes_the_document_the_json_editor_would(config_app, as_staff) -> None:  # noqa: ANN001
    cleo, otto = as_staff("cleo"), as_staff("otto")
    fields = _form(cleo, "/config?market=GB")
    assert fields["market"] == "GB" and fields["limits.increase_cooling_hours"] == "24"
    fields.update({"marketing.quiet_hours.0": "21", "marketing.quiet_hours.1": "9",
                   "limits.ceilings.deposit:month": "2000.00", "comment": "GB quiet hours and a ceiling"})
    r = _post(cleo, "/config/settings", fields)
    assert r.status_code == 303, r.text
    version = r.headers["location"].split("/")[-1].split("?")[0]
    detail = otto.get(f"/v1/config/versions/{version}").json()
    assert detail["status"] == "proposed" and detail["proposed_by"] == "cleo"
    assert detail["comment"] == "GB quiet hours and a ceiling"
    assert {(c["path"], json.dumps(c["after"])) for c in detail["diff"]} == {
        ("jurisdictions.GB.marketing.quiet_hours", "[21, 9]"),
        ("jurisdictions.GB.limits.ceilings.deposit:month", '"2000.00"')}
    # the same change through the JSON editor is the same version (so it is refused as a duplicate)
    r = otto.post("/v1/config/versions", {"patch": {"jurisdictions": {"GB": {
        "marketing": {"quiet_hours": [21, 9]}, "limits": {"ceilings": {"deposit:month": "2000.00"}}}}}})
    assert r.status_code == 409 and version in r.json()["detail"]
    [proposed] = audit_of(config_app, "config.proposed")
    assert (proposed.actor, proposed.subject) == ("cleo", version)
    assert json.loads(proposed.body)["changes"] == 2
    # four-eyes as for any proposal
    assert cleo.post(f"/v1/config/versions/{version}/approve").status_code == 403
    assert otto.post(f"/v1/config/versions/{version}/approve").status_code == 200
    assert config_app.state.runtime.config.jurisdictions["GB"].marketing.quiet_hours == [21, 9]
    # the form now shows the approved values; sent unchanged it is the version in force:
    # refused with the workflow's own reason, kept on the page
    fields = _form(otto, "/config?market=GB")
    assert (fields["marketing.quiet_hours.0"], fields["limits.ceilings.deposit:month"]) == ("21", "2000.00")
    r = _post(otto, "/config/settings", fields)
    assert r.status_code == 409 and "identical to the configuration in force" in r.text
    assert 'id="settings-error"' in r.text


def test_an_invalid_form_is_shown_again_with_each_error_on_its_field(config_app, as_staff) -> None:  # noqa: ANN001
    cleo = as_staff("cleo")
    fields = _form(cleo, "/config?market=SE")
    fields.update({"marketing.quiet_hours.0": "22", "marketing.quiet_hours.1": "30",
                   "marketing.max_messages_per_day": "often"})
    r = _post(cleo, "/config/settings", fields)
    assert r.status_code == 422
    html = r.text
    assert "Some settings are invalid; nothing was proposed." in html
    assert re.search(r'<p class="field-error" id="cfg-marketing-max-messages-per-day-error">'
                     r"Messages per day = often: a whole number, e.g. 24</p>", html)
    assert re.search(r'name="marketing.max_messages_per_day" value="often"[^>]*aria-describedby='
                     r'"cfg-marketing-max-messages-per-day-help cfg-marketing-max-messages-per-day-error"'
                     r' aria-invalid="true"', html)
    assert 'value="30"' in html   # what was typed is kept
    # conversion problems come first; once fixed, the document's own check finds the hours
    fields["marketing.max_messages_per_day"] = "2"
    r = _post(cleo, "/config/settings", fields)
    assert r.status_code == 422
    assert re.search(r'id="cfg-marketing-quiet-hours-error">Quiet hours = \[22, 30\]: \[start_hour, end_hour\): '
                     r"start 0-23, end 0-24, local time</p>", r.text)
    assert '<li data-path="jurisdictions.SE.marketing.quiet_hours"><a href="#cfg-marketing-quiet-hours">' in r.text
    assert audit_of(config_app, "config.proposed") == [] and audit_of(config_app, "config.drafted") == []
    # a CRM manager may not; a missing CSRF token changes nothing
    carl = as_staff("carl")
    assert _post(carl, "/config/settings", {**fields, "csrf_token": carl.csrf}).status_code == 403
    assert _post(cleo, "/config/settings", {k: v for k, v in fields.items() if k != "csrf_token"}).status_code == 403


def test_the_form_on_a_draft_edits_it_for_its_author_only(config_app, as_staff) -> None:  # noqa: ANN001
    cleo, otto = as_staff("cleo"), as_staff("otto")
    r = cleo.post("/v1/config/versions", {"patch": {"jurisdictions": {"NL": {"min_age": 19}}}, "draft": True,
                                          "comment": "NL draft"})
    draft = r.json()["version"]
    assert 'id="settings-form"' not in otto.get(f"/config/versions/{draft}").text   # not otto's draft
    fields = _form(cleo, f"/config/versions/{draft}?market=NL")
    assert fields["market"] == "NL" and fields["comment"] == "NL draft"
    assert fields["limits.ceilings.deposit:month"] == "350.00"
    fields.update({"rg.repeat_after_days": "10", "rg.hard_stop_at": "never"})
    r = _post(cleo, f"/config/versions/{draft}/settings", fields)
    assert r.status_code == 303, r.text
    edited = r.headers["location"].split("/")[-1].split("?")[0]
    detail = cleo.get(f"/v1/config/versions/{edited}").json()
    assert detail["status"] == "draft"
    assert {c["path"]: c["after"] for c in detail["diff"]} == {
        "jurisdictions.NL.min_age": 19, "jurisdictions.NL.rg.repeat_after_days": 10,
        "jurisdictions.NL.rg.hard_stop_at": None}
    [edit] = audit_of(config_app, "config.draft_edited")
    assert (edit.actor, json.loads(edit.body)["previous_draft"]) == ("cleo", draft)
    # the other officer cannot edit it through the form either
    fields_otto = {**fields, "csrf_token": otto.csrf}
    r = _post(otto, f"/config/versions/{edited}/settings", fields_otto)
    assert r.status_code == 403 and "only its author" in r.text


def test_the_diff_against_the_replaced_version_stays_after_approval_and_rejection(config_app, as_staff) -> None:  # noqa: ANN001
    cleo, otto = as_staff("cleo"), as_staff("otto")
    start = config_app.state.runtime.config.version
    first = cleo.post("/v1/config/versions", {"patch": {"jurisdictions": {"SE": {"min_age": 20}}}}).json()["version"]
    otto.post(f"/v1/config/versions/{first}/approve")
    detail = otto.get(f"/v1/config/versions/{first}").json()
    assert detail["status"] == "approved" and detail["diff"] == []   # it is the version in force
    assert detail["parent_version"] == start
    assert detail["parent_diff"] == [{"path": "jurisdictions.SE.min_age", "change": "changed", "before": 18,
                                      "after": 20}]
    page = otto.get(f"/config/versions/{first}").text
    assert "the version it replaced" in page
    assert '<tr data-path="jurisdictions.SE.min_age"><td><code>jurisdictions.SE.min_age</code></td><td>changed</td>' \
           '<td><code>18</code></td><td><code>20</code></td></tr>' in page

    second = otto.post("/v1/config/versions", {"patch": {"stale_after_minutes": 30}}).json()["version"]
    cleo.post(f"/v1/config/versions/{second}/reject", {"comment": "no"})
    detail = cleo.get(f"/v1/config/versions/{second}").json()
    assert detail["status"] == "rejected" and detail["parent_version"] == first
    assert detail["parent_diff"] == [{"path": "stale_after_minutes", "change": "changed", "before": 60, "after": 30}]
    page = cleo.get(f"/config/versions/{second}").text
    assert "it was proposed against (it was rejected: nothing changed)" in page
    assert '<tr data-path="stale_after_minutes">' in page

    third = cleo.post("/v1/config/versions", {"patch": {"stale_after_minutes": 45}}).json()["version"]
    otto.post(f"/v1/config/versions/{third}/approve")
    detail = cleo.get(f"/v1/config/versions/{first}").json()   # superseded: still its own change
    assert detail["status"] == "superseded"
    assert [c["path"] for c in detail["parent_diff"]] == ["jurisdictions.SE.min_age"]
    assert {c["path"] for c in detail["diff"]} == {"stale_after_minutes"}  # against the one in force now
