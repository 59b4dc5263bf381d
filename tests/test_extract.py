"""Extraction of CSV and JSONL deliveries: parsing, validation, quarantine, manifest.

Every test writes its own tiny landing zone under tmp_path and loads it into an in-memory
DuckDB, so each rule of CONTRACT.md section 1 ("Bad input") and readings 18-22 is checked
on a hand-made file whose expected outcome is obvious from the file itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from dagster_project.extract import FileResult, SourceResult, ensure_schemas, load_source
from dagster_project.sources import ENTITIES, LOAD_COLUMNS

ACCOUNTS_HEADER = "account_id,account_name,industry,employee_count,region,csm_owner,created_at"
GOOD_ACCOUNT = "A1,Acme,IT,10,Tokyo,sato,2025-01-01"
NPS_HEADER = "response_id,email,account_id,sent_at,responded_at,score,comment"
GOOD_NPS = "R1,a@x.jp,A1,2025-01-01 09:00:00,2025-01-02 10:00:00,9,"


# ----------------------------------------------------------------------------- helpers


@pytest.fixture
def zone(tmp_path: Path) -> Path:
    z = tmp_path / "raw"
    z.mkdir()
    return z


def write(zone: Path, rel: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = zone / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content if isinstance(content, bytes) else content.encode(encoding)
    path.write_bytes(data)
    return path


def load(con, zone: Path, source: str, run_id: str = "r1", **kw) -> tuple[SourceResult, list[str]]:
    messages: list[str] = []
    result = load_source(con, zone, source, run_id, log=messages.append, **kw)
    return result, messages


def rows(con, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def one(result: SourceResult, file: str) -> FileResult:
    (fr,) = [f for f in result.files if f.file == file]
    return fr


def manifest(con) -> list[tuple]:
    return rows(
        con,
        "select file, status, rows_read, rows_loaded, rows_quarantined, error "
        "from dq.load_manifest order by file, loaded_at",
    )


def quarantine(con) -> list[tuple]:
    return rows(con, "select file, row_number, raw_record, reason from dq.quarantine order by all")


# ------------------------------------------------------------------------------ schema


def test_ensure_schemas_creates_typed_raw_tables_and_dq_tables_idempotently(con) -> None:
    ensure_schemas(con)  # second call: no error, nothing duplicated
    types = {
        (t, c): ty
        for t, c, ty in rows(
            con,
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'raw'",
        )
    }
    assert {t for t, _ in types} == {e.table for e in ENTITIES}
    assert types[("crm__accounts", "employee_count")] == "BIGINT"
    assert types[("crm__accounts", "created_at")] == "DATE"
    assert types[("nps__responses", "responded_at")] == "TIMESTAMP"
    assert types[("seminars__registrations", "attended")] == "BOOLEAN"
    assert types[("seminars__registrations", "email")] == "VARCHAR"
    for e in ENTITIES:
        for name in LOAD_COLUMNS:
            assert (e.table, name) in types
    assert types[("crm__accounts", "_extra")] == "JSON"

    dq = {
        (t, c)
        for t, c in rows(
            con,
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'dq'",
        )
    }
    for c in [
        "run_id",
        "source",
        "file",
        "file_hash",
        "status",
        "rows_read",
        "rows_loaded",
        "rows_quarantined",
        "error",
        "loaded_at",
    ]:
        assert ("load_manifest", c) in dq
    for c in ["run_id", "source", "file", "row_number", "raw_record", "reason"]:
        assert ("quarantine", c) in dq
    with pytest.raises(duckdb.ConstraintException):
        con.execute("insert into dq.load_manifest (status) values ('bogus')")


def test_ensure_schemas_adds_a_column_the_contract_gained(con) -> None:
    con.execute("alter table raw.crm__accounts drop column csm_owner")
    ensure_schemas(con)
    cols = [r[0] for r in rows(con, "describe raw.crm__accounts")]
    assert "csm_owner" in cols


def test_unknown_source_is_an_error(con, zone: Path) -> None:
    with pytest.raises(ValueError, match="unknown source"):
        load_source(con, zone, "erp", "r1")


# ------------------------------------------------------------------------- good files


def test_good_csv_loads_typed_with_load_columns(con, zone: Path) -> None:
    write(
        zone,
        "crm/accounts_2025-01.csv",
        f"{ACCOUNTS_HEADER}\n{GOOD_ACCOUNT}\nA2,B,IT,5,Osaka,,2025-02-03\n",
    )
    result, messages = load(con, zone, "crm")
    fr = one(result, "crm/accounts_2025-01.csv")
    assert (fr.status, fr.rows_read, fr.rows_loaded, fr.rows_quarantined) == ("loaded", 2, 2, 0)
    assert fr.entity == fr.file_entity == "accounts"
    assert len(fr.file_hash) == 64
    assert rows(
        con,
        "select account_id, employee_count, csm_owner, created_at, _run_id, _source_file, "
        "_row_number, _extra from raw.crm__accounts order by account_id",
    ) == [
        ("A1", 10, "sato", date(2025, 1, 1), "r1", "crm/accounts_2025-01.csv", 1, None),
        ("A2", 5, None, date(2025, 2, 3), "r1", "crm/accounts_2025-01.csv", 2, None),
    ]
    assert result.table_rows["crm__accounts"] == 2
    assert result.table_rows["crm__contacts"] == 0
    assert (result.loaded, result.skipped, result.failed, result.rows_loaded) == (1, 0, 0, 2)
    assert any("crm/accounts_2025-01.csv: 2 rows loaded, 0 quarantined" in m for m in messages)


def test_files_load_in_lexical_path_order(con, zone: Path) -> None:
    write(
        zone,
        "crm/accounts_2025-02.csv",
        f"{ACCOUNTS_HEADER}\nA1,Acme New,IT,10,Tokyo,,2025-01-01\n",
    )
    write(zone, "crm/accounts_2025-01.csv", f"{ACCOUNTS_HEADER}\n{GOOD_ACCOUNT}\n")
    result, _ = load(con, zone, "crm")
    assert [f.file for f in result.files] == [
        "crm/accounts_2025-01.csv",
        "crm/accounts_2025-02.csv",
    ]
    # append-only: both deliveries' rows are kept, staging picks the later one
    assert rows(con, "select account_name from raw.crm__accounts order by _source_file") == [
        ("Acme",),
        ("Acme New",),
    ]


def test_cp932_csv_is_detected(con, zone: Path) -> None:
    text = f"{NPS_HEADER}\r\nR1,a@x.jp,A1,2025-01-01 09:00:00,2025-01-02 10:00:00,3,使いにくい。サポートは丁寧\r\n"
    write(zone, "nps/responses_1.csv", text, encoding="cp932")
    result, messages = load(con, zone, "nps")
    assert one(result, "nps/responses_1.csv").rows_loaded == 1
    assert rows(con, "select comment from raw.nps__responses") == [("使いにくい。サポートは丁寧",)]
    assert any("(cp932)" in m for m in messages)


def test_utf8_bom_header_is_not_part_of_the_first_column(con, zone: Path) -> None:
    write(zone, "crm/accounts_1.csv", "\ufeff" + f"{ACCOUNTS_HEADER}\n{GOOD_ACCOUNT}\n")
    result, _ = load(con, zone, "crm")
    assert one(result, "crm/accounts_1.csv").status == "loaded"
    assert rows(con, "select account_id from raw.crm__accounts") == [("A1",)]


def test_crlf_quoted_commas_and_newlines(con, zone: Path) -> None:
    text = (
        f"{NPS_HEADER}\r\n"
        'R1,a@x.jp,A1,2025-01-01 09:00:00,2025-01-02 10:00:00,7,"良い, でも\r\n高い ""です"""\r\n'
        "R2,b@x.jp,,2025-01-01 09:00:00,2025-01-02 10:00:00,10,\r\n"
    )
    write(zone, "nps/responses_1.csv", text)
    result, _ = load(con, zone, "nps")
    fr = one(result, "nps/responses_1.csv")
    assert (fr.rows_read, fr.rows_loaded) == (2, 2)
    assert rows(
        con,
        "select response_id, account_id, comment, _row_number from raw.nps__responses order by 1",
    ) == [
        ("R1", "A1", '良い, でも\r\n高い "です"', 1),
        ("R2", None, None, 2),
    ]


