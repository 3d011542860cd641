"""The national registers the simulated markets name, given empty lists: simulated people are
listed nowhere. Marketing waits for a market's register and a register nobody configured
holds it for good, so the demo and the benchmarks configure them (audited like any import)
to show the operator they simulate, not one whose promotions are all held."""

from __future__ import annotations

import time
from typing import Any

SOURCE = "croupier simulator: a simulated market's register, nobody listed"


def configure_simulated_registers(runtime: Any, actor: str) -> list[str]:
    """Import an empty list for each register the simulated markets' rules name, unless a
    list was imported already; returns the register names."""
    from croupier.compliance.rules import rules_for
    from croupier.protection.registers import import_entries, last_batch
    from croupier.sim.markets import JURISDICTIONS
    from croupier.store import audit as audit_store

    table = getattr(runtime.config, "jurisdictions", None) or None
    names = sorted({name for j in JURISDICTIONS if (name := rules_for(j.code, table).exclusions.register)})
    now_us = time.time_ns() // 1000
    with runtime.db.engine.begin() as conn:
        for name in names:
            if last_batch(conn, name) is None:
                batch = import_entries(conn, name, [], SOURCE, now_us)
                audit_store.append(conn, [audit_store.Entry(
                    at_us=now_us, actor=actor, kind="protection.register_imported", subject=name,
                    body={"batch_id": batch, "source": SOURCE, "entries": 0})])
    return names
