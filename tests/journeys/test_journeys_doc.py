"""docs/journeys.md: its examples are valid journeys, the errors it shows are the errors
Croupier gives, and its lists (event types, planned types, bounds, templates, queues,
channels) are the code's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from croupier.journeys import (
    BOUNDS, CHANNELS, PLANNED, PROTECTIVE, QUEUES, TEMPLATE_KEYS, JourneyError, event_types, from_json, load,
    template, to_builtins,
)
from croupier.journeys.durations import words
from croupier.journeys.event_types import NOT_PLAYER_TYPES
from croupier.events import FACT_NAMES, TYPE_NAMES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "journeys.md").read_text()


def _blocks(tag: str) -> list[str]:
    return re.findall(rf"```{tag}\n(.*?)```", DOC, re.S)


def _journeys() -> list[str]:
    return [b for b in _blocks("json") if b.lstrip().startswith("{\n  \"key\"")]


def test_the_examples_are_valid_journeys() -> None:
    first, full, wrong = _journeys()
    for text in (first, full):
        j = load(text)
        assert to_builtins(j) == json.loads(text)            # written as Croupier writes it back
    assert load(full).holdout_percent == 10


def test_the_errors_shown_are_the_errors_given() -> None:
    wrong = _journeys()[2]
    shown, = [b for b in _blocks("text") if b.startswith("$.")]
    with pytest.raises(JourneyError) as caught:
        load(wrong)
    assert [str(p) for p in caught.value.problems] == shown.strip().splitlines()


def test_the_trigger_and_fragment_examples_read() -> None:
    fragments = [b for b in _blocks("json") if not b.lstrip().startswith("{\n  \"key\"")]
    triggers = [line for b in fragments for line in _objects(b) if '"kind"' in line]
    assert len(triggers) == 6
    for t in triggers:
        base = {"key": "k", "name": "n", "version": 1, "purpose": "promotional",
                "steps": [{"kind": "exit", "id": "e"}]}
        load({**base, "trigger": json.loads(t)})


def _objects(block: str) -> list[str]:
    """Top-level JSON objects of a block written one after another."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(block):
        if ch == "{":
            depth, start = depth + 1, (i if depth == 0 else start)
        elif ch == "}":
            depth -= 1
            if depth == 0:
                out.append(block[start:i + 1])
    return out


def test_every_event_type_is_listed() -> None:
    listed = set(re.findall(r"`((?:[a-z]+\.)[a-z_]+|rollback)`", DOC))
    not_players = {t.__struct_config__.tag for t in NOT_PLAYER_TYPES}
    for name in (*TYPE_NAMES, *[f for f in FACT_NAMES if f not in not_players], *PLANNED):
        assert name in listed, name
    assert set(event_types()) <= listed
    for name in PROTECTIVE:
        assert f"`{name}`" in DOC


def test_the_planned_types_table_is_the_code() -> None:
    for name, fields in PLANNED.items():
        row = next(line for line in DOC.splitlines() if line.startswith(f"| `{name}`") or f"/ `{name}`" in line)
        for field in fields:
            assert f"`{field}`" in row, (name, field)


def test_the_bounds_table_is_the_code() -> None:
    rows = {"wait": "| `wait` step |", "timeout": "| `wait_for_event` timeout |",
            "expires_after": "| message `expires_after` |", "due_in": "| task `due_in` |",
            "window": "| goal `window` |", "cooldown": "| re-entry `cooldown` |"}
    for kind, (least, most) in BOUNDS.items():
        line = next(line for line in DOC.splitlines() if line.startswith(rows[kind]))
        assert f"| {words(least)} | {words(most)} |" in line, line


def test_channels_queues_and_templates_are_listed() -> None:
    for name in (*CHANNELS, *QUEUES):
        assert f"`{name}`" in DOC
    for key in TEMPLATE_KEYS:
        row = next(line for line in DOC.splitlines() if line.startswith(f"| `{key}` |"))
        j = template(key)
        assert row.rstrip(" |").endswith(f"{j.group}, {j.priority}"), row


def test_the_first_example_is_what_the_page_says() -> None:
    j = from_json(_journeys()[0])
    assert j.steps[0].id == "hello" and j.exit_when == ("excluded = true or rg.level >= medium",)