def test_shuffled_columns_and_extra_columns_are_schema_drift(con, zone: Path) -> None:
    text = (
        "created_at,Region,account_id,legacy_code,industry,account_name,employee_count,csm_owner,note\n"
        "2025-01-01,Tokyo,A1,X-9,IT,Acme,10,sato,hello\n"
    )
    write(zone, "crm/accounts_1.csv", text)
    result, messages = load(con, zone, "crm")
    fr = one(result, "crm/accounts_1.csv")
    assert fr.status == "loaded"
    assert fr.extra_columns == ("legacy_code", "note")
    assert rows(
        con, "select region, account_name, employee_count, _extra from raw.crm__accounts"
    ) == [("Tokyo", "Acme", 10, '{"legacy_code":"X-9","note":"hello"}')]
    assert rows(con, "select extra_columns from dq.load_manifest") == [("legacy_code, note",)]
    assert any("schema drift" in m and "legacy_code" in m for m in messages)


def test_missing_nullable_column_loads_as_null(con, zone: Path) -> None:
    write(
        zone,
        "crm/accounts_1.csv",
        "account_id,account_name,industry,employee_count,region,created_at\nA1,Acme,IT,10,Tokyo,2025-01-01\n",
    )
    result, _ = load(con, zone, "crm")
    fr = one(result, "crm/accounts_1.csv")
    assert (fr.status, fr.rows_loaded, fr.missing_columns) == ("loaded", 1, ("csm_owner",))
    assert rows(con, "select csm_owner from raw.crm__accounts") == [(None,)]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-01-01 10:00:00", datetime(2025, 1, 1, 10, 0)),  # naive = Japan time
        ("2025-01-01T10:00:00+09:00", datetime(2025, 1, 1, 10, 0)),
        ("2025-01-01T01:00:00Z", datetime(2025, 1, 1, 10, 0)),
        ("2024-12-31T20:00:00-05:00", datetime(2025, 1, 1, 10, 0)),
        ("2025-01-01T01:00:00.250+00:00", datetime(2025, 1, 1, 10, 0, 0, 250000)),
    ],
)
def test_timestamps_are_stored_in_japan_time(
    con, zone: Path, value: str, expected: datetime
) -> None:
    write(zone, "nps/responses_1.csv", f"{NPS_HEADER}\nR1,a@x.jp,A1,{value},{value},9,\n")
    load(con, zone, "nps")
    assert rows(con, "select sent_at, responded_at from raw.nps__responses") == [
        (expected, expected)
    ]


