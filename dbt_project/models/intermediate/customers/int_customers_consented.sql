{#- Consent per person and channel, one row per person with any consent record. Consent
    fails closed: a channel counts as consented only when the latest record for it by
    the end of run_date is a grant (a revoke at the same instant wins) and the latest
    record loaded at all, later ones included, is a grant too: a withdrawal is not point
    in time, so a backfill never sends to someone who has since withdrawn. A person or
    channel without records is not consented (dim_customers turns the missing row into
    false). -#}
with

consent as (
    select * from {{ ref('stg_privacy__consent') }}
),

consent_records as (
    {{ person_lookup('consent') }}
),

as_of_run_date as (
    select
        person_id,
        channel,
        {{ consent_is_granted() }} as is_granted
    from consent_records
    where person_id is not null
      and not is_after_run_date
    group by person_id, channel
),

latest_loaded as (
    select
        person_id,
        channel,
        {{ consent_is_granted() }} as is_granted
    from consent_records
    where person_id is not null
    group by person_id, channel
),

latest_per_channel as (
    select
        as_of_run_date.person_id,
        as_of_run_date.channel,
        as_of_run_date.is_granted and latest_loaded.is_granted as is_granted
    from as_of_run_date
    inner join latest_loaded
        on latest_loaded.person_id = as_of_run_date.person_id
        and latest_loaded.channel = as_of_run_date.channel
),

final as (
    select
        person_id,
        {%- for channel in ['email', 'sms', 'ads', 'personalization'] %}
        {{ dbt.bool_or("channel = '" ~ channel ~ "' and is_granted") }}
            as has_{{ channel }}_consent{{ ',' if not loop.last }}
        {%- endfor %}
    from latest_per_channel
    group by person_id
)

select * from final
