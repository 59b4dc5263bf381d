"""Inventory of DuckDB-only SQL in the dbt project's compiled models (issue 18: Spark).

Compiles the project on DuckDB (`dbt compile` against a scratch warehouse, or reads an
existing manifest with --manifest), then looks at every model's compiled SQL:

- the constructs below, found in sqlglot's DuckDB tokens (so comments and string contents
  never count), each with what Apache Spark 4.1 does with it (probed on pyspark 4.1.4 in local
  mode, spark.sql.ansi.enabled=false as dbt-spark sets it);
- whether sqlglot parses the SQL as DuckDB, whether it can generate Spark SQL from it without
  an "unsupported" message, and the function names sqlglot does not know (exp.Anonymous):
  a function DuckDB has and sqlglot cannot map is a candidate for a dispatch macro.

Prints, per construct, how many models use it and which; and per model, the count of hits.
The output depends only on the project's files (and sqlglot's version): sorted, no times.

With --check it is the CI gate instead (issue 18): every model must parse in its target's
dialect (sqlglot), and no construct marked as blocking may appear -- in a model's own SQL on
the DuckDB compile (`make lint`), anywhere in the SQL compiled for Spark (tests/test_engines*).

    .venv/bin/python bench/portability.py [--manifest target/manifest.json] [--markdown FILE]
    .venv/bin/python bench/portability.py --check [--target spark] [--manifest ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel
from sqlglot.tokens import Token, TokenType

ROOT = Path(__file__).resolve().parents[1]

# Token types after which `[` indexes a value (x[1], f(x)[1]) rather than opening a list literal.
_INDEXABLE = {
    TokenType.VAR,
    TokenType.IDENTIFIER,
    TokenType.R_PAREN,
    TokenType.R_BRACKET,
    TokenType.STRING,
}
_STRING_TYPES = {TokenType.VARCHAR, TokenType.TEXT, TokenType.NVARCHAR, TokenType.BPCHAR}
_DUCKDB_ONLY_TYPES = {
    TokenType.INT128,  # hugeint
    TokenType.UINT128,  # uhugeint
    TokenType.UBIGINT,
    TokenType.UINT,
    TokenType.USMALLINT,
    TokenType.UTINYINT,
}


@dataclass(frozen=True)
class Model:
    name: str
    path: str
    sql: str
    tokens: list[Token]


# Models whose own SQL (Jinja taken out) does not tokenize: counted as compiled only.
UNTOKENIZABLE: list[str] = []
_JINJA_EXPR = re.compile(r"{{.*?}}", re.S)
_JINJA_STMT = re.compile(r"{%.*?%}|{#.*?#}", re.S)


def source_view(name: str, path: str, raw_code: str) -> Model:
    """The model's own SQL with Jinja taken out: `{{ ... }}` becomes an identifier and
    `{% ... %}` / `{# ... #}` a space, so what a macro writes does not count here."""
    sql = _JINJA_STMT.sub(" ", _JINJA_EXPR.sub("jinja_expr", raw_code))
    try:
        tokens = sqlglot.Dialect.get_or_raise("duckdb").tokenize(sql)
    except sqlglot.errors.TokenError:
        UNTOKENIZABLE.append(name)
        tokens = []
    return Model(name, path, sql, tokens)


def _calls(model: Model, *names: str, prefix: str | None = None) -> int:
    """Calls of functions named `names` (or starting with `prefix`), not schema.name(...)."""
    hits = 0
    toks = model.tokens
    for i, tok in enumerate(toks[:-1]):
        if toks[i + 1].token_type != TokenType.L_PAREN:
            continue
        if i > 0 and toks[i - 1].token_type == TokenType.DOT:
            continue
        name = tok.text.lower()
        if name in names or (prefix is not None and name.startswith(prefix)):
            hits += 1
    return hits


def _types(model: Model, kinds: set[TokenType]) -> int:
    return sum(1 for t in model.tokens if t.token_type in kinds)


def _varchar(model: Model) -> int:
    """A varchar / text type; `string` (the same type on DuckDB, the one Spark takes) is not."""
    return sum(
        1 for t in model.tokens if t.token_type in _STRING_TYPES and t.text.lower() != "string"
    )


def _sequence(model: Model, first: TokenType, then: set[TokenType]) -> int:
    toks = model.tokens
    return sum(
        1
        for a, b in zip(toks, toks[1:], strict=False)
        if a.token_type == first and b.token_type in then
    )


def _list_literal(model: Model) -> int:
    toks = model.tokens
    return sum(
        1
        for i, t in enumerate(toks)
        if t.token_type == TokenType.L_BRACKET
        and (i == 0 or toks[i - 1].token_type not in _INDEXABLE)
    )


def _list_index(model: Model) -> int:
    toks = model.tokens
    return sum(
        1
        for i, t in enumerate(toks)
        if t.token_type == TokenType.L_BRACKET and i > 0 and toks[i - 1].token_type in _INDEXABLE
    )


def _double_quoted(model: Model) -> int:
    """A "quoted" name that is not part of a dotted relation name (dbt renders those per engine)."""
    toks = model.tokens
    hits = 0
    for i, t in enumerate(toks):
        if t.token_type != TokenType.IDENTIFIER or model.sql[t.start : t.start + 1] != '"':
            continue
        before = toks[i - 1].token_type if i > 0 else None
        after = toks[i + 1].token_type if i + 1 < len(toks) else None
        if TokenType.DOT not in (before, after):
            hits += 1
    return hits


def _datediff_part_first(model: Model) -> int:
    toks = model.tokens
    hits = 0
    for i, t in enumerate(toks[:-2]):
        if (
            t.text.lower() in ("date_diff", "datediff", "date_sub", "date_add")
            and toks[i + 1].token_type == TokenType.L_PAREN
            and toks[i + 2].token_type == TokenType.STRING
        ):
            hits += 1
    return hits


def _ordered_aggregate(model: Model) -> int:
    """`agg(x, ',' order by y)`: ORDER BY directly inside a function call's parentheses
    (not a window's OVER (...), not WITHIN GROUP (...), not a subquery)."""
    toks = model.tokens
    stack: list[bool] = []  # per open paren: is it a function call's?
    hits = 0
    for i, t in enumerate(toks):
        if t.token_type == TokenType.L_PAREN:
            before = toks[i - 1] if i > 0 else None
            stack.append(
                before is not None
                and before.token_type in (TokenType.VAR, TokenType.IDENTIFIER)
                and before.text.lower() != "group"
            )
        elif t.token_type == TokenType.R_PAREN and stack:
            stack.pop()
        elif t.token_type == TokenType.ORDER_BY and stack and stack[-1]:
            hits += 1
    return hits


def _star_exclude(model: Model) -> int:
    toks = model.tokens
    return sum(
        1
        for a, b in zip(toks, toks[1:], strict=False)
        if a.token_type == TokenType.STAR and b.text.lower() == "exclude"
    )


def _interval_expr(model: Model) -> int:
    """`interval (expr) day` / `interval x day`: a computed interval (a literal is fine)."""
    return _sequence(model, TokenType.INTERVAL, {TokenType.L_PAREN, TokenType.VAR})


@dataclass(frozen=True)
class Construct:
    key: str
    label: str
    spark: str  # what Spark 4.1 does with it (probed)
    count: Callable[[Model], int]
    # The gate (--check) fails on it: Spark cannot run it, gives another answer, or the
    # standards ban it. The others work on Spark 4.1 and are only counted.
    blocks: bool = True


CONSTRUCTS: list[Construct] = [
    Construct(
        "dcolon_cast",
        "`::` cast",
        "works in Spark 4.x; banned by the standards (cast(...))",
        lambda m: _types(m, {TokenType.DCOLON}),
    ),
    Construct(
        "group_by_all",
        "GROUP BY ALL",
        "works in Spark 4.x; banned by the standards",
        lambda m: _sequence(m, TokenType.GROUP_BY, {TokenType.ALL}),
    ),
    Construct(
        "trailing_comma",
        "trailing comma before FROM / )",
        "parse error",
        lambda m: _sequence(m, TokenType.COMMA, {TokenType.FROM, TokenType.R_PAREN}),
    ),
    Construct(
        "qualify",
        "QUALIFY",
        "parse error: wrap in a subquery and filter",
        lambda m: _types(m, {TokenType.QUALIFY}),
    ),
    Construct(
        "recursive_cte",
        "WITH RECURSIVE",
        "works in Spark 4.1 (not in 3.x / 4.0)",
        lambda m: _types(m, {TokenType.RECURSIVE}),
        blocks=False,
    ),
    Construct(
        "generate_series",
        "generate_series() / range() table function",
        "no generate_series; range() is integers only: explode(sequence(a, b, interval 1 day))",
        lambda m: _calls(m, "generate_series", "range"),
    ),
    Construct(
        "list_functions",
        "list_*/array_* functions, list(), flatten()",
        "names differ (collect_list, array_contains, transform, ...); check each",
        lambda m: _calls(m, "list", "flatten", "len", prefix="list_") + _calls(m, prefix="array_"),
        blocks=False,
    ),
    Construct(
        "unnest",
        "unnest()",
        "no unnest: explode() / LATERAL VIEW",
        lambda m: _calls(m, "unnest"),
    ),
    Construct(
        "list_literal",
        "[a, b] list literal",
        "parse error: array(a, b)",
        _list_literal,
    ),
    Construct(
        "list_index",
        "x[i] subscript",
        "Spark arrays are 0-based (DuckDB 1-based): silent difference; element_at() is 1-based",
        _list_index,
    ),
    Construct(
        "struct_map",
        "{'k': v} struct literal, struct_pack(), map()",
        "parse error: named_struct(), map()",
        lambda m: _types(m, {TokenType.L_BRACE}) + _calls(m, "struct_pack", "map"),
    ),
    Construct(
        "interval_expr",
        "interval (expr) unit (computed interval)",
        "use make_interval / date_add: a dispatch macro (add_days)",
        _interval_expr,
    ),
    Construct(
        "datediff_part_first",
        "date_diff('part', a, b) / date_add('part', ...)",
        "parse error for date_diff('day', ..); Spark's datediff(end, start): dbt.datediff",
        _datediff_part_first,
    ),
    Construct(
        "date_trunc",
        "date_trunc('part', d)",
        "works, but returns TIMESTAMP for a DATE: cast back (month_start macro)",
        lambda m: _calls(m, "date_trunc"),
        blocks=False,
    ),
    Construct(
        "strftime",
        "strftime() / strptime()",
        "unknown: date_format() / to_date() with Java patterns",
        lambda m: _calls(m, "strftime", "strptime"),
    ),
    Construct(
        "epoch",
        "epoch() / epoch_ms()",
        "unknown: unix_timestamp() / unix_millis()",
        lambda m: _calls(m, "epoch", "epoch_ms", "epoch_us"),
    ),
    Construct(
        "regexp",
        "regexp_matches() / regexp_full_match() / regexp_replace()",
        "regexp_matches unknown (rlike / regexp_like); regexp_replace replaces all in Spark, "
        "the first match only in DuckDB (without 'g')",
        lambda m: _calls(m, "regexp_matches", "regexp_full_match", "regexp_replace"),
    ),
    Construct(
        "ordered_aggregate",
        "agg(x, sep order by y) (ORDER BY inside the call)",
        "parse error: string_agg(x, sep) within group (order by y) / array_sort(collect_list())",
        _ordered_aggregate,
    ),
    Construct(
        "try_cast",
        "try_cast()",
        "works in Spark 4.x",
        lambda m: _calls(m, "try_cast"),
        blocks=False,
    ),
    Construct(
        "string_type",
        "varchar / text type",
        "DDL and seeds: 'VARCHAR requires a length'; `string` works on both engines",
        _varchar,
    ),
    Construct(
        "duckdb_int_types",
        "hugeint / unsigned integer types",
        "no such types: bigint or decimal(38, 0)",
        lambda m: _types(m, _DUCKDB_ONLY_TYPES),
    ),
    Construct(
        "double_quoted_ident",
        '"quoted" identifier',
        "a string literal in Spark (identifiers take backticks): adapter.quote()",
        _double_quoted,
    ),
    Construct(
        "star_exclude",
        "select * exclude (...)",
        "parse error: Spark spells it * except (...)",
        _star_exclude,
    ),
    Construct(
        "arg_max",
        "arg_max() / arg_min()",
        "unknown: max_by() / min_by()",
        lambda m: _calls(m, "arg_max", "arg_min", "argmax", "argmin"),
    ),
    Construct(
        "quantile",
        "quantile_cont() / quantile_disc() / quantile()",
        "unknown: percentile() / percentile_cont(p) within group (order by x)",
        lambda m: _calls(m, "quantile_cont", "quantile_disc", "quantile"),
    ),
    Construct(
        "today",
        "today()",
        "unknown: current_date (and D comes from as_of_date() anyway)",
        lambda m: _calls(m, "today"),
    ),
    Construct(
        "format_printf",
        "format() / printf()",
        "format_string() with printf patterns; DuckDB's format() takes {} patterns",
        lambda m: _calls(m, "format", "printf"),
        blocks=False,
    ),
    Construct(
        "lambda",
        "x -> expr lambda",
        "Spark has lambdas in transform/filter/aggregate, under other function names",
        lambda m: _types(m, {TokenType.ARROW}),
        blocks=False,
    ),
    Construct(
        "hash",
        "hash()",
        "exists in Spark with other values (murmur3): not comparable across engines",
        lambda m: _calls(m, "hash"),
    ),
]


def compile_manifest(project_dir: Path, work: Path, target: str = "default") -> Path:
    """`dbt compile` on ``target`` (DuckDB: a scratch warehouse; spark: a scratch Spark
    folder, whose JVM starts only if a macro asks the metastore); returns the manifest."""
    dbt = Path(sys.executable).with_name("dbt")
    env = dict(os.environ)
    env.setdefault("CSWH_WAREHOUSE", str(work / "portability.duckdb"))
    if target == "default":
        env["CSWH_WAREHOUSE"] = str(work / "portability.duckdb")
    env.setdefault("CSWH_SPARK_DIR", str(work / "spark"))
    env.setdefault("CSWH_LAKE", str(work / "lake"))
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    cmd = [
        str(dbt),
        "compile",
        "--quiet",
        "--target",
        target,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"dbt compile failed:\n{done.stdout}\n{done.stderr}")
    return work / "target" / "manifest.json"


def load_models(manifest: Path) -> tuple[list[Model], dict[str, Model]]:
    """The compiled models (sorted by name) and each model's own SQL without Jinja. Compiled
    SQL is tokenized as DuckDB whatever the target: the constructs are DuckDB's, and a
    DuckDB spelling in Spark SQL (a "quoted" name, which Spark reads as a string) must be
    seen as what it is."""
    nodes = json.loads(manifest.read_text())["nodes"].values()
    dialect = sqlglot.Dialect.get_or_raise("duckdb")
    models = []
    sources = {}
    for node in nodes:
        if node["resource_type"] != "model" or node["package_name"] != "cswh":
            continue
        sql = node.get("compiled_code")
        if sql is None:
            sys.exit(f"{manifest}: model {node['name']} has no compiled SQL (run dbt compile)")
        models.append(Model(node["name"], node["original_file_path"], sql, dialect.tokenize(sql)))
        sources[node["name"]] = source_view(
            node["name"], node["original_file_path"], node["raw_code"]
        )
    return sorted(models, key=lambda m: m.name), sources


@dataclass(frozen=True)
class SqlglotResult:
    parses: bool
    spark_unsupported: tuple[str, ...]
    unknown_functions: tuple[str, ...]


def check_sqlglot(model: Model, read: str = "duckdb") -> SqlglotResult:
    try:
        tree = sqlglot.parse_one(model.sql, read=read)
    except sqlglot.errors.ParseError:
        return SqlglotResult(False, (), ())
    unknown = sorted({f.name.lower() for f in tree.find_all(exp.Anonymous)})
    spark = sqlglot.Dialect.get_or_raise("spark")
    generator = spark.generator(unsupported_level=ErrorLevel.IGNORE)
    generator.generate(tree.copy())
    return SqlglotResult(True, tuple(sorted(set(generator.unsupported_messages))), tuple(unknown))


def count_hits(models: list[Model]) -> dict[str, dict[str, int]]:
    """construct -> {model: hits} (models without a hit left out)."""
    return {c.key: {m.name: n for m in models if (n := c.count(m))} for c in CONSTRUCTS}


def render(
    models: list[Model],
    hits: dict[str, dict[str, int]],
    own: dict[str, dict[str, int]],
    glot: dict[str, SqlglotResult],
) -> str:
    out = [
        f"# DuckDB-only SQL in the compiled models ({len(models)} models, sqlglot "
        f"{sqlglot.__version__})",
        "",
        "## Per construct",
        "",
        "Compiled: in the SQL DuckDB runs (macros included: dbt's cross-database macros render "
        "DuckDB SQL here and Spark SQL on Spark). Own SQL: in the model file itself, Jinja "
        "taken out (model names marked * below).",
        "",
        "| construct | models (compiled) | hits | models (own SQL) | Spark 4.1 | which models |",
        "|---|---:|---:|---:|---|---|",
    ]
    for c in CONSTRUCTS:
        used = hits[c.key]
        mine = own[c.key]
        names = ", ".join(n + ("*" if n in mine else "") for n in sorted(used))
        row = f"| {c.label} | {len(used)} | {sum(used.values())} | {len(mine)} | {c.spark} |"
        out.append(f"{row} {names} |" if names else f"{row} |")
    unparsed = sorted(n for n, r in glot.items() if not r.parses)
    unsupported = {n: r.spark_unsupported for n, r in glot.items() if r.spark_unsupported}
    functions: dict[str, list[str]] = {}
    for name, result in glot.items():
        for f in result.unknown_functions:
            functions.setdefault(f, []).append(name)
    out += [
        "",
        "## sqlglot",
        "",
        f"- parse fails: {len(unparsed)} ({', '.join(unparsed) or 'none'})",
        f"- DuckDB -> Spark generation reports unsupported: {len(unsupported)} models",
    ]
    for name in sorted(unsupported):
        out.append(f"  - {name}: {'; '.join(unsupported[name])}")
    out.append(
        f"- own SQL not tokenizable once Jinja is taken out: {len(UNTOKENIZABLE)} "
        f"({', '.join(sorted(UNTOKENIZABLE)) or 'none'})"
    )
    out.append(f"- functions sqlglot does not know (exp.Anonymous): {len(functions)}")
    for f in sorted(functions):
        out.append(f"  - `{f}`: {len(functions[f])} ({', '.join(sorted(functions[f]))})")
    out += [
        "",
        "## Per model",
        "",
        "| model | hits (compiled) | hits (own SQL) | constructs: compiled / own |",
        "|---|---:|---:|---|",
    ]
    keys = {c.key: c.label for c in CONSTRUCTS}
    for m in models:
        found = {k: used[m.name] for k, used in hits.items() if m.name in used}
        mine = {k: used[m.name] for k, used in own.items() if m.name in used}
        detail = ", ".join(f"{keys[k]} ({n} / {mine.get(k, 0)})" for k, n in found.items())
        out.append(f"| {m.name} | {sum(found.values())} | {sum(mine.values())} | {detail} |")
    total = sum(1 for m in models if any(m.name in used for used in hits.values()))
    mine_total = sum(1 for m in models if any(m.name in used for used in own.values()))
    out += [
        "",
        f"{total} of {len(models)} models use at least one construct above once compiled; "
        f"{mine_total} in their own SQL.",
        "",
    ]
    return "\n".join(out)


def gate(
    models: list[Model],
    own: dict[str, dict[str, int]],
    hits: dict[str, dict[str, int]],
    glot: dict[str, SqlglotResult],
    dialect: str,
) -> list[str]:
    """What fails CI (`--check`): a model sqlglot cannot parse in the target's dialect, and a
    blocking construct: in the model's own SQL on DuckDB (a macro may write DuckDB SQL for
    DuckDB), anywhere in the compiled SQL on Spark (that is what Spark runs)."""
    found = hits if dialect == "spark" else own
    where = "compiled for Spark" if dialect == "spark" else "own SQL (Jinja taken out)"
    problems = [
        f"{m.name} ({m.path}): sqlglot cannot parse it as {dialect} SQL"
        for m in models
        if not glot[m.name].parses
    ]
    for c in CONSTRUCTS:
        if not c.blocks:
            continue
        for name, n in sorted(found[c.key].items()):
            problems.append(f"{name}: {c.label} x{n} in its {where}; Spark: {c.spark}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, help="a manifest.json with compiled_code")
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=Path(os.environ.get("CSWH_DBT_PROJECT_DIR", ROOT / "dbt")),
    )
    parser.add_argument("--markdown", type=Path, help="also write the inventory to this file")
    parser.add_argument(
        "--target",
        choices=("default", "spark"),
        default="default",
        help="the dbt target the manifest is compiled for (default: DuckDB)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="the CI gate: exit 1 listing every model sqlglot cannot parse in the target's "
        "dialect or that uses a construct Spark cannot run",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cswh-portability-") as work:
        manifest = args.manifest or compile_manifest(
            args.project_dir.resolve(), Path(work), args.target
        )
        models, sources = load_models(manifest)
    dialect = "spark" if args.target == "spark" else "duckdb"
    hits = count_hits(models)
    own = count_hits([sources[m.name] for m in models])
    glot = {m.name: check_sqlglot(m, dialect) for m in models}
    if args.check:
        problems = gate(models, own, hits, glot, dialect)
        for line in problems:
            print(line)
        print(
            f"portability gate ({dialect}): {len(models)} models, "
            + (f"{len(problems)} problem(s)" if problems else "all parse, none blocks Spark")
        )
        return 1 if problems else 0
    text = render(models, hits, own, glot)
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
