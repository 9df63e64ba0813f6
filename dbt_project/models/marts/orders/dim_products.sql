select
    product_id,
    product_name,
    category,
    subcategory,
    brand,
    price,
    is_active
from {{ ref('stg_shop__products') }}
