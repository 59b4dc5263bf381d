"""Extraction: landing-zone files -> DuckDB schema ``raw`` (+ ``dq`` bookkeeping).

``ensure_schemas(con)`` creates the raw tables, ``dq.load_manifest`` and ``dq.quarantine``;
``load_source(con, data_dir, source, run_id, log)`` loads the new files of one source system
and returns a ``SourceResult`` (one ``FileResult`` per manifest row it wrote).
See ``loader.py`` for how duplicates, failures and crashes are handled.
"""

from .loader import load_source
from .results import FileResult, SourceResult
from .schema import ensure_schemas

__all__ = ["FileResult", "SourceResult", "ensure_schemas", "load_source"]
