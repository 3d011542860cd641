"""Pure modules stay pure through their packages' faces: importing the gate, the rules, the
limit check, the ledger's legs or the fold in a fresh interpreter loads no database code
(docs/architecture.md: pure modules never import a service, not even through `__init__.py`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import croupier

SRC = str(Path(croupier.__file__).resolve().parents[1])

PURE = ["croupier.compliance", "croupier.compliance.gate", "croupier.compliance.rules",
        "croupier.compliance.document", "croupier.protection", "croupier.protection.limits_check",
        "croupier.ledger", "croupier.ledger.legs", "croupier.players", "croupier.players.apply"]


def _fresh_import(module: str) -> list[str]:
    """The modules a fresh interpreter has loaded after importing `module`."""
    code = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                         timeout=60)
    return json.loads(out.stdout)


@pytest.mark.parametrize("module", PURE)
def test_a_pure_module_imports_no_database(module: str) -> None:
    loaded = _fresh_import(module)
    leaked = [m for m in loaded if m == "sqlalchemy" or m.startswith(("sqlalchemy.", "croupier.store"))
              or m == "croupier.compliance.config_store"]
    assert leaked == [], f"importing {module} loads {leaked}"


@pytest.mark.parametrize("module", ["croupier.store.audit", "croupier.compliance.config_store",
                                    "croupier.compliance.shadow"])
def test_the_services_import_first_without_a_cycle(module: str) -> None:
    """Each side of the old compliance <-> store.audit cycle imports on its own."""
    assert module in _fresh_import(module)


def test_the_compliance_face_offers_the_document_not_the_service() -> None:
    import croupier.compliance as face
    from croupier.compliance import document

    assert face.ConfigDocument is document.ConfigDocument
    assert face.jurisdiction_table is document.jurisdiction_table
    assert "config_store" not in face.__all__
