{{ config(materialized='view') }}

{#- The people a frequency cap left out of an audience, every night audience_sends
    recorded: the per-night email cap or the rolling cap across nights and channels.
    A view over the history, so it never lags behind it. -#}

with

sends as (
    select * from {{ ref('audience_sends') }}
    where status = 'capped'
),

final as (
    select
        run_date,
        person_id,
        audience,
        cap_reason as reason
    from sends
)

select * from final
