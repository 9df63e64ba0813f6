"""Sample source extracts with a known truth: ``python -m warehouse.synthetic``.

Writes a landing folder in the extract contract's layout (one folder per extract
date, every source of the contract) from a generative model whose answers are known,
so the pipeline's models can be measured against what really happened.

The model
    People are CRM customers with a planted persona: ``loyal_high_value``,
    ``bargain_hunter``, ``window_shopper``, ``new_customer``, ``lapsing`` and
    ``store_loyalist``. The persona sets the purchase rate, the dropout hazard, the
    browsing rate and pages per session, basket size, price level, device mix, the
    share of purchases made in stores and in the app, and email engagement (each
    person also has a preferred hour for opening mail). Purchases follow a Poisson
    process while the person is "alive" and stop at an exponentially distributed
    dropout time (the Pareto/NBD story behind Buy-Till-You-Die models), so the true
    probability of no order in the 90 days after the end date is known in closed form.
    Every person prefers two categories and, in each category, one subcategory; items
    are drawn by long-tail popularity inside a subcategory, which gives collaborative
    filtering co-purchase structure to learn. The 90 days after the end date are
    simulated too, but only written to the truth files.

The extracts
    ``crm/customers.csv`` and ``shop/products.csv`` are full snapshots on the first day,
    every 30 days and the end date. ``shop/orders.csv`` (web and app orders; placed,
    then re-delivered with their final status: delivered, cancelled or returned),
    ``shop/order_items.csv.gz``, ``pos/transactions.parquet`` (store purchases that
    carry only a loyalty card, or none), ``web/events.jsonl.gz`` (Segment spec: page
    views, identify calls on login that tie an anonymousId to the customer id, product
    views, cart adds and removes, checkouts, completed orders),
    ``email/email_events.csv.gz`` (weekly campaigns: sent, delivered, bounce, open,
    click, unsubscribe), ``privacy/consent.csv`` (grants at signup per channel, later
    revokes, unsubscribes) and ``privacy/erasure_requests.csv`` arrive daily. Orders
    and store purchases older than the first extract date arrive with the first
    delivery, as a historical backfill.

Dirty data, at realistic rates
    * Erasure requests from one person in 500, by customer id or email.
    * The same person twice in the CRM (2% of people): a second customer id, the email
      upper-cased with leading spaces, a typo in the first name, the phone in national
      format; the loyalty card is shared.
    * Shared identifiers that must not link people: ``test@example.com`` on 0.08% of
      CRM records, a store's default loyalty card ``L99999999`` on 5% of card-less
      store purchases, a crawler's anonymousId with 24 page views a day.
    * Emails with upper-case letters (5%), lower-case country codes (3%), phones in
      mixed international and national formats, missing phones (20%) and birth dates
      (10%).
    * Web events replayed the next day with the same messageId (0.3%), arriving one to
      three days late (1%), broken JSON lines (0.03%); one timestamp in ten carries a
      ``+01:00`` offset instead of ``Z``.
    * Unparseable order timestamps and totals (0.05% each), negative quantities
      (0.1% of order and store lines), impossible email event timestamps (0.05%).

The truth (``<out>/_truth/``, never loaded)
    ``people.parquet`` (person_key, persona, churn_probability, ordered_next_90d),
    ``identifiers.parquet`` (person_key, identifier_type, identifier_value as
    delivered) and ``future_orders.parquet`` (person_key, order_ts, product_id for every
    order line in the 90 days after the end date).

Determinism and scale
    The same arguments give byte-identical files. People are simulated in chunks with
    numpy, each chunk from its own generator seeded by (seed, chunk); rendering and
    writing is DuckDB SQL over a scratch database, so memory stays bounded.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from warehouse.synthetic.deliver import build_views, write_extracts, write_truth
from warehouse.synthetic.simulate import make_world, simulate_chunk

CHUNK_PEOPLE = 50_000
SOURCES = ("crm", "shop", "pos", "web", "email", "privacy")

__all__ = ["generate"]


def generate(
    customers: int,
    days: int,
    end_date: dt.date,
    seed: int,
    out: Path | str,
    *,
    memory_limit: str = "3GB",
) -> dict:
    """Write sample extracts and their truth to ``out``.

    Args:
        customers: Number of people (CRM customers before duplicates).
        days: Number of daily deliveries, ending on ``end_date``.
        end_date: The last extract date.
        seed: Seed of every random draw.
        out: The landing folder to write; its source folders are replaced.
        memory_limit: DuckDB memory limit for the scratch database.

    Returns:
        Rows, bytes and files per entity, total events, and the wall time.
    """
    started = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for source in (*SOURCES, "_truth"):
        if (out / source).exists():
            shutil.rmtree(out / source)
    world = make_world(customers, days, end_date, seed)
    with tempfile.TemporaryDirectory(prefix=".synthetic-", dir=out) as scratch:
        con = duckdb.connect(str(Path(scratch) / "work.duckdb"))
        con.execute(
            f"set memory_limit = '{memory_limit}'; set preserve_insertion_order = true;"
            f"set temp_directory = '{scratch}/spill'; set enable_progress_bar = false"
        )
        products = world.products  # noqa: F841 - read by DuckDB's replacement scan
        con.execute("create table products as select * from products")
        con.execute(
            "create table products_idx as "
            "select (row_number() over () - 1)::bigint as idx, * from products"
        )
        for chunk, first in enumerate(range(0, customers, CHUNK_PEOPLE)):
            sim = simulate_chunk(world, first, min(CHUNK_PEOPLE, customers - first), seed, chunk)
            for name in ("people", "orders", "lines", "sessions", "views", "emails"):
                table = getattr(sim, name)
                con.register("_chunk", table)
                if chunk == 0:
                    con.execute(
                        f"create table {name} as select {chunk}::int as chunk, "
                        "row_number() over () - 1 as row_idx, * from _chunk where false"
                    )
                con.execute(
                    f"insert into {name} select {chunk}, row_number() over () - 1, * from _chunk"
                )
                con.unregister("_chunk")
        con.execute("alter table sessions rename column row_idx to session")
        for name in ("people", "orders", "lines", "views", "emails"):
            con.execute(f"alter table {name} drop column row_idx")
        build_views(con, world, customers)
        summary = write_extracts(con, out)
        write_truth(con, world, out)
        con.close()
    return {
        "customers": customers,
        "days": days,
        "end_date": end_date.isoformat(),
        "seed": seed,
        "entities": summary,
        "events": summary["web/events"]["rows"],
        "wall_s": round(time.perf_counter() - started, 1),
    }
