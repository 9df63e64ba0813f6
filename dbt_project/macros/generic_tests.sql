{#- Generic tests the project needs (no package hub here). -#}

{% test expression_is_true(model, expression, column_name=none) %}
    select * from {{ model }} where not ({{ expression }})
{% endtest %}

{% test unique_combination_of_columns(model, combination_of_columns) %}
    select {{ combination_of_columns | join(', ') }}, count(*) as n
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{% test not_after_run_date(model, column_name) %}
    select * from {{ model }} where {{ column_name }} >= {{ run_end() }}
{% endtest %}
