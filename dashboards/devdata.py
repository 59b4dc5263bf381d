"""A small HAND-MADE serving copy for developing the pages before the real marts land.

This is not the warehouse: the numbers are random and only the contract's column names
are real. The configuration is: schema seeds holds the dbt project's seeds, and the value
lists (segments, tiers, metrics, CTA types, playbooks) are read from them, never retyped.
The tests run the pages against a serving copy published by `cswh run`; this builder is
for `python dashboards/devdata.py OUT.duckdb` and a quick look at the layout.
"""

from __future__ import annotations

import random
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import yaml

from dagster_project.config import DBT_PROJECT_DIR
from dagster_project.seeds import read_seed, segment_of


class _Seeds:
    """The value lists of the dbt seeds in use, as the pipeline would apply them."""

    def __init__(self) -> None:
        self.segments = sorted(read_seed("segments"), key=lambda r: int(r["sort_order"] or 0))
        self.segment_names = [r["segment"] for r in self.segments]
        tiers = read_seed("health_tiers")
        self.scored_tiers = sorted(
            ((float(r["min_score"]), r["tier"]) for r in tiers if r["min_score"] is not None),
            reverse=True,
        )
        self.unknown_tier = next(r["tier"] for r in tiers if r["min_score"] is None)
        self.tier_names = [r["tier"] for r in tiers]
        self.dimension_weight = {
            r["dimension"]: float(r["weight"]) for r in read_seed("health_dimensions")
        }
        self.metrics: dict[str, list[str]] = {d: [] for d in self.dimension_weight}
        for r in read_seed("health_metrics"):
            if r["enabled"] == "true":
                self.metrics[r["dimension"]].append(r["metric"])
        self.rules = [
            (r["cta_type"], r["direction"], r["priority"])
            for r in read_seed("cta_rules")
            if r["enabled"] == "true"
        ]
        self.owner_role = {r["playbook_id"]: r["owner_role"] for r in read_seed("playbooks")}
        self.sla_days = {r["playbook_id"]: int(r["sla_days"]) for r in read_seed("playbooks")}
        project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
        self.fiscal_year_start_month = int(project["vars"]["fiscal_year_start_month"])

    def tier(self, score: float | None) -> str:
        if score is None:
            return self.unknown_tier
        return next((t for low, t in self.scored_tiers if score >= low), self.scored_tiers[-1][1])

    def fiscal_year_start(self, month: date) -> date:
        m = self.fiscal_year_start_month
        return date(month.year if month.month >= m else month.year - 1, m, 1)


def _load_seeds(con: duckdb.DuckDBPyConnection) -> None:
    """Schema seeds as the pipeline publishes it: every seed file of the dbt project."""
    for csv in sorted((DBT_PROJECT_DIR / "seeds").glob("*.csv")):
        con.execute(
            f"create table seeds.{csv.stem} as select * from read_csv(?, header = true)", [str(csv)]
        )


def _latest_outcome(status: str, n: int, as_of: date) -> tuple:
    """(latest_outcome, close_reason_code, snooze_until) of the n-th CTA with this status
    (section 11): a done CTA won, contacted or lost (with a reason), a dismissed one with a
    reason, a snoozed one until a day after D. Drawn from n, not from the page's random
    stream, so the other values of the copy stay as they were."""
    reasons = {o: [r["reason_code"] for r in read_seed("close_reasons") if r["outcome"] == o]
               for o in ("lost", "dismissed")}  # fmt: skip
    if status == "done":
        outcome = ("won", "contacted", "lost")[n % 3]
        return (
            outcome,
            reasons["lost"][n % len(reasons["lost"])] if outcome == "lost" else None,
            None,
        )
    if status == "dismissed":
        return status, reasons["dismissed"][n % len(reasons["dismissed"])], None
    if status == "snoozed":
        return status, None, as_of + timedelta(days=1 + n % 14)
    return None, None, None


