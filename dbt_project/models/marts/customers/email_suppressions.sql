{#- Who must get no email, and why (int_customers_suppressed): the email audiences
    leave them out and the export audit fails a file that carries one of them. -#}
with

suppressed as (
    select * from {{ ref('int_customers_suppressed') }}
),

final as (
    select
        person_id,
        reason,
        suppressed_at
    from suppressed
)

select * from final
