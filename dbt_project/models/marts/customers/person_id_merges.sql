{#- Person ids that no longer exist because their person turned out to be another known
    person, and the id they were merged into (exported beside the audience files as
    person_id_merges.csv, so downstream tools can follow). A chain a -> b -> c is
    listed as its two steps. Ids split away from a cluster are not merges: the old id
    still exists. -#}
with

ledger as (
    select * from {{ ref('int_person_id_ledger') }}
),

erased as (
    select * from {{ ref('int_persons_erased') }}
),

steps as (
    select
        person_id,
        assigned_on,
        lag(person_id) over (partition by node_hash order by assigned_on, person_id)
            as previous_id
    from ledger
),

current_ids as (
    {{ ledger_current_ids('ledger') }}
),

final as (
    select
        previous_id as old_person_id,
        person_id as new_person_id,
        min(assigned_on) as merged_on
    from steps
    where previous_id is not null
      and previous_id <> person_id
      and previous_id not in (select person_id from current_ids)
      and person_id not in (select person_id from erased)
      and assigned_on <= {{ run_date() }}
    group by previous_id, person_id
)

select * from final
