"""Turn simulated behaviour into daily extract files, dirty the way real exports are.

The simulated arrays of every chunk are staged in a scratch DuckDB database; each
entity is then rendered with SQL (identifiers, formats, dirty data) and written one
file per extract date with DuckDB ``COPY``, in a stable order, so a seed always gives
byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from isal import isal_zlib

from warehouse.synthetic.simulate import CITIES, DIAL, HORIZON_DAYS, World

EPOCH = dt.date(1970, 1, 1)
#: Chunk number of the crawler's events, written after every person's.
BOT_CHUNK = 999_999
#: ISA-L's deflate level for ``.gz`` extracts (standard gzip, any reader opens them).
#: On the web events ISA-L level 2 compresses about six times faster than zlib's
#: fastest level (850 against 140 MB/s on one core) and to slightly fewer bytes.
GZIP_LEVEL = 2


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
                when {_u("customer_id", "test")} < 0.0008 or (person < 1000 and person % 97 = 3)
                    then 'test@example.com'
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
            -- a quarter of the records change later: a move to another city, a new phone
            case when {_u("customer_id", "chg")} < 0.25
                 then created_s + 86400 + (hash(customer_id, 'chg') % {max(end - start, 1) * 86400})
            end as change_s,
            case country {city_case.replace("city_idx + 1", "(city_idx + 1) % 3 + 1")} end
                as city_after,
            '+' || dial || ' ' || substr(digits, 4) || substr(digits, 1, 3) as phone_after,
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
        with c as (
            select s.extract_day, c.*,
                   coalesce(c.change_s < (s.extract_day + 1) * 86400, false) as changed
            from crm_rendered c join snapshot_days s
                on c.created_s < (s.extract_day + 1) * 86400
        )
        select extract_day, customer_id, email,
               case when changed and phone is not null then phone_after else phone end as phone,
               first_name, last_name, birth_date, gender,
               case when changed then city_after else city end as city,
               region, country, postal_code, loyalty_id,
               {_ts("created_s", "ca")} as created_at,
               case when changed then {_ts("change_s", "ua")}
                    else {_ts("created_s", "ua")} end as updated_at,
               customer_id as _key
        from c
        """
    )
    con.execute(
        f"""
        create or replace view out_shop_products as
        with p as (
            select *,
                   -- one product in ten is repriced once during the window, and retired
                   -- products are switched off on a day of the window
                   case when {_u("product_id", "reprice")} < 0.1 or not is_active
                        then {start} + (hash(product_id, 'chg') % {max(end - start, 1)})::bigint
                   end as change_day
            from products
        )
        select s.extract_day, product_id, name, category, subcategory, brand,
               case when s.extract_day >= change_day and is_active
                    then round(price * 0.85, 2) else price end::varchar as price,
               case when s.extract_day >= change_day then is_active else true end as is_active,
               case when s.extract_day >= change_day
                    then strftime(to_timestamp(change_day * 86400 + 3600), '%Y-%m-%dT%H:%M:%SZ')
                    else strftime(to_timestamp({(start - 400) * 86400}), '%Y-%m-%dT%H:%M:%SZ')
               end as updated_at,
               product_id as _key
        from p, snapshot_days s
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
               -- integer cents: a float sum would depend on the order of additions
               sum(round(l.quantity * l.unit_price * 100)::bigint) / 100 as subtotal,
               count(*) as n_lines
        from orders o join lines l using (chunk, order_seq)
        where o.order_day <= {end}
        group by all
        order by o.chunk, o.order_seq
        """
    )
    con.execute(
        f"""
        create or replace view order_versions as
        with f as (
            select *, order_day + case status when 'cancelled' then 1 when 'returned' then 12
                                              else 3 end as final_day
            from order_facts where not is_store
        )
        -- placed on the order day (orders from before the first extract date that are
        -- still open arrive with the first delivery) ...
        select *, greatest(order_day, {start}) as extract_day, 'placed' as version_status,
               order_seconds as updated_s
        from f where final_day >= {start}
        union all
        -- ... re-delivered as shipped the next day ...
        select *, order_day + 1, 'shipped', (order_day + 1) * 86400 + 30000
        from f
        where status <> 'cancelled' and order_day + 1 between {start} and {end}
        union all
        -- ... and with the final status later; closed history arrives as a backfill
        select *, greatest(final_day, {start}), status, final_day * 86400 + 43200
        from f where final_day <= {end}
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
               case when {_u("f.order_id || l.line_number", "badprice")} < 0.0005 then 'n/a'
                    else l.unit_price::varchar end as unit_price,
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
    _build_web(con, world, n_people)
    _build_email_and_privacy(con, world)


def _build_web(con: duckdb.DuckDBPyConnection, world: World, n_people: int) -> None:
    start, end = world.start_day, world.end_day
    anon = "'a-' || left(md5(person::varchar || '-' || device_slot::varchar), 20)"
    con.execute(
        f"""
        create or replace table web_sessions as
        with s as (
            select s.*,
                   case when {_u("s.chunk || '-' || s.session", "dev2")} < 0.25 then 1 else 0
                   end as device_slot
            from sessions s
        )
        select s.chunk, s.session, s.person, s.session_seconds, s.session_day, s.views,
               s.search_query, s.cart_viewed, s.device_slot,
               s.session_day >= p.signup_day
                   and {_u("s.chunk || '-' || s.session", "login")} < 0.55 as logged_in,
               -- a second device of the same person is of the other kind
               case when s.device_slot = 0 then p.device
                    when p.device = 'desktop' then 'mobile' else 'desktop' end as device,
               p.signup_day, p.country, p.first_name, p.last_name
        from s join people p using (chunk, person)
        order by s.chunk, s.session
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
        create or replace view web_event_rows as
        -- one page view at the start of each session
        select chunk, session_seconds as ts, {sess_key} || '-p' as key, 'page' as type,
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
        select chunk, session_seconds + 5, {sess_key} || '-i', 'identify', null, {anon},
               'C' || lpad(person::varchar, 8, '0'), null,
               {{'email': lower(first_name) || '.' || lower(replace(last_name, ' ', ''))
                          || person || '@mail.example'}},
               {
            ctx.replace("{path}", "'/login'").replace("{ref}", "null").replace("{campaign}", "null")
        }
        from web_sessions
        where logged_in
        union all
        select w.chunk, w.session_seconds + 20 + v.offset_s, {
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
        select f.chunk, f.order_seconds - 60 + kind.k * 55,
               f.order_id || '-' || kind.k::varchar, 'track', kind.event,
               'a-' || left(md5(f.person::varchar || '-0'), 20),
               'C' || lpad(f.person::varchar, 8, '0'),
               {{'product_id': null, 'category': null, 'price': null, 'quantity': f.n_lines,
                 'order_id': f.order_id, 'revenue': round(f.subtotal, 2), 'query': null,
                 'url': 'https://shop.example/checkout'}},
               null,
               {{'page': {{'url': 'https://shop.example/checkout', 'referrer': null}},
                 'userAgent': 'Mozilla/5.0', 'device': {{'type': p.device}}, 'campaign': null,
                 'ip': '10.0.0.1', 'locale': lower(p.country) || '-' || p.country}}
        from order_facts f join people p using (chunk, person)
        join (values ('Checkout Started', 0), ('Order Completed', 1)) kind(event, k) on true
        where not f.is_store and f.order_day >= {start}
        union all
        -- searches open a share of sessions
        select chunk, session_seconds + 10, {sess_key} || '-s', 'track', 'Products Searched', {
            anon
        },
               case when logged_in then 'C' || lpad(person::varchar, 8, '0') end,
               {{'product_id': null, 'category': null, 'price': null, 'quantity': null,
                 'order_id': null, 'revenue': null, 'query': search_query,
                 'url': 'https://shop.example/search?q=' || search_query}},
               null,
               {
            ctx.replace("{path}", "'/search?q=' || search_query")
            .replace("{ref}", "'https://shop.example/'")
            .replace("{campaign}", "null")
        }
        from web_sessions
        where search_query is not null
        union all
        -- the cart page, after the session's product views
        select chunk, session_seconds + 25 + views * 40, {sess_key} || '-c', 'track', 'Cart Viewed',
               {anon}, case when logged_in then 'C' || lpad(person::varchar, 8, '0') end,
               null, null,
               {
            ctx.replace("{path}", "'/cart'")
            .replace("{ref}", "'https://shop.example/'")
            .replace("{campaign}", "null")
        }
        from web_sessions
        where cart_viewed
        union all
        -- a crawler: thousands of anonymous page views, never logs in
        select {BOT_CHUNK}, d * 86400 + h * 3600 + k * 7,
               'bot-' || d::varchar || '-' || h::varchar || '-' || k::varchar, 'page', null,
               'a-bot-000000000000001', null, null, null,
               {{'page': {{'url': 'https://shop.example/p/' || (h * 100 + k)::varchar,
                           'referrer': null}},
                 'userAgent': 'Mozilla/5.0 (compatible; crawler)', 'device': {{'type': 'desktop'}},
                 'campaign': null, 'ip': '192.0.2.1', 'locale': 'en-US'}}
        from range({start}, {end + 1}) r(d), range(0, 24) q(h),
             range(0, {max(1, n_people // 5000)}) b(k)
        """
    )
    con.execute(
        f"""
        create or replace view out_web_events as
        with rendered as (
            select chunk, floor(ts / 86400)::bigint as event_day, ts, key,
                   to_json({{'messageId': 'm-' || left(md5(key), 24), 'type': type,
                             'event': event, 'anonymousId': anonymous_id, 'userId': user_id,
                             'timestamp': {_ts("ts", "wts")}, 'properties': properties,
                             'traits': traits, 'context': context}})::varchar as line
            from web_event_rows
            where ts < {(end + 1) * 86400} and ts >= {start * 86400}
        ),
        delivered as (
            -- most events arrive in the extract of their day, some one to three days
            -- late; replays deliver the same message again the next day or twice in a file
            select r.chunk, r.ts, r.key, r.line,
                   r.event_day + case
                       when copy.k = 1 then 1
                       when copy.k = 0 and {_u("r.key", "late")} < 0.01
                           then 1 + (hash(r.key) % 3)::int
                       else 0 end as extract_day
            from rendered r join (values (0), (1), (2)) copy(k)
                on copy.k = 0
                or (copy.k = 1 and {_u("r.key", "replay")} < 0.003)
                or (copy.k = 2 and {_u("r.key", "replay2")} < 0.001)
        )
        select chunk, extract_day,
               case when {_u("key || extract_day", "broken")} < 0.0003
                    then left(line, length(line) // 2) else line end as line,
               -- a numeric sort key (time, then a hash of the event) sorts fast
               (ts - {start * 86400})::bigint * 4294967296 + (hash(key) % 4294967296)::bigint
                   as _key
        from delivered where extract_day <= {end}
        """
    )


def _build_email_and_privacy(con: duckdb.DuckDBPyConnection, world: World) -> None:
    start, end = world.start_day, world.end_day
    con.execute(
        f"""
        create or replace view email_rows as
        with sends as (
            select e.*, 'C' || lpad(e.person::varchar, 8, '0') as customer_id,
                   lower(p.first_name) || '.' || lower(replace(p.last_name, ' ', ''))
                       || e.person || '@mail.example' as email,
                   'cmp-' || e.campaign_day::varchar as campaign_id,
                   'msg-' || left(md5(e.person::varchar || '-' || e.campaign_day), 16)
                       as message_id
            from emails e join people p using (chunk, person)
            where e.campaign_day between {start} and {end}
        )
        select chunk, campaign_day as day, message_id, campaign_id, customer_id, email, kind.t
                   as event_type,
               case kind.t when 'sent' then campaign_day * 86400 + 6 * 3600
                           when 'delivered' then campaign_day * 86400 + 6 * 3600 + 30
                           when 'bounce' then campaign_day * 86400 + 6 * 3600 + 30
                           when 'open' then open_seconds
                           when 'click' then open_seconds + 40
                           when 'spam_report' then open_seconds + 60
                           else open_seconds + 90 end as ts,
               case when kind.t = 'click' then 'https://shop.example/?utm_source=newsletter' end
                   as url
        from sends join (values ('sent'), ('delivered'), ('bounce'), ('open'), ('click'),
                                ('unsubscribe'), ('spam_report')) kind(t)
            on kind.t = 'sent' or (kind.t = 'delivered' and not bounced)
            or (kind.t = 'bounce' and bounced) or (kind.t = 'open' and opened)
            or (kind.t = 'click' and clicked) or (kind.t = 'unsubscribe' and unsubscribed)
            or (kind.t = 'spam_report' and spam_reported)
        """
    )
    con.execute(
        f"""
        create or replace view out_email_email_events as
        select chunk, least(floor(ts / 86400)::bigint, {end}) as extract_day,
               'e-' || left(md5(message_id || event_type), 20) as event_id,
               message_id, campaign_id,
               case when {_u("message_id", "cid")} < 0.9 then customer_id end as customer_id,
               case when {_u("message_id", "cid")} >= 0.6 then email end as email,
               event_type,
               case when {_u("message_id || event_type", "bad")} < 0.0005 then '31/02/2026 25:00'
                    else {_ts("ts", "ets")} end as event_ts,
               url,
               (ts - {start * 86400})::bigint * 4294967296
                   + (hash(message_id, event_type) % 4294967296)::bigint as _key
        from email_rows
        """
    )
    con.execute(
        """
        create or replace table consent_rows as
        with grants as (
        select c.customer_id, c.email_clean as email, 'email' as channel, c.created_s,
               p.grant_email as granted, p.revoke_day_email as revoke_day
        from crm_records c join people p using (person) where not c.is_duplicate
        union all
        select c.customer_id, c.email_clean as email, 'sms' as channel, c.created_s,
               p.grant_sms as granted, p.revoke_day_sms as revoke_day
        from crm_records c join people p using (person) where not c.is_duplicate
        union all
        select c.customer_id, c.email_clean as email, 'ads' as channel, c.created_s,
               p.grant_ads as granted, p.revoke_day_ads as revoke_day
        from crm_records c join people p using (person) where not c.is_duplicate
        union all
        select c.customer_id, c.email_clean as email, 'personalization' as channel, c.created_s,
               p.grant_personalization as granted, p.revoke_day_personalization as revoke_day
        from crm_records c join people p using (person) where not c.is_duplicate
        )
        select customer_id, email, channel, 'granted' as status, created_s + 60 as ts,
               'signup' as source
        from grants where granted
        union all
        select customer_id, email, channel, 'revoked',
               revoke_day * 86400 + (hash(customer_id, channel) % 86400)::bigint,
               'preference_centre'
        from grants where granted and revoke_day >= 0
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


#: entity view -> (source, entity, file extension, COPY options). Entities written with
#: ``COPY``, one file per extract date, from a single sorted pass.
OUTPUTS: tuple[tuple[str, str, str, str, str], ...] = (
    ("out_crm_customers", "crm", "customers", "csv", "format csv, header true"),
    ("out_shop_products", "shop", "products", "csv", "format csv, header true"),
    ("out_shop_orders", "shop", "orders", "csv", "format csv, header true"),
    ("out_shop_order_items", "shop", "order_items", "csv.gz",
     "format csv, header true"),
    ("out_pos_transactions", "pos", "transactions", "parquet", "format parquet"),
    ("out_privacy_consent", "privacy", "consent", "csv", "format csv, header true"),
    ("out_privacy_erasure_requests", "privacy", "erasure_requests", "csv",
     "format csv, header true"),
)  # fmt: skip

#: entity view -> (source, entity, file extension). The high-volume entities: rendered
#: one chunk of people at a time and appended to each day's file as a gzip member.
STREAMED: tuple[tuple[str, str, str, str], ...] = (
    ("out_web_events", "web", "events", "jsonl.gz"),
    ("out_email_email_events", "email", "email_events", "csv.gz"),
)

#: Summary order: the contract's.
ORDER = (
    "crm/customers", "shop/products", "shop/orders", "shop/order_items", "pos/transactions",
    "web/events", "email/email_events", "privacy/consent", "privacy/erasure_requests",
)  # fmt: skip


def _gzip_file(raw: Path, path: Path) -> int:
    """Compress ``raw`` to ``path`` (gzip, fast level, no timestamp), delete it, return size.

    ISA-L releases the GIL, so files compress on a second core while DuckDB renders the
    next day; the header carries no mtime or name, so output bytes depend only on input.
    """
    packer = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, 31)
    with raw.open("rb") as src, path.open("wb") as dst:
        while block := src.read(1 << 24):
            dst.write(packer.compress(block))
        dst.write(packer.flush())
    raw.unlink()
    return path.stat().st_size


def _gzip_member(data: bytes | memoryview) -> bytes:
    """One complete gzip member (no mtime, no name) holding ``data``."""
    packer = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


def _append_days(out: Path, source: str, entity: str, ext: str, header: bytes,
                 days: np.ndarray, lines: pa.Array) -> None:  # fmt: skip
    """Append each day's lines to that day's file as a gzip member (header first)."""
    lines = lines.cast(pa.large_string()) if lines.type != pa.large_string() else lines
    offsets = np.frombuffer(lines.buffers()[1], np.int64)[lines.offset :]
    data = memoryview(lines.buffers()[2] or b"")
    cuts = np.flatnonzero(np.diff(days)) + 1
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(days)], strict=True):
        folder = out / source / day_str(days[lo])
        path = folder / f"{entity}.{ext}"
        fresh = not path.exists()
        if fresh:
            folder.mkdir(parents=True, exist_ok=True)
        body = data[offsets[lo] : offsets[hi]]
        with path.open("ab") as fh:
            fh.write(_gzip_member(header + bytes(body) if fresh and header else body))


def _write_streamed(
    con: duckdb.DuckDBPyConnection, view: str, source: str, entity: str, ext: str,
    chunks: list[int], out: Path,
) -> dict[str, int]:  # fmt: skip
    """Write a high-volume entity chunk by chunk; files grow by one gzip member a chunk.

    Each chunk is rendered and sorted by (extract date, key) in DuckDB, then handed to a
    single writer thread that compresses and appends while DuckDB renders the next
    chunk, so files are written in chunk order and bytes depend only on the seed.
    """
    cols = [
        r[0]
        for r in con.execute(f"describe {view}").fetchall()
        if r[0] not in ("chunk", "extract_day", "_key")
    ]
    if cols == ["line"]:
        line, header = "line || chr(10)", b""
    else:
        fields = ", ".join(f"coalesce(\"{c}\"::varchar, '')" for c in cols)
        line, header = f"concat_ws(',', {fields}) || chr(10)", (",".join(cols) + "\n").encode()
    rows = 0
    with ThreadPoolExecutor(max_workers=1) as writer:
        pending = None
        for chunk in chunks:
            table = con.sql(
                f"select extract_day, {line} as line from {view} "
                f"where chunk = {chunk} order by extract_day, _key"
            ).to_arrow_table()
            rows += table.num_rows
            if pending is not None:
                pending.result()
            if table.num_rows:
                pending = writer.submit(
                    _append_days, out, source, entity, ext, header,
                    table.column("extract_day").to_numpy(),
                    table.column("line").combine_chunks(),
                )  # fmt: skip
        if pending is not None:
            pending.result()
    files = sorted((out / source).glob(f"*/{entity}.{ext}"))
    return {"rows": rows, "bytes": sum(f.stat().st_size for f in files), "files": len(files)}


def write_extracts(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    chunks: list[int],
    timings: dict[str, float] | None = None,
) -> dict[str, dict[str, int]]:
    """Write every entity, one file per extract date; return rows and bytes per entity.

    Each low-volume entity is rendered and sorted once into a temporary table; every
    day's slice is then written with ``COPY`` in that order (insertion order is
    preserved), and compressed files are gzipped in a thread pool. The high-volume
    entities are written chunk by chunk (see ``_write_streamed``).

    Args:
        con: The scratch database holding the ``out_*`` views.
        out: The landing folder.
        chunks: The chunk numbers of the high-volume entities, in writing order.
        timings: If given, filled with the seconds spent on each entity.

    Returns:
        Rows, bytes and files per ``source/entity``.
    """
    summary: dict[str, dict[str, int]] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for view, source, entity, ext, options in OUTPUTS:
            started = time.perf_counter()
            cols = [
                r[0]
                for r in con.execute(f"describe {view}").fetchall()
                if r[0] not in ("chunk", "extract_day", "_key")
            ]
            select = ", ".join(f'"{c}"' for c in cols)
            con.execute(
                f"create or replace temp table _out as "
                f"select * from {view} order by extract_day, _key"
            )
            days = [
                r[0]
                for r in con.execute("select distinct extract_day from _out order by 1").fetchall()
            ]
            sizes = []
            for day in days:
                folder = out / source / day_str(day)
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"{entity}.{ext}"
                target = path.with_name(f".{path.name}.part") if ext.endswith(".gz") else path
                con.execute(
                    f"copy (select {select} from _out where extract_day = {day}) "
                    f"to '{target}' ({options})"
                )
                if target == path:
                    sizes.append(path.stat().st_size)
                else:
                    sizes.append(pool.submit(_gzip_file, target, path))
            rows = con.execute("select count(*) from _out").fetchone()[0]
            bytes_ = sum(x if isinstance(x, int) else x.result() for x in sizes)
            summary[f"{source}/{entity}"] = {"rows": rows, "bytes": bytes_, "files": len(days)}
            if timings is not None:
                timings[f"write {source}/{entity}"] = round(time.perf_counter() - started, 1)
    con.execute("drop table if exists _out")
    for view, source, entity, ext in STREAMED:
        started = time.perf_counter()
        summary[f"{source}/{entity}"] = _write_streamed(con, view, source, entity, ext, chunks, out)
        if timings is not None:
            timings[f"write {source}/{entity}"] = round(time.perf_counter() - started, 1)
    return {key: summary[key] for key in ORDER}


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
                -- the shared test address identifies nobody
                select person, 'email', email from crm_rendered
                where email is not null and email <> 'test@example.com'
                union all
                select person, 'loyalty_id', loyalty_id from crm_rendered
                where loyalty_id is not null
                union all
                select distinct w.person, 'anonymous_id',
                       'a-' || left(md5(w.person::varchar || '-' || w.device_slot::varchar), 20)
                from web_sessions w
                union all
                select distinct person, 'anonymous_id',
                       'a-' || left(md5(person::varchar || '-0'), 20)
                from order_facts
                where not is_store and order_day >= {world.start_day}
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
