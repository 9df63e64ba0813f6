{#- Web and app orders placed by the end of run_date, each in its version as of
    run_date by its own updated_at (status changes are re-delivered), whichever
    delivery carried it (macro point_in_time_first). -#}
with

source as (
    select * from {{ source('raw', 'shop__orders') }}
),

latest as (
    {{ deduplicate(
        'source',
        partition_by='order_id',
        order_by=point_in_time_first('updated_at')
    ) }}
),

final as (
    select
        trim(order_id) as order_id,
        trim(customer_id) as customer_id,
        coalesce(lower(trim(channel)), 'web') as channel,
        upper(currency) as currency,
        lower(trim(status)) as status,
        cast(coalesce(subtotal, total) as decimal(18, 2)) as subtotal,
        cast(coalesce(discount, 0) as decimal(18, 2)) as discount,
        cast(coalesce(shipping, 0) as decimal(18, 2)) as shipping,
        cast(total as decimal(18, 2)) as total,
        cast(order_ts as timestamp) as ordered_at,
        cast(updated_at as timestamp) as updated_at
    from latest
    where order_ts < {{ run_end() }}
)

select * from final
