{#- Each identifier's person: the current id of its cluster in the ledger. On a normal
    night every node of a cluster carries the same id (the ledger was just brought up
    to date); on a backfill a cluster of that date may hold identifiers that are
    several people's ids today (or none), and takes the oldest of them (or a keyed id
    of its earliest identifier, as a new person would get). -#}
with

clusters as (
    select * from {{ ref('int_identity_clusters') }}
),

ledger as (
    select * from {{ ref('int_person_id_ledger') }}
),

current_ids as (
    {{ ledger_current_ids('ledger') }}
),

issued as (
    {{ ledger_issued_ids('ledger') }}
),

cluster_ids as (
    select
        clusters.cluster,
        {{ arg_min('current_ids.person_id', ['issued.issued_on', 'current_ids.person_id']) }}
            as person_id
    from clusters
    inner join current_ids using (node_hash)
    inner join issued on issued.person_id = current_ids.person_id
    group by clusters.cluster
),

final as (
    select
        clusters.node,
        coalesce(cluster_ids.person_id, {{ keyed_person_id('clusters.cluster_identifier') }})
            as person_id
    from clusters
    left join cluster_ids using (cluster)
)

select * from final
