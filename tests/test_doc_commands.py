"""Every `croupier …` command line in the operator's documentation names a real command and
real options. The pages were checked by running them when written; this keeps them true
when a command or an option is renamed or removed."""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["docs/deployment.md", "docs/integration.md", "docs/ingestion-files-and-stream.md", "README.md"]
FENCE = re.compile(r"^[ \t]*```(?:bash|ini|sh)[^\n]*\n(.*?)^[ \t]*```", re.M | re.S)
# `croupier` in command position: a line's start (a path before it allowed), `$(`, after
# `;`, `&&` or `|`, or a systemd Exec line; not the word in `createdb --owner croupier`.
INVOCATION = re.compile(r"(?:^\s*(?:[\w./-]*/)?|\$\(|[;&|]\s*|Exec\w*=(?:[\w./-]*/)?)croupier((?:[ \t]+[^\s|;)`&]+)*)",
                        re.M)


def _app() -> Any:
    import croupier.cli as cli
    from croupier.cli.app import app

    for name in cli._COMMAND_MODULES:
        importlib.import_module(f"croupier.cli.{name}")
    return typer.main.get_command(app)


def invocations(text: str) -> list[str]:
    """The argument strings of every `croupier` invocation in the page's code blocks."""
    out = []
    for block in FENCE.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            if line.lstrip().startswith("#"):
                continue
            out += [m.strip() for m in INVOCATION.findall(line) if m.strip()]
    return out


def problems_with(args: str, root: Any) -> list[str]:
    words = shlex.split(args.replace("…", "x"), comments=True)
    command, path = root, ["croupier"]
    while hasattr(command, "commands") and words and not words[0].startswith("-"):
        name = words.pop(0)
        if name not in command.commands:
            return [f"croupier {' '.join(path[1:] + [name])}: no such command"]
        command, path = command.commands[name], path + [name]
    if hasattr(command, "commands"):
        return [] if words in ([], ["--help"]) else [f"{' '.join(path)}: needs a subcommand"]
    known = {"--help"}
    for param in command.params:
        known.update(getattr(param, "opts", []), getattr(param, "secondary_opts", []))
    return [f"{' '.join(path)}: no option {w.split('=')[0]}" for w in words
            if w.startswith("-") and w.split("=")[0] not in known]


def test_the_checker_catches_what_it_should() -> None:
    root = _app()
    assert problems_with("serve --workers 2 --trusted-proxy 127.0.0.1", root) == []
    assert problems_with("serve --worker 2", root) != []
    assert problems_with("keys make --scope read", root) != []
    assert invocations("```bash\nexport K=$(croupier keys create --scope ingest | grep -o x)\n```\n") == [
        "keys create --scope ingest"]
    assert invocations("```ini\nExecStart=/opt/croupier/bin/croupier consume --no-process\n```\n") == [
        "consume --no-process"]


@pytest.mark.parametrize("page", PAGES)
def test_every_documented_command_exists(page: str) -> None:
    root = _app()
    found = invocations((ROOT / page).read_text())
    assert found, f"{page}: no croupier command found (is the pattern still right?)"
    problems = [p for args in found for p in problems_with(args, root)]
    assert problems == [], f"{page}: " + "; ".join(problems)
