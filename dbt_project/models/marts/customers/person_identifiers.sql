{#- The identity graph: every identifier of every (non-erased) person. -#}
with

identifiers as (
    select * from {{ ref('int_identifiers_resolved') }}
),

final as (
    select
        person_id,
        identifier_type,
        identifier_value,
        first_seen_at,
        last_seen_at
    from identifiers
)

select * from final
