"""The dashboard's pages: one entry each, the only list of them.

streamlit_app.py builds the navigation from it; each page calls ``page_kit.guard(__file__)``
after its title, which stops it with a clear message when no serving copy is published or a
table its entry ``needs`` is missing; the tests visit every page listed here. A new page is a
file in app_pages/ plus one entry.

``roles`` is the one table of who may open a page (roles: dagster_project.users.ROLES). A
page a role may not open is not in its menu, and its address shows "not allowed for your
role" (streamlit_app.py). What a role may record is dashboards/access.py's table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dagster_project.users import ROLES

READERS = ("manager", "csm", "cs_ops")  # the CS team's pages
MANAGERS = ("manager", "cs_ops")  # steering: calibration, what-if, outbox
AUDIT = ("manager", "cs_ops", "auditor")


@dataclass(frozen=True)
class PageSpec:
    group: str  # sidebar section: who the page is for
    file: str  # under dashboards/app_pages/
    title: str
    icon: str
    url_path: str  # the page's address (the default page lives at the root)
    needs: tuple[str, ...] = ()  # serving-copy tables without which the page cannot answer
    default: bool = False
    roles: tuple[str, ...] = READERS  # who may open it (manager: read only everywhere)

    def allows(self, role: str | None) -> bool:
        return role in self.roles


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
        roles=MANAGERS,
    ),
    PageSpec(
        "Managers",
        "whatif.py",
        "What-if",
        ":material/science:",
        "whatif",
        ("marts.fct_account_health",),
        roles=MANAGERS,
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
        "CSMs",
        "outbox.py",
        "Outbox",
        ":material/outbox:",
        "outbox",
        ("marts.dim_accounts",),  # account names beside the ids the outbox keeps
        roles=MANAGERS,
    ),
    PageSpec(
        "Auditors",
        "data_quality.py",
        "Data quality",
        ":material/verified:",
        "data-quality",
        roles=AUDIT,
    ),
)

assert all(r in ROLES for spec in PAGES for r in spec.roles), "a page names an unknown role"


def pages_for(role: str | None) -> tuple[PageSpec, ...]:
    """The pages ``role`` may open, in menu order."""
    return tuple(spec for spec in PAGES if spec.allows(role))


def spec_of_file(page_file: str) -> PageSpec:
    """The entry of the page whose script is ``page_file`` (a page passes its ``__file__``)."""
    name = Path(page_file).name
    for spec in PAGES:
        if spec.file == name:
            return spec
    raise LookupError(f"{name} is not listed in dashboards/navigation.py")
