with

products as (
    select * from {{ ref('stg_shop__products') }}
),

final as (
    select
        product_id,
        product_name,
        category,
        subcategory,
        brand,
        price,
        is_active
    from products
)

select * from final
