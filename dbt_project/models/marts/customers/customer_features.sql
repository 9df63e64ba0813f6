{#- The ML feature vector of every known person as of run_date
    (macros/customer_features.sql). #}
-- depends_on: {{ ref('stg_shop__products') }}
select * from ({{ customer_features_as_of(run_date(), with_cutoff_date=false) }})
