"""docs/settings.md is generated from the code (scripts/generate_docs.py; kept current by
tests/test_docs.py). These tests keep its one blind spot closed: an environment variable read
outside a command-line option is listed only if croupier.settings declares it."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from croupier.settings import BY_NAME, ENVIRONMENT, NOT_ENVIRONMENT

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"CROUPIER_[A-Z0-9_]+")


def _names_in(folder: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in folder.rglob("*.py"):
        for name in set(NAME.findall(path.read_text())):
            found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return found


def _generator():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("generate_docs", ROOT / "scripts" / "generate_docs.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_every_variable_the_code_names_is_declared() -> None:
    used = _names_in(ROOT / "src")
    undeclared = {n: where for n, where in used.items() if n not in BY_NAME and n not in NOT_ENVIRONMENT}
    assert undeclared == {}, "declare these in croupier.settings.ENVIRONMENT (or NOT_ENVIRONMENT)"


def test_every_declared_variable_is_read_somewhere() -> None:
    """No stale entries: each server variable is named in src/, each test one in tests/."""
    src, tests = _names_in(ROOT / "src"), _names_in(ROOT / "tests")
    for var in ENVIRONMENT:
        where = src if var.audience == "server" else tests
        assert var.name in where, f"{var.name} is declared but nothing reads it"


def test_reference_lists_every_option_and_variable() -> None:
    text = _generator().settings_text()
    for var in ENVIRONMENT:
        assert f"| `{var.name}` |" in text
    # Options come from the Typer app itself: spot-check a few across commands.
    for row in ("| `--workers` | integer | `1` |", "| `--trusted-proxy` | text, repeatable | - | `CROUPIER_TRUSTED_PROXIES` |",
                "| `--nats` | text | - | `CROUPIER_NATS_URL` |", "| `--scope` | text, repeatable | required |",
                "| `--process` / `--no-process` | flag | `--process` |", "| `--password` | text | - | `CROUPIER_PASSWORD` |"):
        assert row in text, row
    assert "### croupier keys create" in text and "`croupier ingest [OPTIONS] FILE`" in text


def test_an_option_naming_an_undeclared_variable_stops_the_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new option whose fallback variable nobody declared cannot slip into the docs unexplained."""
    generator = _generator()
    from croupier import settings

    monkeypatch.setattr(settings, "BY_NAME", {k: v for k, v in BY_NAME.items() if k != "CROUPIER_NATS_URL"})
    with pytest.raises(SystemExit, match="CROUPIER_NATS_URL"):
        generator.settings_text()


def test_cli_help_and_reference_agree_on_the_commands() -> None:
    """Every command `croupier --help` lists has its section (the walk misses no group)."""
    import subprocess

    text = (ROOT / "docs" / "settings.md").read_text()
    out = subprocess.run([sys.executable, "-c", "from croupier.cli import main; main()", "--help"], capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    commands_box = out.stdout.split("Commands", 1)[1]
    listed = re.findall(r"^\W (\w[\w-]*)\s{2,}", commands_box, re.M)
    assert {"serve", "keys", "registers"} <= set(listed), out.stdout
    for command in listed:
        assert f"### croupier {command}" in text, command
