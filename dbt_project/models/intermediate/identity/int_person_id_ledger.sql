{{ config(materialized='incremental', full_refresh=false, on_schema_change='fail') }}
{#- The person-id ledger: which person id each identifier (by its keyed hash) has had,
    and since when. Append-only history; a node's current id is its latest row.

    Each night a cluster of the identity graph keeps the id its identifiers already
    have, so a person's id survives late snapshots (an earlier created_at), new
    identifiers and re-deliveries:
    - a cluster whose nodes carry several known ids (two known people merged) keeps
      the oldest one (first issued, then smallest); the others are recorded as merged
      into it (person_id_merges);
    - an id whose nodes now sit in several clusters (a link was withdrawn, e.g. an
      address turned out to be shared) stays with the cluster holding most of them;
    - a cluster with no id of its own gets a new one, keyed on its earliest-seen
      identifier (or, if that id is taken, on the identifier and the run date).

    A run for a date before the ledger's latest row (a backfill) adds nothing: it reads
    the ids as they are known now. -#}
with

clusters as (
    select * from {{ ref('int_identity_clusters') }}
),

{% if is_incremental() %}
history as (
    select * from {{ this }}
),
{% else %}
history as (
    select
        cast(null as {{ dbt.type_string() }}) as node_hash,
        cast(null as {{ dbt.type_string() }}) as person_id,
        cast(null as date) as assigned_on
    where 1 = 0
),
{% endif %}

current_ids as (
    {{ ledger_current_ids('history') }}
),

issued as (
    {{ ledger_issued_ids('history') }}
),

members as (
    select clusters.node_hash, clusters.cluster, clusters.cluster_identifier, current_ids.person_id
    from clusters
    left join current_ids using (node_hash)
),

holdings as (
    select cluster, person_id, count(*) as nodes
    from members
    where person_id is not null
    group by cluster, person_id
),

owners as (
    select
        person_id,
        {{ arg_max('cluster', ['nodes', 'cluster']) }} as cluster
    from holdings
    group by person_id
),

kept as (
    select
        owners.cluster,
        {{ arg_min('owners.person_id', ['issued.issued_on', 'owners.person_id']) }} as person_id
    from owners
    inner join issued using (person_id)
    group by owners.cluster
),

fresh as (
    select distinct cluster, cluster_identifier
    from members
    where cluster not in (select cluster from kept)
),

fresh_ids as (
    select
        cluster,
        {{ keyed_person_id('cluster_identifier') }} as plain_id,
        {{ keyed_person_id("cluster_identifier || '#' || cast(" ~ run_date() ~ " as " ~ dbt.type_string() ~ ")") }}
            as dated_id
    from fresh
),

assigned as (
    select cluster, person_id from kept
    union all
    select
        cluster,
        case when plain_id in (select person_id from issued) then dated_id else plain_id end
    from fresh_ids
),

is_backfill as (
    select coalesce(max(assigned_on) > {{ run_date() }}, false) as flag from history
),

final as (
    select
        members.node_hash,
        assigned.person_id,
        {{ run_date() }} as assigned_on
    from members
    inner join assigned using (cluster)
    where (members.person_id is null or members.person_id <> assigned.person_id)
      and not (select flag from is_backfill)
)

select * from final
