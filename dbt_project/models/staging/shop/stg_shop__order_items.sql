with

source as (
    select * from {{ source('raw', 'shop__order_items') }}
    where _extract_date <= {{ run_date() }}
),

latest as (
    {{ deduplicate(
        'source',
        partition_by='order_id, line_number',
        order_by="_extract_date desc, _row_number desc"
    ) }}
),

final as (
    select
        trim(order_id) as order_id,
        line_number,
        trim(product_id) as product_id,
        quantity,
        cast(unit_price as decimal(18, 2)) as unit_price
    from latest
)

select * from final
