"""The one GX store kept on disk: validation results, for Data Docs.

Runs of different warehouses can share a docs dir, and `cswh docs` can render while a run
validates, so no process writes a file that another one writes too. Each validation result
is its own file (suite, run, time, batch in its path), written to a temporary name and
renamed into place, so a reader sees it whole or not at all. Everything else a GX context
holds (datasources, suites, validation definitions) stays in memory.

The layout is that of GX's file context (``<docs>/gx/uncommitted/validations``), so results
stored by earlier versions still appear in Data Docs.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from great_expectations.data_context.store.tuple_store_backend import (
    TupleFilesystemStoreBackend,
)

VALIDATIONS_DIR = Path("gx") / "uncommitted" / "validations"  # under the docs dir


class AtomicTupleFilesystemStoreBackend(TupleFilesystemStoreBackend):
    """GX's filesystem backend, but a file appears only once it is complete."""

    def _set(self, key, value, **kwargs):
        if not isinstance(key, tuple):
            key = key.to_tuple()
        path = Path(self.full_base_directory, self._convert_key_to_filepath(key))
        path.parent.mkdir(parents=True, exist_ok=True)
        # Not ending in the store's suffix (.json): list_keys never sees a half-written file.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            tmp.write_bytes(value.encode("utf-8") if isinstance(value, str) else value)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return str(path)


def validation_results_store(docs_dir: Path) -> dict:
    """Store config: validation results as files under ``docs_dir``."""
    return {
        "class_name": "ValidationResultsStore",
        "store_backend": {
            "class_name": AtomicTupleFilesystemStoreBackend.__name__,
            "module_name": __name__,
            "base_directory": str(docs_dir / VALIDATIONS_DIR),
            # The backend id file would be one more file that every process writes.
            "suppress_store_backend_id": True,
        },
    }
