"""The dbt-duckdb plugin of the project: the warehouse's Python functions, callable in SQL.

``dbt_project/profiles.yml`` lists this module under ``plugins``, so every connection
dbt opens (the nightly build and an analyst's ``dbt build`` alike) has:

- ``phone_e164(phone, country)``: the phone in E.164, or null when it is not a usable
  number (:func:`warehouse.phones.normalize_phone`);
- ``phone_problem(phone, country)``: why not, or null.

The functions take Arrow vectors, so DuckDB calls Python once per chunk of rows, not
once per row. Models that call them are tables (a view would need them at read time,
in connections dbt did not open).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb.sqltypes import VARCHAR

from warehouse.phones import Phone, normalize_phone


def _vectorised(field: Callable[[Phone], str | None]) -> Callable[[pa.Array, pa.Array], pa.Array]:
    """An Arrow function over (phone, country) vectors returning one field of the reading."""

    def apply(phones: pa.Array, countries: pa.Array) -> pa.Array:
        return pa.array(
            [
                field(normalize_phone(phone, country))
                for phone, country in zip(phones.to_pylist(), countries.to_pylist(), strict=True)
            ],
            type=pa.string(),
        )

    return apply


FUNCTIONS: dict[str, Callable[[pa.Array, pa.Array], pa.Array]] = {
    "phone_e164": _vectorised(lambda phone: phone.e164),
    "phone_problem": _vectorised(lambda phone: phone.problem),
}


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Create the project's SQL functions on a DuckDB connection."""
    for name, function in FUNCTIONS.items():
        con.create_function(
            name,
            function,
            [VARCHAR, VARCHAR],
            VARCHAR,
            type="arrow",
            null_handling="special",
            side_effects=False,
        )


class Plugin(BasePlugin):
    """dbt-duckdb's hook: registers :data:`FUNCTIONS` on each connection dbt opens."""

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        """Called by dbt-duckdb for every new connection."""
        register(conn)
