"""Web events in the Segment spec: page views, identify calls, e-commerce tracks.

A session's events share a device's anonymousId; logged-in sessions carry the
customer id and an identify call ties the two. A crawler adds thousands of anonymous
page views; some events arrive late, are replayed or are cut in half.
"""

from __future__ import annotations

import duckdb

from warehouse.synthetic.simulate import World
from warehouse.synthetic.sql import ts, u

#: Chunk number of the crawler's events, written after every person's.
BOT_CHUNK = 999_999
ANON = "'a-' || left(md5(person::varchar || '-' || device_slot::varchar), 20)"


def render(con: duckdb.DuckDBPyConnection, world: World, n_people: int) -> None:
    """Create ``web_sessions`` and the views ``web_event_rows`` and ``out_web_events``."""
    _sessions(con)
    _event_rows(con, world, n_people)
    _events(con, world)


def _sessions(con: duckdb.DuckDBPyConnection) -> None:
    """Each session with its device, whether it logs in, and the person's attributes."""
    con.execute(
        f"""
        create or replace table web_sessions as
        with s as (
            select s.*,
                   case when {u("s.chunk || '-' || s.session", "dev2")} < 0.25 then 1 else 0
                   end as device_slot
            from sessions s
        )
        select s.chunk, s.session, s.person, s.session_seconds, s.session_day, s.views,
               s.search_query, s.cart_viewed, s.device_slot,
               s.session_day >= p.signup_day
                   and {u("s.chunk || '-' || s.session", "login")} < 0.55 as logged_in,
               -- a second device of the same person is of the other kind
               case when s.device_slot = 0 then p.device
                    when p.device = 'desktop' then 'mobile' else 'desktop' end as device,
               p.signup_day, p.country, p.first_name, p.last_name
        from s join people p using (chunk, person)
        order by s.chunk, s.session
        """
    )


def _event_rows(con: duckdb.DuckDBPyConnection, world: World, n_people: int) -> None:
    """Every event before delivery: pages, identifies, product tracks, orders, crawler."""
    start, end = world.start_day, world.end_day
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
               null as event, {ANON} as anonymous_id,
               case when logged_in then 'C' || lpad(person::varchar, 8, '0') end as user_id,
               null::struct(product_id varchar, category varchar, price double,
                            quantity int, order_id varchar, revenue double,
                            query varchar, url varchar) as properties,
               null::struct(email varchar) as traits,
               {
            ctx.replace("{path}", "'/'")
            .replace("{ref}", "'https://www.google.com/'")
            .replace("{campaign}", campaign.replace("{u}", u(sess_key, "cmp")))
        }
                   as context
        from web_sessions
        union all
        -- logging in ties the device's anonymousId to the customer id
        select chunk, session_seconds + 5, {sess_key} || '-i', 'identify', null, {ANON},
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
               kind.event, {ANON.replace("person", "w.person")},
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
            ANON
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
               {ANON}, case when logged_in then 'C' || lpad(person::varchar, 8, '0') end,
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


def _events(con: duckdb.DuckDBPyConnection, world: World) -> None:
    """The events as delivered: JSON lines, late, replayed or broken, per extract day."""
    start, end = world.start_day, world.end_day
    con.execute(
        f"""
        create or replace view out_web_events as
        with rendered as (
            select chunk, floor(ts / 86400)::bigint as event_day, ts, key,
                   to_json({{'messageId': 'm-' || left(md5(key), 24), 'type': type,
                             'event': event, 'anonymousId': anonymous_id, 'userId': user_id,
                             'timestamp': {ts("ts", "wts")}, 'properties': properties,
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
                       when copy.k = 0 and {u("r.key", "late")} < 0.01
                           then 1 + (hash(r.key) % 3)::int
                       else 0 end as extract_day
            from rendered r join (values (0), (1), (2)) copy(k)
                on copy.k = 0
                or (copy.k = 1 and {u("r.key", "replay")} < 0.003)
                or (copy.k = 2 and {u("r.key", "replay2")} < 0.001)
        )
        select chunk, extract_day,
               case when {u("key || extract_day", "broken")} < 0.0003
                    then left(line, length(line) // 2) else line end as line,
               -- a numeric sort key (time, then a hash of the event) sorts fast
               (ts - {start * 86400})::bigint * 4294967296 + (hash(key) % 4294967296)::bigint
                   as _key
        from delivered where extract_day <= {end}
        """
    )
