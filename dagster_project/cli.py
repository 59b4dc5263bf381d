"""`cswh`: the command line. Thin: it sets up the environment and hands over to Dagster,
the generator, dbt or Streamlit. Exit status of `cswh run`: 0 published, 1 not published,
2 usage error (CONTRACT.md section 2)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from dagster_project.as_of import as_of_override
from dagster_project.config import NO_TELEMETRY, PROJECT_ROOT, Settings, executable
from dagster_project.privacy import apply_umask
from dagster_project.sources import SOURCES
from dagster_project.transform.engine import ENGINES, EngineError, default_engine, spark_missing
from dagster_project.warehouse_lock import WarehouseLock

EXIT_OK, EXIT_NOT_PUBLISHED, EXIT_USAGE = 0, 1, 2

_WRITTEN_BY_CSWH = "# Written by cswh."
_DAGSTER_YAML = f"""\
{_WRITTEN_BY_CSWH} Runs launched from the UI or by the schedule queue here; DuckDB
# allows a single writer, so at most one cswh run executes at a time.
telemetry:
  enabled: false
run_queue:
  max_concurrent_runs: 1
# Storage: Dagster's default, SQLite files under history/ (README: a shared deployment).
"""


class UsageError(Exception):
    """A mistake in how cswh was called: exit status 2 with a message."""


def _date(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cswh", description="The customer-success warehouse.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    g = sub.add_parser("generate", help="write a realistic synthetic landing zone")
    g.add_argument("--out", required=True, type=Path, help="landing-zone folder to write")
    g.add_argument("--accounts", type=int, default=1000, help="customer accounts (default 1000)")
    g.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    g.add_argument("--start", type=_date, help="first day of history (YYYY-MM-DD)")
    g.add_argument("--end", type=_date, help="last day of history (YYYY-MM-DD)")

    r = sub.add_parser("run", help="extract, dbt build, check and publish, through Dagster")
    _path_flags(r)
    r.add_argument("--data-dir", type=Path, help="landing zone (env CSWH_DATA_DIR)")
    r.add_argument("--warehouse", type=Path, help="working DuckDB file (env CSWH_WAREHOUSE)")
    r.add_argument("--as-of", type=_date, help="as-of date D (env CSWH_AS_OF)")
    r.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every incremental model and replay the CTA ledger from scratch",
    )
    r.add_argument(
        "--engine",
        choices=ENGINES,
        help="what builds the dbt project: duckdb (default) or spark (local mode; "
        "`make spark-deps`); env CSWH_ENGINE",
    )
    r.add_argument(
        "--select",
        metavar="SOURCE",
        choices=SOURCES,
        help=f"run one source system and what depends on it ({', '.join(SOURCES)})",
    )

    n = sub.add_parser(
        "notify", help="queue the automated e-mails and digests of the latest publish (outbox)"
    )
    _path_flags(n)
    n.add_argument("--send", action="store_true", help="also send what is queued ($CSWH_SMTP_URL)")
    n.add_argument("--max", type=int, default=200, help="messages sent per run (default 200)")

    w = sub.add_parser(
        "whatif",
        help="compare the health and CTA outcome of changed seed values with today's",
        description="Rebuilds the health and CTA models on a scratch copy of the warehouse with "
        "changed seed values and writes the comparison to $CSWH_WHATIF_DIR/latest.duckdb "
        "(default data/whatif); the warehouse and the serving copy are not touched.",
    )
    what = w.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--seeds",
        type=Path,
        metavar="DIR",
        help="CSV files named like dbt/seeds/*.csv: each row (by the seed's key) replaces "
        "the values of the columns the file has",
    )
    what.add_argument(
        "--set",
        dest="set_values",
        action="append",
        metavar="SEED.KEY.COLUMN=VALUE",
        help="one changed value, e.g. health_metrics.wau_rate.green_at=0.5 (repeatable)",
    )
    w.add_argument("--warehouse", type=Path, help="working DuckDB file (env CSWH_WAREHOUSE)")

    d = sub.add_parser("dashboard", help="the Streamlit app on the serving copy")
    _path_flags(d)
    d.add_argument("--port", type=int, default=8501)

    u = sub.add_parser("ui", help="the Dagster web UI on the same run history")
    u.add_argument("--port", type=int, default=3000)

    sub.add_parser("docs", help="Data Docs and dbt docs as static HTML under data/docs")
    sub.add_parser("prepare", help="parse the dbt project (manifest for Dagster)")

    m = sub.add_parser(
        "metrics",
        help="KPI metrics from dbt's semantic layer (MetricFlow) on the serving copy",
        description="Runs `mf query ARGS` (or `mf list ...`, `mf validate-configs`) on the "
        "serving copy, read-only; e.g. cswh metrics --metrics renewal_rate "
        "--group-by metric_time__fiscal_quarter,contract__segment",
    )
    _path_flags(m)  # every other argument goes to MetricFlow (main: parse_known_args)

    _users_parser(sub)

    s = sub.add_parser("dbt-sources", help="write dbt's sources.yml files from sources.py")
    s.add_argument("--check", action="store_true", help="write nothing; exit 1 if they differ")
    s.add_argument("--staging-dir", type=Path, help="dbt staging models folder (tests)")
    return p


def _users_parser(sub) -> None:
    from dagster_project.users import MIN_PASSWORD, ROLE_HELP, ROLES

    roles = "; ".join(f"{r}: {h}" for r, h in ROLE_HELP.items())
    us = sub.add_parser(
        "users",
        help="the dashboard's sign-in users (file $CSWH_USERS_DB)",
        description="Local users of the dashboard, kept at $CSWH_USERS_DB (default "
        "~/.config/cswh/users.sqlite, mode 0600) with argon2id password hashes. Roles: " + roles,
    )
    ucmd = us.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    a = ucmd.add_parser(
        "add",
        help="add a user; the password is asked twice, or read from stdin when it is not a TTY",
        description=f"Add a dashboard user. The password (at least {MIN_PASSWORD} characters) is "
        "asked twice at a terminal, or read as the first line of stdin otherwise. A csm's NAME "
        "must be the name the CRM's csm_owner carries: that is how their book of business "
        "(their accounts and CTAs) is found. For OpenID Connect sign-in, NAME is the person's "
        "e-mail address and --no-password leaves local sign-in off.",
    )
    a.add_argument("name", metavar="NAME")
    a.add_argument("--role", required=True, help=f"one of {', '.join(ROLES)}")
    a.add_argument("--reset", action="store_true", help="replace an existing user's password/role")
    a.add_argument(
        "--no-password", action="store_true", help="OpenID Connect only: no local password"
    )
    ucmd.add_parser("list", help="names, roles and state (no hashes)")
    dis = ucmd.add_parser("disable", help="stop a user signing in (kept for the record)")
    dis.add_argument("name", metavar="NAME")


def _path_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--serving", type=Path, help="serving copy (env CSWH_SERVING)")


def _apply_flags(args: argparse.Namespace) -> Settings:
    """Flags say the same as the environment variables; they win over them."""
    for flag, var in (
        ("data_dir", "CSWH_DATA_DIR"),
        ("warehouse", "CSWH_WAREHOUSE"),
        ("serving", "CSWH_SERVING"),
    ):
        value = getattr(args, flag, None)
        if value is not None:
            os.environ[var] = str(Path(value).expanduser().resolve())
    if getattr(args, "as_of", None):
        os.environ["CSWH_AS_OF"] = args.as_of
    os.environ.update(NO_TELEMETRY)
    settings = Settings.from_env()
    try:
        as_of_override()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    settings.export()
    return settings


def _dagster_home(settings: Settings) -> Path:
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    # Ours (its first line says so) is kept current; someone else's is left alone.
    current = config.read_text() if config.exists() else None
    if current is None or (current.startswith(_WRITTEN_BY_CSWH) and current != _DAGSTER_YAML):
        config.write_text(_DAGSTER_YAML)
    return home


def ensure_manifest() -> None:
    from dagster_project.transform import project

    if project.manifest_is_stale():
        print("parsing the dbt project (manifest for Dagster) ...", flush=True)
        project.prepare()


def cmd_prepare(args: argparse.Namespace) -> int:
    _apply_flags(args)
    from dagster_project.transform import project

    project.prepare()
    print(f"dbt manifest: {project.dbt_project.manifest_path}")
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    if args.accounts < 1:
        raise UsageError("--accounts must be at least 1")
    start = date.fromisoformat(args.start) if args.start else None
    end = date.fromisoformat(args.end) if args.end else None
    if start and end and start >= end:
        raise UsageError("--start must be before --end")
    from dagster_project.synthetic import generate

    t0 = time.perf_counter()
    try:
        counts = generate(
            args.out,
            accounts=args.accounts,
            seed=args.seed,
            start=start,
            end=end,
            progress=lambda line: print(f"  {line}", flush=True),
        )
    except FileExistsError as exc:  # never mix two generations in one landing zone
        raise UsageError(f"{exc} (choose an empty --out folder)") from None
    elapsed = time.perf_counter() - t0
    print(f"landing zone written to {args.out.resolve()} in {elapsed:.1f} s")
    for table, n in counts.items():
        print(f"  {table:<32} {n:>12,} rows")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    settings = _apply_flags(args)
    try:
        engine = args.engine or default_engine()
    except EngineError as exc:
        raise UsageError(str(exc)) from None
    if engine == "spark" and (missing := spark_missing()) is not None:
        raise UsageError(missing)
    if not settings.data_dir.is_dir():
        raise UsageError(
            f"landing zone {settings.data_dir} does not exist: pass --data-dir, set "
            "CSWH_DATA_DIR, or create a demo one with `cswh generate --out data/raw`"
        )
    os.environ["DAGSTER_HOME"] = str(_dagster_home(settings))
    ensure_manifest()
    from dagster_project.progress import RunConsole
    from dagster_project.run import run_pipeline

    # One writer at a time: the run waits (with a message) while another run holds the
    # warehouse; see resources.Warehouse.
    console = RunConsole(settings.dagster_home / "logs")
    outcome = run_pipeline(
        settings,
        select=args.select,
        full_refresh=args.full_refresh,
        console=console,
        engine=engine,
    )
    print(outcome.summary())
    print(f"  full log: {console.log_path}")
    # The run refreshed the report itself (asset docs/data_docs, after the publish).
    from dagster_project.quality.docs import data_docs_index

    report = data_docs_index(settings.docs_dir)
    if outcome.data_docs_error:  # the publish stands: the exit status says published
        print(f"  data quality report not refreshed: {outcome.data_docs_error}", file=sys.stderr)
    elif outcome.data_docs_refreshed:
        print(f"  data quality report: {report}")
    else:
        print(f"  data quality report: {report} (not refreshed: this run published nothing)")
    return EXIT_OK if outcome.published else EXIT_NOT_PUBLISHED


def cmd_notify(args: argparse.Namespace) -> int:
    settings = _apply_flags(args)
    from dagster_project.notify import notify

    if args.max < 1:
        raise UsageError("--max must be at least 1")
    try:
        result = notify(settings, do_send=args.send, limit=args.max)
    except (FileNotFoundError, ValueError) as exc:  # no publish yet, SMTP URL, staff file
        raise UsageError(str(exc)) from None
    print(result.summary())
    return EXIT_OK


def cmd_ui(args: argparse.Namespace) -> int:
    settings = _apply_flags(args)
    os.environ["DAGSTER_HOME"] = str(_dagster_home(settings))
    ensure_manifest()
    dagster = executable("dagster")
    cmd = [dagster, "dev", "-m", "dagster_project.definitions", "-p", str(args.port)]
    print(f"Dagster UI on http://127.0.0.1:{args.port} (DAGSTER_HOME={settings.dagster_home})")
    return subprocess.call(cmd, cwd=PROJECT_ROOT)


def cmd_dashboard(args: argparse.Namespace) -> int:
    settings = _apply_flags(args)
    app = PROJECT_ROOT / "dashboards" / "streamlit_app.py"
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.port", str(args.port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        # Without it Streamlit looks up an external IP at start-up (no internet here).
        "--browser.serverAddress", "localhost",
        "--client.toolbarMode", "minimal",
    ]  # fmt: skip
    print(f"dashboard on http://localhost:{args.port} (serving copy {settings.serving})")
    return subprocess.call(cmd, cwd=PROJECT_ROOT)


def cmd_docs(args: argparse.Namespace) -> int:
    settings = _apply_flags(args)
    from dagster_project.quality import build_docs

    with WarehouseLock(settings.warehouse):  # waits for a run: dbt docs reads the catalog
        paths = build_docs(settings)
    for name, path in paths.items():
        print(f"{name}: {path}")
    return EXIT_OK


def cmd_whatif(args: argparse.Namespace) -> int:
    settings = _apply_flags(args)
    from dagster_project import whatif

    try:  # every change is checked before anything runs
        seed_set = whatif.SeedSet()
        if args.seeds is not None:
            changes = seed_set.parse_dir(args.seeds)
        else:
            changes = [seed_set.parse_set(expression) for expression in args.set_values]
        seed_set.proposed(changes)
        ensure_manifest()
        outcome = whatif.compare(
            seed_set, changes, settings.warehouse, progress=lambda s: print(s, flush=True)
        )
    except whatif.ChangeError as exc:
        raise UsageError(str(exc)) from None
    except whatif.BuildError as exc:
        print(f"cswh whatif: {exc}", file=sys.stderr)
        return 1
    print(outcome.summary)
    took = ", ".join(f"{k} {v:.0f} s" for k, v in outcome.seconds.items() if k != "total")
    print(f"comparison written to {outcome.path} in {outcome.seconds['total']:.0f} s ({took})")
    return EXIT_OK


def cmd_metrics(args: argparse.Namespace) -> int:
    settings = _apply_flags(args)
    from dagster_project import metrics

    return metrics.run(args.mf_args, settings.serving)


def cmd_dbt_sources(args: argparse.Namespace) -> int:
    from dagster_project.transform import dbt_sources

    staging = args.staging_dir or dbt_sources.STAGING_DIR
    if args.check:
        problems = dbt_sources.check(staging)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("dbt sources differ from sources.py: run `cswh dbt-sources`", file=sys.stderr)
        return 1 if problems else EXIT_OK  # 1: they differ (as `cswh run`: not done)
    for path in dbt_sources.write(staging):
        print(f"wrote {path}")
    return EXIT_OK


def cmd_users(args: argparse.Namespace) -> int:
    from dagster_project import users

    try:
        if args.users_command == "add":
            users.check_name(args.name)
            users.check_role(args.role)
            password = None if args.no_password else users.read_password()
            user = users.add(args.name, args.role, password, reset=args.reset)
            way = "OpenID Connect only" if args.no_password else "password set"
            print(f"user {user.name!r}: role {user.role}, {way} ({users.default_path()})")
        elif args.users_command == "disable":
            user = users.disable(args.name)
            print(f"user {user.name!r} disabled")
        else:
            for u in users.list_users():
                state = "disabled" if u.disabled else "enabled"
                how = "password" if u.has_password else "OIDC only"
                print(f"{u.name}\t{u.role}\t{state}\t{how}\tadded {u.created_at} by {u.created_by}")
    except users.UserError as exc:
        raise UsageError(str(exc)) from None
    return EXIT_OK


COMMANDS = {
    "users": cmd_users,
    "generate": cmd_generate,
    "run": cmd_run,
    "ui": cmd_ui,
    "dashboard": cmd_dashboard,
    "docs": cmd_docs,
    "prepare": cmd_prepare,
    "dbt-sources": cmd_dbt_sources,
    "notify": cmd_notify,
    "metrics": cmd_metrics,
    "whatif": cmd_whatif,
}


def main(argv: list[str] | None = None) -> int:
    # Everything cswh and its children (dbt, Dagster, Streamlit) create is the owner's only,
    # or also the group's with CSWH_SHARE_GROUP=1 (privacy.py, SECURITY.md).
    apply_umask()
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "metrics":
        args.mf_args = rest
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"cswh {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
