"""dbt-duckdb plugin: every dbt connection knows the person-key salt as the DuckDB variable
``cswh_person_key_salt`` (read by the dbt macro ``person_key`` with ``getvariable``).

profiles.yml passes the salt from ``DBT_ENV_SECRET_CSWH_PERSON_KEY_SALT`` (dbt allows secret
variables only there and scrubs their values from its logs). When dbt is started by hand
without it, the salt comes from where cswh keeps it (privacy.person_key_salt), so the keys
are the same either way.
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from dagster_project.privacy import person_key_salt

VARIABLE = "cswh_person_key_salt"


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self._salt = str(plugin_config.get("salt") or "") or person_key_salt()

    def configure_connection(self, conn) -> None:
        conn.execute(f"set variable {VARIABLE} = ?", [self._salt])

    def configure_cursor(self, cursor) -> None:
        cursor.execute(f"set variable {VARIABLE} = ?", [self._salt])
