with

observed as (
    select * from {{ ref('int_identifiers_observed') }}
),

final as (
    select
        identifier_type || ':' || identifier_value as node,
        identifier_type,
        identifier_value,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at
    from observed
    group by identifier_type, identifier_value
)

select * from final
