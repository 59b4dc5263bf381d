"""Every dashboard page, run headless with streamlit.testing.v1.AppTest on a published copy.

The serving copy comes from a real `cswh run` on the tiny zone (tests/dashboard_support.py).
Each test checks a page renders without an exception, that its numbers agree with SQL on the
serving copy, and that its sidebar filters change them.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dagster_project import app_store, publish
from dagster_project.users import ROLES
from tests.dashboard_support import (
    APP,
    APPTEST_USER,
    PAGE_SPECS,
    PAGE_TIMEOUT,
    PAGES,
    add_user,
    app_test,
    current_kpi_month,
    literal,
    modified_copy,
    open_page,
    published_serving,
    query,
    skip_unless_published,
    users_file,
)


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path) -> Path:
    return published_serving(tmp_path_factory, tiny_zone)


@pytest.fixture
def env(serving: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    paths = {"serving": serving, "app_db": tmp_path / "app.sqlite", "docs": tmp_path / "docs"}
    monkeypatch.setenv("CSWH_SERVING", str(serving))
    monkeypatch.setenv("CSWH_APP_DB", str(paths["app_db"]))
    monkeypatch.setenv("CSWH_DOCS_DIR", str(paths["docs"]))
    return paths


def metric(at: AppTest, label_start: str) -> str:
    hits = [m.value for m in at.metric if m.label.startswith(label_start)]
    assert hits, f"no metric {label_start!r} in {[m.label for m in at.metric]}"
    return hits[0]


def as_int(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.mark.parametrize("page", list(PAGES))
def test_page_without_serving_copy_says_how_to_create_it(page, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CSWH_SERVING", str(tmp_path / "never-published.duckdb"))
    at = open_page(page)
    assert at.title, "every page has a title that says what it answers"
    assert any("make run" in i.value and "cswh run" in i.value for i in at.info)


@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_numbers_first(page, env, serving) -> None:
    skip_unless_published(serving, page)
    at = open_page(page)
    assert at.title[0].value.endswith("?"), "the title is the question the page answers"
    assert not at.warning, [w.value for w in at.warning]
    assert len(at.metric) >= 4
    assert at.get("download_button"), "tables come with a CSV download"


def test_overview_matches_sql_and_segment_filter(env, serving) -> None:
    skip_unless_published(serving, "overview")
    month = current_kpi_month(serving)
    expected = dict(
        query(
            serving,
            "select segment, active_customers from marts.mart_kpi_monthly where month = ?",
            [month],
        )
    )
    at = open_page("overview")
    assert as_int(metric(at, "Active customers")) == expected["all"]
    segments = [s for s in expected if s != "all" and expected[s] != expected["all"]]
    assert segments, "a segment with different numbers than all"
    at.selectbox(key="overview_segment").set_value(segments[0]).run()
    assert not at.exception
    assert as_int(metric(at, "Active customers")) == expected[segments[0]]


def test_health_csm_filter_changes_numbers(env, serving) -> None:
    skip_unless_published(serving, "health")
    rows = query(
        serving,
        "select a.csm_owner, count(*) from marts.fct_account_health h"
        " join marts.dim_accounts a using (account_id)"
        " where h.snapshot_date = (select max(snapshot_date) from marts.fct_account_health)"
        " and a.csm_owner is not null group by 1 order by 2 desc, 1",
    )
    (total,) = query(
        serving,
        "select count(*) from marts.fct_account_health"
        " where snapshot_date = (select max(snapshot_date) from marts.fct_account_health)",
    )[0]
    at = open_page("health")
    assert as_int(metric(at, "Accounts")) == total
    assert rows, "some account has a CSM"
    csm, count = rows[0]
    at.multiselect(key="health_csm").set_value([csm]).run()
    assert not at.exception
    assert as_int(metric(at, "Accounts")) == count < total


def test_health_at_risk_and_tier_moves_follow_the_mart_and_the_seed(env, serving) -> None:
    """ "At risk or critical" counts the effective tiers the published seed flags (as
    at_risk_accounts does: an override's tier while one applies), and the tier moves are read
    from the mart's 28-day reference columns (computed tiers)."""
    skip_unless_published(serving, "health")
    latest = "(select max(snapshot_date) from marts.fct_account_health)"
    ((at_risk, dropped, jumped),) = query(
        serving,
        "select count(*) filter (where e.counts_as_at_risk),"
        " count(*) filter (where t.sort_order > b.sort_order),"
        " count(*) filter (where t.sort_order < b.sort_order)"
        " from marts.fct_account_health h"
        " join seeds.health_tiers t on t.tier = h.health_tier"
        " join seeds.health_tiers e on e.tier = h.effective_health_tier"
        " left join seeds.health_tiers b on b.tier = h.health_tier_28d_ago"
        " and b.min_score is not null and t.min_score is not null"
        f" where h.snapshot_date = {latest}",
    )
    at = open_page("health")
    assert as_int(metric(at, "At risk or critical")) == at_risk
    text = " ".join(m.value for m in at.markdown)
    assert f"Dropped a tier / ダウン: {dropped}**" in text, text
    assert f"Jumped a tier / アップ: {jumped}**" in text, text


def test_health_counts_effective_tiers_and_lists_overrides_expiring_for_a_csm(
    env, serving, tmp_path, monkeypatch
) -> None:
    """Section 11: an override's tier counts in "At risk or critical" (as at_risk_accounts
    does), and the overrides expiring within 14 days are listed for the chosen CSM."""
    skip_unless_published(serving, "health")
    latest = "(select max(snapshot_date) from marts.fct_account_health)"
    account, csm = query(
        serving,
        "select h.account_id, a.csm_owner from marts.fct_account_health h"
        " join marts.dim_accounts a using (account_id)"
        f" where h.snapshot_date = {latest} and a.csm_owner is not null"
        " and h.effective_health_tier in ('excellent', 'healthy') and h.override_score is null"
        " order by 1 limit 1",
    )[0]
    at = open_page("health")
    before = as_int(metric(at, "At risk or critical"))
    overridden = as_int(metric(at, "Overridden"))  # the zone's own overrides (generator)
    expiring_sql = "select count(*) from marts.fct_health_overrides where is_expiring_soon"
    ((expiring_all,),) = query(serving, expiring_sql)
    ((expiring_csm,),) = query(serving, expiring_sql + f" and csm_owner = '{csm}'")
    columns = (
        "override_id, account_id, csm_owner, set_by, set_on, override_score, override_tier,"
        " reason, expires_on, days_to_expiry, status, status_sort_order, is_expiring_soon"
    )
    copy = modified_copy(
        serving,
        tmp_path / "serving.duckdb",
        "update marts.fct_account_health set override_score = 10,"
        " effective_health_score = 10, effective_health_tier = 'critical', effective_at_risk = 1"
        f" where account_id = '{account}' and snapshot_date = {latest}",
        f"insert into marts.fct_health_overrides ({columns}) values"
        f" ('T-1', '{account}', '{csm}', 'cs_ops', date '2026-10-01', 10, 'critical', 'x',"
        "  date '2026-11-05', 5, 'active', 1, true),"
        f" ('T-2', '{account}', '{csm}', 'cs_ops', date '2026-05-01', 90, 'excellent', 'y',"
        "  date '2026-06-01', -152, 'expired', 3, false),"
        " ('T-3', 'other', 'someone else', 'cs_ops', date '2026-10-01', 10, 'critical', 'z',"
        "  date '2026-11-05', 5, 'active', 1, true)",
    )
    monkeypatch.setenv("CSWH_SERVING", str(copy))
    at = open_page("health")
    assert as_int(metric(at, "At risk or critical")) == before + 1
    assert as_int(metric(at, "Overridden")) == overridden + 1
    text = " ".join(m.value for m in at.markdown)
    assert f"Expiring within 14 days / 14日以内に期限切れ: {expiring_all + 2}**" in text, text
    assert "CSM: every CSM" in [t.value for t in at.text]
    at.multiselect(key="health_csm").set_value([csm]).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert f"Expiring within 14 days / 14日以内に期限切れ: {expiring_csm + 1}**" in text, text
    assert f"CSM: {csm}" in [t.value for t in at.text]  # a name, as text


def test_account_360_shows_the_chosen_account(env, serving) -> None:
    skip_unless_published(serving, "account")
    rows = query(
        serving,
        "select h.account_id, a.account_name, h.health_score from marts.fct_account_health h"
        " join marts.dim_accounts a using (account_id)"
        " where h.snapshot_date = (select max(snapshot_date) from marts.fct_account_health)"
        " order by h.health_score",
    )
    (account_id, name, score), (other_id, other_name, other_score) = rows[0], rows[-1]
    at = open_page("account")
    at.selectbox(key="a360_account").set_value(account_id).run()
    assert not at.exception
    assert literal(at.header[0].value) == name
    assert metric(at, "Health score") == f"{score:,.1f}"
    assert len(at.dataframe) >= 3  # contract, metric contributions, recent activity, CTAs
    at.selectbox(key="a360_account").set_value(other_id).run()
    assert literal(at.header[0].value) == other_name
    assert metric(at, "Health score") == f"{other_score:,.1f}"


def test_cta_queue_filters_and_records_an_outcome(env, serving) -> None:
    skip_unless_published(serving, "ctas")
    by_priority = dict(
        query(
            serving,
            "select priority, count(*) from marts.fct_cta_candidates where status = 'open' group by 1",
        )
    )
    assert by_priority, "the tiny zone raises open CTAs"
    at = open_page("ctas")
    assert as_int(metric(at, "CTAs shown")) == sum(by_priority.values())
    priority = min(by_priority, key=by_priority.get)
    at.multiselect(key="cta_priority").set_value([priority]).run()
    assert as_int(metric(at, "CTAs shown")) == by_priority[priority]

    cta_id = at.selectbox(key="outcome_cta").value
    at.radio(key="outcome_value").set_value("won")
    at.text_area(key="outcome_note").input("予算確保済み、来月発注")
    next(b for b in at.button if b.label.startswith("Record")).click().run()
    assert not at.exception
    assert at.success, [e.value for e in at.error]
    rows = app_store.read_outcomes(env["app_db"]).to_pylist()
    assert [(r["cta_id"], r["outcome"], r["recorded_by"], r["note"]) for r in rows] == [
        (cta_id, "won", "apptest", "予算確保済み、来月発注")
    ]
    (open_ids,) = zip(
        *query(serving, "select cta_id from marts.fct_cta_candidates where status = 'open'"),
        strict=True,
    )
    assert cta_id in open_ids


def test_outcome_form_records_the_signed_in_user_not_a_typed_name(env, serving) -> None:
    skip_unless_published(serving, "ctas")
    at = open_page("ctas", name="ops-someone")
    assert not [t for t in at.text_input if t.key in ("outcome_by",)], "no free-text who"
    assert any(t.value == "Recorded by / 記録者: ops-someone" for t in at.text)
    next(b for b in at.button if b.label.startswith("Record")).click().run()
    assert not at.exception and at.success, [e.value for e in at.error]
    (row,) = app_store.read_outcomes(env["app_db"]).to_pylist()
    assert row["recorded_by"] == "ops-someone"


def test_playbooks_filter(env, serving) -> None:
    skip_unless_published(serving, "playbooks")
    raised = dict(query(serving, "select cta_type, raised from marts.mart_cta_effectiveness"))
    at = open_page("playbooks")
    assert as_int(metric(at, "CTAs raised")) == sum(raised.values())
    cta_type = max(raised, key=raised.get)
    at.multiselect(key="pb_type").set_value([cta_type]).run()
    assert not at.exception
    assert as_int(metric(at, "CTAs raised")) == raised[cta_type]


def test_calibration_matches_sql(env, serving) -> None:
    skip_unless_published(serving, "calibration")
    rows = dict(query(serving, "select health_tier, snapshots from marts.mart_health_calibration"))
    at = open_page("calibration")
    assert as_int(metric(at, "Snapshots judged")) == sum(rows.values())
    at.toggle(key="cal_hide_unknown").set_value(True).run()
    assert not at.exception
    assert as_int(metric(at, "Snapshots judged")) == sum(
        v for k, v in rows.items() if k != "unknown"
    )


def test_data_quality_filters_by_source(env, serving) -> None:
    skip_unless_published(serving, "data-quality")
    files = dict(query(serving, "select source, count(*) from dq.load_manifest group by 1"))
    at = open_page("data-quality")
    assert as_int(metric(at, "Files")) == sum(files.values())
    source = min(files, key=files.get)
    at.multiselect(key="dq_source").set_value([source]).run()
    assert not at.exception
    assert as_int(metric(at, "Files")) == files[source]


def test_data_docs_link_when_built(env, serving) -> None:
    skip_unless_published(serving, "data-quality")
    index = env["docs"] / "data_docs" / "index.html"
    index.parent.mkdir(parents=True)
    index.write_text("<html></html>")
    at = open_page("data-quality")
    assert any(index.as_uri() in m.value for m in at.markdown)


def test_new_publish_shows_without_restart(env, serving, tmp_path, monkeypatch) -> None:
    skip_unless_published(serving, "overview")
    live = tmp_path / "live" / "serving.duckdb"
    live.parent.mkdir()
    live.write_bytes(serving.read_bytes())
    monkeypatch.setenv("CSWH_SERVING", str(live))
    month = current_kpi_month(serving)
    (before,) = query(
        serving,
        "select active_customers from marts.mart_kpi_monthly where month = ? and segment = 'all'",
        [month],
    )[0]
    at = open_page("overview")
    assert as_int(metric(at, "Active customers")) == before
    # The next build: a warehouse whose KPI moved, published the way the pipeline does it.
    nxt = modified_copy(
        serving,
        tmp_path / "next-warehouse.duckdb",
        "update marts.mart_kpi_monthly set active_customers = active_customers + 1000",
    )
    inode = os.stat(live).st_ino
    publish.publish(nxt, live)
    assert os.stat(live).st_ino != inode
    at.run()
    assert not at.exception
    assert as_int(metric(at, "Active customers")) == before + 1000


def test_account_360_opens_the_linked_account(env, serving) -> None:
    skip_unless_published(serving, "account")
    (account_id, name) = query(
        serving,
        "select account_id, account_name from marts.dim_accounts order by account_id desc limit 1",
    )[0]
    at = app_test()
    at.run()
    at.query_params["account"] = account_id  # the CTA queue's and health lists' "open" links
    at.switch_page(PAGES["account"]).run()
    assert not at.exception
    assert literal(at.header[0].value) == name


@pytest.mark.parametrize("page", [p for p in PAGES if p != "data-quality"])
def test_copy_without_marts_names_what_is_missing(page, tmp_path, monkeypatch) -> None:
    early = tmp_path / "early.duckdb"  # published before any mart was built
    con = duckdb.connect(str(early))
    con.execute("create schema dq")
    con.execute(
        "create table dq.publish_log (run_id varchar, published_at timestamp, as_of_date date)"
    )
    con.close()
    monkeypatch.setenv("CSWH_SERVING", str(early))
    at = open_page(page)
    assert any("does not hold" in w.value and "marts." in w.value for w in at.warning)


# --- Account 360: the timeline and what people add (CONTRACT section 11) -----------------------


def _account_with_events(serving: Path) -> tuple[str, dict[str, int]]:
    """The active account with the most timeline events, and its events per kind."""
    rows = query(
        serving,
        "select t.account_id, t.kind, count(*) from marts.fct_account_timeline t"
        " join marts.dim_accounts a using (account_id) where a.is_active_customer"
        " group by 1, 2 order by 1, 2",
    )
    per_account: dict[str, dict[str, int]] = {}
    for account_id, kind, n in rows:
        per_account.setdefault(account_id, {})[kind] = n
    account_id = max(per_account, key=lambda a: (sum(per_account[a].values()), a))
    return account_id, per_account[account_id]


def _button(at: AppTest, label_start: str):
    return next(b for b in at.button if b.label.startswith(label_start))


def test_account_360_timeline_is_newest_first_and_filters_by_kind(env, serving) -> None:
    skip_unless_published(serving, "account")
    account_id, kinds = _account_with_events(serving)
    assert len(kinds) >= 3, kinds  # touches, tickets, CTAs ... on one account
    at = open_page("account")
    at.selectbox(key="a360_account").set_value(account_id).run()
    events = next(d.value for d in at.dataframe if "title" in d.value.columns)
    assert len(events) == min(sum(kinds.values()), 1000)
    assert events["event_at"].is_monotonic_decreasing
    assert "@" not in " ".join(events["actor"].dropna())  # people by role, never by e-mail
    picker = at.multiselect(key="a360_timeline_kinds")
    assert picker.format_func("pulse") == "CSMパルス"  # Japanese labels from the seed
    kind = min(kinds, key=kinds.get)
    picker.set_value([kind]).run()
    events = next(d.value for d in at.dataframe if "title" in d.value.columns)
    assert len(events) == kinds[kind]
    assert set(events["kind"]) == {at.multiselect(key="a360_timeline_kinds").format_func(kind)
                                   + f" ({kind})"}  # fmt: skip


def test_account_360_override_needs_a_reason_and_is_recorded(env, serving) -> None:
    skip_unless_published(serving, "account")
    account_id, _ = _account_with_events(serving)
    at = open_page("account")
    at.selectbox(key="a360_account").set_value(account_id).run()
    today = app_store.now_jst().date()
    assert at.date_input(key="ov_expires").value == today + timedelta(days=90)  # the default
    at.number_input(key="ov_score").set_value(35)
    _button(at, "Set override").click().run()  # no reason
    assert not at.exception
    assert not at.success
    assert any("Not recorded" in e.value for e in at.error)
    assert any("reason: required value is missing" in t.value for t in at.text)
    assert app_store.read_rows("overrides", env["app_db"]) == []  # nothing written
    assert at.number_input(key="ov_score").value == 35  # what was typed stays to fix

    at.text_area(key="ov_reason").input("<b>口頭で解約の意向</b> **要注意**")
    at.date_input(key="ov_expires").set_value(today + timedelta(days=30))
    _button(at, "Set override").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("shown after the next run" in s.value for s in at.success)
    (row,) = app_store.read_rows("overrides", env["app_db"])
    assert (row["account_id"], row["override_score"], row["set_by"], row["expires_on"]) == (
        account_id, 35, "apptest", (today + timedelta(days=30)).isoformat()
    )  # fmt: skip
    assert row["reason"] == "<b>口頭で解約の意向</b> **要注意**"
    assert at.text_area(key="ov_reason").value in ("", None)  # cleared once saved
    pending = next(x for x in at.expander if x.label.startswith("Recorded for this account"))
    assert "(1)" in pending.label


def test_account_360_pulse_is_recorded_with_its_meaning(env, serving) -> None:
    skip_unless_published(serving, "account")
    account_id, _ = _account_with_events(serving)
    at = open_page("account")
    at.selectbox(key="a360_account").set_value(account_id).run()
    radio = at.radio(key="pulse_value")
    assert radio.value is None  # no default: the CSM picks one
    assert radio.format_func(1).endswith("About to leave") and "5 · " in radio.format_func(5)
    _button(at, "Record pulse").click().run()
    assert any("pulse: required value is missing" in t.value for t in at.text)
    assert app_store.read_rows("pulses", env["app_db"]) == []
    at.radio(key="pulse_value").set_value(2)
    at.text_area(key="pulse_note").input("決裁者が交代、後任と未接触")
    _button(at, "Record pulse").click().run()
    assert any("shown after the next run" in s.value for s in at.success)
    (row,) = app_store.read_rows("pulses", env["app_db"])
    assert (row["account_id"], row["pulse"], row["recorded_by"], row["note"]) == (
        account_id, 2, "apptest", "決裁者が交代、後任と未接触"
    )  # fmt: skip


OVERRIDE_COLUMNS = (
    "override_score integer",
    "override_reason varchar",
    "override_expires_on date",
    "effective_health_score double",
    "effective_health_tier varchar",
)


def test_account_360_shows_the_effective_tier_beside_the_computed_one(
    env, serving, tmp_path, monkeypatch
) -> None:
    """On a copy whose fct_account_health holds an override (CONTRACT section 11's columns)."""
    skip_unless_published(serving, "account")
    (account_id, score, tier) = query(
        serving,
        "select account_id, health_score, health_tier from marts.fct_account_health"
        " where snapshot_date = (select max(snapshot_date) from marts.fct_account_health)"
        " and health_tier <> 'critical' order by health_score desc, account_id limit 1",
    )[0]
    reason = "<i>口頭で解約示唆</i> *要注意*"
    copy = modified_copy(
        serving,
        tmp_path / "with-override.duckdb",
        *(f"alter table marts.fct_account_health add column if not exists {c}"
          for c in OVERRIDE_COLUMNS),
        "update marts.fct_account_health set override_score = null, override_reason = null,"
        " override_expires_on = null, effective_health_score = health_score,"
        " effective_health_tier = health_tier",
        "update marts.fct_account_health set override_score = 12, override_reason = "
        f"'{reason}', override_expires_on = date '2027-01-31', effective_health_score = 12,"
        " effective_health_tier = 'critical' where account_id = '" + account_id + "'"
        " and snapshot_date = (select max(snapshot_date) from marts.fct_account_health)",
    )  # fmt: skip
    monkeypatch.setenv("CSWH_SERVING", str(copy))
    at = open_page("account")
    at.selectbox(key="a360_account").set_value(account_id).run()
    assert not at.exception
    assert metric(at, "Effective score") == "12.0"
    assert metric(at, "Health score") == f"{score:,.1f}"  # the computed one, unchanged
    assert metric(at, "Override score") == "12"
    assert metric(at, "Expires") == "2027-01-31"
    assert [t.value for t in at.text if t.value == reason] == [reason]  # as typed, not markup
    badge = next(m.value for m in at.markdown if "computed / 算出" in m.value)
    assert "対応が必要 (critical)</span>" in badge and f"({tier})" in badge


# --- sign-in and roles (the browser checks the same in tests/test_browser_roles.py) -----------


def _menu(at) -> list[str]:
    return [link.proto.label for link in at.sidebar.get("page_link")]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_only_its_pages(env, serving, role) -> None:
    at = app_test(role)
    at.run()
    assert not at.exception
    assert _menu(at) == [spec.title for spec in PAGE_SPECS if spec.allows(role)]
    assert any(
        t.value
        == f"Signed in as {APPTEST_USER}{'' if role == 'cs_ops' else '-' + role} · role {role}"
        for t in at.sidebar.text
    )


def test_a_page_not_allowed_says_so_and_shows_nothing_else(env, serving) -> None:
    at = open_page("ctas", role="auditor")
    assert [e.value for e in at.error] == [
        "Not allowed for your role (auditor). / このロールでは表示できません。"
    ]
    assert not at.metric and not at.dataframe and not at.title


def test_a_signed_out_visitor_sees_the_sign_in_only(env, serving, tmp_path, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    add_user("someone-signed-out", "csm")  # a users file with a user in it
    at = AppTest.from_file(str(APP), default_timeout=PAGE_TIMEOUT).run()
    assert [t.value for t in at.title] == ["Sign in / サインイン"]
    assert not _menu(at) and not at.metric and not at.dataframe and not at.sidebar.children
    assert {t.label for t in at.text_input} == {"Name / ユーザー名", "Password / パスワード"}

    monkeypatch.setenv("CSWH_USERS_DB", str(tmp_path / "none" / "users.sqlite"))
    at = AppTest.from_file(str(APP), default_timeout=PAGE_TIMEOUT).run()
    assert not at.text_input  # no form: nobody could sign in
    assert any("cswh users add NAME --role cs_ops" in c.value for c in at.code)


def test_an_expired_session_goes_back_to_the_sign_in(env, serving) -> None:
    import auth

    at = app_test("cs_ops")
    at.session_state[auth.SESSION_KEY] = auth.SignedIn(
        APPTEST_USER, "cs_ops", "password", auth.clock() - 10, auth.clock() - 1
    )
    at.run()
    assert [t.value for t in at.title] == ["Sign in / サインイン"]
    assert any("session expired" in i.value for i in at.info)
    assert not at.metric


def test_a_disabled_user_is_signed_out_at_the_next_run(env, serving) -> None:
    from dagster_project import users

    at = app_test("manager", name="apptest-to-disable")
    at.run()
    assert _menu(at)
    users.disable("apptest-to-disable", users_file())
    at.run()
    assert [t.value for t in at.title] == ["Sign in / サインイン"] and not _menu(at)
