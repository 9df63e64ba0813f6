"""Sample source extracts with a known truth: ``python -m warehouse.synthetic``.

Writes a landing folder in the extract contract's layout (``<out>/<source>/<extract
date>/<entity>.<ext>``, one folder per daily delivery, every source of the contract)
from a generative model whose answers are known, so the pipeline's identity
resolution, segments, churn scores and recommendations can be measured against what
really happened. ``generate()`` is the function; the module entry point wraps it::

    python -m warehouse.synthetic --customers 5000 --days 180 --end-date 2026-03-31 \
        --seed 42 --out data/landing

The people
    Every person is a CRM customer with a planted persona. The persona sets the
    purchase rate, the dropout hazard, the browsing rate and pages per session, basket
    size, price level, the device mix, the share of purchases made in stores and in the
    app, email engagement, and a tilt towards some categories:

    ==================  =====  ==========  =========  ========  ======  =====  =======
    persona             share  orders/yr   mean life  sessions  basket  opens  stores
    ==================  =====  ==========  =========  ========  ======  =====  =======
    loyal_high_value    12%    23          7 yr       26/yr     2.6     55%    25%
    bargain_hunter      22%    10          2.3 yr     22/yr     1.8     30%    10%
    window_shopper      24%    2.4         2.7 yr     29/yr     1.2     15%    5%
    new_customer        14%    12          1.1 yr     18/yr     1.8     35%    15%
    lapsing             18%    13          3 months   15/yr     1.8     20%    15%
    store_loyalist      10%    17          3.4 yr     4/yr      2.4     25%    95%
    ==================  =====  ==========  =========  ========  ======  =====  =======

    (Rates are persona means; each person's purchase rate is the mean times a
    Gamma(3, 1/3) draw and their hazard the mean times a log-normal draw.)

    Purchases follow a Poisson process while the person is "alive" and stop at an
    exponentially distributed dropout time (the Pareto/NBD story behind Buy-Till-You-Die
    models). A person who has dropped out never orders again and browses at 8% of their
    former rate. New customers signed up in the last 60 days; everyone else up to three
    years before the end date, with a year of order history before the first extract
    date. Given the state at the end date, the probability of no order in the next 90
    days is known in closed form: 1 for people who have dropped out, otherwise
    ``h / (l + h) * (1 - exp(-(l + h) * 90)) + exp(-(l + h) * 90)`` for purchase rate
    ``l`` and hazard ``h`` per day. The 90 days after the end date are simulated with the
    same model but written only to the truth files.

    Tastes: the catalogue has 12 categories of 4 subcategories each. People belong to
    one of 24 taste clusters (two favourite categories and a favourite subcategory in
    each category); their category preferences are the cluster's favourites, the
    persona's tilt and individual Dirichlet noise. Products are drawn inside a
    subcategory by a Zipf-like popularity, so people of one cluster view and buy the
    same items and collaborative filtering has structure to find.

    Every person prefers a morning, lunchtime or evening hour for reading mail, has a
    main device (desktop, mobile or tablet by persona) and, on a quarter of their
    sessions, a second device of the other kind with its own anonymousId. Recent
    sign-ups browse anonymously for up to 30 days before they register; after
    registering, 55% of sessions log in, which sends an identify call tying the
    device's anonymousId to the customer id and email.

The extracts
    ====================================  ===========  ==================================
    file                                  delivered    content
    ====================================  ===========  ==================================
    ``crm/customers.csv``                 snapshots    everyone signed up by that day
    ``shop/products.csv``                 snapshots    ~customers/50 products (200-20k)
    ``shop/orders.csv``                   daily        web and app orders, by status
    ``shop/order_items.csv.gz``           daily        their lines
    ``pos/transactions.parquet``          daily        store purchases, one row a line
    ``web/events.jsonl.gz``               daily        Segment spec JSON lines
    ``email/email_events.csv.gz``         campaigns    sends and reactions
    ``privacy/consent.csv``               daily        grants and revokes per channel
    ``privacy/erasure_requests.csv``      daily        one person in 500
    ====================================  ===========  ==================================

    Snapshots arrive on the first extract date, every 30 days after it and on the end
    date. A quarter of CRM records change once (a move to another city and a new phone)
    and carry the change's time in ``updated_at`` from the next snapshot on; one product
    in ten is repriced once and retired products (4%) switch to ``is_active = false``
    on a day of the window. Incremental files hold that day's records; days without
    records have no file. History from before the first extract date (a year of orders,
    store purchases, signup consents) arrives with the first delivery as a backfill.

    Orders are delivered ``placed`` on the order day, re-delivered ``shipped`` the next
    day and with the final status later (``delivered`` after 3 days, ``cancelled`` after
    1 day for 4%, ``returned`` after 12 days for 5%), each with a later ``updated_at``.
    Store purchases carry only the loyalty card: none for people without one, and 20%
    of card holders' purchases are made without it. Web events: page views, searches,
    product views, cart adds and removes, cart views, checkouts and completed orders
    (web and app orders), with the device, campaign (newsletter or paid search), page,
    referrer, user agent and locale in ``context``; online hours peak in the evening,
    store hours in the afternoon. Email: weekly campaigns reach 60% of the people who
    granted email consent and have not revoked it; delivered (or bounced, 0.5%), opened
    at the person's preferred hour by persona engagement, clicked (30% of opens),
    unsubscribed (0.1-0.3%, which also records an email revoke in the consent feed) or
    reported as spam (0.05%); nothing is sent after an unsubscribe or spam report. Rows
    carry the customer id only (60%), the email only (10%) or both. Consent: at signup
    85% grant email, 35% sms, 55% ads and 75% personalization; 3% of grants are revoked
    later; 10% of consent rows are keyed by email instead of customer id.

Dirty data, at realistic rates (each well under 1% of any large file's rows)
    * The same person twice in the CRM (2% of people): a second customer id created 40
      days later, the email upper-cased with leading spaces, a typo in the first name,
      the phone in national format; the same loyalty card (shared evidence).
    * Shared identifiers that must not link people: ``test@example.com`` on 0.08% of
      CRM records (and always on a few), the store's default loyalty card ``L99999999``
      on 5% of card-less store purchases, a crawler's anonymousId
      (``a-bot-000000000000001``) with 24 page views an hour per 5,000 customers (at
      least 24 a day) and no login.
    * Emails with an upper-case first letter (5% of CRM records), lower-case country
      codes (3%), phones in mixed ``+44 123 456789`` and national formats as each
      country writes them (``01234 56789``, ``(212) 345-6789``, Italy's ``0612 345678``),
      missing phones (20%) and birth dates (10%), no region.
    * One timestamp in ten (CRM, orders, web, email, consent) carries a ``+01:00``
      offset instead of ``Z``.
    * Web events replayed with the same messageId the next day (0.3%) or twice in the
      same file (0.1%), arriving one to three days late (1%), broken (truncated) JSON
      lines (0.03%).
    * Unparseable order timestamps (``not-a-date``) and totals (``N/A``) on 0.05% of
      placed orders each, negative quantities on 0.1% of order and store lines,
      non-numeric unit prices (``n/a``) on 0.05% of order lines, impossible email event
      timestamps (``31/02/2026 25:00``) on 0.05% of email events.

The truth (``<out>/_truth/``, never loaded)
    ``people.parquet`` (person_key, persona, churn_probability, ordered_next_90d: any
    order, web, app or store, in the 90 days after the end date),
    ``identifiers.parquet`` (person_key, identifier_type in customer_id, email,
    loyalty_id, anonymous_id; identifier_value as delivered in the CRM and web events;
    the shared identifiers above are left out because they belong to nobody) and
    ``future_orders.parquet`` (person_key, order_ts, product_id for every order line in
    the 90 days after the end date). The person key ``K00000123`` is the person behind
    customer id ``C00000123`` (and the duplicate record, if any).

Determinism and scale
    The same arguments give byte-identical files. People are simulated in chunks of
    10,000 with numpy, each chunk from its own generator seeded by (seed, chunk), and
    staged in a scratch DuckDB database under ``<out>`` (removed afterwards); every
    entity is then rendered with SQL (identifiers, formats and dirty data use hashes of
    keys, not random draws). The low-volume entities are sorted once and written one
    file per extract date with ``COPY``. Web and email events are rendered one chunk at
    a time and appended to each day's file as a gzip member (a gzip file may hold
    several; gzip, Python and DuckDB read them as one stream), compressed at level 1 on
    a writer thread while DuckDB renders the next chunk. DuckDB's memory limit (2 GB by
    default) bounds memory; it spills to the scratch folder.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from warehouse.synthetic.render import build_views
from warehouse.synthetic.render.web import BOT_CHUNK
from warehouse.synthetic.simulate import make_world, simulate_chunk
from warehouse.synthetic.truth import write_truth
from warehouse.synthetic.writer import write_extracts

CHUNK_PEOPLE = 10_000
SOURCES = ("crm", "shop", "pos", "web", "email", "privacy")

__all__ = ["generate"]


def generate(
    customers: int,
    days: int,
    end_date: dt.date | str,
    seed: int,
    out: Path | str,
    *,
    memory_limit: str = "2GB",
) -> dict:
    """Write sample extracts and their truth to ``out``.

    Args:
        customers: Number of people (CRM customers before duplicates).
        days: Number of daily deliveries, ending on ``end_date``.
        end_date: The last extract date (a date or ``YYYY-MM-DD``).
        seed: Seed of every random draw.
        out: The landing folder to write; its source folders are replaced.
        memory_limit: DuckDB memory limit for the scratch database.

    Returns:
        Rows, bytes and files per entity (``entities``), the number of web events
        (``events``), the wall time and the seconds spent per stage (``timings``).
    """
    started = time.perf_counter()
    if isinstance(end_date, str):
        end_date = dt.date.fromisoformat(end_date)
    timings: dict[str, float] = {}

    def lap(stage: str, since: float) -> float:
        now = time.perf_counter()
        timings[stage] = round(now - since, 1)
        return now

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
                        f"create table {name} as select 0::int as chunk, * from _chunk where false"
                    )
                con.execute(f"insert into {name} select {chunk}, * from _chunk")
                con.unregister("_chunk")
        mark = lap("simulate and stage", started)
        build_views(con, world, customers)
        mark = lap("build tables", mark)
        chunks = [*range(len(range(0, customers, CHUNK_PEOPLE))), BOT_CHUNK]
        summary = write_extracts(con, out, chunks, timings)
        mark = time.perf_counter()
        write_truth(con, world, out)
        lap("write truth", mark)
        con.close()
    return {
        "customers": customers,
        "days": days,
        "end_date": end_date.isoformat(),
        "seed": seed,
        "entities": summary,
        "events": summary["web/events"]["rows"],
        "wall_s": round(time.perf_counter() - started, 1),
        "timings": timings,
    }
