"""What a person sees of `cswh run`: on a terminal (a real tmux pane) a compact view redrawn
in place, in a pipe a few plain progress lines; the same summary either way, the full log in
a file, and no "nanobind: leaked" wall at exit. The captured pane is saved to
test-artifacts/cswh-run-terminal.txt (git-ignored)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from dagster_project.progress import PHASES, RunProgress, phase_of
from tests.support import CSWH, PROJECT_ROOT, cswh_env, published_tiny

pytestmark = pytest.mark.slow

ARTIFACT = PROJECT_ROOT / "test-artifacts" / "cswh-run-terminal.txt"
RUN_TIMEOUT = 900
SUMMARY = (
    re.compile(r"^run [0-9a-f-]{36}: succeeded$", re.M),
    re.compile(r"^  files: \d+ loaded, \d+ skipped \(duplicate\), \d+ failed$", re.M),
    re.compile(r"^  rows: [\d,]+ loaded, [\d,]+ quarantined", re.M),
    re.compile(r"^  CTAs raised by this run: [\d,]+$", re.M),
    re.compile(r"^  serving copy published: \S+$", re.M),
)
LOG_PATH = re.compile(r"^  full log: (\S+\.log)$", re.M)
DBT_NODES = re.compile(r"dbt build +(\d+)/(\d+) nodes")


def _full_log(text: str) -> Path:
    paths = LOG_PATH.findall(text)
    assert paths, text
    log = Path(paths[-1])
    assert log.is_file(), log
    return log


def _assert_log_holds_the_detail(log: Path) -> None:
    text = log.read_text(errors="replace")
    assert "START sql" in text  # dbt's own output
    assert "STEP_START" in text and "ASSET_CHECK_EVALUATION" in text  # Dagster's events


@pytest.fixture(scope="module")
def piped(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path):
    """The session's shared `cswh run`, whose stdout and stderr were pipes."""
    return published_tiny(tmp_path_factory, tiny_zone)


def test_in_a_pipe_plain_progress_lines_and_the_summary(piped) -> None:
    out, err = piped.result.stdout, piped.result.stderr
    assert piped.result.returncode == 0, out + err
    for pattern in SUMMARY:
        assert pattern.search(out), (pattern.pattern, out)
    # One line when a phase starts and one when it ends; no redrawing, no colours.
    assert "\x1b" not in out + err
    for phase in PHASES:
        assert re.search(rf"^\[\d+:\d\d\] {phase}: done · ", out, re.M), (phase, out)
    assert re.search(r"^\[\d+:\d\d\] dbt build: done · (\d+)/\1 nodes · 0 tests failed$", out, re.M)
    assert len(out.splitlines()) < 30, out
    # The detail went to the log file, not to the console.
    assert "START sql" not in out + err and " - dagster - " not in out + err
    _assert_log_holds_the_detail(_full_log(out))


def test_no_nanobind_leak_lines_at_exit(piped) -> None:
    """The run validated with GX on DuckDB through SQLAlchemy (the leak's trigger)."""
    assert "leaked" not in piped.result.stderr, piped.result.stderr[-3000:]
    assert piped.result.stderr.strip() == "", piped.result.stderr[-3000:]


def test_progress_replayed_from_the_run_history_matches_the_summary(piped) -> None:
    """The view's state, rebuilt from the events Dagster stored for the run: every step of
    the job has a phase, every phase finished, and the counts agree with the summary."""
    from dagster_project.run import open_instance

    with open_instance(piped.root / "dagster_home") as instance:
        (run,) = instance.get_runs(limit=1)
        entries = instance.all_logs(run.run_id)
    steps = {e.step_key for e in entries if e.step_key}
    assert steps and all(phase_of(s) for s in steps), sorted(s for s in steps if not phase_of(s))
    progress = RunProgress()
    for entry in entries:
        progress.handle(entry)
    assert progress.outcome == "succeeded" and progress.published
    assert [progress.state(p) for p in PHASES] == ["done"] * len(PHASES)
    dbt = progress.phases["dbt build"]
    assert dbt.done == dbt.planned > 100
    assert f"files: {progress.files['loaded']} loaded" in piped.result.stdout
    assert f"rows: {progress.rows_loaded:,} loaded" in piped.result.stdout
    passed, failed = progress.checks
    evaluations = [e for e in entries if e.dagster_event_type == "ASSET_CHECK_EVALUATION"]
    assert (passed, failed) == (len(evaluations), 0)


class Pane:
    """`cswh run` in a detached tmux session on a private server (a real terminal)."""

    def __init__(self, env: dict[str, str], width: int = 110, height: int = 30) -> None:
        self.tmux = shutil.which("tmux")
        assert self.tmux, "tmux is missing: `make test` installs it (Debian package tmux)"
        self.socket = f"cswh-test-{os.getpid()}-{time.monotonic_ns()}"
        command = f"{shlex.join([*CSWH, 'run'])}; echo EXIT=$?; sleep {RUN_TIMEOUT}"
        self._tmux(
            "-f", "/dev/null", "-u", "new-session", "-d", "-s", "run",
            "-x", str(width), "-y", str(height), "-c", str(PROJECT_ROOT), command,
            env=env,
        )  # fmt: skip

    def _tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            [self.tmux, "-L", self.socket, *args],
            env=env,
            capture_output=True,
            check=True,
            timeout=60,
        )
        return result.stdout.decode("utf-8", errors="replace")

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "run")

    def history(self) -> str:
        """Everything the pane ever showed, scrollback included, wrapped lines joined."""
        return self._tmux("capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", "run")

    def close(self) -> None:
        subprocess.run([self.tmux, "-L", self.socket, "kill-server"], capture_output=True)


def test_on_a_terminal_a_compact_view_redrawn_in_place(tiny_zone: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(tiny_zone, root / "raw")
    env = {**cswh_env(root), "TERM": "xterm-256color"}
    pane = Pane(env)
    try:
        during = None
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline:
            screen = pane.screen()
            nodes = DBT_NODES.search(screen)
            if during is None and nodes and 0 < int(nodes[1]) < int(nodes[2]):
                during = screen  # dbt half-way: the view is live
            if "EXIT=" in screen:
                break
            time.sleep(0.3)
        final = pane.history()
    finally:
        pane.close()
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(f"--- during the dbt build ---\n{during}\n--- at the end ---\n{final}")

    assert "EXIT=0" in final, final
    assert during is not None, f"never saw the dbt build under way:\n{final}"
    # While dbt builds: the phases done so far, the one running, files, nodes, elapsed.
    assert re.search(
        r"^cswh run [0-9a-f]{8} · \d+:\d\d · checks \d+ passed, 0 failed", during, re.M
    )
    assert re.search(r"✓ extract +\d+/\d+ sources · [1-9]\d* files loaded", during), during
    assert re.search(r"✓ raw checks +[1-9]\d* passed, 0 failed", during), during
    assert "▸ dbt build" in during and "· publish" in during, during
    # At the end: each phase line once (redrawn in place, not scrolled), then the summary.
    for phase in PHASES:
        assert len(re.findall(rf"^  ✓ {phase}\b", final, re.M)) == 1, (phase, final)
    for pattern in SUMMARY:
        assert pattern.search(final), (pattern.pattern, final)
    lines = [line for line in final.splitlines() if line.strip()]
    assert len(lines) < 25, final  # not hundreds of dbt and Dagster lines
    assert "leaked" not in final and "START sql" not in final and " - dagster - " not in final
    _assert_log_holds_the_detail(_full_log(final))