def test_header_only_file_loads_zero_rows(con, zone: Path) -> None:
    write(zone, "crm/accounts_1.csv", f"{ACCOUNTS_HEADER}\r\n")
    result, _ = load(con, zone, "crm")
    fr = one(result, "crm/accounts_1.csv")
    assert (fr.status, fr.rows_read, fr.rows_loaded, fr.rows_quarantined) == ("loaded", 0, 0, 0)


# -------------------------------------------------------------- rejected whole files


def test_unparseable_csv_is_rejected_and_everything_else_loads(con, zone: Path) -> None:
    write(
        zone,
        "crm/accounts_1.csv",
        f'{ACCOUNTS_HEADER}\n{GOOD_ACCOUNT}\nA2,"Broken"quote,IT,1,Tokyo,,2025-01-01\n',
    )
    write(zone, "crm/accounts_2.csv", f"{ACCOUNTS_HEADER}\nA3,Fine,IT,1,Tokyo,,2025-01-01\n")
    write(
        zone,
        "crm/contacts_1.csv",
        "contact_id,account_id,full_name,email,role,created_at\nC1,A3,Sato,s@x.jp,admin,2025-01-01\n",
    )
    write(zone, "nps/responses_1.csv", f"{NPS_HEADER}\n{GOOD_NPS}\n")
    result, messages = load(con, zone, "crm")
    bad = one(result, "crm/accounts_1.csv")
    assert bad.status == "failed"
    assert "crm/accounts_1.csv" in bad.error and "cannot be parsed as CSV at line 3" in bad.error
    assert (bad.rows_read, bad.rows_loaded, bad.rows_quarantined) == (0, 0, 0)
    assert one(result, "crm/accounts_2.csv").status == "loaded"
    assert one(result, "crm/contacts_1.csv").status == "loaded"
    assert rows(con, "select account_id from raw.crm__accounts") == [("A3",)]  # nothing of file 1
    assert any(m.startswith("REJECTED crm/accounts_1.csv") for m in messages)
    nps, _ = load(con, zone, "nps")  # another source still loads
    assert nps.rows_loaded == 1


def test_unterminated_quote_rejects_the_file(con, zone: Path) -> None:
    write(zone, "crm/accounts_1.csv", f'{ACCOUNTS_HEADER}\n{GOOD_ACCOUNT}\nA2,"never closed,IT\n')
    result, _ = load(con, zone, "crm")
    fr = one(result, "crm/accounts_1.csv")
    assert fr.status == "failed" and "unexpected end of data" in fr.error
    assert rows(con, "select count(*) from raw.crm__accounts") == [(0,)]


def test_bytes_that_are_neither_utf8_nor_cp932_are_rejected(con, zone: Path) -> None:
    write(
        zone,
        "crm/accounts_1.csv",
        ACCOUNTS_HEADER.encode() + b"\nA1,\x81 \x80,IT,1,Tokyo,,2025-01-01\n",
    )
    result, _ = load(con, zone, "crm")
    fr = one(result, "crm/accounts_1.csv")
    assert fr.status == "failed"
    assert fr.error.startswith("crm/accounts_1.csv cannot be decoded")


def test_empty_csv_is_rejected(con, zone: Path) -> None:
    write(zone, "crm/accounts_1.csv", b"")
    result, _ = load(con, zone, "crm")
    fr = one(result, "crm/accounts_1.csv")
    assert fr.status == "failed" and "no header row" in fr.error


def test_missing_required_column_rejects_the_file_naming_it(con, zone: Path) -> None:
    write(zone, "crm/accounts_1.csv", "account_id,account_name,industry,region\nA1,Acme,IT,Tokyo\n")
    write(zone, "crm/accounts_2.csv", f"{ACCOUNTS_HEADER}\n{GOOD_ACCOUNT}\n")
    result, _ = load(con, zone, "crm")
    fr = one(result, "crm/accounts_1.csv")
    assert fr.status == "failed"
    assert "crm/accounts_1.csv" in fr.error
    assert "lacks required column(s) employee_count, created_at" in fr.error
    assert rows(con, "select missing_columns from dq.load_manifest where status = 'failed'") == [
        (None,)
    ]
    assert one(result, "crm/accounts_2.csv").rows_loaded == 1
    assert rows(con, "select count(*) from dq.quarantine") == [(0,)]


def test_duplicate_header_names_reject_the_file(con, zone: Path) -> None:
    write(zone, "crm/accounts_1.csv", f"{ACCOUNTS_HEADER},account_id\n{GOOD_ACCOUNT},A9\n")
    result, _ = load(con, zone, "crm")
    assert "duplicate column names" in one(result, "crm/accounts_1.csv").error


# ---------------------------------------------------------------------- quarantined rows

OUTCOMES_HEADER = "cta_id,recorded_at,recorded_by,outcome,note,reason_code,snooze_until"
OVERRIDES_HEADER = "override_id,account_id,set_at,set_by,override_score,reason,expires_on"

