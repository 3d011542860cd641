"""The back office: server-rendered pages for staff (being built)."""

from fastapi import FastAPI


def mount_back_office(app: FastAPI) -> None:
    """Placeholder replaced by the back-office package."""
