"""`croupier demo`'s terminal: the startup text fits an 80-column terminal with nothing a
reader copies (URLs, the API key, the password) broken across lines, and the backfill shows
its progress in the terminal and in the runtime state the dashboard reads."""

from __future__ import annotations

import io
import re
import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from rich.console import Console

from conftest import preset_registers
from croupier.cli.serve import backfill, print_startup
from croupier.privacy.credentials import new_api_key


def terminal(width: int = 80) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=width, force_terminal=False, color_system=None), out


@pytest.mark.parametrize("host,port", [("127.0.0.1", 8000), ("croupier-demo.operator.internal", 18443)])
def test_startup_text_fits_80_columns_without_breaking_what_is_copied(host: str, port: int) -> None:
    console, out = terminal(80)
    token, password = new_api_key(signing=False).token, "Xy3_-kP9qLm2Rt7w"
    registers = preset_registers()
    print_startup(console, host=host, port=port, password=password, token=token, players=6000, days=4,
                  registers=registers)
    lines = out.getvalue().splitlines()
    assert lines and all(len(line) <= 80 for line in lines), "\n".join(lines)
    for whole in (f"http://{host}:{port}/", f"http://{host}:{port}/docs", token, f"admin / {password}",
                  "/help/exclusions-and-registers"):
        assert any(whole in line for line in lines), (whole, lines)
    text = " ".join(out.getvalue().split())
    assert f"National registers {', '.join(registers)} answer from empty demo lists" in text
    assert "6,000 players; 4 days of history are backfilled first" in text
    # wrapped values stay in their column: continuation lines are indented past the labels
    label_width = 2 + len("National registers") + 2
    for line in lines[1:]:
        first = re.match(r"\s*", line).end()
        assert len(line) < 80 and first in (2, label_width), line


def test_startup_text_for_an_existing_admin_says_the_password_is_unchanged() -> None:
    console, out = terminal(80)
    print_startup(console, host="127.0.0.1", port=8000, password=None, token=new_api_key(False).token,
                  players=10, days=1, registers=["GAMSTOP"])
    assert "admin (existing user, password unchanged)" in out.getvalue()
    assert "10 players; 1 day of history" in " ".join(out.getvalue().split())


class Recording:
    """Wraps the runtime's Backfill and keeps every snapshot the demo publishes."""

    def __init__(self, inner) -> None:  # noqa: ANN001
        self.inner, self.seen = inner, []

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.inner, name)

    def advance(self, simulated_to: datetime, events: int) -> None:
        self.inner.advance(simulated_to, events)
        self.seen.append(self.inner.snapshot())


def test_backfill_shows_progress_in_the_terminal_and_the_runtime(sqlite_url: str) -> None:
    from croupier.api import Runtime
    from croupier.sim import SimConfig, Simulator

    start = (datetime.now(timezone.utc) - timedelta(days=2)).replace(second=0, microsecond=0)
    until = start + timedelta(days=2)
    runtime = Runtime(sqlite_url)
    try:
        runtime.backfill = Recording(runtime.backfill)
        console, out = terminal(80)
        sim = Simulator(SimConfig(seed=7, players=40, days=2, start=start))
        count = backfill(runtime, sim, start, until, threading.Event(), console)
        with runtime.db.engine.connect() as conn:
            producers = "SELECT count(*) FROM events WHERE type NOT LIKE 'croupier.%'"   # not the engine's facts
            assert conn.execute(sa.text(producers)).scalar() == count > 100
        seen = runtime.backfill.seen
        assert len(seen) == 48                                # one per simulated hour
        assert [s["day"] for s in seen] == [1] * 23 + [2] * 25
        assert all(s["days"] == 2 and s["running"] for s in seen)
        assert [s["events"] for s in seen] == sorted(s["events"] for s in seen) and seen[-1]["events"] == count
        assert seen[0]["fraction"] == round(1 / 48, 4) and seen[-1]["fraction"] == 1.0
        assert "day 2 of 2" in seen[-1]["text"] and f"{count:,} events" in seen[-1]["text"]
        assert runtime.backfill.snapshot() is None            # done: the dashboard notice goes away
        shown = out.getvalue()
        assert "Backfill" in shown and "day 2/2" in shown and f"{count:,} events" in shown
        assert all(len(line) <= 80 for line in shown.splitlines())
    finally:
        runtime.close()


def test_a_stopped_backfill_clears_its_progress(sqlite_url: str) -> None:
    from croupier.api import Runtime
    from croupier.sim import SimConfig, Simulator

    start = (datetime.now(timezone.utc) - timedelta(days=1)).replace(second=0, microsecond=0)
    runtime = Runtime(sqlite_url)
    try:
        stop = threading.Event()
        stop.set()
        sim = Simulator(SimConfig(seed=7, players=40, days=1, start=start))
        count = backfill(runtime, sim, start, start + timedelta(days=1), stop, terminal()[0])
        assert count >= 1 and runtime.backfill.snapshot() is None
    finally:
        runtime.close()