ROW_CASES = [
    # (source, rel, header, good row, bad row, reason)
    ("crm", "crm/accounts_1.csv", ACCOUNTS_HEADER, GOOD_ACCOUNT,
     "A2,B,IT,10,Tokyo,,2025-13-01", "created_at: '2025-13-01' is not a valid date (YYYY-MM-DD)"),
    ("crm", "crm/accounts_1.csv", ACCOUNTS_HEADER, GOOD_ACCOUNT,
     "A2,B,IT,10,Tokyo,,2025/01/01", "created_at: '2025/01/01' is not a valid date (YYYY-MM-DD)"),
    ("nps", "nps/responses_1.csv", NPS_HEADER, GOOD_NPS,
     "R2,b@x.jp,,2025-01-01 09:00:00,2025-01-02 10:00:00,11,", "score: 11 is above the maximum 10"),
    ("nps", "nps/responses_1.csv", NPS_HEADER, GOOD_NPS,
     "R2,b@x.jp,,2025-01-01 09:00:00,2025-01-02 10:00:00,ten,", "score: 'ten' is not a valid integer"),
    ("nps", "nps/responses_1.csv", NPS_HEADER, GOOD_NPS,
     "R2,b@x.jp,,2025-01-01 09:00,2025-01-02 10:00:00,1,",
     "sent_at: '2025-01-01 09:00' is not a valid timestamp (YYYY-MM-DD HH:MM:SS Japan time, "
     "or ISO 8601 with an offset)"),
    ("crm", "crm/contracts_1.csv",
     "contract_id,account_id,product,plan,start_date,end_date,seats,annual_quota,arr_jpy,status",
     "K1,A1,p,pro,2025-01-01,2025-12-31,10,100,1000000,active",
     "K2,A1,p,pro,2025-01-01,2025-12-31,-3,100,1000000,active", "seats: -3 is below the minimum 0"),
    ("crm", "crm/contacts_1.csv", "contact_id,account_id,full_name,email,role,created_at",
     "C1,A1,Sato,s@x.jp,admin,2025-01-01", "C2,A1,Kato,k@x.jp,boss,2025-01-01",
     "role: 'boss' is not one of decision_maker, admin, champion, end_user"),
    ("crm", "crm/accounts_1.csv", ACCOUNTS_HEADER, GOOD_ACCOUNT,
     ",B,IT,10,Tokyo,,2025-01-01", "account_id: required value is missing"),  # missing key
    ("crm", "crm/accounts_1.csv", ACCOUNTS_HEADER, GOOD_ACCOUNT,
     "A2,,IT,10,Tokyo,,2025-01-01", "account_name: required value is missing"),  # null, required
    ("cta_actions", "cta_actions/outcomes_1.csv", "cta_id,recorded_at,recorded_by,outcome,note",
     "X1,2025-01-01 10:00:00,sato,won,", "X2,2025-01-01 10:00:00,sato,maybe,",
     "outcome: 'maybe' is not one of contacted, no_response, won, lost, dismissed, snoozed"),
    ("crm", "crm/accounts_1.csv", ACCOUNTS_HEADER, GOOD_ACCOUNT,
     "A2,B,IT,0,Tokyo,,2025-02-30",
     "employee_count: 0 is below the minimum 1; created_at: '2025-02-30' is not a valid date "
     "(YYYY-MM-DD)"),  # several reasons, joined in column order
    ("crm", "crm/accounts_1.csv", ACCOUNTS_HEADER, GOOD_ACCOUNT,
     "A2,B,IT,10,Tokyo", "record has 5 fields but the header has 7 (line 3)"),
    # contract section 11: rules across a record's columns
    ("cta_actions", "cta_actions/outcomes_1.csv", OUTCOMES_HEADER,
     "X1,2025-01-01 10:00:00,sato,lost,,competitor,", "X2,2025-01-01 10:00:00,sato,lost,,,",
     "reason_code: required when outcome is lost or dismissed"),
    ("cta_actions", "cta_actions/outcomes_1.csv", OUTCOMES_HEADER,
     "X1,2025-01-01 10:00:00,sato,dismissed,,duplicate,",
     "X2,2025-01-01 10:00:00,sato,dismissed,,competitor,",
     "reason_code: not a reason for this outcome (seed close_reasons says which outcome each "
     "reason closes)"),
    ("cta_actions", "cta_actions/outcomes_1.csv", OUTCOMES_HEADER,
     "X1,2025-01-01 10:00:00,sato,snoozed,,,2025-01-20",
     "X2,2025-01-01 10:00:00,sato,snoozed,,,2025-01-01",
     "snooze_until: must be after the day the outcome was recorded"),
    ("cs_inputs", "cs_inputs/overrides_1.csv", OVERRIDES_HEADER,
     "O1,A1,2025-01-01 10:00:00,sato,60,renewal signed,2025-06-30",
     "O2,A1,2025-01-01 10:00:00,sato,60,renewal signed,2025-07-01",
     "expires_on: more than 180 days after the override was set"),
    ("cs_inputs", "cs_inputs/overrides_1.csv", OVERRIDES_HEADER,
     "O1,A1,2025-01-01 10:00:00,sato,60,renewal signed,",
     "O2,A1,2025-01-01 10:00:00,sato,101,,2024-12-31",
     "override_score: 101 is above the maximum 100; reason: required value is missing; "
     "expires_on: before the day the override was set"),
    ("cs_inputs", "cs_inputs/pulse_1.csv", "pulse_id,account_id,recorded_at,recorded_by,pulse,note",
     "P1,A1,2025-01-01 10:00:00,sato,5,", "P2,A1,2025-01-01 10:00:00,sato,0,",
     "pulse: 0 is below the minimum 1"),
]  # fmt: skip


