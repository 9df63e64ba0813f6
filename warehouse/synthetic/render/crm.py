"""CRM customers: full snapshots of everyone signed up by each snapshot day.

Renders the people as CRM records, dirty the way CRM exports are: a shared test
address, duplicate records with a shouted email, national phone numbers, missing birth
dates, lower-case country codes, and a quarter of the records changing city and phone
once.
"""

from __future__ import annotations

import duckdb

from warehouse.synthetic.simulate import CITIES, DIAL, World
from warehouse.synthetic.sql import ts, u


def render(con: duckdb.DuckDBPyConnection, world: World, n_people: int) -> None:
    """Create ``crm_records``, ``crm_rendered`` and the view ``out_crm_customers``.

    ``snapshot_days`` (see :func:`warehouse.synthetic.render.snapshots`) must exist.
    """
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
                case country {dial_case} end as dial,
                -- the national significant number as each country writes it: ten digits
                -- in the US, Italy's fixed lines keep their leading 0
                case country when 'US' then '2' || phone_digits::varchar
                     when 'IT' then '0' || phone_digits::varchar
                     else phone_digits::varchar end as digits,
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
            from base where {u("person", "dup")} < 0.02
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
                when {u("customer_id", "test")} < 0.0008 or (person < 1000 and person % 97 = 3)
                    then 'test@example.com'
                when is_duplicate then '  ' || upper(email_clean)
                when {u("customer_id", "case")} < 0.05 then upper(left(email_clean, 1))
                    || substr(email_clean, 2)
                else email_clean
            end as email,
            case
                when {u("customer_id", "ph")} < 0.2 then null
                when (is_duplicate or {u("customer_id", "ph2")} < 0.3) and dial = '1'
                    then '(' || substr(digits, 1, 3) || ') ' || substr(digits, 4, 3) || '-'
                        || substr(digits, 7)
                when (is_duplicate or {u("customer_id", "ph2")} < 0.3) and dial in ('39', '34')
                    then substr(digits, 1, 4) || ' ' || substr(digits, 5)
                when is_duplicate or {u("customer_id", "ph2")} < 0.3
                    then '0' || substr(digits, 1, 4) || ' ' || substr(digits, 5)
                else '+' || dial || ' ' || substr(digits, 1, 3) || ' ' || substr(digits, 4)
            end as phone,
            first_name, last_name,
            case when {u("customer_id", "bd")} < 0.1 then null
                 else make_date(birth_year::int, 1 + (hash(customer_id) % 12)::int,
                                1 + (hash(customer_id, 'd') % 28)::int)::varchar end as birth_date,
            gender,
            case country {city_case} end as city,
            -- a quarter of the records change later: a move to another city, a new phone
            case when {u("customer_id", "chg")} < 0.25
                 then created_s + 86400 + (hash(customer_id, 'chg') % {max(end - start, 1) * 86400})
            end as change_s,
            case country {city_case.replace("city_idx + 1", "(city_idx + 1) % 3 + 1")} end
                as city_after,
            '+' || dial || ' ' || substr(digits, 4) || substr(digits, 1, 3) as phone_after,
            null::varchar as region,
            case when {u("customer_id", "cc")} < 0.03 then lower(country) else country end
                as country,
            lpad((hash(customer_id, 'pc') % 99999)::varchar, 5, '0') as postal_code,
            loyalty_id,
            created_s, person
        from crm_records
        """
    )
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
               {ts("created_s", "ca")} as created_at,
               case when changed then {ts("change_s", "ua")}
                    else {ts("created_s", "ua")} end as updated_at,
               customer_id as _key
        from c
        """
    )
