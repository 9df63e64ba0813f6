"""Render the simulated behaviour as one SQL view per extract entity, per source.

Each ``out_<source>_<entity>`` view has an ``extract_day`` column (the delivery it
belongs to) and a ``_key`` to sort by; :mod:`warehouse.synthetic.writer` writes them.
The sources build on each other in this order: the CRM records are the people of the
shop, pos and privacy files, the order facts those of the web events.
"""

from __future__ import annotations

import duckdb

from warehouse.synthetic.render import crm, email, pos, privacy, shop, web
from warehouse.synthetic.simulate import World


def snapshots(con: duckdb.DuckDBPyConnection, world: World) -> None:
    """``snapshot_days``: the first and last extract days and every 30th day between."""
    start, end = world.start_day, world.end_day
    snapshots = sorted({start, end, *range(start, end + 1, 30)})
    con.execute("create or replace table snapshot_days (extract_day bigint)")
    con.executemany("insert into snapshot_days values (?)", [[d] for d in snapshots])


def build_views(con: duckdb.DuckDBPyConnection, world: World, n_people: int) -> None:
    """Create one SQL view per entity with an ``extract_day`` column and a sort key."""
    snapshots(con, world)
    crm.render(con, world, n_people)
    shop.render(con, world)
    pos.render(con, world)
    web.render(con, world, n_people)
    email.render(con, world)
    privacy.render(con, world)
