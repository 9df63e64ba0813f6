with

source as (
    select * from {{ source('raw', 'shop__products') }}
),

latest as (
    {{ deduplicate(
        'source',
        partition_by='product_id',
        order_by=point_in_time_first(
            'updated_at', known_order='_extract_date desc, ' ~ latest_first('updated_at')
        )
    ) }}
),

final as (
    select
        trim(product_id) as product_id,
        trim(name) as product_name,
        {{ normalize_category('category') }} as category,
        {{ normalize_category('subcategory') }} as subcategory,
        nullif(trim(brand), '') as brand,
        cast(price as decimal(18, 2)) as price,
        coalesce(is_active, true) as is_active
    from latest
)

select * from final
