"""Values that arrive in Japanese (a ticket priority 緊急, a contact role 決裁者) load as the
contract's codes through seed code_synonyms; values that are neither a code nor a reviewed
synonym are still quarantined, the reason naming the value. Real files, the real extractor,
an in-memory DuckDB. Also: every landing-zone enum is labelled in seed code_labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dagster_project.extract import load_source
from dagster_project.seeds import read_seed
from dagster_project.sources import ENTITIES

CONTACTS_HEADER = "contact_id,account_id,full_name,email,role,created_at"


def _write(zone: Path, rel: str, text: str, encoding: str = "utf-8") -> None:
    path = zone / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


def _ticket(i: int, status: str, priority: str, satisfaction: str | None = None) -> str:
    return json.dumps(
        {
            "id": f"T{i}",
            "organization_id": "A1",
            "requester_email": "a@x.jp",
            "subject": "ログインできない",
            "created_at": "2026-01-05 09:00:00",
            "updated_at": "2026-01-05 10:00:00",
            "solved_at": None,
            "status": status,
            "priority": priority,
            "channel": "email",
            "category": "login",
            "satisfaction": satisfaction,
        },
        ensure_ascii=False,
    )


def test_japanese_ticket_values_load_as_codes_and_the_manifest_counts_them(
    con, tmp_path: Path
) -> None:
    zone = tmp_path / "raw"
    lines = [
        _ticket(1, "解決済み", "緊急", "満足"),
        _ticket(2, "open", " 高 "),  # trimmed before matching
        _ticket(3, "new", "normal"),  # a code: loads as it is, nothing mapped
        _ticket(4, "対応中", "最優先"),  # 最優先 is no reviewed synonym
    ]
    _write(zone, "support/tickets_1.jsonl", "\n".join(lines) + "\n")
    messages: list[str] = []
    result = load_source(con, zone, "support", "r1", log=messages.append)

    (fr,) = result.files
    assert (fr.rows_read, fr.rows_loaded, fr.rows_quarantined) == (4, 3, 1)
    assert fr.values_mapped == 4  # 解決済み, 緊急, 満足, 高
    loaded = con.execute(
        "select id, status, priority, satisfaction from raw.support__tickets order by id"
    ).fetchall()
    assert loaded == [
        ("T1", "solved", "urgent", "good"),
        ("T2", "open", "high", None),
        ("T3", "new", "normal", None),
    ]
    (manifest,) = con.execute(
        "select values_mapped, rows_quarantined from dq.load_manifest"
    ).fetchall()
    assert manifest == (4, 1)
    (bad,) = con.execute("select file, row_number, reason from dq.quarantine").fetchall()
    assert bad[0] == "support/tickets_1.jsonl" and bad[1] == 4
    assert "priority" in bad[2] and "'最優先'" in bad[2] and "is not one of" in bad[2]
    assert "status" not in bad[2]  # 対応中 mapped to open; only the priority is wrong
    assert any("4 value(s) loaded through seed code_synonyms" in m for m in messages)


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
def test_japanese_contact_roles_load_from_a_csv_in_either_encoding(
    con, tmp_path: Path, encoding: str
) -> None:
    zone = tmp_path / "raw"
    _write(
        zone,
        "crm/contacts_1.csv",
        "\r\n".join(
            [
                CONTACTS_HEADER,
                "C1,A1,山田 太郎,yamada@x.jp,決裁者,2025-04-01",
                "C2,A1,佐藤 花子,sato@x.jp,推進担当者,2025-04-01",
                "C3,A1,鈴木 一郎,suzuki@x.jp,社長,2025-04-01",
                "C4,A1,田中 次郎,tanaka@x.jp,end_user,2025-04-01",
            ]
        )
        + "\r\n",
        encoding=encoding,
    )
    result = load_source(con, zone, "crm", "r1", log=lambda _: None)
    (fr,) = [f for f in result.files if f.entity == "contacts"]
    assert (fr.rows_loaded, fr.rows_quarantined, fr.values_mapped) == (3, 1, 2)
    assert con.execute(
        "select contact_id, role from raw.crm__contacts order by contact_id"
    ).fetchall() == [("C1", "decision_maker"), ("C2", "champion"), ("C4", "end_user")]
    (bad,) = con.execute(
        "select file, row_number, raw_record, reason from dq.quarantine"
    ).fetchall()
    assert bad[:2] == ("crm/contacts_1.csv", 3)
    assert "社長" in bad[2] and "role: '社長' is not one of" in bad[3]


def test_every_landing_zone_enum_names_its_labels_and_every_value_has_one() -> None:
    labels = {(r["code_kind"], r["code"]) for r in read_seed("code_labels")}
    missing = [
        (e.table, c.name, c.code_kind, v)
        for e in ENTITIES
        for c in e.all_columns
        if c.enum
        for v in c.enum
        if (c.code_kind, v) not in labels
    ]
    assert missing == [], "add a code_kind to the column and the labels to code_labels.csv"


def test_every_synonym_maps_to_a_code_of_an_enum_of_its_kind() -> None:
    allowed: dict[str, set[str]] = {}
    for e in ENTITIES:
        for c in e.all_columns:
            if c.code_kind and c.enum:
                allowed.setdefault(c.code_kind, set()).update(c.enum)
    wrong = [
        (r["code_kind"], r["synonym"], r["code"])
        for r in read_seed("code_synonyms")
        if r["code"] not in allowed.get(r["code_kind"], set())
    ]
    assert wrong == []
