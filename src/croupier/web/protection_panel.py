"""What the player's protection panel shows beyond the player-360 view, by permission: the
newest RG case with its history and the officers it can be assigned to (`rg.view`,
`rg.assign`), and what the jurisdiction's rules allow for ending each active exclusion
(`protection.edit`)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from croupier.protection import exclusions as ex
from croupier.protection.exclusions_hook import policy_for
from croupier.protection.rg_cases import case_view, human_cases, officers
from croupier.web.staff import Staff


def panel_context(runtime: Any, staff: Staff, player_id: str) -> dict[str, Any]:  # noqa: ANN401
    out: dict[str, Any] = {"rg_case": None, "officers": [], "endings": {}}
    state = runtime.engine.state_of(player_id)
    if state is None:
        return out
    with runtime.db.reader.connect() as conn:
        if staff.can("rg.view"):
            cases = human_cases(state.protection)
            if cases:
                out["rg_case"] = case_view(conn, player_id, cases[0])
            if staff.can("rg.assign"):
                out["officers"] = officers(conn)
        if staff.can("protection.edit"):
            rules = policy_for(runtime.engine).rules_of
            out["endings"] = {x["exclusion_id"]: x for x in
                              ex.ending_options(conn, player_id, datetime.now(timezone.utc), rules)}
    return out
