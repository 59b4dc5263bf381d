"""The Outbox page (dashboards/app_pages/outbox.py), headless with AppTest on a published copy:
counts, preview as text, hold and release, an opt-out recorded through the app store."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from dagster_project import app_store
from dagster_project.notify import outbox
from dagster_project.notify import queue as queueing
from tests.dashboard_support import open_page, published_serving, restricted_beside

NOW = datetime(2026, 11, 1, 9, 0)
TRICKY = "**not bold** <b>not html</b> [link](http://example.invalid)"


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path) -> Path:
    return published_serving(tmp_path_factory, tiny_zone)


@pytest.fixture
def app_db(serving: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "app.sqlite"
    monkeypatch.setenv("CSWH_SERVING", str(serving))
    monkeypatch.setenv("CSWH_APP_DB", str(path))
    monkeypatch.setenv("CSWH_DOCS_DIR", str(tmp_path / "docs"))
    monkeypatch.setenv("CSWH_RESTRICTED", str(restricted_beside(serving)))
    queueing.queue(serving, path, restricted=restricted_beside(serving), now=NOW)
    return path


def test_page_counts_previews_as_text_and_holds(app_db: Path) -> None:
    queued = outbox.read(app_db, statuses=["queued"])
    assert queued
    first = queued[0]
    tricky = replace(
        first, message_id="tricky", subject=TRICKY, body=TRICKY, created_at="9999-12-31 00:00:00"
    )
    outbox.add(app_db, [tricky])
    counts = outbox.counts(app_db)

    at = open_page("outbox")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["queued"] == f"{counts['queued']:,}"
    assert metrics["suppressed"] == f"{counts['suppressed']:,}"
    # The newest message is previewed first; its text is shown as text, not markdown.
    assert any(TRICKY in t.value for t in at.text)
    assert any(c.value == TRICKY for c in at.code)
    assert not any(TRICKY in m.value for m in at.markdown)

    at.multiselect(key="outbox_hold").set_value([first.message_id]).run()
    at.button(key="outbox_hold_button").click().run()
    assert not at.exception
    assert {m.message_id: m.status for m in outbox.read(app_db)}[first.message_id] == "held"

    at.multiselect(key="outbox_release").set_value([first.message_id]).run()
    at.button(key="outbox_release_button").click().run()
    assert {m.message_id: m.status for m in outbox.read(app_db)}[first.message_id] == "queued"


def test_page_records_an_opt_out(app_db: Path) -> None:
    at = open_page("outbox")
    at.text_input(key="opt_out_email").input(" Someone@Example.JP ")
    next(b for b in at.button if b.label.startswith("Record")).click().run()  # the form's
    assert not at.exception, [e.value for e in at.exception]
    rows = app_store.read_rows("opt_outs", app_db)
    # who recorded it is the signed-in user (kept in the store only)
    assert [(r["email"], r["recorded_by"]) for r in rows] == [("someone@example.jp", "apptest")]
