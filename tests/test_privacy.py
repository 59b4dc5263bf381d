"""Customers' personal data stays where it belongs (SECURITY.md).

On real `cswh run`s of the tiny zone, plus a contact row that is quarantined (its raw text
holds a name and an address) and an NPS comment that quotes an address: the analysts'
serving copy holds no e-mail address and no name of a customer's person in any column of
any table; the restricted copy (mode 0600) holds the contacts and the unredacted dq text;
person_key is the same for the same e-mail run after run and changes with the salt; the
files the pipeline writes are the owner's only (0600), or also the group's (0640) with
CSWH_SHARE_GROUP=1, where the restricted copy stays 0600.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import stat
from pathlib import Path

import pytest

from dagster_project.privacy import EMAIL_PATTERN, SALT_FILE, person_key
from tests.support import PublishedRun, clone_root, cswh_env, query, run_cswh

pytestmark = pytest.mark.slow

# A person who exists only in the scenario's extra files.
PLANTED_NAME = "検査 花子"
PLANTED_EMAIL = "hanako.kensa@kensa-kogyo.co.jp"
CONTACTS_EXTRA = (
    "contact_id,account_id,full_name,email,role,created_at\n"
    # role 'ceo' is no contact role: quarantined, its raw text holds the name and address
    f"CN9999999,A000001,{PLANTED_NAME},{PLANTED_EMAIL},ceo,2026-01-05\n"
)
NPS_EXTRA = (
    "response_id,email,account_id,sent_at,responded_at,score,comment\n"
    f"NP9999999,{PLANTED_EMAIL},A000001,2026-02-02 10:00:00,2026-02-02 11:00:00,8,"
    f"担当の {PLANTED_EMAIL} さんに折り返しください\n"
)
STAFF_COLUMNS = {  # landing-zone files and their columns naming CS staff, not customers
    "crm/accounts*.csv": ("csm_owner",),
    "crm/activities*.csv": ("owner",),
    "cs_inputs/overrides*.csv": ("set_by",),
    "cs_inputs/pulse*.csv": ("recorded_by",),
    "cta_actions/outcomes*.csv": ("recorded_by",),
}


def _rows(zone: Path, pattern: str) -> list[dict]:
    """The rows of the landing-zone CSV files matching ``pattern`` (UTF-8 or CP932, as the
    generator writes them)."""
    out = []
    for path in sorted(zone.glob(pattern)):
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp932")
        out += list(csv.DictReader(io.StringIO(text, newline="")))
    return out


def customer_names(zone: Path) -> set[str]:
    """The generator's names of customers' people (crm/contacts full_name), as written and
    without the space. A contact whose name is also a CS staff member's (the generator draws
    both from one vocabulary) is left out: in csm_owner or set_by it names the employee."""
    staff = {
        (r.get(c) or "").strip()
        for pattern, cols in STAFF_COLUMNS.items()
        for r in _rows(zone, pattern)
        for c in cols
    }
    names = {(r["full_name"] or "").strip() for r in _rows(zone, "crm/contacts*.csv")}
    names = {n for n in names if n and n not in staff}
    return names | {n.replace(" ", "") for n in names}


@pytest.fixture(scope="module")
def privacy_run(tmp_path_factory, tiny_zone: Path) -> PublishedRun:
    root = tmp_path_factory.mktemp("privacy")
    shutil.copytree(tiny_zone, root / "raw")
    (root / "raw" / "crm" / "contacts_late.csv").write_text(CONTACTS_EXTRA, encoding="utf-8")
    (root / "raw" / "nps" / "responses_pii.csv").write_text(NPS_EXTRA, encoding="utf-8")
    env = cswh_env(root)
    result = run_cswh("run", env=env)
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return PublishedRun(root, env, result)


def published_text(db: Path) -> dict[tuple[str, str, str], list[str]]:
    """(schema, table, column) -> its distinct non-null values as text, of every table."""
    out = {}
    columns = query(
        db,
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_catalog = current_database() order by 1, 2, 3",
    )
    for schema, table, column in columns:
        values = query(
            db,
            f'select distinct cast("{column}" as varchar) from "{schema}"."{table}" '
            f'where "{column}" is not null',
        )
        out[(schema, table, column)] = [v for (v,) in values]
    return out


def personal_data_in(db: Path, names: set[str]) -> list[tuple]:
    email = re.compile(EMAIL_PATTERN)
    found = []
    for where, values in published_text(db).items():
        for value in values:
            if email.search(value):
                found.append((*where, "e-mail", value[:120]))
            hit = next((n for n in names if n in value), None)
            if hit:
                found.append((*where, f"name {hit}", value[:120]))
    return found


def test_the_serving_copy_holds_no_email_address_and_no_customers_name(
    privacy_run: PublishedRun,
) -> None:
    zone = privacy_run.root / "raw"
    names = customer_names(zone) | {PLANTED_NAME}
    assert len(names) > 100
    schemas = {
        s
        for (s,) in query(
            privacy_run.serving, "select distinct table_schema from information_schema.tables"
        )
    }
    assert {"marts", "dq", "staging", "seeds"} <= schemas
    # the scan can fail: the warehouse (which keeps what the pipeline needs) has both
    assert personal_data_in(privacy_run.warehouse, names)
    assert personal_data_in(privacy_run.serving, names) == []
    # what replaced them: keys, the <email> token, a withheld raw record
    (quarantined,) = query(
        privacy_run.serving,
        "select raw_record from dq.quarantine where file = 'crm/contacts_late.csv'",
    )
    assert quarantined[0].startswith("<withheld")
    (comment,) = query(
        privacy_run.serving,
        "select comment from marts.fct_nps_responses where response_id = 'NP9999999'",
    )
    assert comment[0] == "担当の <email> さんに折り返しください"
    nps = query(privacy_run.serving, "select raw_record from dq.quarantine where source = 'nps'")
    assert nps and all("<email>" in r for (r,) in nps)


def test_the_restricted_copy_holds_the_people_and_only_its_owner_can_read_it(
    privacy_run: PublishedRun,
) -> None:
    restricted = privacy_run.restricted
    assert stat.S_IMODE(restricted.stat().st_mode) == 0o600
    zone = privacy_run.root / "raw"
    contacts = {r["contact_id"]: r for r in _rows(zone, "crm/contacts.csv")}
    held = query(restricted, "select contact_id, full_name, email, role from people.contacts")
    assert {c for c, *_ in held} == set(contacts)
    for contact_id, full_name, email, _role in held:
        assert full_name == contacts[contact_id]["full_name"]
        assert email == contacts[contact_id]["email"].strip().lower()
    # the outbox looks people up by key
    (directory,) = query(
        restricted,
        "select email from people.directory where person_key = ?",
        [person_key(PLANTED_EMAIL, salt_of(privacy_run))],
    )
    assert directory == (PLANTED_EMAIL,)
    # auditors with access see the quarantined record as delivered
    (raw,) = query(
        restricted, "select raw_record from dq.quarantine where file = 'crm/contacts_late.csv'"
    )
    assert PLANTED_NAME in raw[0] and PLANTED_EMAIL in raw[0]


def salt_of(run: PublishedRun) -> str:
    return (Path(run.env["CSWH_SECRETS_DIR"]) / SALT_FILE).read_text().strip()


def keys(serving: Path) -> list[tuple]:
    return query(serving, "select contact_id, person_key from staging.stg_crm__contacts order by 1")


def test_person_key_is_the_salted_hash_stable_across_runs_and_changes_with_the_salt(
    privacy_run: PublishedRun, tmp_path: Path
) -> None:
    secrets = Path(privacy_run.env["CSWH_SECRETS_DIR"])
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700
    assert stat.S_IMODE((secrets / SALT_FILE).stat().st_mode) == 0o600
    salt = salt_of(privacy_run)
    emails = dict(query(privacy_run.restricted, "select contact_id, email from people.contacts"))
    first = keys(privacy_run.serving)
    assert first == sorted((c, person_key(emails[c], salt)) for c in emails)
    # the same key wherever the person appears
    (nps_key,) = query(
        privacy_run.serving,
        "select person_key from marts.fct_nps_responses where response_id = 'NP9999999'",
    )
    assert nps_key == (person_key(PLANTED_EMAIL, salt),)

    # the same salt (kept in the secrets folder) rebuilds the same keys, bit for bit
    again = tmp_path / "again"
    env = clone_root(privacy_run, again)
    result = run_cswh("run", "--full-refresh", env=env)
    assert result.returncode == 0, result.stdout[-3000:]
    assert keys(Path(env["CSWH_SERVING"])) == first
    assert personal_data_in(Path(env["CSWH_SERVING"]), {PLANTED_NAME}) == []

    # another salt, other keys; and the group-readable option (fresh files)
    other = tmp_path / "other"
    env = clone_root(privacy_run, other) | {
        "CSWH_PERSON_KEY_SALT": "another salt",
        "CSWH_SHARE_GROUP": "1",
    }
    shutil.rmtree(other / "warehouse")
    shutil.rmtree(other / "restricted")
    result = run_cswh("run", env=env)
    assert result.returncode == 0, result.stdout[-3000:]
    rekeyed = keys(Path(env["CSWH_SERVING"]))
    assert rekeyed == sorted((c, person_key(emails[c], "another salt")) for c in emails)
    assert not set(rekeyed) & set(first)
    modes = {
        name: stat.S_IMODE(Path(env[name]).stat().st_mode)
        for name in ("CSWH_SERVING", "CSWH_WAREHOUSE", "CSWH_RESTRICTED")
    }
    assert modes == {"CSWH_SERVING": 0o640, "CSWH_WAREHOUSE": 0o640, "CSWH_RESTRICTED": 0o600}


def test_files_the_pipeline_writes_are_readable_by_their_owner_only(
    privacy_run: PublishedRun,
) -> None:
    root = privacy_run.root
    written = [
        privacy_run.serving,
        privacy_run.warehouse,
        privacy_run.restricted,
        Path(privacy_run.env["CSWH_APP_DB"]),
        *(p for p in (root / "docs").rglob("*") if p.is_file()),
        *(p for p in (root / "dagster_home").rglob("*") if p.is_file()),
    ]
    assert len(written) > 10
    loose = [
        (str(p.relative_to(root)), oct(stat.S_IMODE(p.stat().st_mode)))
        for p in written
        if stat.S_IMODE(p.stat().st_mode) & 0o077
    ]
    assert loose == []
    folders = [root / "warehouse", root / "restricted", root / "docs", root / "dagster_home"]
    assert {oct(stat.S_IMODE(f.stat().st_mode)) for f in folders} == {oct(0o700)}


def test_the_salt_never_reaches_dbt_artifacts_or_logs(privacy_run: PublishedRun) -> None:
    from dagster_project.config import DBT_PROJECT_DIR

    salt = salt_of(privacy_run).encode()
    places = [
        privacy_run.root / "dagster_home",
        privacy_run.root / "docs",
        DBT_PROJECT_DIR / "target",
    ]
    leaked = [
        str(p)
        for place in places
        for p in place.rglob("*")
        if p.is_file() and p.stat().st_size < 200_000_000 and salt in p.read_bytes()
    ]
    assert leaked == []
    assert salt not in (privacy_run.result.stdout + privacy_run.result.stderr).encode()


def test_account_360_lists_the_accounts_contacts_from_the_restricted_copy(
    privacy_run: PublishedRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.dashboard_support import open_page

    monkeypatch.setenv("CSWH_SERVING", str(privacy_run.serving))
    monkeypatch.setenv("CSWH_RESTRICTED", str(privacy_run.restricted))
    monkeypatch.setenv("CSWH_APP_DB", str(tmp_path / "app.sqlite"))
    monkeypatch.setenv("CSWH_DOCS_DIR", str(tmp_path / "docs"))
    (account_id, wanted), *_ = query(
        privacy_run.restricted,
        "select account_id, list(full_name order by full_name) from people.contacts "
        "group by 1 order by 1",
    )
    at = open_page("account")
    at.selectbox(key="a360_account").set_value(account_id).run()
    assert not at.exception
    shown = [
        sorted(df.value["full_name"]) for df in at.dataframe if "full_name" in df.value.columns
    ]
    assert shown == [sorted(wanted)]
    # without the restricted copy the page says so and shows no person
    monkeypatch.setenv("CSWH_RESTRICTED", str(tmp_path / "none.duckdb"))
    at = open_page("account")
    at.selectbox(key="a360_account").set_value(account_id).run()
    assert not at.exception
    assert not [df for df in at.dataframe if "full_name" in df.value.columns]
    assert any("No restricted copy" in i.value for i in at.info)


def test_quality_checks_keep_no_sample_of_a_persons_email_or_name(tmp_path: Path) -> None:
    """An expectation on a personal column fails with its counts but without the sample of
    offending values GX would keep (dq.check_results, and the Data Docs pages)."""
    import duckdb

    from dagster_project.quality.runner import run_suites
    from dagster_project.quality.suites import raw_suites
    from tests.quality_support import build_warehouse

    wh = build_warehouse(tmp_path / "wh.duckdb")
    con = duckdb.connect(str(wh))
    try:  # an address without a domain, on a contact with a name: breaks the e-mail regex
        con.execute(
            "insert into raw.crm__contacts (contact_id, account_id, full_name, email, role,"
            " created_at, _run_id, _source_file, _row_number, _loaded_at) values ('C99', 'A1',"
            " ?, 'hanako.kensa-at-kensa', 'admin', date '2025-01-01', 'r1',"
            " 'crm/contacts_2026-10-02.csv', 1, now())",
            [PLANTED_NAME],
        )
    finally:
        con.close()
    (suite,) = [s for s in raw_suites() if s.name == "raw.crm__contacts"]
    (outcome,) = run_suites(wh, [suite], "run-pii")
    failed = [r for r in outcome.results if not r.success]
    assert [r.column_name for r in failed] == ["email"]
    assert failed[0].unexpected_count == 1
    text = str(query(wh, "select list(observed_value) from dq.check_results"))
    assert "hanako" not in text and PLANTED_NAME not in text


def test_a_serving_copy_published_before_personal_data_was_kept_out_is_not_built_upon(
    privacy_run: PublishedRun, tmp_path: Path
) -> None:
    """A publish starts from the previous copy and appends only new dq runs; a copy written by
    an older cswh (an e-mail column, dq text quoting an address) must not keep them: the
    changed shape and the appended table's signature make publish rewrite both whole."""
    import duckdb

    from dagster_project.publish import publish

    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    shutil.copyfile(privacy_run.warehouse, warehouse)
    shutil.copyfile(privacy_run.serving, serving)
    with duckdb.connect(str(serving)) as con:  # what an older cswh published
        con.execute("alter table staging.stg_crm__contacts add column email varchar")
        con.execute("update staging.stg_crm__contacts set email = 'old.copy@example.jp'")
        con.execute(
            "insert into dq.quarantine select * replace "
            "(raw_record || ' old.copy@example.jp' as raw_record) from dq.quarantine limit 1"
        )
    assert personal_data_in(serving, set())
    publish(warehouse, serving)
    assert personal_data_in(serving, {PLANTED_NAME}) == []
