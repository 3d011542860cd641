"""The compliance gate, proposed actions and decisions, and the audit hash chain."""

from croupier.compliance.actions import ACTION_KINDS, PURPOSES, Decision, Proposal, action_id
from croupier.compliance.audit import GENESIS, AuditRecord, ChainBreak, canonical_body, chain_hash, verify_chain
from croupier.compliance.gate import decide, record_sent

__all__ = ["ACTION_KINDS", "GENESIS", "PURPOSES", "AuditRecord", "ChainBreak", "Decision",
           "Proposal", "action_id", "canonical_body", "chain_hash", "decide", "record_sent", "verify_chain"]

# Configuration versions (four-eyes approval): the document type and its rules table.
from croupier.compliance.config_store import ConfigDocument, jurisdiction_table  # noqa: E402

__all__ += ["ConfigDocument", "jurisdiction_table"]
