{#- Connected components of the identity graph. Every node starts with its own label,
    the pair (first seen, identifier); labels flow along links until each node holds
    the smallest label of its component. The person id hashes that label's identifier:
    the earliest-seen identifier of the component, which keeps a person's id when new
    identifiers join tomorrow. (When two known people merge, the later one's id gives
    way to the earlier one's.) -#}
with recursive

nodes as (
    select
        node,
        strftime(first_seen_at, '%Y%m%d%H%M%S') || '|' || node as label,
    from {{ ref('int_identity_nodes') }}
),

links as (
    select node as a, linked_node as b from {{ ref('int_identity_links') }}
    union
    select linked_node, node from {{ ref('int_identity_links') }}
),

walk (node, label) as (
    select node, label from nodes
    union
    select links.b, walk.label
    from walk
    inner join links on links.a = walk.node
),

final as (
    select
        node,
        'p_' || left(md5(split_part(min(label), '|', 2)), 16) as person_id,
    from walk
    group by node
)

select * from final
