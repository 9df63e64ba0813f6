{#- Every store transaction line loaded into raw, whatever its date: one row per
    (transaction id, line number) with the transaction's first timestamp and loyalty
    card, for order_reconciliation. -#}
with

source as (
    select * from {{ source('raw', 'pos__transactions') }}
),

final as (
    select
        trim(transaction_id) as transaction_id,
        line_number,
        min(cast(transaction_ts as timestamp)) as purchased_at,
        min(nullif(trim(loyalty_id), '')) as loyalty_id
    from source
    group by trim(transaction_id), line_number
)

select * from final