@pytest.mark.parametrize("source, rel, header, good, bad, reason", ROW_CASES)
def test_bad_row_is_quarantined_and_good_rows_load(
    con, zone: Path, source: str, rel: str, header: str, good: str, bad: str, reason: str
) -> None:
    write(zone, rel, f"{header}\n{good}\n{bad}\n")
    result, _ = load(con, zone, source)
    fr = one(result, rel)
    assert (fr.status, fr.rows_read, fr.rows_loaded, fr.rows_quarantined) == ("loaded", 2, 1, 1)
    assert quarantine(con) == [(rel, 2, bad, reason)]
    table = f"raw.{source}__{rel.split('/')[1].rsplit('_', 1)[0]}"
    assert rows(con, f"select _row_number from {table}") == [(1,)]
    assert rows(con, "select run_id, source, entity from dq.quarantine") == [
        ("r1", source, rel.split("/")[1].rsplit("_", 1)[0])
    ]


def test_quarantined_multiline_record_keeps_its_raw_text(con, zone: Path) -> None:
    bad = 'R2,b@x.jp,,2025-01-01 09:00:00,2025-01-02 10:00:00,-1,"two\r\nlines"'
    write(zone, "nps/responses_1.csv", f"{NPS_HEADER}\r\n{GOOD_NPS}\r\n{bad}\r\n")
    result, _ = load(con, zone, "nps")
    assert quarantine(con) == [("nps/responses_1.csv", 2, bad, "score: -1 is below the minimum 0")]


def test_rows_read_equals_loaded_plus_quarantined_in_manifest(con, zone: Path) -> None:
    lines = [
        GOOD_ACCOUNT,
        "A2,B,IT,x,Tokyo,,2025-01-01",
        "A3,C,IT,3,Tokyo,,2025-01-01",
        ",D,IT,3,,,",
        "A5,E,IT,4,Osaka,,2025-01-05",
    ]
    write(zone, "crm/accounts_1.csv", ACCOUNTS_HEADER + "\n" + "\n".join(lines) + "\n")
    load(con, zone, "crm")
    assert manifest(con) == [("crm/accounts_1.csv", "loaded", 5, 3, 2, None)]
    assert rows(con, "select count(*) from raw.crm__accounts") == [(3,)]
    assert rows(con, "select row_number, reason from dq.quarantine order by 1") == [
        (2, "employee_count: 'x' is not a valid integer"),
        (4, "account_id: required value is missing; region: required value is missing; "
            "created_at: required value is missing"),
    ]  # fmt: skip


# ------------------------------------------------------------------- repeats and duplicates


def test_second_load_loads_and_records_nothing(con, zone: Path) -> None:
    write(
        zone,
        "crm/accounts_1.csv",
        f"{ACCOUNTS_HEADER}\n{GOOD_ACCOUNT}\nA2,B,IT,0,Tokyo,,2025-01-01\n",
    )
    write(zone, "crm/accounts_2.csv", "account_id\nA9\n")  # rejected: columns missing
    write(
        zone,
        "crm/accounts_3.csv",
        f"{ACCOUNTS_HEADER}\n{GOOD_ACCOUNT}\nA2,B,IT,0,Tokyo,,2025-01-01\n",
    )
    first, _ = load(con, zone, "crm")
    assert [f.status for f in first.files] == ["loaded", "failed", "skipped_duplicate"]
    before = (manifest(con), quarantine(con), rows(con, "select * from raw.crm__accounts"))
    second, messages = load(con, zone, "crm", run_id="r2")
    assert second.files == [] and second.unchanged == 3
    assert (second.loaded, second.skipped, second.failed, second.rows_loaded) == (0, 0, 0, 0)
    assert (manifest(con), quarantine(con), rows(con, "select * from raw.crm__accounts")) == before
    assert any("0 file(s) loaded" in m and "3 already recorded" in m for m in messages)


def test_byte_identical_file_under_another_name_is_skipped_duplicate(con, zone: Path) -> None:
    text = f"{ACCOUNTS_HEADER}\n{GOOD_ACCOUNT}\n"
    write(zone, "crm/accounts_2025-01.csv", text)
    load(con, zone, "crm")
    write(zone, "crm/accounts_2025-01_copy.csv", text)  # lands later, same bytes
    result, messages = load(con, zone, "crm", run_id="r2")
    fr = one(result, "crm/accounts_2025-01_copy.csv")
    assert fr.status == "skipped_duplicate"
    assert fr.duplicate_of == "crm/accounts_2025-01.csv"
    assert (fr.rows_read, fr.rows_loaded, fr.rows_quarantined) == (0, 0, 0)
    assert rows(con, "select count(*) from raw.crm__accounts") == [(1,)]
    assert rows(con, "select status, duplicate_of from dq.load_manifest where run_id = 'r2'") == [
        ("skipped_duplicate", "crm/accounts_2025-01.csv")
    ]
    assert any("byte-identical" in m for m in messages)