def build(path: Path, accounts: int = 30, seed: int = 1, as_of: date = date(2026, 10, 31)) -> Path:
    rnd = random.Random(seed)
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    for schema in ("marts", "dq", "staging", "seeds"):
        con.execute(f"create schema {schema}")
    _load_seeds(con)
    con.execute(
        "create table marts.dim_code_labels as select code_kind, cast(code as varchar) as code,"
        " label_ja, label_en, sort_order from seeds.code_labels"
    )
    cfg = _Seeds()
    smallest = cfg.segment_names[0]  # served without a named CSM in this made-up world
    csms = ["佐藤 花子", "鈴木 一郎", "高橋 美咲"]
    # The grid (CONTRACT section 3): Sundays on or before D, plus D itself when D is not a
    # Sunday (the provisional current snapshot). The default D, 2026-10-31, is a Saturday.
    last_sunday = as_of - timedelta(days=(as_of.isoweekday() % 7))
    snapshots = [
        last_sunday - timedelta(days=7 * k) for k in range(52 if last_sunday == as_of else 51)
    ]
    snapshots = sorted({*snapshots, as_of})

    dim, health, metrics = [], [], []
    for i in range(accounts):
        aid = f"A{i:04d}"
        emp = rnd.choice([10, 30, 120, 400, 2000, 5000])
        seg = segment_of(emp, cfg.segments)
        since = as_of - timedelta(days=rnd.randint(60, 900))
        end = as_of + timedelta(days=rnd.randint(10, 360))
        csm = rnd.choice(csms) if seg != smallest else None
        dim.append(
            (aid, f"株式会社サンプル{i}", "manufacturing", "関東", emp, seg, csm, since,
             f"C{i:04d}", end - timedelta(days=365), end, (end - as_of).days, emp // 5,
             12000, 1_200_000 + 10_000 * i, "active", rnd.randint(1, 5), True)
        )  # fmt: skip
        score = rnd.uniform(20, 95)
        history: dict[date, float] = {}
        for s in snapshots:
            if s < since:
                continue
            score = max(0.0, min(100.0, score + rnd.uniform(-6, 6)))
            history[s] = score
            # the 28-day reference snapshot: the latest one on or before S-28
            ref = max((d for d in history if d <= s - timedelta(days=28)), default=None)
            prev = None if ref is None else history[ref]
            dims = {d: max(0.0, min(100.0, score + rnd.uniform(-15, 15))) for d in cfg.metrics}
            health.append(
                (aid, s, seg, dims["deployment"], dims["engagement"], dims["adoption"],
                 dims["roi"], score, cfg.tier(score), None, None if prev is None else score - prev,
                 s == as_of and s != last_sunday, ref, prev,
                 None if prev is None else cfg.tier(prev))
            )  # fmt: skip
            if s >= as_of - timedelta(days=28):
                total = sum(cfg.dimension_weight.values())
                for d, names in cfg.metrics.items():
                    for m in names:
                        w = cfg.dimension_weight[d] / total / len(names)
                        sc = max(0.0, min(100.0, dims[d] + rnd.uniform(-10, 10)))
                        metrics.append((aid, s, d, m, round(rnd.uniform(0, 1), 3), sc, w, sc * w,
                                        rnd.uniform(-10, 10)))  # fmt: skip
    con.execute(
        "create table marts.dim_accounts (account_id varchar, account_name varchar, industry varchar,"
        " region varchar, employee_count bigint, segment varchar, csm_owner varchar,"
        " customer_since date, contract_id varchar, contract_start date, contract_end date,"
        " days_to_renewal bigint, seats bigint, annual_quota bigint, arr_jpy bigint,"
        " lifecycle_stage varchar, adoption_stage integer, is_active_customer boolean)"
    )
    con.executemany(f"insert into marts.dim_accounts values ({', '.join('?' * 18)})", dim)
    con.execute(
        "create table marts.fct_account_health (account_id varchar, snapshot_date date,"
        " segment varchar, deployment_score double, engagement_score double, adoption_score double,"
        " roi_score double, health_score double, health_tier varchar, health_tier_ja varchar,"
        " health_score_change_28d double, is_provisional boolean, reference_snapshot_date date,"
        " health_score_28d_ago double, health_tier_28d_ago varchar)"
    )
    con.executemany(f"insert into marts.fct_account_health values ({', '.join('?' * 15)})", health)
    con.execute(
        "create table marts.fct_health_metrics (account_id varchar, snapshot_date date,"
        " dimension varchar, metric varchar, value double, score double, weight double,"
        " contribution double, score_change_28d double)"
    )
    con.executemany(f"insert into marts.fct_health_metrics values ({', '.join('?' * 9)})", metrics)
    con.execute(
        "update marts.fct_account_health h set health_tier_ja = l.label_ja"
        " from marts.dim_code_labels l where l.code_kind = 'health_tier' and l.code = h.health_tier"
    )

    con.execute(
        "create table marts.dim_playbooks as select p.*, r.direction, r.priority"
        " from seeds.playbooks p left join seeds.cta_rules r using (cta_type)"
    )

    # The ledger (CONTRACT section 10): each CTA remembers the run that raised it and that
    # run's D; one daily run per snapshot date here. Statuses: all six of section 11.
    ctas, raised = [], set()
    for n in range(120):
        acc = rnd.choice(dim)
        cta_type, direction, priority = rnd.choice(cfg.rules)
        triggered = rnd.choice(snapshots[-8:])
        if (acc[0], cta_type, triggered) in raised:  # the cooldown: never twice on one day
            continue
        raised.add((acc[0], cta_type, triggered))
        if triggered >= as_of - timedelta(days=29):
            status = rnd.choice(["open", "open", "open", "snoozed", "resolved", "done"])
        else:
            status = rnd.choice(["done", "dismissed", "expired", "resolved"])
        playbook = f"{cta_type}__{acc[5]}"
        role = cfg.owner_role[playbook]
        ctas.append(
            (f"cta{n:04d}", acc[0], cta_type, direction, triggered,
             f"{cta_type}: 値 {n % 10 / 10:.1f} がしきい値 0.8 を超えました", n % 10 / 10, 0.8,
             priority, role, acc[6] if role == "csm" else None, playbook,
             triggered + timedelta(days=cfg.sla_days[playbook]), status,
             f"run-{triggered:%Y%m%d}", triggered, acc[5], *_latest_outcome(status, n, as_of))
        )  # fmt: skip
    con.execute(
        "create table marts.fct_cta_candidates (cta_id varchar, account_id varchar,"
        " cta_type varchar, direction varchar, triggered_on date, reason varchar,"
        " metric_value double, threshold double, priority varchar, owner_role varchar,"
        " owner varchar, playbook_id varchar, due_on date, status varchar,"
        " raised_in_run_id varchar, raised_as_of date, segment varchar,"
        " latest_outcome varchar, close_reason_code varchar, snooze_until date)"
    )
    con.executemany(f"insert into marts.fct_cta_candidates values ({', '.join('?' * 20)})", ctas)

    # About a thousand customers, so the charts meet four-digit numbers. Health stocks are
    # unknown (null) before the first snapshot's month, reaction_rate before July 2025.
    kpi = []
    month = date(2025, 4, 1)
    health_from = snapshots[0].replace(day=1)
    while month <= as_of:
        rows = []
        for seg in cfg.segment_names:
            active = rnd.randint(280, 360)
            due = rnd.randint(10, 30)
            renewed = rnd.randint(due // 2, due)
            has_health = month >= health_from
            nps_n = rnd.randint(0, 9)
            raised = rnd.randint(10, 40)
            rows.append(
                (month, seg, active, due, renewed, renewed / due, rnd.randint(0, 4),
                 rnd.uniform(50, 70) if has_health else None,
                 rnd.uniform(-0.1, 0.1) if has_health else None,
                 rnd.randint(80, 120) if has_health else None,
                 rnd.uniform(0.2, 0.7) if month >= date(2025, 7, 1) else None,
                 rnd.uniform(-20, 40) if nps_n else None, nps_n, raised, rnd.randint(0, raised // 4),
                 cfg.fiscal_year_start(month))
            )  # fmt: skip
        total = [sum(r[i] for r in rows) for i in (2, 3, 4, 6, 12, 13, 14)]
        values = [[r[i] for r in rows if r[i] is not None] for i in (7, 8, 10, 11)]
        means = [sum(v) / len(v) if v else None for v in values]
        at_risk = None if rows[0][9] is None else sum(r[9] for r in rows)
        kpi += rows
        kpi.append(
            (month, "all", total[0], total[1], total[2], total[2] / total[1], total[3], means[0],
             means[1], at_risk, means[2], means[3], total[4], total[5], total[6],
             cfg.fiscal_year_start(month))
        )  # fmt: skip
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    con.execute(
        "create table marts.mart_kpi_monthly (month date, segment varchar, active_customers bigint,"
        " renewals_due bigint, renewed bigint, renewal_rate double, churned_customers bigint,"
        " avg_health_score double, health_change_since_period_start double,"
        " at_risk_accounts bigint, reaction_rate double, nps double, nps_responses bigint,"
        " ctas_raised bigint, ctas_won bigint, fiscal_year_start date)"
    )
    con.executemany(f"insert into marts.mart_kpi_monthly values ({', '.join('?' * 16)})", kpi)
    # Every tier of the seed, churn rising from the best to the worst, none for unknown.
    calibration = [
        (t, 10 * (i + 1), 0.02 * (i + 1) ** 2, 0.2 / (i + 1))
        for i, (_, t) in enumerate(cfg.scored_tiers)
    ] + [(cfg.unknown_tier, 0, None, None)]
    con.execute(
        "create table marts.mart_health_calibration (health_tier varchar, snapshots bigint,"
        " churn_rate_180d double, expansion_rate_180d double)"
    )
    con.executemany("insert into marts.mart_health_calibration values (?, ?, ?, ?)", calibration)
    con.execute(
        "create table marts.mart_cta_effectiveness as select cta_type, count(*) as raised,"
        " count(*) filter (where status = 'done') as actioned,"
        " count(*) filter (where status = 'done') // 2 as won,"
        " (count(*) filter (where status = 'done') // 2) / nullif(count(*) filter (where status = 'done'), 0) as conversion_rate,"
        " count(*) // 2 as backtest_raised, 0.1 as churn_rate_180d, 0.2 as expansion_rate_180d"
        " from marts.fct_cta_candidates group by cta_type"
    )
    con.execute(
        "create table marts.fct_tickets as select 'T' || i as ticket_id, 'A' || lpad(cast(i % 30 as varchar), 4, '0') as account_id,"
        " '操作方法の質問 ' || i as subject, timestamp '2026-10-01' + to_days(cast(i % 30 as integer)) as created_at,"
        " 'open' as status, 'normal' as priority from range(60) r(i)"
    )
    con.execute(
        "create table marts.fct_nps_responses as select 'N' || i as response_id, 'A' || lpad(cast(i % 30 as varchar), 4, '0') as account_id,"
        " timestamp '2026-09-01' + to_days(cast(i as integer)) as responded_at, cast(i % 11 as bigint) as score,"
        " 'とても使いやすい' as comment from range(40) r(i)"
    )
    con.execute(
        "create table marts.fct_seminar_attendance as select 'S' || (i % 5) as seminar_id, '活用セミナー' as title,"
        " 'A' || lpad(cast(i % 30 as varchar), 4, '0') as account_id, date '2026-08-01' + cast(i as integer) as held_on,"
        " true as attended from range(50) r(i)"
    )
    con.execute(
        "create table staging.stg_crm__activities as select 'ACT' || i as activity_id, 'A' || lpad(cast(i % 30 as varchar), 4, '0') as account_id,"
        " null as contact_id, 'meeting' as activity_type, timestamp '2026-07-01' + to_days(cast(i as integer)) as occurred_at,"
        " '佐藤 花子' as owner, date '2026-07-01' + cast(i as integer) as occurred_on from range(90) r(i)"
    )

    con.execute(
        "create table dq.load_manifest (run_id varchar, source varchar, file varchar, file_hash varchar,"
        " status varchar, rows_read bigint, rows_loaded bigint, rows_quarantined bigint, error varchar,"
        " loaded_at timestamp)"
    )
    con.execute(
        "insert into dq.load_manifest values"
        " ('r1', 'crm', 'crm/accounts_2026-10-01.csv', 'h1', 'loaded', 30, 29, 1, null, '2026-10-31 06:00'),"
        " ('r1', 'nps', 'nps/responses_2026-10-01.csv', 'h2', 'failed', 0, 0, 0, 'nps/responses_2026-10-01.csv: required column score missing', '2026-10-31 06:00'),"
        " ('r2', 'crm', 'crm/accounts_2026-10-02.csv', 'h1', 'skipped_duplicate', 0, 0, 0, null, '2026-11-01 06:00')"
    )
    con.execute(
        "create table dq.quarantine (run_id varchar, source varchar, file varchar, row_number bigint,"
        " raw_record varchar, reason varchar)"
    )
    con.execute(
        "insert into dq.quarantine values ('r1', 'crm', 'crm/accounts_2026-10-01.csv', 7,"
        " 'A9,株式会社X,,-3', 'employee_count: -3 is below 1')"
    )
    con.execute(
        "create table dq.check_results (run_id varchar, checked_at timestamp, suite varchar,"
        " table_name varchar, column_name varchar, expectation varchar, severity varchar,"
        " success boolean, observed_value varchar, unexpected_count bigint)"
    )
    for run, at in (("r1", datetime(2026, 10, 31, 6)), ("r2", datetime(2026, 11, 1, 6))):
        for j, table in enumerate(
            ("marts.dim_accounts", "marts.fct_account_health", "raw.crm__accounts")
        ):
            con.execute(
                "insert into dq.check_results values (?, ?, ?, ?, 'account_id', ?, ?, ?, ?, ?)",
                [run, at, table.split(".")[0], table, "expect_column_values_to_not_be_null",
                 "critical" if j < 2 else "warning", not (j == 2 and run == "r2"),
                 "0", 0 if j < 2 else 3],
            )  # fmt: skip
    con.execute(
        "create table dq.publish_log (run_id varchar, published_at timestamp, as_of_date date,"
        " seeds_hash varchar)"
    )
    con.execute(
        "insert into dq.publish_log values"
        " ('r1', '2026-10-31 06:10', ?, '3f2a9c0d51e4b7a8'),"
        " ('r2', '2026-11-01 06:10', ?, '8d41e07b2c9f6a13')",
        [as_of - timedelta(days=1), as_of],
    )
    # Outcomes whose cta_id the ledger no longer holds (a replay): kept and listed, not dropped.
    con.execute(
        "create table dq.orphaned_cta_outcomes (cta_id varchar, recorded_at timestamp,"
        " recorded_by varchar, outcome varchar, note varchar, source_file varchar)"
    )
    con.execute(
        "insert into dq.orphaned_cta_outcomes values"
        " ('9b1f0c2e7a', '2026-09-14 10:22', '佐藤 花子', 'won', '年間契約を更新', 'app_store'),"
        " ('4e7d2a9c13', '2026-09-20 15:03', '鈴木 一郎', 'contacted', null,"
        " 'cta_actions/outcomes_2026-09.csv'),"
        " ('4e7d2a9c13', '2026-09-27 09:41', '鈴木 一郎', 'lost', '予算なし',"
        " 'cta_actions/outcomes_2026-09.csv')"
    )
    con.close()
    return path


if __name__ == "__main__":
    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/cswh-dev/serving.duckdb")))
