{#- The body of every aud_<name> model. The audience is declared in
    _audiences__models.yml (description, channel, priority, rule, reason, columns);
    membership decides who is in it. The model holds tonight's members with the
    declared columns, controls included (is_control), which the export leaves out.

    An audience that declares variants (meta.audience.variants) lists `variant` among
    its columns: the variant audience_sends gave each treated member (Thompson
    sampling), null for the control group.

    spec: the model's config.meta.audience. -#}
{% macro audience_model(spec) -%}
{%- set audience = model.name[4:] -%}

with

membership as (
    select * from {{ ref('membership') }}
    where audience = '{{ audience }}'
),

candidates as (
    select * from {{ ref('int_audience_candidates_joined') }}
),

sends as (
    select * from {{ ref('audience_sends') }}
    where audience = '{{ audience }}'
        and run_date = {{ run_date() }}
),

final as (
    select
        membership.run_date,
        membership.person_id,
        {%- for column in spec.get('columns', []) if column != 'person_id' %}
        {{ 'sends' if column == 'variant' else 'candidates' }}.{{ column }},
        {%- endfor %}
        membership.reason,
        membership.is_control
    from membership
    inner join candidates on candidates.person_id = membership.person_id
    inner join sends on sends.person_id = membership.person_id
)

select * from final
{%- endmacro %}
