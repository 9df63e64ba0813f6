{#- People suppressed from email, one row per person: anyone a bounce, spam complaint or
    unsubscribe belongs to, found by the event's customer id, by its email as the
    person's identifier, or by its email as the person's golden-record email (an
    address too shared to link anyone still suppresses everyone it is the email of).
    Fail closed: every match suppresses, whichever identifier made it. suppressed_at is
    the first such event; reason is its reason (at the same instant a spam complaint,
    then a bounce, then an unsubscribe). Only known people (int_persons_known): an
    address seen with no customer is nobody's contact. -#}
with

events as (
    select * from {{ ref('stg_email__suppression_events') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_resolved') }}
),

people as (
    select * from {{ ref('int_persons_known') }}
),

golden as (
    select * from {{ ref('int_customers_merged') }}
),

matches as (
    select identifiers.person_id, events.reason, events.occurred_at
    from events
    inner join identifiers
        on identifiers.identifier_type = 'customer_id'
        and identifiers.identifier_value = events.customer_id
    union all
    select identifiers.person_id, events.reason, events.occurred_at
    from events
    inner join identifiers
        on identifiers.identifier_type = 'email'
        and identifiers.identifier_value = events.email
    union all
    select golden.person_id, events.reason, events.occurred_at
    from events
    inner join golden on golden.email = events.email
),

final as (
    select
        person_id,
        {{ arg_min('reason', [
            'occurred_at',
            "case reason when 'spam_report' then 1 when 'hard_bounce' then 2 else 3 end"
        ]) }} as reason,
        min(occurred_at) as suppressed_at
    from matches
    where person_id in (select person_id from people)
    group by person_id
)

select * from final