def test_failed_file_is_not_retried_until_its_bytes_change(con, zone: Path) -> None:
    write(zone, "crm/accounts_1.csv", "account_id\nA1\n")
    load(con, zone, "crm")
    again, _ = load(con, zone, "crm", run_id="r2")
    assert again.files == [] and again.unchanged == 1
    forced, _ = load(con, zone, "crm", run_id="r3", retry_failed=True)
    assert [f.status for f in forced.files] == ["failed"]
    write(zone, "crm/accounts_1.csv", f"{ACCOUNTS_HEADER}\n{GOOD_ACCOUNT}\n")  # redelivered, fixed
    fixed, messages = load(con, zone, "crm", run_id="r4")
    assert [f.status for f in fixed.files] == ["loaded"]
    assert any("bytes changed" in m for m in messages)
    assert [r[1] for r in manifest(con)] == ["failed", "failed", "loaded"]


def test_unexpected_error_rolls_back_the_file_and_it_is_retried(
    con, zone: Path, monkeypatch
) -> None:
    import dagster_project.extract.loader as loader

    write(
        zone,
        "crm/accounts_1.csv",
        f"{ACCOUNTS_HEADER}\n{GOOD_ACCOUNT}\nA2,B,IT,0,Tokyo,,2025-01-01\n",
    )
    real = loader.write_manifest
    calls = {"n": 0}

    def flaky(c, results):
        calls["n"] += 1
        if calls["n"] == 1:  # the manifest row written in the file's transaction
            raise duckdb.IOException("disk went away")
        real(c, results)

    monkeypatch.setattr(loader, "write_manifest", flaky)
    result, _ = load(con, zone, "crm")
    fr = one(result, "crm/accounts_1.csv")
    assert fr.status == "failed" and fr.retryable and "disk went away" in fr.error
    assert rows(con, "select count(*) from raw.crm__accounts") == [(0,)]  # rolled back
    assert rows(con, "select count(*) from dq.quarantine") == [(0,)]
    monkeypatch.setattr(loader, "write_manifest", real)
    retry, _ = load(con, zone, "crm", run_id="r2")
    assert [(f.status, f.rows_loaded, f.rows_quarantined) for f in retry.files] == [
        ("loaded", 1, 1)
    ]


def test_process_killed_mid_load_leaves_nothing_and_next_run_loads(
    tmp_path: Path, zone: Path
) -> None:
    write(
        zone,
        "crm/accounts_1.csv",
        f"{ACCOUNTS_HEADER}\n{GOOD_ACCOUNT}\nA2,B,IT,0,Tokyo,,2025-01-01\n",
    )
    db = tmp_path / "wh.duckdb"
    # The child has written the raw and quarantine rows but not committed when it dies.
    script = f"""
import os, duckdb
from pathlib import Path
import dagster_project.extract.loader as loader
from dagster_project.extract import ensure_schemas, load_source
def die(con, results):
    assert con.execute("select count(*) from raw.crm__accounts").fetchone()[0] == 1
    os._exit(9)
loader.write_manifest = die
con = duckdb.connect({str(db)!r})
ensure_schemas(con)
con.execute("checkpoint")
load_source(con, Path({str(zone)!r}), "crm", "killed")
"""
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
    )
    assert proc.returncode == 9, proc.stderr
    con = duckdb.connect(str(db))
    try:
        assert rows(con, "select count(*) from raw.crm__accounts") == [(0,)]
        assert rows(con, "select count(*) from dq.quarantine") == [(0,)]
        assert rows(con, "select count(*) from dq.load_manifest") == [(0,)]
        result, _ = load(con, zone, "crm", run_id="next")
        assert [(f.status, f.rows_loaded, f.rows_quarantined) for f in result.files] == [
            ("loaded", 1, 1)
        ]
    finally:
        con.close()


def test_files_matching_no_entity_are_reported(con, zone: Path) -> None:
    write(zone, "crm/accounts_1.csv", f"{ACCOUNTS_HEADER}\n{GOOD_ACCOUNT}\n")
    write(zone, "crm/readme.txt", "hello")
    write(zone, "crm/.accounts_2.csv", "partial")
    result, messages = load(con, zone, "crm")
    assert [f.file for f in result.files] == ["crm/accounts_1.csv"]
    assert any("match no entity" in m and "crm/readme.txt" in m for m in messages)


def test_missing_source_folder_loads_nothing(con, zone: Path) -> None:
    result, _ = load(con, zone, "support")
    assert result.files == [] and result.table_rows == {"support__tickets": 0}


# ------------------------------------------------------------------------------- JSONL


def ticket(**over) -> dict:
    t = {
        "id": "T1",
        "organization_id": "A1",
        "requester_email": "a@x.jp",
        "subject": "ログインできない",
        "created_at": "2025-01-01T09:00:00+09:00",
        "updated_at": "2025-01-02T00:00:00Z",
        "solved_at": None,
        "status": "open",
        "priority": "high",
        "channel": "email",
        "category": "login",
        "satisfaction": None,
    }
    t.update(over)
    return t


