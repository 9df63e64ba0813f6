{#- Connected components of the identity graph. Every node starts with its own label,
    the pair (first seen, identifier); labels flow along links until each node holds
    the smallest label of its component: the earliest-seen identifier of the cluster.
    Which person a cluster is comes from int_person_id_ledger, not from here. -#}
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
        {{ keyed_hash('node') }} as node_hash,
        label as cluster,
        {{ dbt.split_part('label', "'|'", 2) }} as cluster_identifier
    from components
)

select * from final
