"""The RG models page in Chromium: an admin reaches it from the navigation, sees that no
model is trained yet, trains one on the log (a small operator history with gambling-harm
labels), reads its card, and proposes it for activation, landing on the configuration
version a second officer approves. An RG officer reads the card but sees no button."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from croupier.ingest import append_facts
from rg.training_history import constructed_log

pytestmark = pytest.mark.browser


def test_train_read_and_propose_from_the_back_office(open_page, live) -> None:  # noqa: ANN001
    admin = open_page("ada")
    admin.goto("/")
    admin.get_by_role("link", name="RG models").click()
    expect(admin.locator("#models-empty")).to_be_visible()
    admin.get_by_role("button", name="Train on the log now").click()
    expect(admin.locator("#models-error")).to_contain_text("too few labelled players to train on: 0 usable")

    with live.app.state.runtime.db.engine.begin() as conn:
        append_facts(conn, constructed_log())
    admin.goto("/models/rg")
    admin.get_by_role("button", name="Train on the log now").click()
    expect(admin.locator("#models-table tbody tr")).to_have_count(1)
    expect(admin.locator("#models-table thead th")).to_have_count(10)
    expect(admin.locator("#models-table thead th.num")).to_have_count(4)       # AUC, both AUCs, Brier, counts
    card = admin.locator("#model-card")
    expect(card).to_contain_text("26 labelled players used")
    expect(admin.locator('#levels-table tr[data-level="medium"]')).to_be_visible()
    expect(admin.locator("#calibration-table tbody tr").first).to_be_visible()
    expect(admin.locator("#explanations-table tbody tr").first).to_be_visible()
    expect(admin.locator("#live-inputs-table tbody tr").first).to_be_visible()       # what raises the live fit
    version = admin.locator("#models-table tbody tr").first.get_attribute("data-version")
    assert version and version.startswith("rg-")

    officer = open_page("rita")
    officer.goto("/models/rg")
    expect(officer.locator("#model-card")).to_be_visible()
    expect(officer.get_by_role("button", name="Propose for activation")).to_have_count(0)
    expect(officer.get_by_role("button", name="Train on the log now")).to_have_count(0)

    admin.get_by_role("button", name="Propose for activation").click()
    expect(admin).to_have_url(__import__("re").compile(r"/config/versions/cfg-[0-9a-f]+$"))
    expect(admin.locator("body")).to_contain_text("rg_model")
    admin.goto("/models/rg")
    expect(admin.locator(f'#models-table tr[data-version="{version}"] a[href^="/config/versions/"]')).to_be_visible()
