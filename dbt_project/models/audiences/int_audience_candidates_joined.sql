{#- One row per person with everything an audience rule may test: the customer 360,
    RFM, rule segments, the journey stage and preferred send hour, tonight's ML scores
    (churn, segments, customer value with the person's percentile of expected order
    value among tonight's scored), the open cart and the top three recommendations,
    plus the hashed identifiers ads files carry and whether email is suppressed
    (marts.email_suppressions). Rules in _audiences__models.yml are SQL predicates over
    these columns. Ephemeral: it is the
    audiences' working set, not a table anyone should read. -#}
{{ config(materialized='ephemeral') }}

with

customers as (
    select * from {{ ref('dim_customers') }}
),

rfm as (
    select * from {{ ref('customer_rfm') }}
),

rule_segments as (
    select * from {{ ref('customer_segments_rules') }}
),

interactions as (
    select * from {{ ref('fct_product_interactions') }}
    where occurred_at < {{ run_end() }}
),

products as (
    select * from {{ ref('dim_products') }}
),

email_suppressions as (
    select * from {{ ref('email_suppressions') }}
),

send_times as (
    select * from {{ ref('customer_send_times') }}
),

journey_stages as (
    select * from {{ ref('customer_journey_stages') }}
),

churn_scores as (
    select * from {{ ref('ml_churn_scores') }}
    where run_date = {{ run_date() }}
),

ml_segments as (
    select * from {{ ref('ml_customer_segments') }}
    where run_date = {{ run_date() }}
),

customer_value as (
    select
        person_id,
        clv,
        probability_alive,
        expected_order_value,
        percent_rank() over (order by expected_order_value, person_id)
            as order_value_percentile
    from {{ ref('ml_customer_value') }}
    where run_date = {{ run_date() }}
),

recommendations as (
    select * from {{ ref('ml_recommendations') }}
    where run_date = {{ run_date() }} and rank <= 3
),

carts as (
    select
        person_id,
        max(occurred_at) filter (where interaction_type = 'cart_add') as last_cart_add_at,
        max(occurred_at) filter (where interaction_type = 'purchase') as last_purchase_at,
        {{ arg_max('product_id', 'occurred_at') }} filter (where interaction_type = 'cart_add')
            as last_cart_product_id
    from interactions
    group by person_id
),

top_recommendations as (
    select
        recommendations.person_id,
        max(case when rank = 1 then recommendations.product_id end) as rec_1_product_id,
        max(case when rank = 1 then products.product_name end) as rec_1_product_name,
        max(case when rank = 2 then recommendations.product_id end) as rec_2_product_id,
        max(case when rank = 2 then products.product_name end) as rec_2_product_name,
        max(case when rank = 3 then recommendations.product_id end) as rec_3_product_id,
        max(case when rank = 3 then products.product_name end) as rec_3_product_name
    from recommendations
    left join products on products.product_id = recommendations.product_id
    group by recommendations.person_id
),

buyers as (
    select person_id, lifetime_revenue
    from customers
    where lifetime_orders > 0
),

median_value as (
    select {{ median('lifetime_revenue') }} as median_lifetime_revenue
    from buyers
),

value_ranks as (
    select
        buyers.person_id,
        buyers.lifetime_revenue > median_value.median_lifetime_revenue as is_above_median_value
    from buyers
    cross join median_value
),

final as (
    select
        customers.person_id,
        customers.customer_id,
        customers.email,
        customers.phone,
        customers.first_name,
        customers.last_name,
        customers.city,
        customers.region,
        customers.country,
        customers.postal_code,
        customers.preferred_category,
        customers.engagement_tier,
        send_times.preferred_send_hour,
        send_times.time_zone as send_time_zone,
        journey_stages.journey_stage,
        rfm.rfm_segment,
        {{ dbt.concat([
            'cast(rfm.r_score as ' ~ dbt.type_string() ~ ')',
            'cast(rfm.f_score as ' ~ dbt.type_string() ~ ')',
            'cast(rfm.m_score as ' ~ dbt.type_string() ~ ')'
        ]) }} as rfm_cell,
        ml_segments.segment_name as ml_segment_name,
        churn_scores.risk_band as churn_risk_band,
        churn_scores.top_reasons as churn_top_reasons,
        carts.last_cart_product_id as abandoned_product_id,
        abandoned.product_name as abandoned_product_name,
        top_recommendations.rec_1_product_id,
        top_recommendations.rec_1_product_name,
        top_recommendations.rec_2_product_id,
        top_recommendations.rec_2_product_name,
        top_recommendations.rec_3_product_id,
        top_recommendations.rec_3_product_name,
        {#- Ads identifiers, hashed as each platform documents (docs/exports.md). The phone
            is E.164 from warehouse/phones.py. Google Customer Match: email trimmed and
            lower-cased, phone in E.164 with its +, names lower-cased without spaces;
            Country and Zip are sent in plain text. Meta: the same email, the phone as
            E.164 digits without the +, names, city and region lower-cased letters only
            (accents kept), the postal code lower-cased without spaces or dashes (a US ZIP
            to five digits), the country as its lower-case ISO code. -#}
        {{ sha256('lower(trim(customers.email))') }} as email_sha256,
        case when customers.phone like '+%' then {{ sha256('customers.phone') }} end
            as phone_sha256,
        {{ hashed_identifier(google_name('customers.first_name')) }} as first_name_sha256,
        {{ hashed_identifier(google_name('customers.last_name')) }} as last_name_sha256,
        case when customers.phone like '+%' then {{ sha256('substr(customers.phone, 2)') }} end
            as meta_phone_sha256,
        {{ hashed_identifier(meta_letters('customers.first_name')) }} as meta_first_name_sha256,
        {{ hashed_identifier(meta_letters('customers.last_name')) }} as meta_last_name_sha256,
        {{ hashed_identifier(meta_letters('customers.city')) }} as meta_city_sha256,
        {{ hashed_identifier(meta_letters('customers.region')) }} as meta_region_sha256,
        {{ hashed_identifier(meta_postal_code('customers.postal_code', 'customers.country')) }}
            as meta_postal_code_sha256,
        {{ hashed_identifier('lower(customers.country)') }} as meta_country_sha256,
        customers.lifetime_orders,
        customers.lifetime_revenue,
        customers.avg_order_value,
        customers.sessions_30d,
        customers.product_views_30d,
        customers.product_views_90d,
        customers.cart_adds_90d,
        customers.email_opens_90d,
        customers.email_clicks_90d,
        rfm.recency_days,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        churn_scores.churn_probability,
        customer_value.clv,
        customer_value.probability_alive,
        customer_value.expected_order_value,
        customer_value.order_value_percentile,
        {{ dbt.datediff('customers.first_order_at', run_date(), 'day') }}
            as days_since_first_order,
        {{ dbt.datediff('customers.last_order_at', run_date(), 'day') }}
            as days_since_last_order,
        {{ dbt.datediff('carts.last_cart_add_at', run_date(), 'day') }}
            as days_since_last_cart_add,
        customers.has_email_consent,
        customers.has_sms_consent,
        customers.has_ads_consent,
        customers.has_personalization_consent,
        email_suppressions.person_id is not null as is_email_suppressed,
        coalesce(carts.last_cart_add_at > coalesce(carts.last_purchase_at, customers.last_order_at,
            cast('1970-01-01' as timestamp)), false) as has_open_cart,
        coalesce(value_ranks.is_above_median_value, false) as is_above_median_value,
        coalesce(rule_segments.is_vip, false) as is_vip,
        coalesce(rule_segments.is_new_customer, false) as is_new_customer,
        coalesce(rule_segments.is_at_risk, false) as is_at_risk,
        coalesce(rule_segments.is_lapsed, false) as is_lapsed,
        {{ run_date() }} as run_date,
        customers.first_order_at,
        customers.last_order_at,
        carts.last_cart_add_at
    from customers
    left join rfm on rfm.person_id = customers.person_id
    left join rule_segments on rule_segments.person_id = customers.person_id
    left join churn_scores on churn_scores.person_id = customers.person_id
    left join customer_value on customer_value.person_id = customers.person_id
    left join ml_segments on ml_segments.person_id = customers.person_id
    left join carts on carts.person_id = customers.person_id
    left join products as abandoned on abandoned.product_id = carts.last_cart_product_id
    left join top_recommendations on top_recommendations.person_id = customers.person_id
    left join value_ranks on value_ranks.person_id = customers.person_id
    left join email_suppressions on email_suppressions.person_id = customers.person_id
    left join send_times on send_times.person_id = customers.person_id
    left join journey_stages on journey_stages.person_id = customers.person_id
)

select * from final
