"""The pages take their value lists from the serving copy, not from Python: tier labels and
colours from seeds.health_tiers, the DEAR dimensions from seeds.health_dimensions, the
fiscal-year start from mart_kpi_monthly.fiscal_year_start (the dbt var it was computed
with). Run with AppTest on the hand-made copy of dashboards/devdata.py (whose seeds schema
holds the dbt project's seeds), changed the way a CS Ops edit would change it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboard_support import (
    dev_serving,
    layer_data,
    layers,
    modified_copy,
    open_page,
    vega_charts,
)


@pytest.fixture
def serve(tmp_path_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Point the app at a copy of the dev serving copy with ``statements`` applied."""
    monkeypatch.setenv("CSWH_APP_DB", str(tmp_path / "app.sqlite"))
    monkeypatch.setenv("CSWH_DOCS_DIR", str(tmp_path / "docs"))
    dev = dev_serving(tmp_path_factory)

    def _serve(*statements: str) -> Path:
        copy = modified_copy(
            dev, tmp_path / f"serving{len(list(tmp_path.glob('*.duckdb')))}.duckdb", *statements
        )
        monkeypatch.setenv("CSWH_SERVING", str(copy))
        return copy

    return _serve


def colour_scales(at: AppTest) -> list[dict]:
    return [
        layer["encoding"]["color"]["scale"]
        for spec, _ in vega_charts(at)
        for layer in layers(spec)
        if "scale" in layer.get("encoding", {}).get("color", {})
    ]


def test_health_tiers_are_labelled_and_coloured_as_the_published_seed(serve) -> None:
    serve(
        "update seeds.health_tiers set colour = '#123456' where tier = 'excellent';"
        "update marts.dim_code_labels set label_ja = '最良'"
        " where code_kind = 'health_tier' and code = 'excellent'"
    )
    at = open_page("health")
    assert not at.warning
    (scale,) = colour_scales(at)
    assert scale["domain"][0] == "最良 (excellent)" and scale["range"][0] == "#123456"


def test_health_without_the_tier_seed_says_so_and_still_draws(serve) -> None:
    serve("drop table seeds.health_tiers")
    at = open_page("health")
    assert any("seeds.health_tiers" in w.value for w in at.warning)
    (scale,) = colour_scales(at)
    assert "excellent (excellent)" in scale["domain"]  # shown by its code


def test_account_360_names_the_dimensions_as_the_seed_does(serve) -> None:
    serve(
        "update marts.dim_code_labels set label_ja = 'ROI検証'"
        " where code_kind = 'health_dimension' and code = 'roi'"
    )
    at = open_page("account")
    bars = [
        layer_data(spec, layer, data)
        for spec, data in vega_charts(at)
        for layer in layers(spec)
        if layer.get("encoding", {}).get("y", {}).get("field") == "dimension"
    ]
    assert bars and list(bars[0]["dimension"]) == [
        "Deployment / 導入",
        "Engagement / 関係性",
        "Adoption / 活用",
        "ROI / ROI検証",
    ]


def test_overview_compares_with_the_fiscal_year_the_mart_was_built_with(serve) -> None:
    # a January fiscal year (var fiscal_year_start_month = 1), as the mart would carry it
    serve("update marts.mart_kpi_monthly set fiscal_year_start = make_date(year(month), 1, 1)")
    at = open_page("overview")
    (table,) = [df.value for df in at.dataframe if "KPI" in df.value.columns]
    assert any(c.startswith("FY start (2026-01)") for c in table.columns), list(table.columns)
    assert any("(January)" in c.value for c in at.caption)


def test_overview_of_a_copy_without_the_fiscal_year_says_so(serve) -> None:
    serve("alter table marts.mart_kpi_monthly drop column fiscal_year_start")
    at = open_page("overview")
    assert any("fiscal_year_start" in w.value for w in at.warning)
    (table,) = [df.value for df in at.dataframe if "KPI" in df.value.columns]
    assert "FY start (–)" in table.columns
