"""Staff roles and what each may do. Pages and API calls name a permission, never a role."""

from __future__ import annotations

ROLES = ("admin", "crm_manager", "compliance_officer", "rg_officer", "aml_analyst", "support_agent", "auditor")

PERMISSIONS = {
    "dashboard.view": "see the live dashboard",
    "players.view": "search players and open the player-360 page",
    "players.pii": "see contact details (email, phone, names, birth date)",
    "events.view": "see a player's event timeline",
    "decisions.view": "see gate decisions and the outbox",
    "audit.view": "search and export the audit log",
    "rg.view": "see the RG officer's queue and players' risk markers",
    "rg.review": "record an RG review: close cases, lift a hard stop; take an RG case or release one's own",
    "rg.assign": "assign, reassign and unassign RG cases to any officer with rg.review (an RG lead)",
    "protection.edit": "set operator limits on players, impose exclusions and end them",
    "persons.manage": "link two accounts into one person by hand, and unlink a wrong link",
    "aml.view": "see players' AML status and its history",
    "aml.edit": "set a player's AML status (clear, review, restricted, blocked)",
    "segments.edit": "create, edit and archive segments",
    "journeys.edit": "create journeys and save new versions of them",
    "journeys.publish": "publish a journey's version, pause and archive journeys",
    "tasks.work": "create tasks for staff by hand; take, release and complete one's own tasks",
    "tasks.supervise": "complete or release a task a colleague took, and cancel tasks (a team lead)",
    "config.view": "see engine and jurisdiction configuration",
    "config.edit": "propose configuration changes",
    "users.manage": "create and disable staff users",
    "keys.manage": "create and revoke API keys",
}

_GRANTS: dict[str, set[str]] = {
    "admin": set(PERMISSIONS),
    "crm_manager": {"dashboard.view", "players.view", "players.pii", "events.view", "decisions.view",
                    "config.view", "segments.edit", "journeys.edit", "journeys.publish",
                    "tasks.work", "tasks.supervise"},
    "compliance_officer": {"dashboard.view", "players.view", "players.pii", "events.view",
                           "decisions.view", "audit.view", "config.view", "config.edit", "rg.view",
                           "rg.review", "rg.assign", "protection.edit", "persons.manage",
                           "aml.view", "aml.edit", "segments.edit", "journeys.edit", "journeys.publish",
                           "tasks.work", "tasks.supervise"},
    # An RG officer works the cases a lead (a compliance officer) assigns, or takes them.
    "rg_officer": {"dashboard.view", "players.view", "players.pii", "events.view", "rg.view", "rg.review",
                   "tasks.work"},
    "aml_analyst": {"dashboard.view", "players.view", "players.pii", "events.view", "decisions.view",
                    "audit.view", "rg.view", "aml.view", "aml.edit", "tasks.work"},
    "support_agent": {"players.view", "players.pii", "events.view", "tasks.work"},
    "auditor": {"dashboard.view", "players.view", "events.view", "decisions.view", "audit.view",
                "config.view", "rg.view", "aml.view"},
}


def permissions_of(role: str) -> frozenset[str]:
    return frozenset(_GRANTS.get(role, ()))


def can(role: str, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return permission in _GRANTS.get(role, ())
