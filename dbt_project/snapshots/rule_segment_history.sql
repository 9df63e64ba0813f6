{% snapshot rule_segment_history %}
{#- Each person's rule segment (marts.customer_segments_rules.primary_segment) over
    time, one row per stretch of nights in one segment. macros/history.sql says how
    run dates, backfills and re-runs are recorded. -#}
{{ config(
    unique_key='person_id',
    strategy='check',
    check_cols=['primary_segment'],
    updated_at='run_date',
    hard_deletes='invalidate',
    pre_hook=["{{ history_undo_rerun('rows') }}", "{{ history_undo_rerun('ends') }}"]
) }}
{{ history_source(ref('customer_segments_rules'), ['person_id', 'primary_segment']) }}
{% endsnapshot %}
