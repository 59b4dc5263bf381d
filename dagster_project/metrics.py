"""`cswh metrics`: dbt's semantic layer (MetricFlow) on the serving copy.

MetricFlow's CLI (`mf`) reads ``<dbt project>/target/semantic_manifest.json`` and the
profile's default target. Pointed at ``dbt/`` it would use the pipeline's manifest and the
working warehouse, so the semantic layer gets a project shell of its own (default
``data/metrics``, env ``CSWH_METRICS_DIR``): the dbt project's files linked in, its own
``target/`` and ``logs/``, and a ``profiles.yml`` derived from ``dbt/profiles.yml`` whose
default target is ``serving`` (read-only on ``$CSWH_SERVING``). `cswh metrics` parses that
shell (partial parse: seconds) and hands the arguments to ``mf``; plain ``mf`` works in the
same shell (README "Metrics").
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from dagster_project.config import DBT_PROJECT_DIR, PROJECT_ROOT, executable

SERVING_TARGET = "serving"
# What the shell links from the dbt project (read by `dbt parse`; nothing is written there).
PROJECT_ENTRIES = ("dbt_project.yml", "models", "macros", "seeds", "tests")
# `mf` subcommands passed through as they are; anything else is a `mf query`.
MF_COMMANDS = frozenset({"query", "list", "validate-configs", "health-checks"})


def metrics_dir() -> Path:
    value = os.environ.get("CSWH_METRICS_DIR") or "data/metrics"
    path = Path(value).expanduser()
    return (path if path.is_absolute() else PROJECT_ROOT / path).resolve()


def serving_profiles(source: Path = DBT_PROJECT_DIR / "profiles.yml") -> str:
    """dbt/profiles.yml with the serving target as default (one home: derived, not copied)."""
    profiles = yaml.safe_load(source.read_text())
    for profile in profiles.values():
        if isinstance(profile, dict) and SERVING_TARGET in profile.get("outputs", {}):
            profile["target"] = SERVING_TARGET
            profile["outputs"] = {SERVING_TARGET: profile["outputs"][SERVING_TARGET]}
    header = "# Written by `cswh metrics` from dbt/profiles.yml: its serving target, read-only.\n"
    return header + yaml.safe_dump(profiles, sort_keys=False)


def prepare_shell(root: Path | None = None) -> Path:
    """The semantic layer's project shell, made or refreshed; returns its directory."""
    shell = (root or metrics_dir()) / "project"
    shell.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_ENTRIES:
        link, target = shell / name, DBT_PROJECT_DIR / name
        if link.is_symlink() and link.resolve() == target.resolve():
            continue
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target)
    profiles = shell / "profiles.yml"
    text = serving_profiles()
    if not profiles.exists() or profiles.read_text() != text:
        profiles.write_text(text)
    return shell


def mf_env(shell: Path, serving: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CSWH_SERVING=str(serving),
        DBT_PROJECT_DIR=str(shell),
        DBT_PROFILES_DIR=str(shell),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    return env


def parse(shell: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`dbt parse` of the shell: writes shell/target/semantic_manifest.json (the relations
    named after the serving copy's database) and validates the semantic models."""
    return subprocess.run(
        [
            executable("dbt"),
            "parse",
            "--quiet",
            "--project-dir",
            str(shell),
            "--profiles-dir",
            str(shell),
        ],
        env=env,
        cwd=shell,
        capture_output=True,
        text=True,
    )


# A bare `segment` in --group-by / --order means the account's segment today, a dimension
# every metric reaches (MetricFlow itself wants the entity prefix).
SEGMENT_ALIAS = "account__segment"


def _alias_segment(value: str) -> str:
    items = [SEGMENT_ALIAS if i == "segment" else i for i in value.split(",")]
    return ",".join("-" + SEGMENT_ALIAS if i == "-segment" else i for i in items)


def mf_args(args: list[str]) -> list[str]:
    if args and args[0] in MF_COMMANDS and args[0] != "query":
        return args
    args = args[1:] if args and args[0] == "query" else list(args)
    out: list[str] = []
    for i, arg in enumerate(args):
        if i > 0 and args[i - 1] in ("--group-by", "--order"):
            arg = _alias_segment(arg)
        elif arg.startswith(("--group-by=", "--order=")):
            flag, _, value = arg.partition("=")
            arg = f"{flag}={_alias_segment(value)}"
        out.append(arg)
    return ["query", *out, *_default_order(out)]


def _default_order(args: list[str]) -> list[str]:
    """Rows in the order of the --group-by columns unless --order says otherwise
    (MetricFlow's own order is whatever the engine returns)."""
    if any(a == "--order" or a.startswith("--order=") for a in args):
        return []
    for i, arg in enumerate(args):
        if arg == "--group-by" and i + 1 < len(args):
            return ["--order", args[i + 1]]
        if arg.startswith("--group-by="):
            return ["--order", arg.partition("=")[2]]
    return []


def run(args: list[str], serving: Path) -> int:
    """Parse the shell, then run ``mf`` with ``args`` in it; returns mf's exit status."""
    if not serving.exists():
        print(f"no serving copy at {serving}: run `cswh run` first", file=sys.stderr)
        return 1
    shell = prepare_shell()
    env = mf_env(shell, serving)
    parsed = parse(shell, env)
    if parsed.returncode != 0:
        sys.stderr.write(parsed.stdout + parsed.stderr)
        print("the semantic layer does not parse (above)", file=sys.stderr)
        return 1
    return subprocess.call([executable("mf"), *mf_args(args)], env=env, cwd=shell)
