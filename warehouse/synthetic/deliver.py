"""Turn simulated behaviour into daily extract files, dirty the way real exports are.

The simulated arrays of every chunk are staged in a scratch DuckDB database; each
entity is then rendered with SQL (identifiers, formats, dirty data) and written one
file per extract date with DuckDB ``COPY``, in a stable order, so a seed always gives
byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb

from warehouse.synthetic.simulate import CITIES, DIAL, HORIZON_DAYS, World

EPOCH = dt.date(1970, 1, 1)


def day_str(day: int) -> str:
    """Epoch day number to ``YYYY-MM-DD``."""
    return (EPOCH + dt.timedelta(days=int(day))).isoformat()


def _u(key: str, salt: str) -> str:
    """A deterministic uniform number in [0, 1) derived from a key (SQL)."""
    return f"(hash({key}, '{salt}') % 1000000) / 1000000.0"


def _ts(seconds: str, salt: str) -> str:
    """ISO 8601 text for epoch seconds; one in ten carries a +01:00 offset (SQL)."""
    return (
        f"case when {_u(seconds, salt)} < 0.1 "
        f"then strftime(to_timestamp({seconds} + 3600), '%Y-%m-%dT%H:%M:%S') || '+01:00' "
        f"else strftime(to_timestamp({seconds}), '%Y-%m-%dT%H:%M:%SZ') end"
    )


def build_views(con: duckdb.DuckDBPyConnection, world: World, n_people: int) -> None:
    """Create one SQL view per entity with an ``extract_day`` column and a sort key."""
    start, end = world.start_day, world.end_day
    city_case = " ".join(
        f"when '{c}' then [{', '.join(repr(x) for x in cities)}][city_idx + 1]"
        for c, cities in CITIES.items()
    )
    dial_case = " ".join(f"when '{c}' then '{d}'" for c, d in DIAL.items())
    con.execute(
        f"""
        create or replace table crm_records as
        with base as (
            select
                person,
                'C' || lpad(person::varchar, 8, '0') as customer_id,
                lower(first_name) || '.' || lower(replace(last_name, ' ', '')) || person
                    || '@mail.example' as email_clean,
                first_name, last_name, country, gender, birth_year, city_idx,
                case when has_loyalty then 'L' || lpad(person::varchar, 8, '0') end as loyalty_id,
                case country {dial_case} end as dial, phone_digits::varchar as digits,
                signup_day * 86400 + 36000 + (hash(person, 'c') % 30000)::bigint as created_s,
                false as is_duplicate
            from people
        ),
        dupes as (
            select
                person,
                'C' || lpad(({n_people} + row_number() over (order by person))::varchar, 8, '0'),
                email_clean, first_name || 'h', last_name, country, gender, birth_year, city_idx,
                loyalty_id, dial, digits, created_s + 86400 * 40, true
            from base where {_u("person", "dup")} < 0.02
        )
        select * from base union all select * from dupes
        """
    )
    con.execute(
        f"""
        create or replace view crm_rendered as
        select
            customer_id,
            case
                when {_u("customer_id", "test")} < 0.0008 then 'test@example.com'
                when is_duplicate then '  ' || upper(email_clean)
                when {_u("customer_id", "case")} < 0.05 then upper(left(email_clean, 1))
                    || substr(email_clean, 2)
                else email_clean
            end as email,
            case
                when {_u("customer_id", "ph")} < 0.2 then null
                when is_duplicate or {_u("customer_id", "ph2")} < 0.3
                    then '0' || substr(digits, 1, 4) || ' ' || substr(digits, 5)
                else '+' || dial || ' ' || substr(digits, 1, 3) || ' ' || substr(digits, 4)
            end as phone,
            first_name, last_name,
            case when {_u("customer_id", "bd")} < 0.1 then null
                 else make_date(birth_year::int, 1 + (hash(customer_id) % 12)::int,
                                1 + (hash(customer_id, 'd') % 28)::int)::varchar end as birth_date,
            gender,
            case country {city_case} end as city,
            null::varchar as region,
            case when {_u("customer_id", "cc")} < 0.03 then lower(country) else country end
                as country,
            lpad((hash(customer_id, 'pc') % 99999)::varchar, 5, '0') as postal_code,
            loyalty_id,
            created_s, person
        from crm_records
        """
    )
    snapshots = sorted({start, end, *range(start, end + 1, 30)})
    con.execute("create or replace table snapshot_days (extract_day bigint)")
    con.executemany("insert into snapshot_days values (?)", [[d] for d in snapshots])
    con.execute(
        f"""
        create or replace view out_crm_customers as
        select s.extract_day, customer_id, email, phone, first_name, last_name, birth_date,
               gender, city, region, country, postal_code, loyalty_id,
               {_ts("created_s", "ca")} as created_at,
               {_ts("created_s", "ua")} as updated_at,
               customer_id as _key
        from crm_rendered c join snapshot_days s on c.created_s < (s.extract_day + 1) * 86400
        """
    )
    con.execute(
        f"""
        create or replace view out_shop_products as
        select s.extract_day, product_id, name, category, subcategory, brand,
               price::varchar as price, is_active,
               strftime(to_timestamp({(start - 400) * 86400}), '%Y-%m-%dT%H:%M:%SZ')
                   as updated_at,
               product_id as _key
        from products, snapshot_days s
        """
    )
    # Orders: web and app orders; history before the first extract date arrives with
    # the first delivery; final statuses are re-delivered later with a new updated_at.
    con.execute(
        f"""
        create or replace table order_facts as
        select o.chunk, o.order_seq, o.person, o.order_seconds, o.order_day, o.is_store,
               o.is_app, o.status,
               'O' || lpad(o.chunk::varchar, 4, '0') || lpad(o.order_seq::varchar, 8, '0')
                   as order_id,
               sum(l.quantity * l.unit_price) as subtotal,
               count(*) as n_lines
        from orders o join lines l using (chunk, order_seq)
        where o.order_day <= {end}
        group by all
        """
    )
    con.execute(
        f"""
        create or replace view order_versions as
        select *, greatest(order_day, {start}) as extract_day, 'placed' as version_status,
               order_seconds as updated_s
        from order_facts where not is_store
        union all
        select *, order_day + case status when 'cancelled' then 1 when 'returned' then 12
                                          else 3 end as extract_day,
               status, (order_day + case status when 'cancelled' then 1
                                                when 'returned' then 12 else 3 end)
                   * 86400 + 43200
        from order_facts
        where not is_store
          and order_day + case status when 'cancelled' then 1 when 'returned' then 12
                                      else 3 end between {start} and {end}
        """
    )
    con.execute(
        f"""
        create or replace view out_shop_orders as
        select extract_day, order_id,
               'C' || lpad(person::varchar, 8, '0') as customer_id,
               case when {_u("order_id", "badts")} < 0.0005 and version_status = 'placed'
                    then 'not-a-date' else {_ts("order_seconds", "ots")} end as order_ts,
               case when is_app then 'app' else 'web' end as channel,
               'EUR' as currency,
               round(subtotal, 2)::varchar as subtotal,
               round(case when subtotal > 100 then subtotal * 0.1 else 0 end, 2)::varchar
                   as discount,
               case when subtotal < 50 then '4.99' else '0.00' end as shipping,
               case when {_u("order_id", "badtot")} < 0.0005 and version_status = 'placed'
                    then 'N/A'
                    else round(subtotal - case when subtotal > 100 then subtotal * 0.1 else 0 end
                               + case when subtotal < 50 then 4.99 else 0 end, 2)::varchar
               end as total,
               version_status as status,
               strftime(to_timestamp(updated_s), '%Y-%m-%dT%H:%M:%SZ') as updated_at,
               order_id || version_status as _key
        from order_versions
        """
    )
    con.execute(
        f"""
        create or replace view out_shop_order_items as
        select greatest(f.order_day, {start}) as extract_day, f.order_id, l.line_number,
               p.product_id,
               case when {_u("f.order_id || l.line_number", "neg")} < 0.001 then '-1'
                    else l.quantity::varchar end as quantity,
               l.unit_price::varchar as unit_price,
               f.order_id || lpad(l.line_number::varchar, 4, '0') as _key
        from order_facts f join lines l using (chunk, order_seq)
        join products_idx p on p.idx = l.product
        where not f.is_store
        """
    )
    con.execute(
        f"""
        create or replace view out_pos_transactions as
        select greatest(f.order_day, {start}) as extract_day,
               'T' || substr(f.order_id, 2) as transaction_id,
               l.line_number::int as line_number,
               'S' || lpad((hash(f.person, 'store') % {world.store_count})::varchar, 3, '0')
                   as store_id,
               case when c.loyalty_id is not null and {_u("f.order_id", "card")} >= 0.2
                        then c.loyalty_id
                    when {_u("f.order_id", "dflt")} < 0.05 then 'L99999999'
               end as loyalty_id,
               strftime(to_timestamp(f.order_seconds), '%Y-%m-%dT%H:%M:%SZ') as transaction_ts,
               p.product_id,
               case when {_u("f.order_id || l.line_number", "neg")} < 0.001 then -1
                    else l.quantity end::int as quantity,
               l.unit_price as unit_price,
               f.order_id || lpad(l.line_number::varchar, 4, '0') as _key
        from order_facts f join lines l using (chunk, order_seq)
        join products_idx p on p.idx = l.product
        left join (select person, loyalty_id from crm_records where not is_duplicate) c
            using (person)
        where f.is_store
        """
    )
    _build_web(con, world)
    _build_email_and_privacy(con, world)


def _build_web(con: duckdb.DuckDBPyConnection, world: World) -> None:
    start, end = world.start_day, world.end_day
    anon = "'a-' || left(md5(person::varchar || '-' || device_slot::varchar), 20)"
    con.execute(
        f"""
        create or replace table web_sessions as
        select s.chunk, s.session, s.person, s.session_seconds, s.session_day, s.views,
               case when {_u("s.chunk || '-' || s.session", "dev2")} < 0.25 then 1 else 0 end
                   as device_slot,
               s.session_day >= p.signup_day
                   and {_u("s.chunk || '-' || s.session", "login")} < 0.55 as logged_in,
               p.device, p.signup_day, p.country, p.first_name, p.last_name
        from sessions s join people p using (person)
        """
    )
    ctx = (
        "{'page': {'url': 'https://shop.example' || {path}, 'referrer': {ref}}, "
        "'userAgent': case device when 'mobile' then 'Mozilla/5.0 (iPhone)' "
        "when 'tablet' then 'Mozilla/5.0 (iPad)' else 'Mozilla/5.0 (X11; Linux x86_64)' end, "
        "'device': {'type': device}, "
        "'campaign': {campaign}, "
        "'ip': '10.' || (person % 250)::varchar || '.0.1', "
        "'locale': lower(country) || '-' || country}"
    )
    campaign = (
        "case when {u} < 0.3 then {'source': 'newsletter', 'medium': 'email', "
        "'name': 'weekly'} when {u} < 0.45 then {'source': 'google', 'medium': 'cpc', "
        "'name': 'brand'} end"
    )
    sess_key = "chunk::varchar || '-' || session::varchar"
    con.execute(
        f"""
        create or replace table web_event_rows as
        -- one page view at the start of each session
        select session_seconds as ts, {sess_key} || '-p' as key, 'page' as type,
               null as event, {anon} as anonymous_id,
               case when logged_in then 'C' || lpad(person::varchar, 8, '0') end as user_id,
               null::struct(product_id varchar, category varchar, price double,
                            quantity int, order_id varchar, revenue double,
                            query varchar, url varchar) as properties,
               null::struct(email varchar) as traits,
               {
            ctx.replace("{path}", "'/'")
            .replace("{ref}", "'https://www.google.com/'")
            .replace("{campaign}", campaign.replace("{u}", _u(sess_key, "cmp")))
        }
                   as context
        from web_sessions
        union all
        -- logging in ties the device's anonymousId to the customer id
        select session_seconds + 5, {sess_key} || '-i', 'identify', null, {anon},
               'C' || lpad(person::varchar, 8, '0'), null,
               {{'email': lower(first_name) || '.' || lower(replace(last_name, ' ', ''))
                          || person || '@mail.example'}},
               {
            ctx.replace("{path}", "'/login'").replace("{ref}", "null").replace("{campaign}", "null")
        }
        from web_sessions
        where logged_in
        union all
        select w.session_seconds + 20 + v.offset_s, {
            sess_key.replace("chunk", "w.chunk").replace("session::", "w.session::")
        } || '-v' || v.offset_s::varchar || '-' || kind.k::varchar,
               'track',
               kind.event, {anon.replace("person", "w.person")},
               case when w.logged_in then 'C' || lpad(w.person::varchar, 8, '0') end,
               {{'product_id': p.product_id, 'category': p.category, 'price': p.price,
                 'quantity': case when kind.event = 'Product Viewed' then null else 1 end,
                 'order_id': null, 'revenue': null, 'query': null,
                 'url': 'https://shop.example/p/' || p.product_id}},
               null,
               {
            ctx.replace("{path}", "'/p/' || p.product_id")
            .replace("{ref}", "null")
            .replace("{campaign}", "null")
            .replace("person", "w.person")
        }
        from views v join web_sessions w using (chunk, session)
        join products_idx p on p.idx = v.product
        join (values ('Product Viewed', 0), ('Product Added', 1), ('Product Removed', 2))
            kind(event, k)
            on kind.k = 0 or (kind.k = 1 and v.cart_add) or (kind.k = 2 and v.cart_remove)
        union all
        -- web and app orders: checkout and completion, logged in
        select f.order_seconds - 60 + kind.k * 55, f.order_id || '-' || kind.k::varchar, 'track',
               kind.event, 'a-' || left(md5(f.person::varchar || '-0'), 20),
               'C' || lpad(f.person::varchar, 8, '0'),
               {{'product_id': null, 'category': null, 'price': null, 'quantity': f.n_lines,
                 'order_id': f.order_id, 'revenue': round(f.subtotal, 2), 'query': null,
                 'url': 'https://shop.example/checkout'}},
               null,
               {{'page': {{'url': 'https://shop.example/checkout', 'referrer': null}},
                 'userAgent': 'Mozilla/5.0', 'device': {{'type': p.device}}, 'campaign': null,
                 'ip': '10.0.0.1', 'locale': lower(p.country) || '-' || p.country}}
        from order_facts f join people p using (person)
        join (values ('Checkout Started', 0), ('Order Completed', 1)) kind(event, k) on true
        where not f.is_store and f.order_day >= {start}
        union all
        -- a crawler: thousands of anonymous page views, never logs in
        select d * 86400 + h * 3600, 'bot-' || d::varchar || '-' || h::varchar, 'page', null,
               'a-bot-000000000000001', null, null, null,
               {{'page': {{'url': 'https://shop.example/p/' || h::varchar, 'referrer': null}},
                 'userAgent': 'Mozilla/5.0 (compatible; crawler)', 'device': {{'type': 'desktop'}},
                 'campaign': null, 'ip': '192.0.2.1', 'locale': 'en-US'}}
        from range({start}, {end + 1}) r(d), range(0, 24) q(h)
        """
    )
    con.execute(
        f"""
        create or replace view out_web_events as
        with rendered as (
            select floor(ts / 86400)::bigint as event_day, ts,
                   'm-' || left(md5(key), 24) as message_id,
                   to_json({{'messageId': 'm-' || left(md5(key), 24), 'type': type,
                             'event': event, 'anonymousId': anonymous_id, 'userId': user_id,
                             'timestamp': {_ts("ts", "wts")}, 'properties': properties,
                             'traits': traits, 'context': context}})::varchar as line
            from web_event_rows
            where ts < {(end + 1) * 86400} and ts >= {start * 86400}
        ),
        delivered as (
            -- most events arrive the next morning's extract for their day; some late
            select event_day + case when {_u("message_id", "late")} < 0.01
                                    then 1 + (hash(message_id) % 3)::int else 0 end
                       as extract_day, ts, message_id, line
            from rendered
            union all
            -- replays: the same message delivered again the next day
            select event_day + 1, ts, message_id, line
            from rendered where {_u("message_id", "replay")} < 0.003
        )
        select extract_day,
               case when {_u("message_id || extract_day", "broken")} < 0.0003
                    then left(line, length(line) // 2) else line end as line,
               lpad(ts::varchar, 12, '0') || message_id as _key
        from delivered where extract_day <= {end}
        """
    )


def _build_email_and_privacy(con: duckdb.DuckDBPyConnection, world: World) -> None:
    start, end = world.start_day, world.end_day
    con.execute(
        f"""
        create or replace table email_rows as
        with sends as (
            select e.*, 'C' || lpad(e.person::varchar, 8, '0') as customer_id,
                   lower(p.first_name) || '.' || lower(replace(p.last_name, ' ', ''))
                       || e.person || '@mail.example' as email,
                   'cmp-' || e.campaign_day::varchar as campaign_id,
                   'msg-' || left(md5(e.person::varchar || '-' || e.campaign_day), 16)
                       as message_id
            from emails e join people p using (person)
            where e.campaign_day between {start} and {end}
        )
        select campaign_day as day, message_id, campaign_id, customer_id, email, kind.t
                   as event_type,
               case kind.t when 'sent' then campaign_day * 86400 + 6 * 3600
                           when 'delivered' then campaign_day * 86400 + 6 * 3600 + 30
                           when 'bounce' then campaign_day * 86400 + 6 * 3600 + 30
                           when 'open' then open_seconds
                           when 'click' then open_seconds + 40
                           else open_seconds + 90 end as ts,
               case when kind.t = 'click' then 'https://shop.example/?utm_source=newsletter' end
                   as url
        from sends join (values ('sent'), ('delivered'), ('bounce'), ('open'), ('click'),
                                ('unsubscribe')) kind(t)
            on kind.t = 'sent' or (kind.t = 'delivered' and not bounced)
            or (kind.t = 'bounce' and bounced) or (kind.t = 'open' and opened)
            or (kind.t = 'click' and clicked) or (kind.t = 'unsubscribe' and unsubscribed)
        """
    )
    con.execute(
        f"""
        create or replace view out_email_email_events as
        select least(floor(ts / 86400)::bigint, {end}) as extract_day,
               'e-' || left(md5(message_id || event_type), 20) as event_id,
               message_id, campaign_id,
               case when {_u("message_id", "cid")} < 0.9 then customer_id end as customer_id,
               case when {_u("message_id", "cid")} >= 0.6 then email end as email,
               event_type,
               case when {_u("message_id || event_type", "bad")} < 0.0005 then '31/02/2026 25:00'
                    else {_ts("ts", "ets")} end as event_ts,
               url,
               lpad(ts::varchar, 12, '0') || event_id as _key
        from email_rows
        """
    )
    con.execute(
        f"""
        create or replace table consent_rows as
        with grants as (
            select c.customer_id, c.email_clean as email, c.created_s, ch.channel,
                   ch.p, c.person, p.persona, p.open_rate
            from crm_records c join people p using (person)
            join (values ('email', 0.85), ('sms', 0.35), ('ads', 0.55),
                         ('personalization', 0.75)) ch(channel, p) on true
            where not c.is_duplicate
        )
        select customer_id, email, channel, 'granted' as status, created_s + 60 as ts,
               'signup' as source
        from grants where {_u("customer_id || channel", "grant")} < p
        union all
        select customer_id, email, channel, 'revoked',
               created_s + 60 + (hash(customer_id, channel) % (200 * 86400))::bigint,
               'preference_centre'
        from grants
        where {_u("customer_id || channel", "grant")} < p
          and {_u("customer_id || channel", "revoke")} < 0.03
        union all
        select customer_id, email, 'email', 'revoked', ts + 5, 'unsubscribe_link'
        from email_rows where event_type = 'unsubscribe'
        """
    )
    con.execute(
        f"""
        create or replace view out_privacy_consent as
        select least(greatest(floor(ts / 86400)::bigint, {start}), {end}) as extract_day,
               case when {_u("customer_id || channel || status", "key")} < 0.9
                    then customer_id end as customer_id,
               case when {_u("customer_id || channel || status", "key")} >= 0.9
                    then email end as email,
               channel, status, {_ts("ts", "cts")} as recorded_at, source,
               lpad(ts::varchar, 12, '0') || customer_id || channel || status as _key
        from consent_rows
        where ts < {(end + 1) * 86400}
        """
    )
    con.execute(
        f"""
        create or replace view out_privacy_erasure_requests as
        select {start} + (hash(person, 'erase') % {max(world.days, 1)})::bigint as extract_day,
               'R' || lpad(person::varchar, 8, '0') as request_id,
               case when {_u("person", "ekey")} < 0.7 then customer_id end as customer_id,
               case when {_u("person", "ekey")} >= 0.7 then email_clean end as email,
               strftime(to_timestamp(({start} + (hash(person, 'erase') % {max(world.days, 1)}))
                   * 86400 + 50000), '%Y-%m-%dT%H:%M:%SZ') as requested_at,
               request_id as _key
        from crm_records where not is_duplicate and person % 500 = 7
        """
    )
    con.execute(
        f"""
        create or replace view truth_future_orders as
        select f.person, f.order_seconds, l.product
        from orders f join lines l using (chunk, order_seq)
        where f.order_day > {end} and f.order_day <= {end + HORIZON_DAYS}
        """
    )


#: entity view -> (source, entity, file extension, COPY options)
OUTPUTS: tuple[tuple[str, str, str, str, str], ...] = (
    ("out_crm_customers", "crm", "customers", "csv", "format csv, header true"),
    ("out_shop_products", "shop", "products", "csv", "format csv, header true"),
    ("out_shop_orders", "shop", "orders", "csv", "format csv, header true"),
    ("out_shop_order_items", "shop", "order_items", "csv.gz",
     "format csv, header true, compression gzip"),
    ("out_pos_transactions", "pos", "transactions", "parquet", "format parquet"),
    ("out_web_events", "web", "events", "jsonl.gz",
     "format csv, header false, delimiter '\x1e', quote '\x1f', escape '\x1f', "
     "compression gzip"),
    ("out_email_email_events", "email", "email_events", "csv.gz",
     "format csv, header true, compression gzip"),
    ("out_privacy_consent", "privacy", "consent", "csv", "format csv, header true"),
    ("out_privacy_erasure_requests", "privacy", "erasure_requests", "csv",
     "format csv, header true"),
)  # fmt: skip


def write_extracts(con: duckdb.DuckDBPyConnection, out: Path) -> dict[str, dict[str, int]]:
    """Write every entity, one file per extract date; return rows and bytes per entity."""
    summary: dict[str, dict[str, int]] = {}
    for view, source, entity, ext, options in OUTPUTS:
        cols = [
            r[0]
            for r in con.execute(f"describe {view}").fetchall()
            if r[0] not in ("extract_day", "_key")
        ]
        con.execute(
            f"create or replace temp table _out as select * from {view} order by extract_day, _key"
        )
        days = [
            r[0] for r in con.execute("select distinct extract_day from _out order by 1").fetchall()
        ]
        rows = bytes_ = 0
        for day in days:
            folder = out / source / day_str(day)
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{entity}.{ext}"
            select = ", ".join(f'"{c}"' for c in cols)
            con.execute(
                f"copy (select {select} from _out where extract_day = {day} order by _key) "
                f"to '{path}' ({options})"
            )
            bytes_ += path.stat().st_size
        rows = con.execute("select count(*) from _out").fetchone()[0]
        summary[f"{source}/{entity}"] = {"rows": rows, "bytes": bytes_, "files": len(days)}
    con.execute("drop table if exists _out")
    return summary


def write_truth(con: duckdb.DuckDBPyConnection, world: World, out: Path) -> None:
    """Ground truth for measuring the models; never part of the landing layout."""
    truth = out / "_truth"
    if truth.exists():
        shutil.rmtree(truth)
    truth.mkdir(parents=True)
    end = world.end_day
    con.execute(
        f"""
        copy (
            select 'K' || lpad(person::varchar, 8, '0') as person_key, persona,
                   churn_probability,
                   exists (select 1 from orders o where o.person = p.person
                           and o.order_day > {end} and o.order_day <= {end + HORIZON_DAYS})
                       as ordered_next_90d
            from people p order by person
        ) to '{truth / "people.parquet"}' (format parquet)
        """
    )
    con.execute(
        f"""
        copy (
            select distinct 'K' || lpad(person::varchar, 8, '0') as person_key,
                   t.identifier_type, t.identifier_value
            from (
                select person, 'customer_id' as identifier_type, customer_id as identifier_value
                from crm_rendered
                union all
                select person, 'email', email from crm_rendered where email is not null
                union all
                select person, 'loyalty_id', loyalty_id from crm_rendered
                where loyalty_id is not null
                union all
                select distinct w.person, 'anonymous_id',
                       'a-' || left(md5(w.person::varchar || '-' || w.device_slot::varchar), 20)
                from web_sessions w
            ) t
            order by 1, 2, 3
        ) to '{truth / "identifiers.parquet"}' (format parquet)
        """
    )
    con.execute(
        f"""
        copy (
            select 'K' || lpad(f.person::varchar, 8, '0') as person_key,
                   to_timestamp(f.order_seconds) as order_ts, p.product_id
            from truth_future_orders f join products_idx p on p.idx = f.product
            order by 1, 2, 3
        ) to '{truth / "future_orders.parquet"}' (format parquet)
        """
    )