def jsonl(*records: dict | str) -> str:
    return "".join(
        (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records
    )


def test_jsonl_loads_with_timestamps_in_japan_time(con, zone: Path) -> None:
    write(
        zone,
        "support/tickets_1.jsonl",
        jsonl(
            ticket(),
            ticket(id="T2", solved_at="2025-01-03 12:00:00", status="solved", satisfaction="good"),
        ),
    )
    result, _ = load(con, zone, "support")
    assert one(result, "support/tickets_1.jsonl").rows_loaded == 2
    assert rows(
        con,
        "select id, subject, created_at, updated_at, solved_at, _row_number from raw.support__tickets order by id",
    ) == [
        ("T1", "ログインできない", datetime(2025, 1, 1, 9), datetime(2025, 1, 2, 9), None, 1),
        (
            "T2",
            "ログインできない",
            datetime(2025, 1, 1, 9),
            datetime(2025, 1, 2, 9),
            datetime(2025, 1, 3, 12),
            2,
        ),
    ]


def test_bad_json_line_is_quarantined_and_other_lines_load(con, zone: Path) -> None:
    text = jsonl(
        ticket(), '{"id": "T2", "organization_id": ', "[1, 2]", ticket(id="T4", priority="asap")
    )
    write(zone, "support/tickets_1.jsonl", text + "\n")  # a trailing blank line is no record
    result, _ = load(con, zone, "support")
    fr = one(result, "support/tickets_1.jsonl")
    assert (fr.status, fr.rows_read, fr.rows_loaded, fr.rows_quarantined) == ("loaded", 4, 1, 3)
    q = quarantine(con)
    assert [(r[1], r[2]) for r in q] == [
        (2, '{"id": "T2", "organization_id": '),
        (3, "[1, 2]"),
        (4, json.dumps(ticket(id="T4", priority="asap"), ensure_ascii=False)),
    ]
    assert q[0][3].startswith("line is not valid JSON: ")
    assert q[1][3] == "line is not a JSON object"
    assert q[2][3] == "priority: 'asap' is not one of low, normal, high, urgent"


def test_jsonl_field_missing_from_every_record_rejects_the_file(con, zone: Path) -> None:
    records = [ticket(id=f"T{i}") for i in range(3)]
    for r in records:
        del r["priority"]
    write(zone, "support/tickets_1.jsonl", jsonl(*records))
    write(zone, "support/tickets_2.jsonl", jsonl(ticket()))
    result, _ = load(con, zone, "support")
    fr = one(result, "support/tickets_1.jsonl")
    assert fr.status == "failed"
    assert fr.error == "support/tickets_1.jsonl lacks required field(s) priority in every record"
    assert one(result, "support/tickets_2.jsonl").rows_loaded == 1


def test_jsonl_field_missing_from_some_records_quarantines_those(con, zone: Path) -> None:
    partial = ticket(id="T2")
    del partial["priority"]
    del partial["satisfaction"]  # nullable: absent is fine
    write(zone, "support/tickets_1.jsonl", jsonl(ticket(), partial))
    result, _ = load(con, zone, "support")
    fr = one(result, "support/tickets_1.jsonl")
    assert (fr.status, fr.rows_loaded, fr.rows_quarantined) == ("loaded", 1, 1)
    assert [(r[1], r[3]) for r in quarantine(con)] == [(2, "priority: required value is missing")]


def test_jsonl_with_no_valid_line_is_rejected(con, zone: Path) -> None:
    write(zone, "support/tickets_1.jsonl", "this is not json\nnor this\n")
    result, _ = load(con, zone, "support")
    fr = one(result, "support/tickets_1.jsonl")
    assert fr.status == "failed" and "no line is a valid JSON object" in fr.error


def test_jsonl_extra_fields_and_non_scalar_values(con, zone: Path) -> None:
    write(
        zone,
        "support/tickets_1.jsonl",
        jsonl(ticket(tags=["a", "b"]), ticket(id="T2", subject={"ja": "件名"})),
    )
    result, messages = load(con, zone, "support")
    fr = one(result, "support/tickets_1.jsonl")
    assert (fr.rows_loaded, fr.rows_quarantined, fr.extra_columns) == (1, 1, ("tags",))
    assert rows(con, "select _extra from raw.support__tickets") == [('{"tags":["a","b"]}',)]
    assert [r[3] for r in quarantine(con)] == ["subject: expected a single value, got an object"]
    assert any("schema drift" in m for m in messages)


def test_engagements_enum_and_nullable_account(con, zone: Path) -> None:
    good = {
        "event_id": "E1",
        "email": "a@x.jp",
        "account_id": None,
        "event_type": "email_click",
        "occurred_at": "2025-03-01 08:00:00",
    }
    bad = {**good, "event_id": "E2", "event_type": "tweet"}
    write(zone, "marketing/engagements_1.jsonl", jsonl(good, bad))
    result, _ = load(con, zone, "marketing")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert rows(con, "select event_id, account_id from raw.marketing__engagements") == [
        ("E1", None)
    ]


# ---------------------------------------------------------------------- seminars (nested)


def seminar(sid: str, regs: list | None, **over) -> dict:
    s = {
        "seminar_id": sid,
        "title": "活用セミナー",
        "category": "training",
        "held_at": "2025-02-01T05:00:00Z",
    }
    s.update(over)
    if regs is not None:
        s["registrations"] = regs
    return s


def reg(email: str, **over) -> dict:
    r = {
        "email": email,
        "registered_at": "2025-01-20 10:00:00",
        "attended": True,
        "attended_minutes": 55,
    }
    r.update(over)
    return r


def test_seminars_flatten_one_row_per_registration(con, zone: Path) -> None:
    write(
        zone,
        "seminars/seminars_2025-02.jsonl",
        jsonl(
            seminar("S1", [reg("a@x.jp"), reg("b@x.jp", attended=False, attended_minutes=None)]),
            seminar("S2", []),
            seminar("S3", None),
        ),
    )
    result, _ = load(con, zone, "seminars")
    fr = one(result, "seminars/seminars_2025-02.jsonl")
    assert (fr.rows_read, fr.rows_loaded, fr.rows_quarantined) == (4, 4, 0)
    assert rows(
        con,
        "select seminar_id, held_at, email, attended, attended_minutes, _row_number "
        "from raw.seminars__registrations order by seminar_id, email",
    ) == [
        ("S1", datetime(2025, 2, 1, 14), "a@x.jp", True, 55, 1),
        ("S1", datetime(2025, 2, 1, 14), "b@x.jp", False, None, 1),
        ("S2", datetime(2025, 2, 1, 14), None, None, None, 2),
        ("S3", datetime(2025, 2, 1, 14), None, None, None, 3),
    ]


def test_bad_registration_is_quarantined_alone(con, zone: Path) -> None:
    bad = reg("c@x.jp", attended="maybe", attended_minutes=-5)
    write(
        zone, "seminars/seminars_1.jsonl", jsonl(seminar("S1", [reg("a@x.jp"), bad, reg("d@x.jp")]))
    )
    result, _ = load(con, zone, "seminars")
    fr = one(result, "seminars/seminars_1.jsonl")
    assert (fr.rows_read, fr.rows_loaded, fr.rows_quarantined) == (3, 2, 1)
    assert rows(con, "select email from raw.seminars__registrations order by 1") == [
        ("a@x.jp",),
        ("d@x.jp",),
    ]
    ((file, row_number, raw, reason),) = quarantine(con)
    assert row_number == 1
    assert json.loads(raw) == seminar("S1", [bad])
    assert reason == (
        "registrations[1].attended: 'maybe' is not a valid boolean (true or false); "
        "registrations[1].attended_minutes: -5 is below the minimum 0"
    )


def test_registration_without_email_is_quarantined(con, zone: Path) -> None:
    no_email = reg("x")
    del no_email["email"]
    write(zone, "seminars/seminars_1.jsonl", jsonl(seminar("S1", [reg("a@x.jp"), no_email])))
    result, _ = load(con, zone, "seminars")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert [r[3] for r in quarantine(con)] == ["registrations[1].email: required value is missing"]


def test_bad_seminar_quarantines_each_of_its_registrations(con, zone: Path) -> None:
    write(
        zone,
        "seminars/seminars_1.jsonl",
        jsonl(
            seminar("S1", [reg("a@x.jp"), reg("b@x.jp")], category="party"),
            seminar("S2", [reg("a@x.jp")]),
        ),
    )
    result, _ = load(con, zone, "seminars")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 1, 2)
    assert {r[3] for r in quarantine(con)} == {
        "category: 'party' is not one of onboarding, training, webinar, user_event, community"
    }


