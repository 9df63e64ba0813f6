{#- Every online order loaded into raw, whatever its date: one row per order id with
    when it was first placed and its customer id, for order_reconciliation. -#}
with

source as (
    select * from {{ source('raw', 'shop__orders') }}
),

final as (
    select
        trim(order_id) as order_id,
        min(trim(customer_id)) as customer_id,
        min(cast(order_ts as timestamp)) as ordered_at
    from source
    group by trim(order_id)
)

select * from final
