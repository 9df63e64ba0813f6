{#- Who is in which audience tonight, and why.

    Every audience declared in _audiences__models.yml (config.meta.audience on its
    aud_<name> model) is evaluated here, so adding an audience means declaring it and
    adding its model, nothing else. A person qualifies when the rule holds, they have
    granted consent for the audience's channel, and the channel can reach them (an
    email address that is not suppressed by a bounce, spam complaint or unsubscribe
    (marts.email_suppressions), a phone, or at least one hashed identifier for ads).

    Frequency cap: a person keeps at most var('email_frequency_cap') email audiences,
    the lowest priority numbers first (name breaks ties). The cap comes before the
    holdout, so the control group is drawn from people who would have been sent to.

    Holdout: the first 32 bits of md5(person_id || '|' || audience), read as a fraction
    of 2^32, below var('holdout_share') puts the person in the control group of that
    audience: deterministic across runs, independent between audiences. -#}

{%- set audiences = [] -%}
{%- if execute -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.config.meta.get('audience') -%}
        {%- set spec = node.config.meta['audience'] -%}
        {%- do audiences.append({
            'name': node.name[4:],
            'channel': spec['channel'],
            'priority': spec['priority'] | int,
            'rule': spec['rule'],
            'reason': spec['reason'],
        }) -%}
    {%- endfor -%}
{%- endif -%}
{%- set reachable = {
    'email': 'email is not null and not is_email_suppressed',
    'sms': 'phone is not null',
    'ads': '(email_sha256 is not null or phone_sha256 is not null)',
} -%}

with

candidates as (
    select * from {{ ref('int_audience_candidates_joined') }}
),

qualified as (
    {%- for audience in audiences | sort(attribute='name') %}
    select
        '{{ audience.name }}' as audience,
        '{{ audience.channel }}' as channel,
        {{ audience.priority }} as priority,
        run_date,
        person_id,
        cast({{ audience.reason }} as {{ dbt.type_string() }}) as reason
    from candidates
    where ({{ audience.rule }})
        and has_{{ audience.channel }}_consent
        and {{ reachable[audience.channel] }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    {#- Parsing: the graph is not available yet. -#}
    select
        cast(null as {{ dbt.type_string() }}) as audience,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_int() }}) as priority,
        cast(null as date) as run_date,
        cast(null as {{ dbt.type_string() }}) as person_id,
        cast(null as {{ dbt.type_string() }}) as reason
    where false
    {%- endfor %}
),

ranked as (
    select
        *,
        row_number() over (
            partition by person_id, channel order by priority, audience
        ) as channel_rank
    from qualified
),

capped as (
    select * from ranked
    where channel <> 'email' or channel_rank <= {{ var('email_frequency_cap', 2) | int }}
),

final as (
    {#- Column order as agreed in docs/warehouse_schemas.md. -#}
    select
        run_date,
        audience,
        person_id,
        {{ hex_to_bigint("substr(md5(person_id || '|' || audience), 1, 8)") }}
            / 4294967296.0 < {{ var('holdout_share', 0.10) | float }} as is_control,
        reason
    from capped
)

select * from final
