"""What `cswh run` shows while it runs: a compact progress view built from the run's own
Dagster events (an instance event listener), never from scraped log text.

On a terminal the view is a few lines redrawn in place (phase, files loaded, dbt nodes
done/total, checks passed/failed, elapsed); in a pipe or CI log it is a plain line per phase
start and end, and one every ``PLAIN_HEARTBEAT_S`` while a phase runs. Everything the run
writes -- Dagster's events at DEBUG level, dbt's output, warnings -- goes to a log file under
``$DAGSTER_HOME/logs/`` instead of the terminal; the run's events are in Dagster as well.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

PHASES = ("extract", "raw checks", "dbt build", "mart checks", "publish", "data docs", "outbox")
PLAIN_HEARTBEAT_S = 30.0
TTY_REFRESH_S = 0.5  # elapsed time ticks while a long dbt model runs
KEEP_LOGS = 100  # newest run logs kept under $DAGSTER_HOME/logs


def phase_of(step_key: str | None) -> str | None:
    """The phase a step of cswh_job belongs to (definitions.py names the steps)."""
    if not step_key:
        return None
    if step_key.startswith("extract_"):
        return "extract"
    if step_key.startswith("quality_raw_") or step_key.endswith("_freshness"):
        return "raw checks"
    if step_key.startswith("dbt_models"):
        return "dbt build"
    if step_key == "quality_marts":
        return "mart checks"
    if "publish" in step_key:
        return "publish"
    if "data_docs" in step_key:
        return "data docs"
    if step_key.startswith("notify__"):
        return "outbox"
    return None


@dataclass
class Phase:
    name: str
    steps: set[str] = field(default_factory=set)  # planned steps of this run
    finished: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    skipped: set[str] = field(default_factory=set)  # not run: something upstream failed
    planned: int = 0  # planned materializations and checks
    done: int = 0
    checks_passed: int = 0
    checks_failed: int = 0
    started_at: float | None = None
    finished_at: float | None = None

    @property
    def state(self) -> str:
        """pending | running | done | failed | skipped (``skipped`` only after the run)."""
        if self.failed:
            return "failed"
        if self.finished_at is not None:
            return "skipped" if self.skipped >= self.steps else "done"
        return "running" if self.started_at is not None else "pending"


@dataclass
class RunProgress:
    """The run's state as its events tell it. Fed one EventLogEntry at a time."""

    started_at: float = field(default_factory=time.monotonic)
    phases: dict[str, Phase] = field(default_factory=lambda: {p: Phase(p) for p in PHASES})
    files: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("loaded", "skipped", "failed"), 0)
    )
    rows_loaded: int = 0
    published: bool | None = None
    outcome: str | None = None  # succeeded | FAILED once the run has ended
    last: str = ""  # the latest thing that happened, for the live view

    def elapsed(self, now: float | None = None) -> float:
        return (now or time.monotonic()) - self.started_at

    def handle(self, entry) -> tuple[list[str], list[str]]:
        """Take one event; returns (phases that started, phases that finished), in order."""
        event = entry.dagster_event
        now = time.monotonic()
        if event is None:  # a log message (context.log)
            if entry.user_message:
                self.last = entry.user_message.splitlines()[0]
            return [], []
        kind = event.event_type_value
        step = entry.step_key
        phase = self.phases.get(phase_of(step) or "")
        started: list[str] = []
        finished: list[str] = []
        if kind in ("ASSET_MATERIALIZATION_PLANNED", "ASSET_CHECK_EVALUATION_PLANNED"):
            if phase is not None:
                phase.steps.add(step)
                phase.planned += 1
            planned = sum(p.planned for p in self.phases.values())
            self.last = f"planning: {planned} assets and checks"
        elif kind == "STEP_START" and phase is not None:
            if phase.started_at is None:
                phase.started_at = now
                started.append(phase.name)
            self.last = f"{step} started"
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED") and phase is not None:
            phase.finished.add(step)
            if kind == "STEP_FAILURE":
                phase.failed.add(step)
                self.last = f"{step} failed"
            elif kind == "STEP_SKIPPED":
                phase.skipped.add(step)
            if phase.finished >= phase.steps and phase.finished_at is None:
                phase.finished_at = now
                finished.append(phase.name)
        elif kind == "ASSET_MATERIALIZATION" and phase is not None:
            phase.done += 1
            key = event.asset_key
            self.last = "/".join(key.path) if key else self.last
            if phase.name == "extract":
                self._count_files(event.event_specific_data.materialization.metadata)
            if phase.name == "publish":
                self.published = True
        elif kind == "ASSET_CHECK_EVALUATION" and phase is not None:
            phase.done += 1
            evaluation = event.event_specific_data
            if evaluation.passed:
                phase.checks_passed += 1
            else:
                phase.checks_failed += 1
            self.last = f"{'/'.join(evaluation.asset_key.path)} {evaluation.check_name}"
        elif kind in ("PIPELINE_SUCCESS", "RUN_SUCCESS"):
            self.outcome = "succeeded"
        elif kind in ("PIPELINE_FAILURE", "RUN_FAILURE"):
            self.outcome = "FAILED"
        return started, finished

    def _count_files(self, metadata) -> None:
        def value(name: str) -> int:
            v = metadata.get(name)
            return int(getattr(v, "value", v) or 0)

        self.files["loaded"] += value("files_loaded")
        self.files["skipped"] += value("files_skipped")
        self.files["failed"] += value("files_failed")
        self.rows_loaded += value("rows_loaded")

    @property
    def checks(self) -> tuple[int, int]:
        """Checks passed and failed so far, every phase (GX suites, freshness, dbt tests)."""
        phases = self.phases.values()
        return sum(p.checks_passed for p in phases), sum(p.checks_failed for p in phases)

    def detail(self, name: str) -> str:
        p = self.phases[name]
        if p.state == "pending" or (not p.steps and self.outcome is None):
            return ""
        if not p.steps:
            return "not in this run"
        if name == "extract":
            f = self.files
            return (
                f"{len(p.finished)}/{len(p.steps)} sources · {f['loaded']} files loaded, "
                f"{f['skipped']} skipped, {f['failed']} failed · {self.rows_loaded:,} rows"
            )
        if name == "dbt build":
            return f"{p.done}/{p.planned} nodes · {p.checks_failed} tests failed"
        if name == "publish":
            if p.state == "running":
                return "writing the serving copy"
            return "serving copy published" if self.published else "not published"
        if name == "data docs":  # an asset, not checks: say whether the report was written
            if p.state == "running":
                return "rendering the report"
            return "report refreshed" if p.done else "not refreshed"
        text = f"{p.checks_passed} passed, {p.checks_failed} failed"
        return text if p.state != "running" else f"{p.done}/{p.planned} checks · {text}"

    def state(self, name: str) -> str:
        p = self.phases[name]
        if self.outcome is not None and p.state in ("pending", "running") and not p.failed:
            return "skipped" if p.state == "pending" else "failed"
        return p.state

    def current(self) -> str | None:
        running = [n for n in PHASES if self.phases[n].state == "running"]
        return running[-1] if running else None


def clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class _Terminal:
    """The view redrawn in place: the cursor goes back to the block's first line and the
    block is written again, each line cut to the terminal's width so none wraps."""

    MARKS = {"done": "✓", "running": "▸", "failed": "✗", "pending": "·", "skipped": "–"}
    ASCII = {"done": "+", "running": ">", "failed": "x", "pending": ".", "skipped": "-"}
    REDRAW_S = 0.1

    def __init__(self, out: IO[str], progress: RunProgress, title: str) -> None:
        self.out, self.progress, self.title = out, progress, title
        encoding = (getattr(out, "encoding", None) or "").lower().replace("-", "")
        self.marks = self.MARKS if encoding.startswith("utf") else self.ASCII
        self.drawn = 0
        self.last_draw = 0.0

    def width(self) -> int:
        try:
            return os.get_terminal_size(self.out.fileno()).columns
        except OSError:
            return 80

    def lines(self) -> list[str]:
        p = self.progress
        passed, failed = p.checks
        head = f"cswh run {self.title} · {clock(p.elapsed())}"
        head += f" · checks {passed} passed, {failed} failed"
        rows = [head]
        for name in PHASES:
            rows.append(f"  {self.marks[p.state(name)]} {name:<12} {p.detail(name)}".rstrip())
        if p.outcome is None:
            rows.append(f"    {p.last}")
        return rows

    def start(self) -> None:
        self.out.write("\x1b[?25l")  # no blinking cursor inside the view
        self.draw()

    def draw(self, notes: list[str] | None = None) -> None:
        width = max(self.width() - 1, 20)
        text = f"\x1b[{self.drawn}F\x1b[J" if self.drawn else ""
        text += "".join(n[:width] + "\n" for n in notes or [])
        lines = [line[:width] for line in self.lines()]
        text += "".join(line + "\n" for line in lines)
        self.drawn = len(lines)
        self.last_draw = time.monotonic()
        self.out.write(text)
        self.out.flush()

    def tick(self, started: list[str], finished: list[str]) -> None:
        # ~1,300 events a run: redraw at most every REDRAW_S, at once when a phase changes.
        if started or finished or time.monotonic() - self.last_draw >= self.REDRAW_S:
            self.draw()

    def stop(self) -> None:
        self.draw()
        self.out.write("\x1b[?25h")
        self.out.flush()


