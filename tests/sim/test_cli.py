"""`croupier simulate`: files on disk, or batches POSTed to a server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from typer.testing import CliRunner

import croupier.cli.simulate  # noqa: F401  (registers the command)
from croupier.cli.app import app

ARGS = ["--players", "80", "--days", "5", "--seed", "3", "--start", "2025-06-01"]


def invoke(args: list[str], **kwargs: Any) -> Any:
    """Run `croupier simulate ...`; Typer drops the command name when it is the only one
    registered (other command modules may or may not be imported in this process)."""
    single = len(app.registered_commands) == 1 and not app.registered_groups
    return CliRunner().invoke(app, args if single else ["simulate", *args], **kwargs)


class Receiver(ThreadingHTTPServer):
    """A stand-in Croupier that records what it is sent and answers like /v1/events."""

    def __init__(self, port: int = 0, status: int = 200) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.status = status
        self.requests: list[tuple[str, str | None, list[dict[str, Any]]]] = []
        self.seen: set[str] = set()


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, self.headers.get("Authorization"), body))
        if self.server.status != 200:
            answer: dict[str, Any] = {"detail": "invalid API key"}
        else:
            fresh = [e for e in body if e["event_id"] not in self.server.seen]
            self.server.seen.update(e["event_id"] for e in body)
            rejected = [{"index": i, "event_id": e["event_id"], "field": "brand", "reason": "unknown brand"}
                        for i, e in enumerate(body) if e["brand"] == "nordlys"][:1]
            answer = {"accepted": len(fresh) - len(rejected), "duplicates": len(body) - len(fresh),
                      "rejected": rejected}
        payload = json.dumps(answer).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


def _serve(server: Receiver) -> Iterator[Receiver]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from _serve(Receiver())


def _url(server: Receiver) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_writes_events_and_labels_files(tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "run.jsonl"
    result = invoke([*ARGS, "--out", str(out)])
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in out.read_text().splitlines()]
    labels = [json.loads(line) for line in (tmp_path / "run-labels.jsonl").read_text().splitlines()]
    assert len(events) > 1000 and len(labels) == 80
    assert {e["player_id"] for e in events} <= {l["player_id"] for l in labels}
    assert "Events by type" in result.output and "Players by archetype" in result.output
    assert f"{len(events):,}" in result.output

    again = tmp_path / "again.jsonl"
    labels_path = tmp_path / "truth.jsonl"
    result = invoke([*ARGS, "--out", str(again), "--labels", str(labels_path)])
    assert result.exit_code == 0, result.output
    assert again.read_bytes() == out.read_bytes()
    assert labels_path.read_bytes() == (tmp_path / "run-labels.jsonl").read_bytes()


def test_streams_batches_to_a_server(tmp_path, receiver: Receiver) -> None:  # noqa: ANN001
    out = tmp_path / "reference.jsonl"
    assert invoke([*ARGS, "--out", str(out)]).exit_code == 0
    reference = [json.loads(line) for line in out.read_text().splitlines()]

    result = invoke([*ARGS, "--to", _url(receiver), "--api-key", "k-123"])
    assert result.exit_code == 0, result.output
    assert len(receiver.requests) == -(-len(reference) // 5000) >= 2
    assert all(path == "/v1/events" and auth == "Bearer k-123" and len(batch) <= 5000
               for path, auth, batch in receiver.requests)
    assert [e for _, _, batch in receiver.requests for e in batch] == reference
    rejected = sum(1 for _, _, batch in receiver.requests if any(e["brand"] == "nordlys" for e in batch))
    assert f"{len(reference) - rejected:,} accepted" in result.output
    assert "unknown brand" in result.output
    assert not (tmp_path / "sim-events.jsonl").exists()


def test_the_api_key_can_come_from_the_environment(receiver: Receiver) -> None:
    result = invoke([*ARGS, "--to", _url(receiver)], env={"CROUPIER_API_KEY": "from-env"})
    assert result.exit_code == 0, result.output
    assert {auth for _, auth, _ in receiver.requests} == {"Bearer from-env"}


def test_a_refusing_server_fails_the_command_with_its_answer() -> None:
    for server in _serve(Receiver(status=401)):
        result = invoke([*ARGS, "--to", _url(server), "--api-key", "wrong"])
        assert result.exit_code == 1
        assert "401" in result.output and "invalid API key" in result.output
        assert len(server.requests) == 1  # no point sending the rest


def test_connection_errors_are_retried(tmp_path) -> None:  # noqa: ANN001
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    late: list[Receiver] = []

    def start_late() -> None:
        time.sleep(0.8)
        late.append(Receiver(port))
        late[0].serve_forever()

    threading.Thread(target=start_late, daemon=True).start()
    try:
        result = invoke([*ARGS, "--to", f"http://127.0.0.1:{port}", "--api-key", "k"])
        assert result.exit_code == 0, result.output
        assert "retrying" in result.output
        assert late and late[0].requests
    finally:
        if late:
            late[0].shutdown()
            late[0].server_close()


def test_live_needs_a_server() -> None:
    result = invoke([*ARGS, "--live"])
    assert result.exit_code == 2
    assert "--to" in result.output


def test_a_bad_start_is_explained() -> None:
    result = invoke([*ARGS[:-2], "--start", "last tuesday"])
    assert result.exit_code == 2
    assert "ISO date" in result.output
