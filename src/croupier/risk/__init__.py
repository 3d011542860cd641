"""Player risk beyond responsible gambling: the AML status that compliance (and, later, the
transaction-monitoring and screening modules) sets, and the gate and the ledger read."""

from croupier.risk.aml import AML_STATUSES, SOURCES, AmlOutcome, AmlRefused, aml_fact, set_aml_status

__all__ = ["AML_STATUSES", "SOURCES", "AmlOutcome", "AmlRefused", "aml_fact", "set_aml_status"]
