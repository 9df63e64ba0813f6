{% snapshot audience_membership_history %}
{#- Who was in which audience over time (audiences.membership): a row per stretch of
    nights a person stayed in an audience, treated or control. reason is the one of the
    first night of the stretch (it changes daily, e.g. days since a cart add, so it is
    carried, not compared). -#}
{{ config(
    unique_key=['audience', 'person_id'],
    strategy='check',
    check_cols=['is_control'],
    updated_at='run_date',
    hard_deletes='invalidate',
    pre_hook=["{{ history_undo_rerun('rows') }}", "{{ history_undo_rerun('ends') }}"]
) }}
{{ history_source(
    ref('membership'),
    ['audience', 'person_id', 'is_control', 'reason'],
    dated=true
) }}
{% endsnapshot %}
