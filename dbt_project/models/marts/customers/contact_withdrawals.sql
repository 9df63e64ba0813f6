{#- Who may no longer be sent to on a channel, as of everything loaded, whatever the
    run date (a backfill sees the same): the latest consent record for it is a revoke,
    and, for email, a suppression. The privacy step (pipeline/privacy.py) takes these
    people out of the export folders published before, channel by channel; the email
    and phone are the golden record's, which is how an ads file (hashed email and
    phone only) names them. -#}
with

consent as (
    select * from {{ ref('stg_privacy__consent') }}
),

consent_records as (
    {{ person_lookup('consent') }}
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

suppressed as (
    select * from {{ ref('int_customers_suppressed') }}
),

golden as (
    select * from {{ ref('int_customers_merged') }}
),

withdrawn as (
    select person_id, channel, 'consent revoked' as reason
    from latest_loaded
    where not is_granted and channel in ('email', 'sms', 'ads')
    union all
    select person_id, 'email' as channel, reason
    from suppressed
),

final as (
    select
        withdrawn.person_id,
        withdrawn.channel,
        min(withdrawn.reason) as reason,
        min(golden.email) as email,
        min(golden.phone) as phone
    from withdrawn
    left join golden using (person_id)
    group by withdrawn.person_id, withdrawn.channel
)

select * from final
