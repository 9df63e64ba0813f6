with

source as (
    select * from {{ source('raw', 'shop__products') }}
    where _extract_date <= {{ run_date() }}
),

latest as (
    select
        *,
        row_number() over (
            partition by product_id order by _extract_date desc, {{ latest_first('updated_at') }}
        ) as version_rank
    from source
),

final as (
    select
        trim(product_id) as product_id,
        trim(name) as product_name,
        {{ normalize_category('category') }} as category,
        {{ normalize_category('subcategory') }} as subcategory,
        nullif(trim(brand), '') as brand,
        cast(price as decimal(18, 2)) as price,
        coalesce(is_active, true) as is_active,
    from latest
    where version_rank = 1
)

select * from final
