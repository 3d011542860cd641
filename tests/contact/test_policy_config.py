"""The contact policy in the configuration document: validated with a path for every problem,
defaults when the section is absent, versioned only when it changes something, shown in
diffs, kept by the settings form; and the arbiter's reason codes held to the catalogue."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import croupier
from croupier.compliance.document import (
    InvalidDocument, diff, expanded, in_force_document, parse_document, to_builtins, version_of,
)
from croupier.compliance.reasons import CATALOGUE, explain
from croupier.contact import CHANNELS, DEFAULT_POLICY, REASON_CODES, ContactPolicy, policy_of
from croupier.journeys import CHANNELS as JOURNEY_CHANNELS
from croupier.players.config import EngineConfig
from croupier.web import config_form

SRC = Path(croupier.__file__).parent


def test_a_document_without_the_section_keeps_its_version_and_runs_the_defaults() -> None:
    bare = parse_document({})
    assert bare.contact is None and policy_of(bare) == DEFAULT_POLICY
    assert policy_of(EngineConfig()) == DEFAULT_POLICY
    spelled = parse_document({"contact": to_builtins(DEFAULT_POLICY)})
    assert spelled.contact is None                                  # the defaults written out read as none
    assert version_of(spelled) == version_of(bare) == version_of(parse_document({"contact": {}}))
    # the same id as before the section existed: `contact` is left out of the hash at its default
    assert version_of(bare) == "cfg-d36c7100489c"


def test_a_changed_policy_is_a_new_version_with_its_paths_in_the_diff() -> None:
    changed = parse_document({"contact": {"per_day": 3, "quiet_hours": {"start": "22:00", "end": "08:00"}}})
    assert policy_of(changed).per_day == 3 and policy_of(changed).quiet_hours.start == "22:00"
    assert version_of(changed) != version_of(parse_document({}))
    paths = {c["path"]: (c["before"], c["after"]) for c in diff(to_builtins(parse_document({})), to_builtins(changed))}
    assert paths == {"contact.per_day": (2, 3), "contact.quiet_hours.start": ("21:00", "22:00"),
                     "contact.quiet_hours.end": ("09:00", "08:00")}
    assert expanded({})["contact"]["per_week"] == 7            # the defaults in force, spelled out for reading


def test_switching_quiet_hours_off_is_a_whole_document_with_null() -> None:
    off = parse_document({"contact": {"quiet_hours": None, "fatigue": None, "per_week": None}})
    assert policy_of(off).quiet_hours is None and policy_of(off).fatigue is None and policy_of(off).per_week is None


@pytest.mark.parametrize(("section", "path", "value", "message"), [
    ({"per_day": 99}, "contact.per_day", 99, "<= 24"),
    ({"per_day": 5, "per_week": 3}, "contact.per_day", 5, "above per_week (3)"),
    ({"per_channel_day": {"fax": 1}}, "contact.per_channel_day.fax", 1, "no such channel"),
    ({"per_channel_day": {"sms": -1}}, "contact.per_channel_day.sms", -1, ">= 0"),
    ({"quiet_hours": {"start": "25:00"}}, "contact.quiet_hours.start", "25:00", "HH:MM"),
    ({"quiet_hours": {"start": "9:00"}}, "contact.quiet_hours.start", "9:00", "HH:MM"),
    ({"quiet_hours": {"start": "09:00", "end": "09:00"}}, "contact.quiet_hours.end", "09:00", "equals start"),
    ({"quiet_hours": {"channels": ["pigeon"]}}, "contact.quiet_hours.channels.0", "pigeon", "no such channel"),
    ({"default_timezone": "Mars/Olympus"}, "contact.default_timezone", "Mars/Olympus", "IANA time zone"),
    ({"fatigue": {"pause_days": 7}}, "contact.fatigue.pause_days", 7, "exactly one of"),
    ({"fatigue": {"reduce_to_per_week": None}}, "contact.fatigue.reduce_to_per_week", None, "exactly one of"),
    ({"fatigue": {"after_ignored": 0}}, "contact.fatigue.after_ignored", 0, ">= 1"),
    ({"max_wait_hours": -1}, "contact.max_wait_hours", -1, ">= 0"),
    ({"per_dya": 1}, "contact.per_dya", 1, "unknown field"),
])
def test_each_problem_names_its_path_and_value(section: dict[str, Any], path: str, value: Any, message: str) -> None:
    with pytest.raises(InvalidDocument) as caught:
        parse_document({"contact": section})
    found = [(p.path, p.value) for p in caught.value.problems if message in p.message]
    assert found == [(path, value)], caught.value.problems


def test_the_settings_form_keeps_the_contact_section() -> None:
    """The form edits a market's rules; a document with a contact policy passes through it
    unchanged, with its version."""
    document = to_builtins(in_force_document(EngineConfig()))
    document["contact"] = {"per_day": 1, "per_channel_day": {"push": 1}}
    out = config_form.apply(document, "SE", config_form.values(document, "SE"))
    assert out["contact"] == document["contact"]
    assert version_of(parse_document(out)) == version_of(parse_document(document))


def test_the_policys_channels_are_the_journeys_channels() -> None:
    assert CHANNELS == JOURNEY_CHANNELS


def test_the_defaults_are_a_valid_policy() -> None:
    assert parse_document({"contact": to_builtins(ContactPolicy(per_day=1))}).contact == ContactPolicy(per_day=1)


# -- reason codes ---------------------------------------------------------------------------
def test_the_arbiter_declares_exactly_the_codes_it_gives() -> None:
    """Every "contact.<name>" literal in the arbiter is declared in REASON_CODES, and the other way round."""
    text = (SRC / "contact" / "arbiter.py").read_text(encoding="utf-8")
    body = text[text.index("_EPOCH ="):]                   # the code, after the declarations
    given = set(re.findall(r"\"(contact\.[a-z_]+)", body))
    assert given == {code.split(":", 1)[0] for code in REASON_CODES}


@pytest.mark.parametrize("code", REASON_CODES)
def test_every_code_is_said_in_words(code: str) -> None:
    head = code.split(":", 1)[0]
    assert head in CATALOGUE and CATALOGUE[head].pattern == code
    assert explain(head).known


# -- the documentation ----------------------------------------------------------------------
def _leaves(tree: dict[str, Any], prefix: str = "contact") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and key != "per_channel_day":
            out.update(_leaves(value, f"{prefix}.{key}"))
        else:
            out[f"{prefix}.{key}"] = value
    return out


def test_every_key_is_documented_with_its_default() -> None:
    """docs/configuration.md has a row per key of the section, and the row gives its default."""
    import json

    text = (SRC.parents[1] / "docs" / "configuration.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in text.splitlines()
            if line.startswith("| `contact.")}
    for path, default in _leaves(to_builtins(DEFAULT_POLICY)).items():
        row = next((key for key in rows if f"`{path}`" in key or (path.endswith(".end") and
                                                                   f"`{path[:-4]}.start`, `.end`" in key)), None)
        assert row is not None, f"{path} has no row in docs/configuration.md"
        assert json.dumps(default) in rows[row], (path, rows[row])


def test_the_contact_package_is_pure() -> None:
    """No storage, web or clock: the arbiter imports only itself, msgspec and the standard library."""
    for path in sorted((SRC / "contact").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import) (croupier\.(?!contact)|sqlalchemy|fastapi|starlette)", text,
                             re.MULTILINE), path.name
        assert "time.time" not in text and "datetime.now" not in text and "utcnow" not in text, path.name
