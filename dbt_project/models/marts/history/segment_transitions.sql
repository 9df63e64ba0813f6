{#- How many people moved from one segment to another on each night, from the
    snapshots in snapshots/ (one row per stretch of nights a person spent in a
    segment). A stretch that begins on night D follows the person's stretch that ended
    on D (from_segment) or none (from_segment null: new to the population, or the first
    night recorded); a stretch that ends on D with none after it is a departure
    (to_segment null: left the population, e.g. no longer scored). Nights up to
    run_date only, so a backfill reads the history as it stood then. A new stretch
    under the same label as the one before it (a model segment whose id changed on a
    retrain but not its name) is not a move. -#}
with

rule_segments as (
    select * from {{ ref('rule_segment_history') }}
),

rfm_segments as (
    select * from {{ ref('rfm_segment_history') }}
),

model_segments as (
    select * from {{ ref('model_segment_history') }}
),

stretches as (
    select
        'segment' as kind,
        person_id,
        primary_segment as segment,
        dbt_valid_from as valid_from,
        dbt_valid_to as valid_to
    from rule_segments
    union all
    select
        'rfm' as kind,
        person_id,
        rfm_segment as segment,
        dbt_valid_from as valid_from,
        dbt_valid_to as valid_to
    from rfm_segments
    union all
    select
        'model_segment' as kind,
        person_id,
        coalesce(segment_name, cast(segment_id as {{ dbt.type_string() }})) as segment,
        dbt_valid_from as valid_from,
        dbt_valid_to as valid_to
    from model_segments
),

arrivals as (
    select
        arrived.valid_from as run_date,
        arrived.kind,
        previous.segment as from_segment,
        arrived.segment as to_segment
    from stretches as arrived
    left join stretches as previous
        on previous.kind = arrived.kind
        and previous.person_id = arrived.person_id
        and previous.valid_to = arrived.valid_from
    -- A retrained model may give a segment a new id under the same name: no move.
    where previous.segment is null or previous.segment <> arrived.segment
),

departures as (
    select
        ended.valid_to as run_date,
        ended.kind,
        ended.segment as from_segment,
        cast(null as {{ dbt.type_string() }}) as to_segment
    from stretches as ended
    where ended.valid_to is not null
        and not exists (
            select 1
            from stretches as following
            where following.kind = ended.kind
                and following.person_id = ended.person_id
                and following.valid_from = ended.valid_to
        )
),

moves as (
    select * from arrivals
    union all
    select * from departures
),

final as (
    select
        cast(run_date as date) as run_date,
        kind,
        from_segment,
        to_segment,
        count(*) as person_count
    from moves
    where run_date <= {{ run_date() }}
    group by run_date, kind, from_segment, to_segment
)

select * from final
