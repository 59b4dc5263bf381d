"""The dashboard's pages: one entry each, the only list of them.

streamlit_app.py builds the navigation from it; each page calls ``page_kit.guard(__file__)``
after its title, which stops it with a clear message when no serving copy is published or a
table its entry ``needs`` is missing; the tests visit every page listed here. A new page is a
file in app_pages/ plus one entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PageSpec:
    group: str  # sidebar section: who the page is for
    file: str  # under dashboards/app_pages/
    title: str
    icon: str
    url_path: str  # the page's address (the default page lives at the root)
    needs: tuple[str, ...] = ()  # serving-copy tables without which the page cannot answer
    default: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "Managers",
        "overview.py",
        "Overview (KPI)",
        ":material/monitoring:",
        "overview",
        ("marts.mart_kpi_monthly",),
        default=True,
    ),
    PageSpec(
        "Managers",
        "health.py",
        "Health",
        ":material/favorite:",
        "health",
        ("marts.fct_account_health", "marts.dim_accounts"),
    ),
    PageSpec(
        "Managers",
        "calibration.py",
        "Calibration",
        ":material/target:",
        "calibration",
        ("marts.mart_health_calibration",),
    ),
    PageSpec(
        "CSMs",
        "account_360.py",
        "Account 360",
        ":material/apartment:",
        "account",
        ("marts.dim_accounts",),
    ),
    PageSpec(
        "CSMs",
        "cta_queue.py",
        "CTA queue",
        ":material/checklist:",
        "ctas",
        ("marts.fct_cta_candidates",),
    ),
    PageSpec(
        "CSMs",
        "playbooks.py",
        "Playbooks and rules",
        ":material/menu_book:",
        "playbooks",
        ("marts.mart_cta_effectiveness",),
    ),
    PageSpec(
        "Auditors",
        "data_quality.py",
        "Data quality",
        ":material/verified:",
        "data-quality",
    ),
)


def spec_of_file(page_file: str) -> PageSpec:
    """The entry of the page whose script is ``page_file`` (a page passes its ``__file__``)."""
    name = Path(page_file).name
    for spec in PAGES:
        if spec.file == name:
            return spec
    raise LookupError(f"{name} is not listed in dashboards/navigation.py")
