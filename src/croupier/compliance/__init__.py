"""The compliance gate, proposed actions and decisions, the audit hash chain, and the
configuration document, and the catalogue that says every reason code in words. Pure: the
services that store configuration versions (`compliance.config_store`) and replay shadows
(`compliance.shadow`) are imported from their own modules, so importing the gate never
pulls in a database."""

from croupier.compliance.actions import ACTION_KINDS, PURPOSES, Decision, Proposal, action_id
from croupier.compliance.audit import GENESIS, AuditRecord, ChainBreak, canonical_body, chain_hash, verify_chain
from croupier.compliance.document import ConfigDocument, jurisdiction_table
from croupier.compliance.gate import decide, record_sent
from croupier.compliance.reasons import Explanation, explain

__all__ = ["ACTION_KINDS", "GENESIS", "PURPOSES", "AuditRecord", "ChainBreak", "ConfigDocument", "Decision",
           "Explanation", "Proposal", "action_id", "canonical_body", "chain_hash", "decide", "explain",
           "jurisdiction_table", "record_sent", "verify_chain"]
