"""The CSMs' daily digest and the managers' weekly KPI digest.

Who gets them: the staff directory, a CSV at ``$CSWH_NOTIFY_STAFF`` with columns ``name``,
``email``, ``role`` (``csm`` or ``manager``). CSMs are matched by ``name`` to the CRM's
``csm_owner`` (the name the CTA ledger's ``owner`` carries). It is deployment configuration,
not a seed: the people and addresses of one company's team, not a business rule, and not
something to commit. Without a directory (the demo) the digests are still queued, to be read
on the Outbox page, but ``suppressed`` with the reason "no e-mail address".

- ``csm_digest``, one per CSM and D (skipped when it would be empty): open CTAs due on D, overdue
  (``due_on < D``), and the other open CTAs the latest run raised (``raised_as_of = D``; each
  CTA in one section, so a first run's old CTAs show as overdue rather than new),
  the CSM's accounts whose effective tier fell between the two latest health snapshots (tier
  order: ``min_score`` of seed health_tiers), and health overrides about to expire
  (``marts.fct_health_overrides.is_expiring_soon``).
- ``manager_digest``, one per manager and week (the Monday of D's week): the latest month of
  ``mart_kpi_monthly``, every segment, with NRR and GRR (monthly and trailing twelve months) of
  ``mart_arr_movements``, and open and overdue CTAs now.
"""

from __future__ import annotations

import csv
import os
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from dagster_project.notify import outbox
from dagster_project.notify.outbox import Message
from dagster_project.notify.queue import has_table, rows
from dagster_project.notify.render import Templates

STAFF_ENV = "CSWH_NOTIFY_STAFF"
STAFF_ROLES = ("csm", "manager")
RETENTION_COLUMNS = ("nrr", "grr", "nrr_ttm", "grr_ttm")
NO_ADDRESS = f"no e-mail address for {{name}} in the staff directory (${STAFF_ENV})"


def read_staff(path: Path | None = None) -> dict[str, dict[str, str]]:
    """role -> {name: e-mail} from the staff directory (empty when none is configured)."""
    path = path or (Path(os.environ[STAFF_ENV]) if os.environ.get(STAFF_ENV) else None)
    out: dict[str, dict[str, str]] = {r: {} for r in STAFF_ROLES}
    if path is None:
        return out
    with Path(path).open(encoding="utf-8-sig", newline="") as f:
        for n, row in enumerate(csv.DictReader(f), start=2):
            role, name = (row.get("role") or "").strip(), (row.get("name") or "").strip()
            email = (row.get("email") or "").strip().lower()
            if role not in STAFF_ROLES or not name or "@" not in email:
                raise ValueError(
                    f"{path}, row {n}: need name, email and role ({' or '.join(STAFF_ROLES)})"
                )
            out[role][name] = email
    return out


def _digest(kind, who, about, rendered, staff, now, d, csm=None) -> Message:
    email = staff.get(who)
    return Message(
        message_id=outbox.message_id(kind, who, about),
        kind=kind,
        recipients=email or "",
        subject=rendered.subject,
        body=rendered.body,
        status="queued" if email else "suppressed",
        suppressed_reason=None if email else NO_ADDRESS.format(name=who),
        created_at=outbox.ts(now),
        about_date=about,
        csm=csm,
    )


def _tier_labels(con) -> dict[str, str]:
    if not has_table(con, "marts", "dim_code_labels"):
        return {}
    return {
        r["code"]: r["label_ja"]
        for r in rows(
            con,
            "select code, label_ja from marts.dim_code_labels where code_kind = 'health_tier'",
        )
    }


def tier_falls(con: duckdb.DuckDBPyConnection, d: date) -> list[dict]:
    """Accounts whose tier at their snapshot D is worse than at their snapshot before."""
    return rows(
        con,
        """
        with ranked as (
            select account_id, snapshot_date, effective_health_tier as tier,
                row_number() over (partition by account_id order by snapshot_date desc) as n
            from marts.fct_account_health
        )
        select cur.account_id, a.account_name, a.csm_owner, prev.tier as from_tier,
            cur.tier as to_tier, prev.snapshot_date as from_date
        from ranked cur
        join ranked prev on prev.account_id = cur.account_id and prev.n = 2
        join seeds.health_tiers t_cur on t_cur.tier = cur.tier
        join seeds.health_tiers t_prev on t_prev.tier = prev.tier
        left join marts.dim_accounts a on a.account_id = cur.account_id
        where cur.n = 1 and cur.snapshot_date = ? and t_cur.min_score < t_prev.min_score
        order by cur.account_id
        """,
        [d],
    )


