{#- The hour of the day (in the person's own time zone) at which to send each person
    email: the most probable hour of their opens and clicks under a Dirichlet prior
    centred on the shop-wide distribution of open and click hours (empirical Bayes: the
    prior's shape is the shop's, its weight var('send_time_prior_strength') pseudo-
    events). A person's posterior share of hour h is
        (n_h + k * p_h) / (n + k)
    with n_h their events in hour h, n all their events, k the prior strength and p_h
    the shop's share of hour h, so a person with few events is drawn towards the
    shop's hour and one with many keeps their own. Everyone in dim_customers gets a
    row; with no event of their own the shop's most common hour is theirs.

    The time zone comes from the time_zones seed: the row of the person's country and
    region, else of their country (empty region), else the default row (country *).
    Events count on or before run_date; the hour is local wall-clock time. -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

zones as (
    select * from {{ ref('time_zones') }}
),

engagements as (
    select * from {{ ref('stg_email__email_events') }}
    where event_type in ('open', 'click')
),

engagements_with_person as (
    {{ person_lookup('engagements') }}
),

default_zone as (
    select min(time_zone) as time_zone
    from zones
    where country = '*'
),

person_zones as (
    select
        customers.person_id,
        coalesce(by_region.time_zone, by_country.time_zone, default_zone.time_zone)
            as time_zone,
        case
            when by_region.time_zone is not null then 'region'
            when by_country.time_zone is not null then 'country'
            else 'default'
        end as time_zone_source
    from customers
    cross join default_zone
    left join zones as by_region
        on by_region.country = upper(customers.country)
        and by_region.region is not null
        and upper(by_region.region) = upper(trim(customers.region))
    left join zones as by_country
        on by_country.country = upper(customers.country)
        and by_country.region is null
),

local_hours as (
    select
        engagements_with_person.person_id,
        cast(extract(hour from {{ from_utc('engagements_with_person.occurred_at', 'person_zones.time_zone') }}) as integer)
            as local_hour
    from engagements_with_person
    inner join person_zones on person_zones.person_id = engagements_with_person.person_id
),

person_hours as (
    select person_id, local_hour, count(*) as events
    from local_hours
    group by person_id, local_hour
),

person_totals as (
    select person_id, sum(events) as events
    from person_hours
    group by person_id
),

shop_hours as (
    select
        local_hour,
        cast(sum(events) as double precision) / (select sum(events) from person_hours)
            as shop_share
    from person_hours
    group by local_hour
),

shop_mode as (
    select {{ arg_max('local_hour', ['shop_share', '-local_hour']) }} as local_hour
    from shop_hours
),

{#- The hours worth scoring for a person: those with events of theirs, and the shop's
    most common hour (the best of the hours without any, whose share is the prior's). -#}
candidates as (
    select person_id, local_hour, events from person_hours
    union
    select person_totals.person_id, shop_mode.local_hour, 0 as events
    from person_totals
    cross join shop_mode
    where not exists (
        select 1 from person_hours
        where person_hours.person_id = person_totals.person_id
            and person_hours.local_hour = shop_mode.local_hour
    )
),

scored as (
    select
        candidates.person_id,
        candidates.local_hour,
        (candidates.events + {{ var('send_time_prior_strength') }} * shop_hours.shop_share)
            / (person_totals.events + {{ var('send_time_prior_strength') }}) as posterior_share
    from candidates
    inner join person_totals on person_totals.person_id = candidates.person_id
    inner join shop_hours on shop_hours.local_hour = candidates.local_hour
),

preferred as (
    select
        person_id,
        {{ arg_max('local_hour', ['posterior_share', '-local_hour']) }} as preferred_send_hour,
        max(posterior_share) as preferred_hour_share
    from scored
    group by person_id
),

final as (
    select
        person_zones.person_id,
        person_zones.time_zone,
        person_zones.time_zone_source,
        coalesce(preferred.preferred_send_hour, shop_mode.local_hour) as preferred_send_hour,
        coalesce(
            preferred.preferred_hour_share,
            (select shop_share from shop_hours where local_hour = shop_mode.local_hour)
        ) as preferred_hour_share,
        cast(coalesce(person_totals.events, 0) as bigint) as email_engagements
    from person_zones
    cross join (select max(local_hour) as local_hour from shop_mode) as shop_mode
    left join preferred on preferred.person_id = person_zones.person_id
    left join person_totals on person_totals.person_id = person_zones.person_id
)

select * from final
