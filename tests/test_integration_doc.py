"""docs/integration.md's worked example ("Connect your platform, step by step") is run for real.

Every fenced block marked ```` ```bash example ```` is run, in document order, in one bash
session (as a reader would paste them into one terminal), against a `croupier serve` started
here on a fresh database, with the documented base URL replaced by this server's. The
`croupier` on the session's PATH runs this checkout's code. Each ```` ```json answer ````
block must match the output of the example block just before it: every key it shows is in
the real answer with that value (`"…"` stands for any value; a list ending in `"…"` matches
a longer one by its first elements). So a change of route, field, scope or answer that the
page does not follow fails here."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from conftest import require_service

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "integration.md"
DOCUMENTED_BASE = "http://127.0.0.1:8000"
ANY = "…"
MARK = "@@croupier-doc-block@@"
FENCE = re.compile(r"^```(\w+)(?:[ \t]+(\w+))?[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


def blocks(text: str) -> list[tuple[str, str]]:
    """(kind, body) for every `bash example` and `json answer` block, in order."""
    out = []
    for language, marker, body in FENCE.findall(text):
        if (language, marker) in (("bash", "example"), ("json", "answer")):
            out.append((marker, body))
    return out


def matches(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Where `actual` differs from the documented `expected` (empty: it matches)."""
    if expected == ANY:
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing from the real answer")
            else:
                problems += matches(value, actual[key], f"{path}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: expected a list, got {actual!r}"]
        open_ended = bool(expected) and expected[-1] == ANY
        items = expected[:-1] if open_ended else expected
        if len(actual) < len(items) or (not open_ended and len(actual) != len(items)):
            return [f"{path}: {len(actual)} elements, the page shows {len(items)}{' or more' if open_ended else ''}"]
        return [p for i, item in enumerate(items) for p in matches(item, actual[i], f"{path}[{i}]")]
    if expected != actual or type(expected) is not type(actual):
        return [f"{path}: the page shows {expected!r}, the server answered {actual!r}"]
    return []


def test_the_matcher_catches_differences() -> None:
    assert matches({"a": 1, "b": [1, ANY]}, {"a": 1, "b": [1, 2, 3], "c": 0}) == []
    assert matches({"a": 1}, {"a": 2}) != []
    assert matches({"a": 1}, {"a": True}) != []
    assert matches({"a": [1]}, {"a": [1, 2]}) != []
    assert matches({"a": {"b": ANY}}, {"a": {}}) != []


def test_the_page_has_a_worked_example() -> None:
    found = blocks(DOC.read_text())
    assert sum(kind == "example" for kind, _ in found) >= 8
    assert sum(kind == "answer" for kind, _ in found) >= 8
    for i, (kind, _) in enumerate(found):   # every answer follows an example
        if kind == "answer":
            assert i > 0 and found[i - 1][0] == "example", f"answer block {i} has no example before it"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_worked_example_runs_as_documented(tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        require_service("curl", "the worked example uses curl (apt-get install curl)")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "croupier"   # this checkout's code, whatever is installed
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'from croupier.cli import main; main()' \"$@\"\n")
    shim.chmod(0o755)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
           "CROUPIER_DATABASE_URL": f"sqlite:///{tmp_path / 'croupier.db'}"}
    for name in ("CROUPIER_CONFIG", "CROUPIER_REGISTERS", "CROUPIER_TRUSTED_PROXIES"):
        env.pop(name, None)
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(shim), "serve", "--port", str(port)], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:   # up, and its engine holds the lease (so answers say `processed: true`)
                health = httpx.get(f"{base}/v1/health", timeout=2)
                if health.status_code == 200 and health.json()["engine"]["leader"]:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else "server exited"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)

        found = blocks(DOC.read_text())
        script = ["set -euo pipefail"]
        for i, (kind, body) in enumerate(found):
            if kind == "example":
                script += [f"echo '{MARK} {i}'", body.replace(DOCUMENTED_BASE, base)]
        run = subprocess.run(["bash", "-c", "\n".join(script)], env=env, cwd=tmp_path, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0, f"an example failed:\n{run.stdout}\n{run.stderr}"
        outputs: dict[int, str] = {}
        for part in run.stdout.split(MARK)[1:]:
            index, _, output = part.partition("\n")
            outputs[int(index)] = output
        assert len(outputs) == sum(kind == "example" for kind, _ in found)
        problems = []
        for i, (kind, body) in enumerate(found):
            if kind != "answer":
                continue
            shown, real = json.loads(body), outputs[i - 1].strip()
            try:
                answer = json.loads(real)
            except json.JSONDecodeError:
                problems.append(f"example before answer block {i}: not one JSON answer: {real!r}")
                continue
            problems += [f"answer block {i}: {p}" for p in matches(shown, answer)]
        assert problems == [], "\n".join(problems)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
