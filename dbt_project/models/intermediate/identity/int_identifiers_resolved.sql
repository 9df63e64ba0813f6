{#- Every identifier with its person; erased people left out. -#}
with

nodes as (
    select * from {{ ref('int_identity_nodes') }}
),

components as (
    select * from {{ ref('int_identity_components') }}
),

erased as (
    select * from {{ ref('int_persons_erased') }}
),

final as (
    select
        components.person_id,
        nodes.identifier_type,
        nodes.identifier_value,
        nodes.first_seen_at,
        nodes.last_seen_at
    from nodes
    inner join components using (node)
    where components.person_id not in (select person_id from erased)
)

select * from final
