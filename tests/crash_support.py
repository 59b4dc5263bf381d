"""Helpers for the crash and concurrency tests: `cswh run` as a watched subprocess in its own
process group (so SIGKILL reaches the dbt child too), and read-only probes of DuckDB files."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from tests.support import CSWH, PROJECT_ROOT, query

# `cswh run` names its log file first thing; Dagster's log and dbt's output go there.
FULL_LOG = re.compile(r"^\s*full log: (\S+\.log)$")


@dataclass
class WatchedRun:
    """``lines``: the run's console output and, as it is written, its log file."""

    proc: subprocess.Popen
    lines: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def start(cls, env: dict[str, str], *args: str) -> WatchedRun:
        proc = subprocess.Popen(
            [*CSWH, "run", *args],
            env={**env, "PYTHONUNBUFFERED": "1"},
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: cswh, dagster and the dbt child
        )
        run = cls(proc)
        threading.Thread(target=run._read, daemon=True).start()
        return run

    def _read(self) -> None:
        assert self.proc.stdout is not None
        tailing = False
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            log = FULL_LOG.match(line.rstrip("\n"))
            if log and not tailing:
                tailing = True
                threading.Thread(target=self._tail, args=(Path(log[1]),), daemon=True).start()

    def _tail(self, log: Path) -> None:
        """Follow the log file until the run has ended and the file is read to its end."""
        with open(log, errors="replace") as f:
            partial = ""
            while True:
                chunk = f.read()
                if chunk:
                    *complete, partial = (partial + chunk).split("\n")
                    self.lines.extend(complete)
                elif self.proc.poll() is not None:
                    break
                else:
                    time.sleep(0.01)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, condition: Callable[[], bool], timeout: float, poll: float = 0.01) -> bool:
        """Poll ``condition`` until it holds (True) or the run ends / time runs out (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            if self.proc.poll() is not None:
                return condition()
            time.sleep(poll)
        return False

    def saw(self, pattern: str) -> Callable[[], bool]:
        rx = re.compile(pattern)
        return lambda: any(rx.search(line) for line in list(self.lines))

    def group_members(self) -> list[int]:
        """Live processes of the run's process group (zombies excluded)."""
        members = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            state, pgid = fields[0], int(fields[2])
            if pgid == self.proc.pid and state != "Z":
                members.append(int(entry.name))
        return members

    def kill_group(self) -> list[int]:
        """SIGKILL the whole process group; returns the pids that were alive in it."""
        members = self.group_members()
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=60)
        deadline = time.monotonic() + 30
        while self.group_members() and time.monotonic() < deadline:
            time.sleep(0.1)
        return members

    def finish(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_group()
            raise


def serving_state(serving: Path) -> dict:
    """What a reader of the serving copy sees (each query proves the file opens and reads)."""
    return {
        "published_runs": [
            r[0] for r in query(serving, "select run_id from dq.publish_log order by published_at")
        ],
        "manifest_rows": query(serving, "select count(*) from dq.load_manifest")[0][0],
        "accounts": query(serving, "select count(*) from marts.dim_accounts")[0][0],
        "health_rows": query(serving, "select count(*) from marts.fct_account_health")[0][0],
        "tables": query(
            serving,
            "select count(*) from information_schema.tables where table_schema in ('marts', 'dq')",
        )[0][0],
    }


def raw_counts(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' "
                "order by 1"
            ).fetchall()
        ]
        return {t: con.execute(f'select count(*) from raw."{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def leftovers(directory: Path) -> list[str]:
    """Files next to the warehouse and serving copy other than the two databases."""
    keep = {"warehouse.duckdb", "serving.duckdb"}
    return sorted(p.name for p in directory.iterdir() if p.name not in keep)
