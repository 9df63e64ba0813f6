{#- The ML feature vector of every known person as of run_date
    (macros/customer_features.sql). #}
-- depends_on: {{ ref('stg_shop__products') }}
select * exclude (cutoff_date)
from ({{ customer_features_as_of(run_date()) }})