def test_registrations_field_missing_from_every_registration_rejects(con, zone: Path) -> None:
    regs = [reg("a@x.jp"), reg("b@x.jp")]
    for r in regs:
        del r["registered_at"]
    write(zone, "seminars/seminars_1.jsonl", jsonl(seminar("S1", regs)))
    result, _ = load(con, zone, "seminars")
    fr = one(result, "seminars/seminars_1.jsonl")
    assert fr.status == "failed"
    assert "registered_at" in fr.error and "registrations" in fr.error


def test_unrelated_top_level_email_does_not_fill_registration_email(con, zone: Path) -> None:
    write(zone, "seminars/seminars_1.jsonl", jsonl(seminar("S1", [], email="host@x.jp")))
    result, _ = load(con, zone, "seminars")
    assert rows(con, "select email, _extra from raw.seminars__registrations") == [
        (None, '{"email":"host@x.jp"}')
    ]


# ------------------------------------------------------------------ generated landing zone


def test_generated_zone_loads_completely_and_idempotently(request) -> None:
    synthetic = pytest.importorskip("dagster_project.synthetic")
    if not hasattr(synthetic, "generate"):
        pytest.skip("the generator is not there yet")
    from dagster_project.sources import SOURCES

    tiny_zone: Path = request.getfixturevalue("tiny_zone")

    con = duckdb.connect()
    ensure_schemas(con)
    results = [load_source(con, tiny_zone, s, "gen") for s in SOURCES]
    landed = sorted(str(p.relative_to(tiny_zone)) for p in tiny_zone.rglob("*") if p.is_file())
    recorded = sorted(f.file for r in results for f in r.files)
    assert recorded == landed
    for r in results:
        for f in r.files:
            assert f.rows_read == f.rows_loaded + f.rows_quarantined, f.file
    (q,) = con.execute("select count(*) from dq.quarantine").fetchone()
    assert q == sum(r.rows_quarantined for r in results)
    again = [load_source(con, tiny_zone, s, "gen2") for s in SOURCES]
    assert all(r.files == [] for r in again)
