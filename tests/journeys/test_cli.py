"""`croupier journeys check` and `croupier journeys templates`, as a user runs them."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from croupier.cli import app
from croupier.cli import journeys as _commands  # noqa: F401  registers the commands
from croupier.journeys import TEMPLATE_KEYS


def _run(*args: str, stdin: str | None = None):  # noqa: ANN202
    return CliRunner().invoke(app, ["journeys", *args], input=stdin)


def test_templates_list_and_print_valid_json(tmp_path) -> None:  # noqa: ANN001
    listed = _run("templates")
    assert listed.exit_code == 0 and all(key in listed.output for key in TEMPLATE_KEYS)
    printed = _run("templates", "welcome")
    assert printed.exit_code == 0 and json.loads(printed.output)["key"] == "welcome"
    path = tmp_path / "welcome.json"
    path.write_text(printed.output)
    checked = _run("check", str(path))
    assert checked.exit_code == 0 and "is valid" in checked.output
    assert _run("templates", "nope").exit_code == 2


def test_check_lists_every_problem_with_its_path_and_fails(tmp_path) -> None:  # noqa: ANN001
    journey = json.loads(_run("templates", "welcome").output)
    journey["holdout_percent"] = 80
    journey["steps"][0]["next"] = "nowhere"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(journey))
    result = _run("check", str(bad), "-", stdin="{not json")
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "$.holdout_percent" in output and "$.steps[0].next" in output and "did you mean" in output
    assert "standard input" in output
    assert "cannot read it" in " ".join(_run("check", str(tmp_path / "missing.json")).output.split())
