"""`cswh ui` (Dagster's webserver and daemon) started for a test, and its GraphQL API: the same
calls the UI's own pages and buttons make."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from dagster_project.config import PROJECT_ROOT
from tests.support import CSWH

START_TIMEOUT = 300  # s: loading the code location imports dagster-dbt and the manifest

_WORKSPACE = """
{ workspaceOrError { __typename ... on Workspace { locationEntries { name
  locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.load(response)
    assert "errors" not in body, body["errors"]
    return body["data"]


def _location_entries(port: int) -> list[dict] | None:
    """The code locations once the webserver answers and none is still loading."""
    try:
        data = graphql(port, _WORKSPACE)["workspaceOrError"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if data.get("__typename") != "Workspace":
        return None
    entries = data["locationEntries"]
    if not entries or any(e["locationOrLoadError"] is None for e in entries):
        return None
    return entries


def _stop(proc: subprocess.Popen) -> None:
    """`dagster dev` runs a webserver, a daemon and a code server: stop the whole group."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):  # children that outlived the parent
        os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def running_ui(root: Path, env: dict[str, str]) -> Iterator[tuple[int, list[dict]]]:
    """`cswh ui` on a free port with ``env``; yields (port, code location entries) once every
    location has loaded. Its output goes to ``root``/cswh_ui.log."""
    port = free_port()
    log = root / "cswh_ui.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*CSWH, "ui", "--port", str(port)],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        t0 = time.monotonic()
        entries = None
        while time.monotonic() - t0 < START_TIMEOUT and proc.poll() is None:
            entries = _location_entries(port)
            if entries:
                break
            time.sleep(1)
        assert entries, f"cswh ui did not come up:\n{log.read_text()[-4000:]}"
        print(f"cswh ui answered after {time.monotonic() - t0:.0f} s")
        yield port, entries
    finally:
        _stop(proc)


_LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
  }
}
"""
_STATUS = """
query Status($runId: ID!) { runOrError(runId: $runId) { __typename ... on Run { status } } }
"""
DONE = ("SUCCESS", "FAILURE", "CANCELED")


def launch_job(port: int, location: str, job: str) -> str:
    """Launch ``job`` as the UI's Launchpad does (mutation launchRun); returns the run id."""
    params = {
        "selector": {
            "repositoryLocationName": location,
            "repositoryName": "__repository__",
            "jobName": job,
        },
        "runConfigData": {},
    }
    launched = graphql(port, _LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def wait_for_run(port: int, run_id: str, timeout: float) -> str:
    """The run's final status (the daemon dequeues it, a subprocess executes it)."""
    t0 = time.monotonic()
    status = None
    while time.monotonic() - t0 < timeout:
        status = graphql(port, _STATUS, {"runId": run_id})["runOrError"]["status"]
        if status in DONE:
            return status
        time.sleep(2)
    raise AssertionError(f"run {run_id} still {status} after {timeout:.0f} s")
