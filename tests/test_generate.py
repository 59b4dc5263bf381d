"""The synthetic landing-zone generator writes what the contract (sources.py) promises."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from dagster_project.sources import ENTITIES, Entity
from dagster_project.synthetic import generate

START, END = date(2025, 9, 1), date(2026, 6, 30)


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("gen") / "raw"
    lines: list[str] = []
    rows = generate(out, accounts=90, seed=7, start=START, end=END, progress=lines.append)
    assert lines and any(line.startswith("usage ") for line in lines)
    return out, rows


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp932")


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_decode(path.read_bytes()), newline="")))


def csv_header(path: Path) -> list[str]:
    return next(csv.reader(io.StringIO(_decode(path.read_bytes()), newline="")))


def files(out: Path, e: Entity) -> list[Path]:
    return sorted(p for p in out.glob(e.glob) if p.is_file())


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def ts(value: str) -> datetime:
    """A contract timestamp as naive Japan time."""
    d = datetime.fromisoformat(value)
    if d.tzinfo is not None:
        d = (d - d.utcoffset() + timedelta(hours=9)).replace(tzinfo=None)
    return d


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_every_glob_has_files_with_exactly_the_contract_columns(zone):
    out, _ = zone
    for e in ENTITIES:
        found = files(out, e)
        assert found, f"no file for {e.table} ({e.glob})"
        want = [c.name for c in e.columns]
        for path in found:
            if e.format == "csv":
                header = csv_header(path)
                assert sorted(header) == sorted(want) and len(header) == len(want), path
            elif e.format == "parquet":
                names = pq.read_schema(path).names
                assert sorted(names) == sorted(want), path
            else:
                nested = sorted(c.name for c in e.nested_columns)
                for rec in read_jsonl(path):
                    top = [k for k in rec if k != e.nested]
                    assert sorted(top) == sorted(want), path
                    if e.nested:
                        assert isinstance(rec[e.nested], list), path
                        for reg in rec[e.nested]:
                            assert sorted(reg) == nested, path


def test_rows_returned_match_files(zone):
    out, rows = zone
    assert set(rows) == {e.table for e in ENTITIES}
    daily = sum(pq.read_metadata(p).num_rows for p in files(out, _entity("usage__daily")))
    assert rows["usage__daily"] == daily > 0
    assert rows["usage__users"] == pq.read_metadata(out / "usage/users.parquet").num_rows
    assert rows["crm__accounts"] == len(read_csv(out / "crm/accounts.csv")) == 90
    assert rows["cta_actions__outcomes"] == 0
    assert (out / "cta_actions/outcomes.csv").read_text().strip().count("\n") == 0
    tickets = sum(len(read_jsonl(p)) for p in files(out, _entity("support__tickets")))
    assert rows["support__tickets"] == tickets


def _entity(table: str) -> Entity:
    return next(e for e in ENTITIES if e.table == table)


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    kw = dict(accounts=30, start=date(2026, 1, 1), end=date(2026, 3, 31))
    a = tree_hashes(_gen(tmp_path / "a", seed=3, **kw))
    b = tree_hashes(_gen(tmp_path / "b", seed=3, **kw))
    c = tree_hashes(_gen(tmp_path / "c", seed=4, **kw))
    assert a == b
    assert a.keys() == c.keys()
    differing = [k for k in a if a[k] != c[k]]
    assert len(differing) > len(a) // 2


def _gen(out: Path, **kw) -> Path:
    generate(out, **kw)
    return out


def test_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "old.txt").write_text("x")
    with pytest.raises(FileExistsError):
        generate(tmp_path, accounts=5)


def test_segments_and_csm_owners(zone):
    out, _ = zone
    accounts = read_csv(out / "crm/accounts.csv")
    seg = defaultdict(list)
    for a in accounts:
        n = int(a["employee_count"])
        seg["tech_touch" if n < 50 else "pooled" if n < 1000 else "high_touch"].append(a)
    assert all(seg[s] for s in ("tech_touch", "pooled", "high_touch")), {
        k: len(v) for k, v in seg.items()
    }
    assert all(a["csm_owner"] == "" for a in seg["tech_touch"])
    assert all(a["csm_owner"] != "" for a in seg["high_touch"])
    assert 0 < sum(a["csm_owner"] != "" for a in seg["pooled"]) < len(seg["pooled"])
    assert any(ord(ch) > 0x3000 for a in accounts for ch in a["account_name"])  # Japanese


def test_contract_lifecycle_renewals_churn_expansion(zone):
    out, _ = zone
    contracts = read_csv(out / "crm/contracts.csv")
    by_acct = defaultdict(list)
    for c in contracts:
        by_acct[c["account_id"]].append(c)
    statuses = {c["status"] for c in contracts}
    assert statuses == {"active", "renewed", "churned"}
    for c in contracts:
        later = [x for x in by_acct[c["account_id"]] if x["start_date"] > c["start_date"]]
        end = date.fromisoformat(c["end_date"])
        if c["status"] == "renewed":
            assert any(
                date.fromisoformat(x["start_date"]) == end + timedelta(days=1) for x in later
            ), c
        elif c["status"] == "churned":
            assert not later and end < END, c
        else:
            assert end >= END, c
    accounts = {a["account_id"] for a in read_csv(out / "crm/accounts.csv")}
    assert 0 < len(accounts - set(by_acct)) < len(accounts) * 0.2  # a few prospects
    changes = read_csv(out / "crm/contract_changes.csv")
    expansions = {c["change_type"] for c in changes if int(c["delta_arr_jpy"]) > 0}
    assert expansions & {"seat_add", "upgrade", "cross_sell"}
    ids = {c["contract_id"]: c for c in contracts}
    for ch in changes:
        ct = ids[ch["contract_id"]]
        assert ct["account_id"] == ch["account_id"]
        assert ct["start_date"] <= ch["changed_at"] <= ct["end_date"]


def test_crm_encodings_cp932_and_bom(zone):
    out, _ = zone
    raw = (out / "crm/accounts.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp932")
    assert "\r\n" in text and "株式会社" in text
    assert (out / "crm/contacts.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    # multi-line quoted free text survives a CSV round trip
    plans = read_csv(out / "crm/success_plans.csv")
    nps = [r for p in files(out, _entity("nps__responses")) for r in read_csv(p)]
    assert any("\n" in r["objective"] for r in plans) or any("\n" in r["comment"] for r in nps)


def test_tickets_reappear_later_with_later_updated_at(zone):
    out, _ = zone
    seen: dict[str, tuple[str, datetime, str]] = {}
    reappeared = 0
    for path in files(out, _entity("support__tickets")):
        for rec in read_jsonl(path):
            upd = ts(rec["updated_at"])
            assert ts(rec["created_at"]) <= upd
            if rec["id"] in seen:
                prev_file, prev_upd, _ = seen[rec["id"]]
                assert prev_file < path.name and prev_upd < upd
                reappeared += 1
            seen[rec["id"]] = (path.name, upd, rec["status"])
    assert reappeared >= 5
    assert {"solved", "closed"} & {s for _, _, s in seen.values()}


def _duck(out: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        f"""
        create view usage as select * from read_parquet('{out}/usage/daily/**/*.parquet');
        create view users as select * from read_parquet('{out}/usage/users.parquet');
        create view contracts as select * from read_csv('{out}/crm/contracts.csv', header=true,
            all_varchar=true);
        """
    )
    return con


def test_usage_only_for_existing_users_during_contracts(zone):
    out, _ = zone
    con = _duck(out)
    assert con.execute("select count(*) from usage").fetchone()[0] > 10_000
    assert (
        str(pq.read_schema(files(out, _entity("usage__daily"))[0]).field("activity_date").type)
        == "date32[day]"
    )
    bad = con.execute(
        """
        select count(*) from usage d left join users u using (user_id)
        where u.user_id is null or u.account_id <> d.account_id
           or d.activity_date < u.created_at::date
           or u.first_login_at is null or d.activity_date < u.first_login_at::date
           or d.activity_date >= u.deactivated_at::date
           or d.event_count < 1 or d.devices < 1
           or not exists (select 1 from contracts c where c.account_id = d.account_id
                          and d.activity_date between c.start_date::date and c.end_date::date)
        """
    ).fetchone()[0]
    assert bad == 0
    features = {r[0] for r in con.execute("select distinct feature from usage").fetchall()}
    assert features >= {
        "web_session",
        "mobile_session",
        "core_action",
        "search",
        "export",
        "share",
        "integration",
    }
    shared = con.execute(
        "select count(*) from (select user_id from usage where devices >= 3 "
        "group by user_id having count(distinct activity_date) >= 3)"
    ).fetchone()[0]
    assert shared > 0  # shared-ID signal exists
    never, deact, roles = con.execute(
        "select count(*) filter (where first_login_at is null), "
        "count(*) filter (where deactivated_at is not null), count(distinct role) from users"
    ).fetchone()
    assert never > 0 and deact > 0 and roles == 2
    assert (
        con.execute(
            "select count(*) from users where first_login_at < created_at "
            "or deactivated_at < created_at"
        ).fetchone()[0]
        == 0
    )


def test_churned_accounts_used_the_product_less_before_the_end(zone):
    """The hidden health drives both usage and renewal, so usage must predict churn."""
    out, _ = zone
    con = _duck(out)
    rows = con.execute(
        f"""
        with ends as (
            select account_id, end_date::date as e, status from contracts
            where status in ('renewed', 'churned') and end_date::date >= date '{START}' + 60
        ),
        ids as (
            select e.account_id, e.e, count(*) as ids from ends e join users u
              on u.account_id = e.account_id and u.created_at::date <= e.e - 30
             and (u.deactivated_at is null or u.deactivated_at::date > e.e - 30)
            group by all
        ),
        wau as (
            select e.account_id, e.e, count(distinct d.user_id) as users from ends e
            join usage d on d.account_id = e.account_id
             and d.activity_date between e.e - 36 and e.e - 30
            group by all
        )
        select status, avg(coalesce(users, 0) / ids) from ends
        join ids using (account_id, e) left join wau using (account_id, e) group by status
        """
    ).fetchall()
    rate = dict(rows)
    assert set(rate) == {"renewed", "churned"}
    assert rate["churned"] < 0.8 * rate["renewed"], rate


def test_defects_are_few_and_as_documented(zone):
    out, _ = zone
    nps = [r for p in files(out, _entity("nps__responses")) for r in read_csv(p)]
    bad_scores = [r["score"] for r in nps if not (r["score"].isdigit() and int(r["score"]) <= 10)]
    assert sorted(bad_scores) == sorted(["11", "", "-1"])
    leads = read_csv(out / "marketing/leads.csv")
    bad = []
    for r in leads:
        try:
            datetime.strptime(r["created_at"], "%Y-%m-%d %H:%M:%S")
        except ValueError:
            bad.append(r["created_at"])
    assert sorted(bad) == sorted(["2025-02-30 10:00:00", "不明"])
    prios = [
        rec["priority"] for p in files(out, _entity("support__tickets")) for rec in read_jsonl(p)
    ]
    assert prios.count("緊急") == 1
    assert set(prios) - {"緊急"} <= {"low", "normal", "high", "urgent"}
    minutes = [
        reg["attended_minutes"]
        for p in files(out, _entity("seminars__registrations"))
        for rec in read_jsonl(p)
        for reg in rec["registrations"]
    ]
    assert [m for m in minutes if m is not None and m < 0] == [-5]


def test_emails_need_normalising_and_some_do_not_match(zone):
    out, _ = zone
    contacts = {r["email"].strip().lower() for r in read_csv(out / "crm/contacts.csv")}
    nps = [r for p in files(out, _entity("nps__responses")) for r in read_csv(p)]
    raw = [r["email"] for r in nps]
    assert any(e != e.strip().lower() for e in raw)
    norm = [e.strip().lower() for e in raw]
    assert any(e in contacts for e in norm) and any(e not in contacts for e in norm)
    leads = read_csv(out / "marketing/leads.csv")
    assert "trial" in {r["lead_source"] for r in leads}
    for r in leads:
        if r["converted_at"] and r["created_at"] not in ("2025-02-30 10:00:00", "不明"):
            assert r["converted_at"] > r["created_at"], r
    assert any(r["status"] == "converted" and r["account_id"] for r in leads)


def test_nothing_happens_after_the_end_date(zone):
    """Only contract ends, objective targets and override expiries may lie in the future (as
    of END)."""
    out, _ = zone
    future_ok = {
        ("crm__contracts", "end_date"),
        ("crm__success_plans", "target_date"),
        ("cs_inputs__overrides", "expires_on"),
    }
    limit = datetime.combine(END + timedelta(days=1), datetime.min.time())
    checked = 0
    for e in ENTITIES:
        if e.format == "parquet":
            continue
        cols = [c.name for c in e.all_columns if c.type in ("date", "timestamp")]
        cols = [c for c in cols if (e.table, c) not in future_ok]
        for path in files(out, e):
            if e.format == "csv":
                recs = read_csv(path)
            else:
                recs = []
                for rec in read_jsonl(path):
                    recs.append(rec)
                    if e.nested:
                        recs.extend(rec[e.nested])
            for rec in recs:
                for col in cols:
                    v = rec.get(col)
                    if not v or v in ("2025-02-30 10:00:00", "不明"):
                        continue
                    assert ts(v) < limit, (path.name, col, v)
                    checked += 1
    assert checked > 1000
    con = _duck(out)
    lo, hi = con.execute("select min(activity_date), max(activity_date) from usage").fetchone()
    assert lo >= START and hi == END
    users_max = con.execute(
        "select max(greatest(created_at, coalesce(first_login_at, created_at), "
        "coalesce(deactivated_at, created_at))) from users"
    ).fetchone()[0]
    assert users_max < limit
