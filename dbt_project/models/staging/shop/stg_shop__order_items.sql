with

source as (
    select * from {{ source('raw', 'shop__order_items') }}
),

latest as (
    {{ deduplicate(
        'source',
        partition_by='order_id, line_number',
        order_by=point_in_time_first(known_order='_extract_date desc, _row_number desc')
    ) }}
),

final as (
    select
        trim(order_id) as order_id,
        line_number,
        trim(product_id) as product_id,
        quantity,
        cast(unit_price as decimal(18, 4)) as unit_price
    from latest
)

select * from final
