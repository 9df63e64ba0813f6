"""Consent grants and revokes per channel, and erasure requests (one person in 500)."""

from __future__ import annotations

import duckdb

from warehouse.synthetic.simulate import World
from warehouse.synthetic.sql import ts, u


def render(con: duckdb.DuckDBPyConnection, world: World) -> None:
    """Create ``consent_rows`` and the views ``out_privacy_consent`` and
    ``out_privacy_erasure_requests`` (needs ``crm_records`` and ``email_rows``)."""
    start, end = world.start_day, world.end_day
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
               case when {u("customer_id || channel || status", "key")} < 0.9
                    then customer_id end as customer_id,
               case when {u("customer_id || channel || status", "key")} >= 0.9
                    then email end as email,
               channel, status, {ts("ts", "cts")} as recorded_at, source,
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
               case when {u("person", "ekey")} < 0.7 then customer_id end as customer_id,
               case when {u("person", "ekey")} >= 0.7 then email_clean end as email,
               strftime(to_timestamp(({start} + (hash(person, 'erase') % {max(world.days, 1)}))
                   * 86400 + 50000), '%Y-%m-%dT%H:%M:%SZ') as requested_at,
               request_id as _key
        from crm_records where not is_duplicate and person % 500 = 7
        """
    )
