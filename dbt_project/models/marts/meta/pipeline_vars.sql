{#- One row: the run date and the vars this build ran with, typed, so Python reads the
    figures dbt applied instead of parsing dbt_project.yml again. A var holding a
    mapping becomes one column per key, named <var>__<key>; a list, an array. -#}
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
        cast({{ var('feature_history_spacing_days') }} as integer) as feature_history_spacing_days,
        cast({{ var('churn_horizon_days') }} as integer) as churn_horizon_days,
        cast({{ var('recs_holdout_days') }} as integer) as recs_holdout_days,
        cast({{ var('rolling_message_cap') }} as integer) as rolling_message_cap,
        cast({{ var('rolling_cap_days') }} as integer) as rolling_cap_days,
        {{ integer_array(var('lift_window_days')) }} as lift_window_days,
        cast({{ var('send_time_prior_strength') }} as double) as send_time_prior_strength,
        {#- One column per interaction type: interaction_weights__<type>. #}
        {%- for interaction_type, weight in var('interaction_weights').items() %}
        cast({{ weight }} as double) as interaction_weights__{{ interaction_type }}
        {{- ',' if not loop.last }}
        {%- endfor %}
)

select * from final
