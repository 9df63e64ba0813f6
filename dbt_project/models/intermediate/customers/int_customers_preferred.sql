{#- Each person's preferences, one row per person with any: the category they buy and
    browse most (revenue, plus 3 per cart add and 1 per view; ties: the later category
    name), the device they use most and the hour (UTC) they open emails most (ties: the
    earlier hour). -#}
with

order_items as (
    select * from {{ ref('fct_order_items') }}
),

events as (
    select * from {{ ref('int_events_attributed') }}
),

email_opens as (
    select * from {{ ref('stg_email__email_events') }}
    where event_type = 'open'
),

category_weights as (
    select person_id, category, line_revenue as weight
    from order_items
    union all
    select person_id, category, case event_name when 'Product Added' then 3 else 1 end
    from events
    where category is not null and event_name in ('Product Viewed', 'Product Added')
),

category_affinity as (
    select person_id, category, sum(weight) as weight
    from category_weights
    group by person_id, category
),

preferred_category as (
    select
        person_id,
        {{ arg_max('category', ['weight', 'category']) }} as preferred_category
    from category_affinity
    group by person_id
),

device_use as (
    select person_id, device_type, count(*) as n
    from events
    where device_type is not null
    group by person_id, device_type
),

preferred_device as (
    select
        person_id,
        {{ arg_max('device_type', ['n', 'device_type']) }} as preferred_device
    from device_use
    group by person_id
),

opens_with_person as (
    {{ person_lookup('email_opens') }}
),

open_hours as (
    select person_id, extract(hour from occurred_at) as open_hour, count(*) as n
    from opens_with_person
    where person_id is not null
    group by person_id, extract(hour from occurred_at)
),

preferred_hour as (
    select
        person_id,
        {{ arg_max('open_hour', ['n', '-open_hour']) }} as preferred_email_hour
    from open_hours
    group by person_id
),

people as (
    select person_id from preferred_category
    union
    select person_id from preferred_device
    union
    select person_id from preferred_hour
),

final as (
    select
        people.person_id,
        preferred_category.preferred_category,
        preferred_device.preferred_device,
        preferred_hour.preferred_email_hour
    from people
    left join preferred_category on preferred_category.person_id = people.person_id
    left join preferred_device on preferred_device.person_id = people.person_id
    left join preferred_hour on preferred_hour.person_id = people.person_id
)

select * from final
