"""Reporting: the live dashboard now; GGR/NGR, cohorts and uplift in later issues."""

from croupier.analytics.dashboard import dashboard
from croupier.analytics.rg_report import EffectivenessRow, rg_effectiveness

__all__ = ["EffectivenessRow", "dashboard", "rg_effectiveness"]
