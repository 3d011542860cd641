"""Reporting: the live dashboard now; GGR/NGR, cohorts and uplift in later issues."""

from croupier.analytics.dashboard import dashboard

__all__ = ["dashboard"]
