{#- One row: the run date and the vars this build ran with, typed, so Python reads the
    figures dbt applied instead of parsing dbt_project.yml again. -#}
with final as (
    select
        {{ run_date() }} as run_date,
        cast({{ var('email_frequency_cap') }} as integer) as email_frequency_cap,
        cast({{ var('holdout_share') }} as double) as holdout_share,
        cast({{ var('identity_max_customers_per_identifier') }} as integer)
            as identity_max_customers_per_identifier,
        cast({{ var('session_timeout_minutes') }} as integer) as session_timeout_minutes,
        cast({{ var('interaction_half_life_days') }} as integer) as interaction_half_life_days,
        cast({{ var('feature_history_cutoffs') }} as integer) as feature_history_cutoffs,
        cast({{ var('feature_history_spacing_days') }} as integer) as feature_history_spacing_days
)

select * from final
