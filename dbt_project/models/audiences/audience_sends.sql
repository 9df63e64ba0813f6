{{ config(
    materialized='incremental',
    unique_key='run_date',
    incremental_strategy='delete+insert',
    full_refresh=false,
    on_schema_change='fail',
) }}

{#- Every night's audience decisions, one row per person and audience that qualified,
    kept night after night (append-only by run date: a re-run or backfill of a date
    replaces that date's rows and no other, and --full-refresh leaves the history alone).
    membership is tonight's treated and control rows of this table.

    A person qualifies when the audience's rule holds, they granted consent for its
    channel and the channel can reach them. Then, in this order:

    1. the per-night email cap: at most var('email_frequency_cap') email audiences per
       person, the lowest priority numbers first (name breaks ties);
    2. the rolling cap across nights and channels: email and SMS audiences count as
       messages; a person keeps tonight's messages (by priority) only while the
       treated email and SMS rows of the var('rolling_cap_days') - 1 earlier run dates
       plus tonight's stay within var('rolling_message_cap');
    3. the holdout: the first 32 bits of md5(person_id || '|' || audience), read as a
       fraction of 2^32, below var('holdout_share') puts the person in the control
       group of that audience: the same for a person on every night, independent
       between audiences;
    4. the variant (audiences that declare meta.audience.variants): treated members
       draw one by Thompson sampling. marts.audience_variant_posteriors holds tonight's
       share per variant (the probability, under its Beta posterior, that the variant
       converts best, computed by the night's audience_lift step); a member's
       uniform draw, the first 32 bits of md5 of run date, audience and person, picks
       the variant whose slice of [0, 1) it falls in: a Thompson draw per member,
       deterministic for a run date. With no posterior row for tonight every variant
       gets an equal slice.

    Both caps come before the holdout, so the control group is drawn from people who
    would have been sent to; capped rows are kept with status 'capped' and the cap's
    reason (audience_frequency_capped lists them). -#}

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
            'variants': spec.get('variants') or [],
        }) -%}
    {%- endfor -%}
{%- endif -%}
{%- set with_variants = audiences | selectattr('variants') | list -%}
{%- set reachable = {
    'email': 'email is not null and not is_email_suppressed',
    'sms': 'phone is not null',
    'ads': '(email_sha256 is not null or phone_sha256 is not null)',
} -%}
{%- set cap_days = var('rolling_cap_days', 7) | int -%}
{%- set message_cap = var('rolling_message_cap', 4) | int -%}

with

candidates as (
    select * from {{ ref('int_audience_candidates_joined') }}
),

posteriors as (
    select * from {{ ref('audience_variant_posteriors') }}
    where run_date = {{ run_date() }}
),

