"""Peak memory and time of extraction on hostile deliveries: one enormous line, deep JSON.

    python bench/hostile_input.py [--mb 200] [--case csv|jsonl|deep]

Writes a tiny landing zone into a temporary folder: a good ``crm/accounts.csv`` plus the
hostile file (``csv``: ``crm/accounts_huge.csv`` whose second line is ``--mb`` MB without a
newline; ``jsonl``: the same as a ticket line; ``deep``: a ticket line of 100,000 ``[``),
then loads the source into an in-memory DuckDB in a child process and prints the child's
peak RSS (``ru_maxrss``), the wall time and what the manifest says about each file.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import sys, duckdb
from pathlib import Path
from dagster_project.extract import ensure_schemas, load_source
con = duckdb.connect()
ensure_schemas(con)
try:
    load_source(con, Path(sys.argv[1]), sys.argv[2], "bench", log=lambda m: None)
except BaseException as e:  # the 'before' code may crash: report it, do not hide it
    print(f"CRASHED {type(e).__name__}: {str(e)[:200]}")
for f, status, n, err in con.execute(
    "select file, status, rows_loaded, error from dq.load_manifest order by file"
).fetchall():
    print(f"{f}: {status}, {n} rows loaded, error: {(err or '')[:160]}")
"""

ACCOUNTS = "account_id,account_name,industry,employee_count,region,csm_owner,created_at\n"
TICKET = (
    '{"id":"T1","organization_id":"A1","requester_email":"a@x.jp","subject":"s",'
    '"created_at":"2025-01-01 09:00:00","updated_at":"2025-01-01 09:00:00","solved_at":null,'
    '"status":"open","priority":"low","channel":"web","category":"c","satisfaction":null}\n'
)


def write_zone(zone: Path, case: str, mb: int) -> str:
    (zone / "crm").mkdir(parents=True)
    (zone / "crm" / "accounts.csv").write_text(
        ACCOUNTS + "A1,Acme,IT,10,Tokyo,sato,2025-01-01\n", encoding="utf-8"
    )
    block = b"x" * (1 << 20)
    if case == "csv":
        with (zone / "crm" / "accounts_huge.csv").open("wb") as f:
            f.write(ACCOUNTS.encode() + b"A2,")
            for _ in range(mb):
                f.write(block)
        return "crm"
    (zone / "support").mkdir()
    with (zone / "support" / "tickets.jsonl").open("wb") as f:
        f.write(TICKET.encode())
        if case == "jsonl":
            f.write(b'{"id":"')
            for _ in range(mb):
                f.write(block)
        else:
            f.write(b"[" * 100_000 + b"]" * 100_000 + b"\n")
        f.write(b"\n" + TICKET.replace('"T1"', '"T2"').encode())
    return "support"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--case", choices=["csv", "jsonl", "deep"], default="csv")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        zone = Path(tmp) / "raw"
        source = write_zone(zone, args.case, args.mb)
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(zone), source], capture_output=True, text=True
        )
        took = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    what = "100,000-deep JSON line" if args.case == "deep" else f"{args.mb} MB line"
    print(f"case {args.case} ({what}): exit {out.returncode}, {took:.1f} s")
    print(f"peak RSS of the loading process: {peak_mb:,.0f} MB")
    print(out.stdout.strip())
    if out.returncode:
        print(out.stderr.strip()[-1500:])


if __name__ == "__main__":
    main()
