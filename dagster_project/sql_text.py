"""Quoting for SQL that Python writes (DuckDB's rules, which are standard SQL's): the one
home of it for the extractor, the dq DDL, the publish and the quality suites."""

from __future__ import annotations


def ident(*parts: str) -> str:
    """A quoted identifier, dotted when qualified: ident("dq", "load_manifest")."""
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


def literal(text: str) -> str:
    """A quoted string literal."""
    return "'" + text.replace("'", "''") + "'"