earlier_messages as (
    {%- if is_incremental() %}
    select
        person_id,
        count(*) as messages
    from {{ this }}
    where status = 'treated'
        and channel in ('email', 'sms')
        and run_date < {{ run_date() }}
        and run_date > {{ dbt.dateadd('day', -cap_days, run_date()) }}
    group by person_id
    {%- else %}
    {#- The first build: no earlier night. #}
    select
        cast(null as {{ dbt.type_string() }}) as person_id,
        cast(0 as {{ dbt.type_bigint() }}) as messages
    where 1 = 0
    {%- endif %}
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
    where 1 = 0
    {%- endfor %}
),

channel_ranked as (
    select
        *,
        row_number() over (
            partition by person_id, channel order by priority, audience
        ) as channel_rank
    from qualified
),

message_ranked as (
    select
        channel_ranked.*,
        channel = 'email'
            and channel_rank > {{ var('email_frequency_cap', 2) | int }} as is_channel_capped,
        coalesce(earlier_messages.messages, 0) as earlier_messages
    from channel_ranked
    left join earlier_messages on earlier_messages.person_id = channel_ranked.person_id
),

messages as (
    select
        audience,
        person_id,
        row_number() over (partition by person_id order by priority, audience) as message_rank
    from message_ranked
    where channel in ('email', 'sms') and not is_channel_capped
),

capped as (
    select
        message_ranked.run_date,
        message_ranked.audience,
        message_ranked.person_id,
        message_ranked.channel,
        message_ranked.priority,
        message_ranked.reason,
        case
            when message_ranked.is_channel_capped
                then 'email_frequency_cap: email audience ' || cast(message_ranked.channel_rank as {{ dbt.type_string() }})
                    || ' tonight, at most {{ var('email_frequency_cap', 2) | int }} a night'
            when messages.message_rank + message_ranked.earlier_messages > {{ message_cap }}
                then 'rolling_message_cap: ' || cast(message_ranked.earlier_messages as {{ dbt.type_string() }})
                    || ' messages in the {{ cap_days - 1 }} days before and '
                    || cast(messages.message_rank as {{ dbt.type_string() }})
                    || ' tonight, at most {{ message_cap }} in {{ cap_days }} days'
        end as cap_reason,
        {{ hex_to_bigint("substr(md5(message_ranked.person_id || '|' || message_ranked.audience), 1, 8)") }}
            / 4294967296.0 < {{ var('holdout_share', 0.10) | float }} as is_control,
        {{ hex_to_bigint(
            "substr(md5('variant|' || cast(message_ranked.run_date as " ~ dbt.type_string()
            ~ ") || '|' || message_ranked.audience || '|' || message_ranked.person_id), 1, 8)"
        ) }} / 4294967296.0 as variant_draw
    from message_ranked
    left join messages
        on messages.audience = message_ranked.audience
        and messages.person_id = message_ranked.person_id
),

declared_variants as (
    {%- for audience in with_variants %}
    {%- set audience_loop = loop %}
    {%- for variant in audience.variants %}
    select
        '{{ audience.name }}' as audience,
        '{{ variant }}' as variant,
        {{ loop.index }} as variant_order,
        {{ 1.0 / (audience.variants | length) }} as uniform_share
    {%- if not (loop.last and audience_loop.last) %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as audience,
        cast(null as {{ dbt.type_string() }}) as variant,
        cast(null as {{ dbt.type_int() }}) as variant_order,
        cast(null as double precision) as uniform_share
    where 1 = 0
    {%- endfor %}
),

variant_shares as (
    select
        declared_variants.audience,
        declared_variants.variant,
        declared_variants.variant_order,
        coalesce(posteriors.allocation_share, declared_variants.uniform_share) as share,
        count(*) over (partition by declared_variants.audience) as variants,
        max(case when posteriors.variant is not null then 1 else 0 end)
            over (partition by declared_variants.audience) as has_posterior
    from declared_variants
    left join posteriors
        on posteriors.audience = declared_variants.audience
        and posteriors.variant = declared_variants.variant
),

variant_slices as (
    select
        audience,
        variant,
        variant_order,
        variants,
        sum(share) over (
            partition by audience order by variant_order rows between unbounded preceding and current row
        ) - share as slice_low,
        sum(share) over (
            partition by audience order by variant_order rows between unbounded preceding and current row
        ) as slice_high
    from (
        {#- A posterior for tonight wins; without one (or with a share missing) every
            variant gets an equal slice. #}
        select
            audience,
            variant,
            variant_order,
            variants,
            case when has_posterior = 1 then share else 1.0 / variants end as share
        from variant_shares
    ) as shares
),

final as (
    select
        capped.run_date,
        capped.audience,
        capped.person_id,
        capped.channel,
        capped.reason,
        case
            when capped.cap_reason is not null then 'capped'
            when capped.is_control then 'control'
            else 'treated'
        end as status,
        capped.cap_reason,
        variant_slices.variant,
        capped.priority,
        capped.is_control
    from capped
    left join variant_slices
        on capped.cap_reason is null
        and not capped.is_control
        and variant_slices.audience = capped.audience
        and capped.variant_draw >= variant_slices.slice_low
        and (
            capped.variant_draw < variant_slices.slice_high
            or variant_slices.variant_order = variant_slices.variants
        )
)

select * from final
