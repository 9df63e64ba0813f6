{#- Who may no longer be sent to on a channel, as of everything loaded: a consent for
    it that is not (or no longer) granted, and, for email, a suppression. The privacy
    step (pipeline/privacy.py) takes these people out of the export folders published
    before, channel by channel; the email and phone are the golden record's, which is
    how an ads file (hashed email and phone only) names them. -#}
with

consented as (
    select * from {{ ref('int_customers_consented') }}
),

suppressed as (
    select * from {{ ref('int_customers_suppressed') }}
),

golden as (
    select * from {{ ref('int_customers_merged') }}
),

withdrawn as (
    {%- for channel in ['email', 'sms', 'ads'] %}
    select person_id, '{{ channel }}' as channel, 'consent not granted' as reason
    from consented
    where not has_{{ channel }}_consent
    union all
    {%- endfor %}
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
