{% snapshot model_segment_history %}
{#- Each person's model segment (ml.customer_segments, the row of the run date) over
    time. A change of segment_id is a move; segment ids keep their meaning across
    nights (matched centroids), so the name is carried, not compared. -#}
{{ config(
    unique_key='person_id',
    strategy='check',
    check_cols=['segment_id'],
    updated_at='run_date',
    hard_deletes='invalidate',
    pre_hook=["{{ history_undo_rerun('rows') }}", "{{ history_undo_rerun('ends') }}"]
) }}
{{ history_source(
    ref('ml_customer_segments'),
    ['person_id', 'segment_id', 'segment_name', 'model_version'],
    dated=true
) }}
{% endsnapshot %}
