{#- People with an erasure request by any of their customer ids or emails, or with an
    identifier erased before (meta.erased_identifiers, kept as keyed hashes once the
    request's own identifiers are scrubbed): removed from every mart, model input and
    export, on every run from the night the request is loaded, backfills included. -#}
with

requests as (
    select * from {{ ref('stg_privacy__erasure_requests') }}
),

components as (
    select * from {{ ref('int_identity_components') }}
),

clusters as (
    select * from {{ ref('int_identity_clusters') }}
),

erased_before as (
    select identifier_hash from {{ source('meta', 'erased_identifiers') }}
),

requested as (
    select components.person_id
    from requests
    inner join components
        on components.node = 'customer_id:' || requests.customer_id
        or components.node = 'email:' || requests.email
),

remembered as (
    select components.person_id
    from clusters
    inner join components using (node)
    where clusters.node_hash in (select identifier_hash from erased_before)
),

final as (
    select person_id from requested
    union
    select person_id from remembered
)

select * from final
