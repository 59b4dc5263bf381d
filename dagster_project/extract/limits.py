"""Bounds on what one landing-zone file may ask of the loader (one place for all of them).

A delivery is data from outside: a file with one enormous line (a missing newline, a
runaway quote, a hostile upload) or JSON nested a hundred thousand levels deep must fail
that file or that record with a clear manifest message, never exhaust the memory or the
stack of the process that loads every other source.

``CSWH_MAX_LINE_MB`` overrides the line bound for a site whose exports really carry longer
records; the depth bound has no override (no contract record is deeper than 3 levels).
"""

from __future__ import annotations

import os

# Longest physical line (bytes between line breaks) of a CSV or JSONL file. The longest
# real record is a seminar with its registrations on one JSONL line: 1,000 registrations
# are ~150 kB, so 16 MB leaves two orders of magnitude. A file with a longer line is
# rejected whole, having read at most this much of it (the loader streams it in chunks and
# stops at the first line over the bound). The same bound caps one CSV field (csv module).
MAX_LINE_BYTES = int(float(os.environ.get("CSWH_MAX_LINE_MB", "16")) * 1024 * 1024)

# Deepest nesting of arrays and objects in one JSONL record. Contract records are at most
# 3 deep (seminar -> registrations -> registration); unknown extra fields are kept, so
# allow more, but far below Python's recursion limit (~1,000), where json.loads would raise
# RecursionError and take the whole source down. A deeper record is quarantined alone.
MAX_JSON_DEPTH = 64

# Bytes read per step when a text file is streamed (must not exceed MAX_LINE_BYTES).
READ_CHUNK_BYTES = min(1024 * 1024, MAX_LINE_BYTES)


def mb(n: int) -> str:
    """16777216 -> '16 MB' (for messages)."""
    return f"{n / (1024 * 1024):g} MB"
