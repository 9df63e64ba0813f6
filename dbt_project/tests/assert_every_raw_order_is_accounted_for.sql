{#- Nothing is dropped between raw and the marts without a reason: every order and line
    loaded is in fct_orders / fct_order_items or excluded with its reason. -#}
select *
from {{ ref('order_reconciliation') }}
where outcome = 'unexplained'
