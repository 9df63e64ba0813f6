{#- The latest version of each record delivered more than once: the first row of each
    `partition_by` group in `order_by` order. A window and a filter, so any engine runs
    it. The rows keep every column of `relation` plus `version_rank` (always 1), which
    the model's final select leaves out.

    relation: a relation or CTE name.
    partition_by: the key, one column or a comma-separated list.
    order_by: the order in which the first row is the one to keep. -#}
{% macro deduplicate(relation, partition_by, order_by) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ partition_by }} order by {{ order_by }}
            ) as version_rank
        from {{ relation }}
    ) as versions
    where version_rank = 1
{%- endmacro %}
