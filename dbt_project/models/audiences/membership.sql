{#- Who is in which audience tonight, and why: tonight's treated and control rows of
    audience_sends, where every audience declared in _audiences__models.yml
    (config.meta.audience on its aud_<name> model) is evaluated, so adding an audience
    means declaring it and adding its model, nothing else.

    audience_sends applies, in order: the rule, channel consent and reachability (an
    email address that is not suppressed by a bounce, spam complaint or unsubscribe
    (marts.email_suppressions), a phone, or at least one hashed identifier for ads);
    the per-night email frequency cap (var email_frequency_cap); the rolling cap
    across nights, email and SMS (var rolling_message_cap per var rolling_cap_days);
    then the holdout: the first 32 bits of md5(person_id || '|' || audience), read as
    a fraction of 2^32, below var('holdout_share') puts the person in the control
    group of that audience: deterministic across runs, independent between
    audiences. People either cap left out are in audience_frequency_capped. -#}

with

sends as (
    select * from {{ ref('audience_sends') }}
    where run_date = {{ run_date() }}
        and status in ('treated', 'control')
),

final as (
    {#- Column order as agreed in docs/warehouse_schemas.md. -#}
    select
        run_date,
        audience,
        person_id,
        is_control,
        reason
    from sends
)

select * from final
