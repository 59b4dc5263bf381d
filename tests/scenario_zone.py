"""A small HAND-MADE landing zone for tests/test_scenarios.py.

Six accounts, each built so that CONTRACT.md sections 4 and 6 (and the readings of section 9)
decide by plain arithmetic which health tier it is in at D and which calls to action fire.
The arithmetic is written down in tests/test_scenarios.py next to each assertion; the data
here is kept deliberately regular (the same usage every day) so that it stays checkable by
hand.

D = 2026-06-30, a Tuesday. Usage runs from D-119 (2026-03-03) to D, so the snapshot dates
are D (the current snapshot, not a grid day) and the 17 Sundays 2026-06-28 (D-2) back to
2026-03-08 (D-114): 18 snapshots, none before the earliest usage day (reading 23). Weekly
events fall on Tuesdays (D-7k): every 7-day window holds exactly one of them.

Accounts (employee_count -> segment, seed `segments`):
- ACC-THRIVE  1000 high_touch  thriving; quota exactly 80% used at D (quota_80 fires at D).
- ACC-FAIL      50 pooled      failing; renewal in 120 days with low consumption, NPS 3 three
                               days ago, 3 urgent tickets open, last touch 232 days ago.
- ACC-TECH      49 tech_touch  renewal exactly 180 days after D, low consumption, never touched.
- ACC-NEAR     999 pooled      renewal 89 days after D with the new contract year's consumption
                               near zero; the previous contract year's consumption >= 0.5.
- ACC-PROSPECT 200 pooled      no contract (a lead only).
- ACC-BARE      10 tech_touch  active contract with 0 seats, 0 quota, no user IDs, no usage.

All user IDs are issued on 2026-02-01: not inside any 30-day "IDs issued" window of a
snapshot (the first snapshot's window is 02-07..03-08), and not "created before the first
day of the previous calendar month" for the March snapshots (reading 28), so the admin of
ACC-THRIVE cannot raise champion_inactive before it has a previous month of usage.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

D = date(2026, 6, 30)
USAGE_START = D - timedelta(days=119)  # 2026-03-03
# D, then the Sundays from D-2 back to D-114 (the first grid day on or after USAGE_START)
SNAPSHOTS = [D] + [D - timedelta(days=2 + 7 * k) for k in range(17)]
ISSUED = datetime(2026, 2, 1, 9, 0, 0)  # every user ID (see the module docstring)
FIRST_LOGIN = datetime(2026, 2, 2, 9, 0, 0)

THRIVE, FAIL, TECH, NEAR, PROSPECT, BARE = (
    "ACC-THRIVE",
    "ACC-FAIL",
    "ACC-TECH",
    "ACC-NEAR",
    "ACC-PROSPECT",
    "ACC-BARE",
)
CSM_THRIVE, CSM_FAIL, CSM_NEAR = "田中 健", "佐藤 花子", "鈴木 一郎"


def days(n: int) -> date:
    """D + n days (n negative = before D)."""
    return D + timedelta(days=n)


def ts(day: date, hour: int = 10) -> str:
    return f"{day.isoformat()} {hour:02d}:00:00"


# --- CRM ---------------------------------------------------------------------------------

ACCOUNTS = [
    # account_id, account_name, industry, employee_count, region, csm_owner, created_at
    (THRIVE, "繁栄製作所", "manufacturing", 1000, "kanto", CSM_THRIVE, "2025-03-01"),
    (FAIL, "低迷商事", "retail", 50, "kansai", CSM_FAIL, "2025-10-01"),
    (TECH, "テック小規模", "it", 49, "kyushu", None, "2025-12-01"),
    (NEAR, "更新間近工業", "construction", 999, "chubu", CSM_NEAR, "2025-06-01"),
    (PROSPECT, "見込み物産", "logistics", 200, "tohoku", None, "2026-05-01"),
    (BARE, "空っぽ合同", "services", 10, "hokkaido", None, "2025-09-01"),
]

CONTACTS = [
    # contact_id, account_id, full_name, email, role, created_at
    ("C1-DM", THRIVE, "山本 部長", "dm@thrive.example", "decision_maker", "2025-03-01"),
    ("C1-AD", THRIVE, "小林 管理", "admin@thrive.example", "admin", "2025-03-01"),
    ("C2-EU", FAIL, "加藤 利用", "user@fail.example", "end_user", "2025-10-01"),
    ("C2-DM", FAIL, "吉田 社長", "ceo@fail.example", "decision_maker", "2025-10-01"),
    ("C3-AD", TECH, "伊藤 情シス", "it@tech.example", "admin", "2025-12-01"),
    ("C4-DM", NEAR, "渡辺 部長", "dm@near.example", "decision_maker", "2025-06-01"),
    ("C5-CH", PROSPECT, "中村 担当", "buyer@prospect.example", "champion", "2026-05-01"),
]

# fmt: off
CONTRACTS = [
    # contract_id, account_id, product, plan, start_date, end_date, seats, annual_quota,
    # arr_jpy, status
    # ACC-THRIVE renewed on 2026-04-19 = D-72: the current contract year is D-72..D (73 days).
    ("K1A", THRIVE, "cswh", "enterprise", "2025-04-19", "2026-04-18", 10, 3285, 12_000_000, "renewed"),
    ("K1B", THRIVE, "cswh", "enterprise", "2026-04-19", "2027-04-18", 10, 3285, 12_000_000, "active"),
    # ACC-FAIL: ends D+120 = 2026-10-28.
    ("K2", FAIL, "cswh", "standard", "2025-10-29", "2026-10-28", 20, 1000, 3_000_000, "active"),
    # ACC-TECH: ends D+180 = 2026-12-27.
    ("K3", TECH, "cswh", "lite", "2025-12-28", "2026-12-27", 6, 1000, 600_000, "active"),
    # ACC-NEAR: 15-month contract ending D+89 = 2026-09-27; its anniversary 2026-06-27 = D-3
    # starts a new contract year three days before D.
    ("K4", NEAR, "cswh", "standard", "2025-06-27", "2026-09-27", 4, 1000, 5_000_000, "active"),
    # ACC-BARE: D-300 .. D+300, nothing to measure against.
    ("K6", BARE, "cswh", "lite", days(-300).isoformat(), days(300).isoformat(), 0, 0, 0, "active"),
]
# fmt: on


def activities() -> list[tuple]:
    rows = []
    # ACC-THRIVE: a regular meeting with the decision maker every 14 days, D-150 .. D-10.
    for i, n in enumerate(range(-150, -9, 14)):
        rows.append((f"A1-{i:02d}", THRIVE, "C1-DM", "regular_meeting", ts(days(n)), CSM_THRIVE))
    # ACC-FAIL: a kick-off call at D-232 (end user), then only an e-mail at D-30 (an e-mail
    # is not a touch for days_since_touch / engagement_gap).
    rows.append(("A2-01", FAIL, "C2-EU", "call", ts(days(-232)), CSM_FAIL))
    rows.append(("A2-02", FAIL, "C2-EU", "email", ts(days(-30)), CSM_FAIL))
    # ACC-NEAR: meetings with the decision maker at D-150, D-100, D-20.
    for i, n in enumerate((-150, -100, -20)):
        rows.append((f"A4-{i:02d}", NEAR, "C4-DM", "meeting", ts(days(n)), CSM_NEAR))
    return rows


SUCCESS_PLANS = [
    # objective_id, account_id, objective, target_date, status, achieved_at
    # OBJ-10 lies in the previous contract K1A: not part of K1B's attainment (reading 8).
    ("OBJ-10", THRIVE, "全社展開, 第1段階", "2025-12-01", "missed", None),
    (
        "OBJ-11",
        THRIVE,
        "工程管理の\n完全移行",
        days(-30).isoformat(),
        "achieved",
        days(-35).isoformat(),
    ),
    ("OBJ-12", THRIVE, "海外拠点への展開", days(30).isoformat(), "in_progress", None),
    ("OBJ-20", FAIL, "月次レポートの自動化", days(-60).isoformat(), "missed", None),
]

# --- marketing, seminars, support, NPS -------------------------------------------------

LEADS = [
    # lead_id, email, company_name, account_id, lead_source, created_at, status, converted_at
    ("L-1", "buyer@prospect.example", "見込み物産", PROSPECT, "web", ts(days(-40)), "open", None),
]

ENGAGEMENTS = [
    {
        "event_id": "E-1",
        "email": "buyer@prospect.example",
        "account_id": None,
        "event_type": "email_open",
        "occurred_at": f"{days(-39).isoformat()}T12:00:00+09:00",
    },
]


def _reg(email: str, held: date, attended: bool) -> dict:
    return {
        "email": email,
        "registered_at": ts(held - timedelta(days=10)),
        "attended": attended,
        "attended_minutes": 60 if attended else None,
    }


SEMINARS = [
    {
        "seminar_id": "SEM-1",
        "title": "活用トレーニング",
        "category": "training",
        "held_at": ts(days(-60), 14),
        "registrations": [_reg("dm@thrive.example", days(-60), True)],
    },
    {
        "seminar_id": "SEM-2",
        "title": "ユーザー会",
        "category": "user_event",
        "held_at": ts(days(-40), 14),
        "registrations": [
            _reg("dm@near.example", days(-40), True),
            _reg("admin@thrive.example", days(-40), False),  # registered, not attended
        ],
    },
    {
        "seminar_id": "SEM-3",
        "title": "新機能ウェビナー",
        "category": "webinar",
        "held_at": ts(days(-20), 14),
        "registrations": [_reg("DM@Thrive.example", days(-20), True)],
    },
]


def _ticket(
    tid: str,
    account: str,
    email: str,
    created: date,
    priority: str,
    status: str,
    solved: date | None = None,
) -> dict:
    return {
        "id": tid,
        "organization_id": account,
        "requester_email": email,
        "subject": f"問い合わせ {tid}",
        "created_at": ts(created, 9),
        "updated_at": ts(solved or created, 11),
        "solved_at": ts(solved, 11) if solved else None,
        "status": status,
        "priority": priority,
        "channel": "web",
        "category": "how_to",
        "satisfaction": None,
    }


TICKETS = [
    # ACC-FAIL: three urgent tickets created D-5, D-4, D-2, all still open at D.
    _ticket("T-21", FAIL, "user@fail.example", days(-5), "urgent", "open"),
    _ticket("T-22", FAIL, "user@fail.example", days(-4), "urgent", "new"),
    _ticket("T-23", FAIL, "ceo@fail.example", days(-2), "high", "pending"),
    # ACC-NEAR: one low-priority ticket, solved.
    _ticket("T-41", NEAR, "dm@near.example", days(-50), "low", "solved", days(-48)),
]

NPS = [
    # response_id, email, account_id, sent_at, responded_at, score, comment
    # ACC-THRIVE: matched by e-mail only (padded, capitalised; no account_id).
    ("N-1", "  DM@Thrive.example ", None, ts(days(-101)), ts(days(-100)), 10, "とても便利です"),
    ("N-2", "user@fail.example", FAIL, ts(days(-4)), ts(days(-3)), 3, "使いにくい, 遅い"),
]


# --- usage --------------------------------------------------------------------------------

USERS: list[tuple] = []  # user_id, account_id, role, created_at, first_login_at, deactivated_at
for i in range(1, 10):  # ACC-THRIVE: 9 active IDs (10 seats); U1-01 is the admin
    USERS.append(
        (f"U1-{i:02d}", THRIVE, "admin" if i == 1 else "member", ISSUED, FIRST_LOGIN, None)
    )
# deactivated long before the first snapshot: never an active ID
USERS.append(("U1-10", THRIVE, "member", ISSUED, FIRST_LOGIN, datetime(2026, 2, 20, 9, 0, 0)))
for i in range(1, 5):  # ACC-FAIL: 4 IDs of 20 seats, two ever logged in
    USERS.append((f"U2-{i:02d}", FAIL, "member", ISSUED, FIRST_LOGIN if i <= 2 else None, None))
for i in range(1, 6):  # ACC-TECH: 5 IDs of 6 seats, all logged in
    USERS.append((f"U3-{i:02d}", TECH, "member", ISSUED, FIRST_LOGIN, None))
for i in range(1, 4):  # ACC-NEAR: 3 IDs of 4 seats, all logged in
    USERS.append((f"U4-{i:02d}", NEAR, "member", ISSUED, FIRST_LOGIN, None))


def usage_rows(day: date) -> list[tuple]:
    """(activity_date, account_id, user_id, feature, event_count, devices) of one day."""
    n = (day - D).days  # 0 at D, -119 at the first usage day
    rows: list[tuple] = []
    # ACC-THRIVE: all 9 users every day: 3 web_session and 4 core_action events; U1-01 and
    # U1-02 also mobile; U1-01 exports once a week (Tuesdays).
    for i in range(1, 10):
        u = f"U1-{i:02d}"
        rows.append((day, THRIVE, u, "web_session", 3, 1))
        rows.append((day, THRIVE, u, "core_action", 4, 1))
        if i <= 2:
            rows.append((day, THRIVE, u, "mobile_session", 1, 2))
    if n % 7 == 0:
        rows.append((day, THRIVE, "U1-01", "export", 1, 1))
    # ACC-FAIL: only U2-01, once a week (Tuesdays): 1 web_session, 1 core_action.
    if n % 7 == 0:
        rows.append((day, FAIL, "U2-01", "web_session", 1, 1))
        rows.append((day, FAIL, "U2-01", "core_action", 1, 1))
    # ACC-TECH: U3-01..03 web every day; U3-01 one core_action a day; U3-02 mobile a day.
    for i in range(1, 4):
        rows.append((day, TECH, f"U3-{i:02d}", "web_session", 1, 1))
    rows.append((day, TECH, "U3-01", "core_action", 1, 1))
    rows.append((day, TECH, "U3-02", "mobile_session", 1, 1))
    # ACC-NEAR: U4-01, U4-02 web every day; U4-01 2 core_actions a day, and a bulk import
    # of 450 core_actions on the first usage day (D-119).
    rows.append((day, NEAR, "U4-01", "web_session", 2, 1))
    rows.append((day, NEAR, "U4-02", "web_session", 2, 1))
    rows.append((day, NEAR, "U4-01", "core_action", 450 if n == -119 else 2, 1))
    return rows


# --- writing ------------------------------------------------------------------------------


def _csv(path: Path, header: list[str], rows: list[tuple], encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow(["" if v is None else v for v in row])


def _jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")


def write_zone(out: Path, outcomes: list[tuple] = ()) -> Path:
    """Write the landing zone under ``out`` (every source of sources.py has a file)."""
    _csv(
        out / "crm" / "accounts.csv",
        [
            "account_id",
            "account_name",
            "industry",
            "employee_count",
            "region",
            "csm_owner",
            "created_at",
        ],
        ACCOUNTS,
        encoding="cp932",
    )
    _csv(
        out / "crm" / "contacts.csv",
        ["contact_id", "account_id", "full_name", "email", "role", "created_at"],
        CONTACTS,
        encoding="utf-8-sig",
    )
    _csv(
        out / "crm" / "contracts.csv",
        [
            "contract_id",
            "account_id",
            "product",
            "plan",
            "start_date",
            "end_date",
            "seats",
            "annual_quota",
            "arr_jpy",
            "status",
        ],
        CONTRACTS,
    )
    _csv(
        out / "crm" / "contract_changes.csv",
        [
            "change_id",
            "account_id",
            "contract_id",
            "changed_at",
            "change_type",
            "delta_seats",
            "delta_arr_jpy",
        ],
        [],
    )
    _csv(
        out / "crm" / "activities.csv",
        ["activity_id", "account_id", "contact_id", "activity_type", "occurred_at", "owner"],
        activities(),
    )
    _csv(
        out / "crm" / "success_plans.csv",
        ["objective_id", "account_id", "objective", "target_date", "status", "achieved_at"],
        SUCCESS_PLANS,
    )
    _csv(
        out / "marketing" / "leads.csv",
        [
            "lead_id",
            "email",
            "company_name",
            "account_id",
            "lead_source",
            "created_at",
            "status",
            "converted_at",
        ],
        LEADS,
    )
    _jsonl(out / "marketing" / "engagements_2026-05.jsonl", ENGAGEMENTS)
    _jsonl(out / "seminars" / "seminars_2026-06.jsonl", SEMINARS)
    _jsonl(out / "support" / "tickets_2026-06.jsonl", TICKETS)
    _csv(
        out / "nps" / "responses_2026-Q2.csv",
        ["response_id", "email", "account_id", "sent_at", "responded_at", "score", "comment"],
        NPS,
    )
    _csv(
        out / "cta_actions" / "outcomes.csv",
        ["cta_id", "recorded_at", "recorded_by", "outcome", "note", "reason_code", "snooze_until"],
        [tuple(o) + (None,) * (7 - len(o)) for o in outcomes],  # reason, snooze: optional
    )

    users = pa.table(
        {
            "user_id": pa.array([u[0] for u in USERS], pa.string()),
            "account_id": pa.array([u[1] for u in USERS], pa.string()),
            "role": pa.array([u[2] for u in USERS], pa.string()),
            "created_at": pa.array([u[3] for u in USERS], pa.timestamp("s")),
            "first_login_at": pa.array([u[4] for u in USERS], pa.timestamp("s")),
            "deactivated_at": pa.array([u[5] for u in USERS], pa.timestamp("s")),
        }
    )
    (out / "usage").mkdir(parents=True, exist_ok=True)
    pq.write_table(users, out / "usage" / "users.parquet")

    by_month: dict[str, list[tuple]] = {}
    day = USAGE_START
    while day <= D:
        by_month.setdefault(f"{day:%Y-%m}", []).extend(usage_rows(day))
        day += timedelta(days=1)
    for month, rows in by_month.items():
        cols = list(zip(*rows, strict=True))
        table = pa.table(
            {
                "activity_date": pa.array(cols[0], pa.date32()),
                "account_id": pa.array(cols[1], pa.string()),
                "user_id": pa.array(cols[2], pa.string()),
                "feature": pa.array(cols[3], pa.string()),
                "event_count": pa.array(cols[4], pa.int64()),
                "devices": pa.array(cols[5], pa.int64()),
            }
        )
        path = out / "usage" / "daily" / month[:4] / f"usage_{month}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
    return out
