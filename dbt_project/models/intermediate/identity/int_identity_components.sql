{#- Connected components of the identity graph. Every node starts with its own label,
    the pair (first seen, identifier); labels flow along links until each node holds
    the smallest label of its component. The person id hashes that label's identifier:
    the earliest-seen identifier of the component, which keeps a person's id when new
    identifiers join tomorrow. (When two known people merge, the later one's id gives
    way to the earlier one's.) -#}
with

identity_nodes as (
    select * from {{ ref('int_identity_nodes') }}
),

identity_links as (
    select * from {{ ref('int_identity_links') }}
),

nodes as (
    select
        node,
        {{ timestamp_sort_key('first_seen_at') }} || '|' || node as label
    from identity_nodes
),

links as (
    select node as a, linked_node as b from identity_links
    union
    select linked_node as a, node as b from identity_links
),

components as (
    {{ connected_components('nodes', 'links') }}
),

final as (
    select
        node,
        'p_' || left(md5({{ dbt.split_part('label', "'|'", 2) }}), 16) as person_id
    from components
)

select * from final
