"""Support for the quality tests (no tests here): a small DuckDB warehouse with raw
tables (the extractor's DDL), the dbt project's real seeds and contract marts built by hand,
good or broken on purpose."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb

from dagster_project.config import DBT_PROJECT_DIR
from dagster_project.extract import ensure_schemas


def load_seeds(con: duckdb.DuckDBPyConnection, seeds_dir: Path = DBT_PROJECT_DIR / "seeds") -> None:
    """Schema ``seeds`` as dbt writes it, from the seed files themselves (the mart suites
    read their value lists there)."""
    con.execute("create schema if not exists seeds")
    for seed in sorted(seeds_dir.glob("*.csv")):
        con.execute(
            f"create or replace table seeds.{seed.stem} as select * from read_csv(?, header = true)",
            [str(seed)],
        )


ACCOUNTS = [("A1", "Alpha", 120), ("A2", "Beta", 30), ("A3", "Gamma", 2400)]


def build_warehouse(path: Path, *, health_score: float = 72.5, tier_ja: str = "概ね健全") -> Path:
    """Raw accounts/contacts/usage plus marts.dim_accounts and marts.fct_account_health.
    ``health_score`` 130 breaks a critical rule; a wrong ``tier_ja`` breaks a warning."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        ensure_schemas(con)
        load_seeds(con)
        for i, (acc, name, employees) in enumerate(ACCOUNTS, 1):
            con.execute(
                "insert into raw.crm__accounts (account_id, account_name, industry, employee_count,"
                " region, csm_owner, created_at, _run_id, _source_file, _row_number, _loaded_at)"
                " values (?, ?, 'it', ?, 'kanto', null, date '2025-01-01', 'r0',"
                " 'crm/accounts_2026-10-01.csv', ?, now())",
                [acc, name, employees, i],
            )
            con.execute(
                "insert into raw.crm__contacts (contact_id, account_id, full_name, email, role,"
                " created_at, _run_id, _source_file, _row_number, _loaded_at)"
                " values (?, ?, 'x', ?, 'admin', date '2025-01-01', 'r0',"
                " 'crm/contacts_2026-10-01.csv', ?, now())",
                [f"C{i}", acc, f"p{i}@example.co.jp", i],
            )
        con.execute(
            "insert into raw.usage__daily (activity_date, account_id, user_id, feature,"
            " event_count, devices, _run_id, _source_file, _row_number, _loaded_at)"
            " select date '2026-10-31' - cast(d as integer), 'A' || (1 + u % 3), 'U' || u,"
            " 'core_action', 1 + (d + u) % 7, 1, 'r0', 'usage/daily/2026-10.parquet',"
            " d * 20 + u + 1, now() from range(30) t(d), range(20) s(u)"
        )
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.dim_accounts as select account_id, account_name,"
            " 'it' as industry, 'kanto' as region, employee_count,"
            " case when employee_count < 50 then 'tech_touch' when employee_count < 1000"
            " then 'pooled' else 'high_touch' end as segment, null as csm_owner,"
            " date '2025-01-01' as customer_since, 'K' || account_id as contract_id,"
            " date '2025-01-01' as contract_start, date '2027-01-01' as contract_end,"
            " 62 as days_to_renewal, 10 as seats, 1000 as annual_quota, 1200000 as arr_jpy,"
            " 'renewal_window' as lifecycle_stage, 3 as adoption_stage, true as is_active_customer"
            f" from (values {', '.join(str(a) for a in ACCOUNTS)}) v(account_id, account_name,"
            " employee_count)"
        )
        con.execute(
            "create or replace table marts.fct_account_health as select account_id,"
            " date '2026-10-31' - cast(7 * k as integer) as snapshot_date, 'pooled' as segment,"
            " 70.0 as deployment_score, 75.0 as engagement_score, 72.0 as adoption_score,"
            " null::double as roi_score,"
            " case when account_id = 'A1' and k = 0 then ? else 72.5 end as health_score,"
            " 'healthy' as health_tier,"
            " case when account_id = 'A2' and k = 0 then ? else '概ね健全' end as health_tier_ja,"
            " null::double as health_score_change_28d,"
            # no override applies (section 11): the effective score and tier are the computed
            " null::double as override_score,"
            " case when account_id = 'A1' and k = 0 then ? else 72.5 end"
            " as effective_health_score,"
            " 'healthy' as effective_health_tier,"
            # written by one build, as a full build writes the whole history
            " timestamp '2026-10-31 06:00:00' as _built_at"
            " from (values ('A1'), ('A2'), ('A3')) a(account_id), range(3) r(k)",
            [health_score, tier_ja, health_score],
        )
    finally:
        con.close()
    return path


def seed_key_lists() -> dict[str, set[str]]:
    """Each seed's first-column values (its key: segment, tier, cta_type, ...), by seed."""
    lists: dict[str, set[str]] = {}
    for path in (DBT_PROJECT_DIR / "seeds").glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as f:
            lists[path.stem] = {row[0] for row in list(csv.reader(f))[1:] if row}
    return lists


def seed_keys() -> set[str]:
    """Every value of every seed's first column (its key: segment, tier, cta_type, ...)."""
    return set().union(*seed_key_lists().values())


# Put on PYTHONPATH (with CSWH_TEST_INJECT_SQL set), it runs that SQL on the warehouse just
# before the mart suites validate it: a stand-in for a build that went wrong.
INJECTOR = """
import os

if os.environ.get("CSWH_TEST_INJECT_SQL"):
    import sys

    # `python -m` puts the working directory (the checkout under test) on sys.path only
    # after site customisation: put it first now, so the patched modules are the ones used.
    sys.path.insert(0, os.getcwd())

    import duckdb

    from dagster_project.quality import checks, runner

    _original = runner.run_suites

    def run_suites(warehouse, suites, run_id, **kwargs):
        if any(s.schema == "marts" for s in suites):
            con = duckdb.connect(str(warehouse))
            try:
                con.execute(os.environ["CSWH_TEST_INJECT_SQL"])
            finally:
                con.close()
        return _original(warehouse, suites, run_id, **kwargs)

    runner.run_suites = run_suites
    checks.run_suites = run_suites
"""


def zone_with_sql_injector(root: Path, zone: Path) -> Path:
    """``zone`` copied to ``root``/raw, and ``root``/inject holding INJECTOR as sitecustomize.py;
    returns the inject folder (for PYTHONPATH)."""
    shutil.copytree(zone, root / "raw")
    inject = root / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(INJECTOR)
    return inject
