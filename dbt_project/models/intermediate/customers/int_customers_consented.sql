{#- Consent per person and channel, one row per person with any consent record. Consent
    fails closed: a channel counts as consented only when the latest record for it is a
    grant; a revoke at the same instant wins. A person or channel without records is
    not consented (dim_customers turns the missing row into false). -#}
with

consent as (
    select * from {{ ref('stg_privacy__consent') }}
),

consent_records as (
    {{ person_lookup('consent') }}
),

latest_per_channel as (
    select
        person_id,
        channel,
        {{ arg_max("status = 'granted'", ['recorded_at', "status = 'revoked'"]) }} as is_granted
    from consent_records
    where person_id is not null
    group by person_id, channel
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
