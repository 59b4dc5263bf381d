"""The demo `make run` builds, in one place (the Makefile and the test fixture call it).

1. ``generate`` writes the landing zone (with CSM pulses and overrides);
2. ``cswh run`` publishes a first time, raising the CTAs;
3. the CTA outcomes CSMs recorded for them are written into the zone
   (``cta_actions/outcomes_crm_export.csv``, see :mod:`.csm_history`);
4. ``cswh run --select cta_actions`` at the same D: the run the landing-zone sensor starts
   when a new outcomes file lands (that source and everything downstream of it: the ledger
   keeps its ids, statuses and the marts follow the outcomes). Measured at 1,000 accounts:
   the marts equal those of a whole second run (EXCEPT ALL, run ids and load times aside),
   in 18 s instead of about 90 s.

Paths come from the environment like every ``cswh`` command (CSWH_SERVING, ...); the zone
is ``--out``. Usage: ``python -m dagster_project.synthetic.demo --out data/raw``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

CSWH = [sys.executable, "-m", "dagster_project.cli"]


def build_demo(out: Path, accounts: int = 1000, seed: int = 42) -> int:
    """Generate, run, record the CSMs' history, run again; the exit status of the first
    step that fails (cswh run's: 1 = not published), else 0."""
    from dagster_project.config import Settings

    from .csm_history import write_history_for

    out = Path(out).resolve()
    gen = [*CSWH, "generate", "--out", str(out), "--accounts", str(accounts), "--seed", str(seed)]
    run = [*CSWH, "run", "--data-dir", str(out)]
    t0 = time.perf_counter()
    for step in (gen, run):
        rc = subprocess.run(step).returncode
        if rc:
            return rc
    t1 = time.perf_counter()
    serving = Settings.from_env().serving
    rows = write_history_for(out, serving, accounts=accounts, seed=seed)
    print(f"CSM history: {rows:,} CTA outcomes written for the CTAs of the first run", flush=True)
    rc = subprocess.run([*run, "--select", "cta_actions"]).returncode  # as the sensor does
    t2 = time.perf_counter()
    print(f"demo built in {t2 - t0:.0f} s (CSM history and second run: {t2 - t1:.0f} s)")
    return rc


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m dagster_project.synthetic.demo", description=__doc__
    )
    p.add_argument("--out", type=Path, required=True, help="landing-zone folder (must be empty)")
    p.add_argument("--accounts", type=int, default=1000)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args(argv)
    return build_demo(args.out, args.accounts, args.seed)


if __name__ == "__main__":
    sys.exit(main())
