"""Email events: sends of every campaign and the reactions to them."""

from __future__ import annotations

import duckdb

from warehouse.synthetic.simulate import World
from warehouse.synthetic.sql import ts, u


def render(con: duckdb.DuckDBPyConnection, world: World) -> None:
    """Create the views ``email_rows`` and ``out_email_email_events``."""
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
               case when {u("message_id", "cid")} < 0.9 then customer_id end as customer_id,
               case when {u("message_id", "cid")} >= 0.6 then email end as email,
               event_type,
               case when {u("message_id || event_type", "bad")} < 0.0005 then '31/02/2026 25:00'
                    else {ts("ts", "ets")} end as event_ts,
               url,
               (ts - {start * 86400})::bigint * 4294967296
                   + (hash(message_id, event_type) % 4294967296)::bigint as _key
        from email_rows
        """
    )