def expiring_overrides(con) -> list[dict]:
    return rows(
        con,
        "select o.account_id, a.account_name, a.csm_owner, o.override_score, o.expires_on, "
        "o.reason from marts.fct_health_overrides o left join marts.dim_accounts a "
        "on a.account_id = o.account_id where o.is_expiring_soon "
        "order by o.expires_on, o.account_id",
    )


def csm_digests(
    con: duckdb.DuckDBPyConnection,
    d: date,
    templates: Templates,
    staff: dict[str, dict[str, str]],
    now: datetime,
) -> list[Message]:
    ctas = rows(
        con,
        "select c.cta_id, c.account_id, a.account_name, c.cta_type, c.priority, c.status, "
        "c.triggered_on, c.due_on, c.reason, c.owner, "
        "case when c.status = 'open' and c.due_on = ? then 'due_today' "
        "when c.status = 'open' and c.due_on < ? then 'overdue' "
        "when c.status = 'open' and c.raised_as_of = ? then 'new' end as section "
        "from marts.fct_cta_candidates c "
        "left join marts.dim_accounts a on a.account_id = c.account_id "
        "where c.owner is not null order by c.due_on, c.cta_id",
        [d, d, d],
    )
    falls = tier_falls(con, d)
    overrides = expiring_overrides(con)
    labels = _tier_labels(con)
    people = sorted(
        {c["owner"] for c in ctas if c["section"]}
        | {f["csm_owner"] for f in falls if f["csm_owner"]}
        | {o["csm_owner"] for o in overrides if o["csm_owner"]}
    )
    out = []
    for csm in people:
        mine = [c for c in ctas if c["owner"] == csm and c["section"]]
        context = {
            "csm": csm,
            "as_of": d,
            "new": [c for c in mine if c["section"] == "new"],
            "due_today": [c for c in mine if c["section"] == "due_today"],
            "overdue": [c for c in mine if c["section"] == "overdue"],
            "tier_falls": [f for f in falls if f["csm_owner"] == csm],
            "overrides": [o for o in overrides if o["csm_owner"] == csm],
            "tier_label": lambda t: labels.get(t, t),
        }
        rendered = templates.digest("csm_digest", context)
        out.append(_digest("csm_digest", csm, d.isoformat(), rendered, staff["csm"], now, d, csm))
    return out


def manager_digests(
    con: duckdb.DuckDBPyConnection,
    d: date,
    templates: Templates,
    staff: dict[str, dict[str, str]],
    now: datetime,
    notes: list[str],
) -> list[Message]:
    if not staff["manager"]:
        notes.append(f"manager_digest: no manager in the staff directory (${STAFF_ENV})")
        return []
    week = d - timedelta(days=d.weekday())
    kpis = rows(
        con,
        "select * from marts.mart_kpi_monthly where month = (select max(month) from "
        "marts.mart_kpi_monthly where month <= ?) order by segment = 'all' desc, segment",
        [d],
    )
    ctas = rows(
        con,
        "select count(*) filter (where status = 'open') as open_ctas, "
        "count(*) filter (where status = 'open' and due_on < ?) as overdue_ctas "
        "from marts.fct_cta_candidates",
        [d],
    )[0]
    retention = {
        (r["month"], r["segment"]): r
        for r in rows(
            con,
            f"select month, segment, {', '.join(RETENTION_COLUMNS)} "
            "from marts.mart_arr_movements where month = ?",
            [kpis[0]["month"] if kpis else d],
        )
    }
    for k in kpis:
        k["retention"] = retention.get((k["month"], k["segment"]))
    context = {"as_of": d, "week": week, "kpis": kpis, **ctas}
    rendered = templates.digest("manager_digest", context)
    return [
        _digest("manager_digest", name, week.isoformat(), rendered, staff["manager"], now, d)
        for name in sorted(staff["manager"])
    ]
