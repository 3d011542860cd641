"""Croupier: a self-hosted iGaming CRM with player protection built in."""

__version__ = "0.1.0"
