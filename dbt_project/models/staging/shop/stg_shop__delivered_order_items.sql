{#- Every online order line loaded into raw, whatever its date: one row per
    (order id, line number), for order_reconciliation. -#}
with

source as (
    select * from {{ source('raw', 'shop__order_items') }}
),

final as (
    select distinct
        trim(order_id) as order_id,
        line_number
    from source
)

select * from final