class _Plain:
    """One line per phase start and end, and a heartbeat while a phase runs (CI, pipes)."""

    def __init__(self, out: IO[str], progress: RunProgress, title: str) -> None:
        self.out, self.progress, self.title = out, progress, title
        self.last_line = time.monotonic()

    def say(self, text: str) -> None:
        self.out.write(f"[{clock(self.progress.elapsed())}] {text}\n")
        self.out.flush()
        self.last_line = time.monotonic()

    def start(self) -> None:
        pass

    def draw(self, notes: list[str] | None = None) -> None:
        for note in notes or []:
            self.say(note)

    def tick(self, started: list[str], finished: list[str]) -> None:
        p = self.progress
        for name in finished:
            self.say(f"{name}: {p.state(name)} · {p.detail(name)}")
        for name in started:
            self.say(f"{name} ...")
        current = p.current()
        if time.monotonic() - self.last_line >= PLAIN_HEARTBEAT_S:
            self.say(f"{current}: {p.detail(current)}" if current else f"waiting · {p.last}")

    def stop(self) -> None:
        p = self.progress
        for name in PHASES:  # phases the run never reached
            if p.state(name) == "skipped" and p.phases[name].steps:
                self.say(f"{name}: skipped")


class RunConsole:
    """The terminal side of `cswh run`: pass ``on_event`` to Dagster as an event listener
    and run the job inside ``capturing(run_id)``."""

    def __init__(self, log_dir: Path, out: IO[str] | None = None) -> None:
        self.log_dir = log_dir
        self.out = out or sys.stdout
        self.log_path: Path | None = None
        self.progress = RunProgress()
        self._lock = threading.Lock()
        self._view: _Terminal | _Plain | None = None

    def is_terminal(self) -> bool:
        return self.out.isatty() and os.environ.get("TERM", "") != "dumb"

    def on_event(self, entry) -> None:
        with self._lock:
            started, finished = self.progress.handle(entry)
            note = None
            if entry.dagster_event is None and entry.level >= 30 and entry.user_message:
                note = f"warning: {entry.user_message.splitlines()[0]}"  # e.g. a rejected file
            if self._view is None:
                return
            if note:
                self._view.draw([note])
            if started or finished or isinstance(self._view, _Terminal):
                self._view.tick(started, finished)

    def _ticker(self, stop: threading.Event) -> None:
        interval = TTY_REFRESH_S if isinstance(self._view, _Terminal) else 1.0
        while not stop.wait(interval):
            with self._lock:
                if self._view is not None:
                    self._view.tick([], [])

    @contextmanager
    def capturing(self, run_id: str) -> Iterator[Path]:
        """While the job runs, the process's stdout and stderr (file descriptors 1 and 2, so
        dbt's output and Dagster's console log too) go to the run's log file; the view is
        written to the terminal they pointed at before."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        self.log_path = self.log_dir / f"{stamp}-{run_id}.log"
        _prune(self.log_dir, KEEP_LOGS - 1)
        sys.stdout.flush()
        sys.stderr.flush()
        term_fd = os.dup(self.out.fileno())
        terminal = os.fdopen(term_fd, "w", encoding=self.out.encoding, errors="replace")
        saved = os.dup(1), os.dup(2)
        log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        view_cls = _Terminal if self.is_terminal() else _Plain
        stop = threading.Event()
        try:
            terminal.write(f"cswh run {run_id}\n  full log: {self.log_path}\n")
            terminal.flush()
            os.dup2(log_fd, 1)
            os.dup2(log_fd, 2)
            with self._lock:
                self._view = view_cls(terminal, self.progress, run_id[:8])
                self._view.start()
            ticker = threading.Thread(target=self._ticker, args=(stop,), daemon=True)
            ticker.start()
            yield self.log_path
        finally:
            stop.set()
            sys.stdout.flush()
            sys.stderr.flush()
            with self._lock:
                if self._view is not None:
                    self._view.stop()
                self._view = None
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in (*saved, log_fd):
                os.close(fd)
            terminal.close()


def _prune(log_dir: Path, keep: int) -> None:
    logs = sorted(log_dir.glob("*.log"))
    for old in logs[: max(len(logs) - keep, 0)]:
        old.unlink(missing_ok=True)
