with

source as (
    select * from {{ source('raw', 'pos__transactions') }}
),

latest as (
    {{ deduplicate(
        'source',
        partition_by='transaction_id, line_number',
        order_by=point_in_time_first(known_order='_extract_date desc, _row_number desc')
    ) }}
),

final as (
    select
        trim(transaction_id) as transaction_id,
        line_number,
        trim(store_id) as store_id,
        nullif(trim(loyalty_id), '') as loyalty_id,
        trim(product_id) as product_id,
        quantity,
        cast(unit_price as decimal(18, 4)) as unit_price,
        cast(transaction_ts as timestamp) as purchased_at
    from latest
    where transaction_ts < {{ run_end() }}
)

select * from final
