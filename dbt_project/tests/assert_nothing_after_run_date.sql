{#- Point in time: no mart holds an event after the end of run_date. -#}
select 'fct_orders' as mart, max(ordered_at) as latest from {{ ref('fct_orders') }}
having max(ordered_at) >= {{ run_end() }}
union all
select 'fct_product_interactions', max(occurred_at) from {{ ref('fct_product_interactions') }}
having max(occurred_at) >= {{ run_end() }}
union all
select 'dim_customers', max(last_seen_at) from {{ ref('dim_customers') }}
having max(last_seen_at) >= {{ run_end() }}
