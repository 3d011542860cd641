"""Restart a running `croupier serve` under a continuous wallet load and report what clients saw.

    python3 scripts/bench_restart.py --db sqlite:///restart.db --mode stop-start --runs 3
    python3 scripts/bench_restart.py --db postgresql://root@127.0.0.1/restart --workers 2 --mode sighup

`--clients` threads post deposits back to back, each on its own keep-alive connection.
`stop-start` sends SIGTERM, waits for the process to exit and starts a new one on the same
port; `sighup` sends SIGHUP to the supervisor and waits until every worker was replaced.
Per run it reports requests dropped (sent, never answered), 503 answers, the window during
which connections were refused, and the longest time without an accepted write. The
database must exist (it is migrated on start); figures are in BENCHMARKS.md."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import httpx

CROUPIER = [sys.executable, "-c", "from croupier.cli import main; main()"]


def workers_of(pid: int) -> set[str]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return set()
    return {c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--mode", choices=("stop-start", "sighup"), default="stop-start")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    env = {**os.environ, "CROUPIER_DATABASE_URL": args.db}
    keys = subprocess.run([*CROUPIER, "keys", "create", "--scope", "ingest", "--name", "bench-restart"],
                          env=env, capture_output=True, text=True, check=True).stdout
    headers = {"Authorization": "Bearer " + re.search(r"crp_[A-Za-z0-9_-]+", keys).group(0)}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"

    def start() -> subprocess.Popen:
        return subprocess.Popen([*CROUPIER, "serve", "--port", str(port), "--workers", str(args.workers)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    server = start()
    while True:
        try:
            httpx.get(base + "/v1/health", timeout=60)
            break
        except httpx.TransportError:
            time.sleep(0.05)
    players = [f"restart-{i}" for i in range(args.clients)]
    now = datetime.now(timezone.utc).isoformat()
    registrations = [{"event_id": uuid.uuid4().hex, "type": "player.registered", "player_id": p, "brand": "bench",
                      "occurred_at": now, "jurisdiction": "MT", "country": "MT", "currency": "EUR",
                      "language": "en", "birth_date": "1980-01-01"} for p in players]
    httpx.post(base + "/v1/events", content=json.dumps(registrations), headers=headers, timeout=60).raise_for_status()
    results = []
    for run in range(args.runs):
        log: list[tuple[float, float, int | str]] = []   # (sent, answered, status or what went wrong)
        stop = threading.Event()

        def client(player: str) -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
                while not stop.is_set():
                    sent = time.monotonic()
                    body = {"transaction_id": uuid.uuid4().hex, "amount": "1.00", "currency": "EUR"}
                    try:
                        outcome: int | str = http.post(f"/v1/wallet/{player}/deposits", json=body).status_code
                    except httpx.ConnectError:
                        outcome = "refused"
                        time.sleep(0.01)
                    except httpx.TransportError:
                        outcome = "dropped"
                    log.append((sent, time.monotonic(), outcome))

        threads = [threading.Thread(target=client, args=(p,)) for p in players]
        for t in threads:
            t.start()
        time.sleep(1)
        began = time.monotonic()
        if args.mode == "sighup":
            old = workers_of(server.pid)
            server.send_signal(signal.SIGHUP)
            while (current := workers_of(server.pid)) & old or len(current) < args.workers:
                time.sleep(0.1)
        else:
            server.send_signal(signal.SIGTERM)
            server.wait()
            exited = time.monotonic()
            server = start()
            while not any(status == 200 and sent > exited for sent, _, status in list(log)):
                time.sleep(0.05)
        time.sleep(1)
        stop.set()
        for t in threads:
            t.join()
        after = sorted(entry for entry in log if entry[1] >= began)
        refused = [entry for entry in after if entry[2] == "refused"]
        accepted = [began] + [answered for _, answered, status in after if status == 200]
        row = {"dropped": sum(1 for e in after if e[2] == "dropped"), "503": sum(1 for e in after if e[2] == 503),
               "refused_s": refused[-1][0] - refused[0][0] if refused else 0.0,
               "no_write_s": max(b - a for a, b in zip(accepted, accepted[1:]))}
        results.append(row)
        print(f"run {run + 1}: dropped {row['dropped']}, 503 {row['503']}, connections refused for "
              f"{row['refused_s']:.2f} s, longest without an accepted write {row['no_write_s']:.2f} s", flush=True)
    server.send_signal(signal.SIGTERM)
    server.wait()
    print(f"median: refused {statistics.median(r['refused_s'] for r in results):.2f} s, without an accepted write "
          f"{statistics.median(r['no_write_s'] for r in results):.2f} s; dropped {sum(r['dropped'] for r in results)}")


if __name__ == "__main__":
    main()
