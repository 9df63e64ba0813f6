{% snapshot rfm_segment_history %}
{#- Each person's RFM segment (marts.customer_rfm.rfm_segment) over time. -#}
{{ config(
    unique_key='person_id',
    strategy='check',
    check_cols=['rfm_segment'],
    updated_at='run_date',
    hard_deletes='invalidate',
    pre_hook=["{{ history_undo_rerun('rows') }}", "{{ history_undo_rerun('ends') }}"]
) }}
{{ history_source(ref('customer_rfm'), ['person_id', 'rfm_segment']) }}
{% endsnapshot %}
